/** Independent Redis clients for the tests: ioredis in cluster mode and redis-cli inside a node container. */
import { Cluster, Redis } from "ioredis";
import { ClusterNodesLine, readClusterNodes } from "./clusterNodes";
import { docker } from "./docker";

/** A password for the default user, or a named user's login. */
export type Auth = string | { username: string; password: string } | undefined;

const authOptions = (auth: Auth) => (typeof auth === "object" ? auth : { password: auth });

/** `tlsCa`: the nodes serve TLS only; their certificates are checked against this CA (PEM). */
export function clusterClient(seeds: string[], auth?: Auth, natMap?: Record<string, { host: string; port: number }>, tlsCa?: string): Cluster {
    return new Cluster(
        seeds.map((s) => ({ host: s.split(":")[0], port: Number(s.split(":")[1]) })),
        {
            // A named user may lack INFO, which the ready check sends: ioredis would warn on every connection.
            redisOptions: { ...authOptions(auth), connectTimeout: 2000, enableReadyCheck: typeof auth !== "object", tls: tlsCa === undefined ? undefined : { ca: tlsCa } },
            natMap,
            enableAutoPipelining: true,
            // Keep retrying through a failover (node timeout + election) instead of failing fast.
            retryDelayOnFailover: 300,
            retryDelayOnClusterDown: 300,
            maxRedirections: 64,
            slotsRefreshTimeout: 2000,
        },
    );
}

/** Runs `use` with a cluster client that is disconnected afterwards, whatever happens. */
export async function withClusterClient<T>(seeds: string[], auth: Auth, use: (client: Cluster) => Promise<T>, tlsCa?: string): Promise<T> {
    const client = clusterClient(seeds, auth, undefined, tlsCa);
    try {
        return await use(client);
    } finally {
        client.disconnect();
    }
}

/** redis-cli run inside `container`, as a person would use it (the password through REDISCLI_AUTH, never argv). */
export function redisCli(container: string, auth: Auth, ...args: string[]): string {
    const { username, password } = authOptions(auth) as { username?: string; password?: string };
    const env = password === undefined ? [] : ["-e", `REDISCLI_AUTH=${password}`];
    return docker("exec", ...env, container, "redis-cli", ...(username === undefined ? [] : ["--user", username]), ...args);
}

/** A node's line as the tests read it (tests/support/clusterNodes.ts, not the project's parser). */
export type LiveNode = ClusterNodesLine;

/** CLUSTER NODES as redis-cli prints it. */
export function liveNodes(container: string, password?: string): LiveNode[] {
    return readClusterNodes(redisCli(container, password, "cluster", "nodes"));
}

export async function writeKeys(client: Cluster, count: number, prefix: string): Promise<void> {
    for (let start = 0; start < count; start += 1000) {
        const batch = [];
        for (let i = start; i < Math.min(count, start + 1000); i++) batch.push(client.set(`${prefix}:${i}`, `value-${i}`));
        await Promise.all(batch);
    }
}

/** Number of keys whose value is missing or wrong. */
export async function countMissingKeys(client: Cluster, count: number, prefix: string): Promise<number> {
    let missing = 0;
    for (let start = 0; start < count; start += 1000) {
        const batch = [];
        for (let i = start; i < Math.min(count, start + 1000); i++) batch.push(client.get(`${prefix}:${i}`).then((v) => (v === `value-${i}` ? 0 : 1)));
        missing += (await Promise.all(batch)).reduce((a: number, b: number) => a + b, 0);
    }
    return missing;
}

export async function eventually<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined> | T | undefined, everyMs = 200): Promise<T> {
    const end = Date.now() + timeoutMs;
    let lastError: unknown;
    for (;;) {
        try {
            const v = await probe();
            if (v !== undefined) return v;
        } catch (err) {
            lastError = err;
        }
        if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${lastError ? `: ${lastError}` : ""}`);
        await new Promise((r) => setTimeout(r, everyMs));
    }
}

/**
 * The day-2 data set: `plain` keys and `groups` pairs of keys that share a
 * hash slot (written and read with MSET/MGET, so a split group shows up).
 */
export interface DataSet {
    prefix: string;
    plain: number;
    groups: number;
}

export async function writeDataSet(client: Cluster, d: DataSet): Promise<void> {
    await writeKeys(client, d.plain, d.prefix);
    for (let start = 0; start < d.groups; start += 500) {
        const batch = [];
        for (let i = start; i < Math.min(d.groups, start + 500); i++) batch.push(client.mset(`{${d.prefix}${i}}:a`, `a${i}`, `{${d.prefix}${i}}:b`, `b${i}`));
        await Promise.all(batch);
    }
}

/** Plain keys and groups whose values are missing or wrong. */
export async function missingFromDataSet(client: Cluster, d: DataSet): Promise<{ plain: number; groups: number }> {
    let groups = 0;
    for (let start = 0; start < d.groups; start += 500) {
        const batch = [];
        for (let i = start; i < Math.min(d.groups, start + 500); i++) {
            batch.push(client.mget(`{${d.prefix}${i}}:a`, `{${d.prefix}${i}}:b`).then(([a, b]) => (a === `a${i}` && b === `b${i}` ? 0 : 1)));
        }
        groups += (await Promise.all(batch)).reduce((x: number, y: number) => x + y, 0);
    }
    return { plain: await countMissingKeys(client, d.plain, d.prefix), groups };
}

/** Every key of one node (a standalone Redis, or one master of a cluster), by SCAN. */
export async function scanAll(node: Redis): Promise<string[]> {
    const keys: string[] = [];
    let cursor = "0";
    do {
        const [next, batch] = await node.scan(cursor, "COUNT", 1000);
        cursor = next;
        keys.push(...batch);
    } while (cursor !== "0");
    return keys;
}
