/**
 * The ClusterRestore's provider (resources/clusterRestore.ts declares the resource). A restore runs
 * once, when the resource is created: into a new cluster, or one that holds no keys. The archive is
 * checked whole at preview, and so is the cluster it would load into, so a refusal changes nothing.
 * Pointing restoreFrom elsewhere afterwards restores nothing: it only says so. restoreMode lets it load
 * into a cluster that holds keys (merge keeps them, replace overwrites those the archive also holds).
 */
import * as pulumi from "@pulumi/pulumi";
import { readArchive } from "../engine/archive";
import { NodeAddress } from "../engine/pool";
import { engineCluster, keysAndMarker, restoreArchive } from "../engine/restore";
import { StoredAccess, accessOf } from "../planning/access";
import { RestoreMode, restoreStart } from "../planning/backup";

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

/**
 * The keys and the restore marker of the cluster; undefined when no node answers (a new cluster, not yet
 * started). A cluster some of whose masters do not answer is not judged here: the restore itself counts
 * again before it loads anything, and fails then.
 */
async function liveKeys(inputs: Inputs): Promise<{ keys: number; marker: string | null } | undefined> {
    const cluster = engineCluster(inputs.plannedNodes, { access: accessOf(inputs), tlsCa: inputs.tlsCa });
    try {
        return await keysAndMarker(cluster);
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
