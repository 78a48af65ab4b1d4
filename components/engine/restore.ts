/**
 * Loading a backup archive into a cluster of any shape: each shard's RDB is opened by a temporary
 * standalone Redis (a container on the local engine, on no network of the cluster), its keys read with
 * SCAN, DUMP and PEXPIRETIME and written with RESTORE through a cluster client, which sends each key to the
 * owner of its slot in the new shape. The Functions go to every master with FUNCTION RESTORE.
 */
import { execFileSync } from "child_process";
import * as path from "path";
import { Cluster, Redis } from "ioredis";
import { RESTORE_MARKER_KEY, RestoreMode, restoreExpiry, restoreStart } from "../planning/backup";
import { loginCandidates } from "../planning/access";
import { parseInfo } from "../planning/topology";
import { readArchive } from "./archive";
import { Credentials, NodeAddress } from "./pool";
import { Deadline, Log, waitUntil } from "./wait";

export interface RestoreSpec {
    clusterName: string;
    /** The archive's directory (absolute). */
    archive: string;
    /** The Redis image the temporary standalone nodes run: the cluster's own. */
    image: string;
    nodes: NodeAddress[];
    credentials: Credentials;
    /** Into a cluster that holds keys (planning/backup.ts, RESTORE_MODES). */
    mode: RestoreMode;
}

export interface RestoreResult {
    archiveId: string;
    /** Keys written. */
    keys: number;
    /** Keys of the archive the cluster held already and kept (merge). */
    kept: number;
    bytes: number;
}

/** Keys read and written per round trip. */
const BATCH = 500;

function docker(...args: string[]): string {
    return execFileSync("docker", args, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] }).trim();
}

/** A standalone Redis serving `file` of `dir` read-only, for `use`; removed afterwards (and before: a killed run's). */
async function withArchivedShard<T>(name: string, image: string, dir: string, file: string, use: (c: Redis) => Promise<T>): Promise<T> {
    try {
        docker("rm", "-f", name);
    } catch {
        // None left over.
    }
    // Not --rm: removed below by docker rm -f, which races with an autoremove.
    docker("run", "-d", "--name", name, "-v", `${dir}:/archive:ro`, "--entrypoint", "redis-server", image, "--dir", "/archive", "--dbfilename", file, "--save", "", "--appendonly", "no", "--protected-mode", "no");
    const c = new Redis({ host: docker("inspect", "-f", "{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}", name), lazyConnect: true, enableReadyCheck: false, maxRetriesPerRequest: 1, retryStrategy: () => null });
    c.on("error", () => undefined);
    try {
        await waitUntil(new Deadline(10 * 60 * 1000, `opening ${file}`), () => `${name} to load ${file}`, async () => {
            if (c.status !== "ready" && c.status !== "connect") await c.connect().catch(() => undefined);
            const loading = await c
                .call("INFO", "persistence")
                .then((i) => parseInfo(String(i)).loading)
                .catch(() => undefined);
            return loading === "0" ? true : undefined;
        });
        return await use(c);
    } finally {
        c.disconnect();
        try {
            docker("rm", "-f", name);
        } catch {
            // Gone already.
        }
    }
}

/**
 * Every key of `source`, written into `target` with its value and its expiry, the same instant as in the
 * archive. With `replace`, a key of the same name is overwritten; with `keep`, it is kept (and counted).
 */
async function copyKeys(source: Redis, target: Cluster, existing: "replace" | "keep" | "error", progress: (keys: number, kept: number, bytes: number) => void): Promise<void> {
    let cursor = "0";
    do {
        const [next, keys] = (await source.callBuffer("SCAN", cursor, "COUNT", String(BATCH))) as [Buffer, Buffer[]];
        cursor = next.toString();
        const read = source.pipeline();
        for (const key of keys) read.dumpBuffer(key).call("PEXPIRETIME", key);
        const replies = (await read.exec()) ?? [];
        let bytes = 0;
        let kept = 0;
        await Promise.all(
            keys.map(async (key, i) => {
                const dump = replies[2 * i][1] as Buffer | null;
                const expiry = restoreExpiry(Number(replies[2 * i + 1][1]));
                if (dump === null || expiry === undefined) return;
                bytes += dump.length;
                try {
                    await target.callBuffer("RESTORE", key, String(expiry), dump, "ABSTTL", ...(existing === "replace" ? ["REPLACE"] : []));
                } catch (err) {
                    if (existing !== "keep" || !/^BUSYKEY/.test((err as Error).message)) throw err;
                    kept += 1;
                }
            }),
        );
        progress(keys.length - kept, kept, bytes);
    } while (cursor !== "0");
}

