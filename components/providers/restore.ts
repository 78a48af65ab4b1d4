/**
 * The ClusterRestore's provider (resources/clusterRestore.ts declares the resource). A restore runs
 * once, when the resource is created: into a new cluster, or one that holds no keys. The archive is
 * checked whole at preview, and so is the cluster it would load into, so a refusal changes nothing.
 * Pointing restoreFrom elsewhere afterwards restores nothing: it only says so. restoreMode lets it load
 * into a cluster that holds keys (merge keeps them, replace overwrites those the archive also holds).
 */
import * as pulumi from "@pulumi/pulumi";
import { Cluster } from "ioredis";
import { readArchive } from "../engine/archive";
import { NodeAddress } from "../engine/pool";
import { restoreArchive } from "../engine/restore";
import { StoredAccess, accessOf, loginCandidates } from "../planning/access";
import { RESTORE_MARKER_KEY, RestoreMode, restoreStart } from "../planning/backup";

interface Inputs extends StoredAccess {
    clusterName: string;
    archive: string;
    image: string;
    plannedNodes: NodeAddress[];
    tlsCa?: string;
    /** Into a cluster that holds keys; absent: empty (refused). */
    mode?: RestoreMode;
    restoredKeys?: number;
    archiveId?: string;
}

/** The keys and the restore marker of a cluster that answers; undefined for one that does not (a new cluster). */
async function liveKeys(inputs: Inputs): Promise<{ keys: number; marker: string | null } | undefined> {
    const [login] = loginCandidates(accessOf(inputs));
    const cluster = new Cluster(
        inputs.plannedNodes.map((n) => ({ host: n.ip, port: n.port })),
        {
            redisOptions: { username: login?.username, password: login?.password, tls: inputs.tlsCa === undefined ? undefined : { ca: inputs.tlsCa }, connectTimeout: 2000 },
            clusterRetryStrategy: () => null,
            slotsRefreshTimeout: 3000,
        },
    );
    cluster.on("error", () => undefined);
    try {
        const masters = await new Promise<ReturnType<Cluster["nodes"]>>((resolve, reject) => {
            cluster.once("ready", () => resolve(cluster.nodes("master")));
            cluster.once("end", () => reject(new Error("no node answers")));
        });
        const keys = (await Promise.all(masters.map((m) => m.dbsize()))).reduce((a, b) => a + b, 0);
        return { keys, marker: await cluster.get(RESTORE_MARKER_KEY) };
    } catch {
        return undefined;
    } finally {
        cluster.disconnect();
    }
}

export const restoreProvider: pulumi.dynamic.ResourceProvider = {
    async check(olds: Partial<Inputs>, news: Inputs): Promise<pulumi.dynamic.CheckResult> {
        // Only a restore still to run is judged: one that ran is history.
        if (olds.archive !== undefined) return { inputs: news };
        try {
            const { archiveId } = await readArchive(news.archive);
            const live = await liveKeys(news);
            const start = live === undefined ? undefined : restoreStart(live.keys, live.marker, archiveId, news.mode);
            if (start !== undefined && "refused" in start) return { inputs: news, failures: [{ property: "archive", reason: `restoreFrom ${news.archive}: ${start.refused}` }] };
        } catch (err) {
            return { inputs: news, failures: [{ property: "archive", reason: (err as Error).message }] };
        }
        return { inputs: news };
    },
    async diff(_id: string, olds: Inputs, news: Inputs): Promise<pulumi.dynamic.DiffResult> {
        return { changes: olds.archive !== news.archive, replaces: [], deleteBeforeReplace: false };
    },
    async create(inputs: Inputs): Promise<pulumi.dynamic.CreateResult> {
        const log = (message: string) => console.error(`[${inputs.clusterName}] ${message}`);
        const result = await restoreArchive(
            { clusterName: inputs.clusterName, archive: inputs.archive, image: inputs.image, nodes: inputs.plannedNodes, credentials: { access: accessOf(inputs), tlsCa: inputs.tlsCa }, mode: inputs.mode ?? "empty" },
            log,
        );
        log(`restored ${result.keys} keys (${(result.bytes / 1048576).toFixed(1)} MB) from ${inputs.archive}${result.kept > 0 ? `; kept the cluster's own ${result.kept} keys of the same names` : ""}`);
        return { id: inputs.clusterName, outs: { ...inputs, restoredKeys: result.keys, archiveId: result.archiveId } };
    },
    async update(_id: string, olds: Inputs, news: Inputs): Promise<pulumi.dynamic.UpdateResult> {
        console.error(`[${news.clusterName}] restoreFrom is now ${news.archive}: this cluster was created already (from ${olds.archive}), so nothing was restored; a restore loads only into a new cluster`);
        return { outs: { ...news, restoredKeys: olds.restoredKeys, archiveId: olds.archiveId } };
    },
};
