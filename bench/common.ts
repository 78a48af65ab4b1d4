/** What every part of the benchmark shares: where it writes, which image it runs, small helpers. */
import { execFileSync } from "child_process";
import { Cluster } from "ioredis";
import * as path from "path";
import { ClusterSettings, resolveSettings } from "../components/planning/settings";
import { preparedImage } from "../scripts/preparedImage";

export const ROOT = path.resolve(__dirname, "..");
/** Where the report goes: bench/ itself, or BENCH_OUT (a run of some parts only, beside the full one). */
export const OUT = process.env.BENCH_OUT ? path.resolve(process.env.BENCH_OUT) : __dirname;
export const IMAGE = preparedImage();
export const TRIALS = Number(process.env.BENCH_TRIALS ?? 3);
export const FAILOVER_TRIALS = Number(process.env.BENCH_FAILOVER_TRIALS ?? 5);
export const SCALES: [number, number][] = (process.env.BENCH_SCALES ?? "6x1,12x1,4x2")
    .split(",")
    .filter((x) => x && x !== "0")
    .map((x) => x.split("x").map(Number) as [number, number]);

export const log = (m: string) => console.error(`[bench] ${m}`);
export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
export const docker = (...args: string[]) => execFileSync("docker", args, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] }).trim();
export const seconds = (t0: number) => (Date.now() - t0) / 1000;

export function settingsFor(prefix: string, subnet: string, shards: number, replicas: number): ClusterSettings {
    const r = resolveSettings({ namePrefix: prefix, subnet, shards, replicasPerShard: replicas, hostPortBase: 0 }, IMAGE);
    if (r.problems.length) throw new Error(r.problems.join("\n"));
    return r.settings;
}

export async function timed<T>(f: () => Promise<T>): Promise<number> {
    const t0 = Date.now();
    await f();
    return seconds(t0);
}

export const RESHARD_KEYS = Number(process.env.BENCH_RESHARD_KEYS ?? 20000);

/** Seconds to SET `count` keys through a cluster client, 1000 in flight at a time. */
export async function writes(s: ClusterSettings, count: number, options: { tls?: { ca: string }; username?: string; password?: string }): Promise<number> {
    // Both pipeline (enableAutoPipelining): otherwise Node's TLS socket batches the writes that plain TCP sends one
    // packet each, and over a Docker bridge that alone made TLS look 2-3x faster than plain TCP.
    const client = new Cluster([{ host: s.firstNodeIp, port: 6379 }], { enableAutoPipelining: true, redisOptions: { ...options, enableReadyCheck: false } });
    try {
        // Untimed: connections (and TLS sessions) to every master are open before the clock starts.
        await Promise.all(Array.from({ length: 1000 }, (_, k) => client.set(`warm-up:${k}`, "1")));
        const t0 = Date.now();
        for (let i = 0; i < count; i += 1000) {
            await Promise.all(Array.from({ length: Math.min(1000, count - i) }, (_, k) => client.set(`k:${i + k}`, "v".repeat(100))));
        }
        return seconds(t0);
    } finally {
        client.disconnect();
    }
}

/** `count` keys `<prefix>:<i>` holding `value(i)`, 2000 in flight at a time, through a pipelining cluster client at `seeds` ("ip:port"). */
export async function fillKeys(seeds: string[], count: number, prefix: string, value: (i: number) => string | Buffer): Promise<void> {
    const client = new Cluster(seeds.map((s) => ({ host: s.split(":")[0], port: Number(s.split(":")[1]) })), { enableAutoPipelining: true });
    try {
        for (let i = 0; i < count; i += 2000) {
            await Promise.all(Array.from({ length: Math.min(2000, count - i) }, (_, k) => client.set(`${prefix}:${i + k}`, value(i + k))));
        }
    } finally {
        client.disconnect();
    }
}