/**
 * A cluster client logged in as the engine. Bounded: a node that stops answering fails the command (a
 * restore then goes on at the next up) instead of hanging it.
 */
export function engineCluster(nodes: NodeAddress[], credentials: Credentials): Cluster {
    const [login] = loginCandidates(credentials.access);
    const redisOptions = { username: login?.username, password: login?.password, tls: credentials.tlsCa === undefined ? undefined : { ca: credentials.tlsCa }, connectTimeout: 2000, commandTimeout: 30000 };
    const cluster = new Cluster(
        nodes.map((n) => ({ host: n.ip, port: n.port })),
        { redisOptions, slotsRefreshTimeout: 5000, clusterRetryStrategy: () => null },
    );
    cluster.on("error", () => undefined);
    return cluster;
}

/** The keys the cluster holds, over every master (one that does not answer fails it), and the restore marker. */
export async function keysAndMarker(cluster: Cluster): Promise<{ keys: number; marker: string | null }> {
    // The client learns the masters on its first command.
    const marker = await cluster.get(RESTORE_MARKER_KEY);
    const keys = (await Promise.all(cluster.nodes("master").map((m) => m.dbsize()))).reduce((a, b) => a + b, 0);
    return { keys, marker };
}

export async function restoreArchive(spec: RestoreSpec, log: Log): Promise<RestoreResult> {
    const { manifest, archiveId } = await readArchive(spec.archive);
    const target = engineCluster(spec.nodes, spec.credentials);
    try {
        const { keys, marker } = await keysAndMarker(target);
        const start = restoreStart(keys, marker, archiveId, spec.mode);
        if ("refused" in start) throw new Error(`restoreFrom ${spec.archive}: ${start.refused}`);
        await target.set(RESTORE_MARKER_KEY, archiveId);
        log(`restoring ${spec.archive} (stack ${manifest.stack}, ${manifest.shards.length} shards, ${manifest.shards.reduce((n, s) => n + s.keys, 0)} keys)${start.load === "resume" ? ", going on with a restore that was interrupted" : start.load === "fresh" ? "" : `, ${start.load === "merge" ? "keeping" : "replacing"} the keys of the same name the cluster holds`}`);
        const began = Date.now();
        let total = 0;
        let totalKept = 0;
        let totalBytes = 0;
        // A fresh load meets no key of the archive (one it met would be a bug); a resumed one replaces what it loaded.
        const existing = start.load === "merge" ? "keep" : start.load === "fresh" ? "error" : "replace";
        for (const shard of manifest.shards) {
            const name = `${spec.clusterName}-restore-${shard.shard}`;
            await withArchivedShard(name, spec.image, spec.archive, path.basename(shard.file), async (source) => {
                // Every master holds the same Functions: the first shard's are the cluster's.
                if (shard === manifest.shards[0] && ((await source.call("FUNCTION", "LIST")) as unknown[]).length > 0) {
                    const functions = (await source.callBuffer("FUNCTION", "DUMP")) as Buffer;
                    await Promise.all(target.nodes("master").map((m) => m.call("FUNCTION", "RESTORE", functions, "REPLACE")));
                    log("restored the Functions on every master");
                }
                let shardKeys = 0;
                let lastReport = Date.now();
                await copyKeys(source, target, existing, (n, kept, bytes) => {
                    shardKeys += n;
                    total += n;
                    totalKept += kept;
                    totalBytes += bytes;
                    if (Date.now() - lastReport > 5000) {
                        lastReport = Date.now();
                        log(`shard ${shard.shard}/${manifest.shards.length}: ${shardKeys}/${shard.keys} keys (${rate(total, totalBytes, began)})`);
                    }
                });
                log(`shard ${shard.shard}/${manifest.shards.length}: ${shardKeys} keys loaded (${rate(total, totalBytes, began)})`);
            });
        }
        await target.del(RESTORE_MARKER_KEY);
        return { archiveId, keys: total, kept: totalKept, bytes: totalBytes };
    } finally {
        target.disconnect();
    }
}

function rate(keys: number, bytes: number, since: number): string {
    const seconds = Math.max((Date.now() - since) / 1000, 0.001);
    return `${keys} keys and ${(bytes / 1048576).toFixed(1)} MB so far, ${Math.round(keys / seconds)} keys/s`;
}
