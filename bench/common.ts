/** What every part of the benchmark shares: where it writes, which image it runs, small helpers. */
import { execFileSync } from "child_process";
import * as path from "path";
import { ClusterSettings, resolveSettings } from "../components/planning/settings";
import { preparedImage } from "../scripts/preparedImage";

export const ROOT = path.resolve(__dirname, "..");
export const OUT = __dirname;
export const IMAGE = preparedImage();
export const TRIALS = Number(process.env.BENCH_TRIALS ?? 3);
export const FAILOVER_TRIALS = Number(process.env.BENCH_FAILOVER_TRIALS ?? 5);
export const SCALES: [number, number][] = (process.env.BENCH_SCALES ?? "6x1,12x1,4x2")
    .split(",")
    .filter(Boolean)
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
