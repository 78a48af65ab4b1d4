/**
 * The scale series: for each size (BENCH_SCALE_SERIES, "3x1,12x1,25x1,50x1,25x3" by default; "0" skips), the seed's
 * method cold, then this stack through the CLI as a person types it: a cold up (with the peak memory of
 * the whole pulumi process tree), a preview and an up of the unchanged stack, a rolling change of every
 * node (a new health check interval: each container recreated, one at a time), and a destroy. Beside the
 * rolling change: the time one node takes to restart and be back in sync on its own (`docker restart`
 * of a replica until its link to the master is up), times the node count, which the roll should not
 * exceed by much (the gates' own cost). Keys written after the cold up are read back after the roll, and
 * `npm run status` must find the cluster healthy. For the sizes in BENCH_SCALE_RESIZE ("50x1" by default;
 * "0" none), also two more shards and back to as many as before, each followed by status and the keys.
 */
import { execFileSync } from "child_process";
import { thisMachine } from "../components/hosts/machine";
import { neighbourTableSysctls, neighbourTableWarning } from "../components/planning/limits";
import { ClusterSettings } from "../components/planning/settings";
import { planCluster } from "../components/planning/plan";
import { removeStackObjects } from "../tests/support/docker";
import { IMAGE, docker, log, seconds, settingsFor, sleep } from "./common";
import { baselineColdUp } from "./baseline";
import { adminOf } from "./probes";
import { oursCli } from "./cli";
import { countMissingKeys, withClusterClient, writeKeys } from "../tests/support/redis";

/** Sizes "SxR,..." from `variable` ("0": none); anything else stops the bench before it starts, naming the variable. */
function sizes(variable: string, fallback: string): [number, number][] {
    const list = (process.env[variable] ?? fallback).split(",").filter((x) => x && x !== "0");
    const bad = list.filter((x) => !/^[1-9]\d*x\d+$/.test(x));
    if (bad.length > 0) throw new Error(`${variable} takes sizes like 50x1 (shards x replicas), comma-separated, or 0; got ${bad.join(", ")}`);
    return list.map((x) => x.split("x").map(Number) as [number, number]);
}
export const SCALE_SERIES = sizes("BENCH_SCALE_SERIES", "3x1,12x1,25x1,50x1,25x3");
/** Sizes of the series that also grow by RESIZE_SHARDS shards and shrink back. */
const RESIZED = new Set(sizes("BENCH_SCALE_RESIZE", "50x1").map(([s, r]) => `${s}x${r}`));
export const RESIZE_SHARDS = 2;
/** Keys written after each cold up and read back after every change: a change that loses one fails the bench. */
const SCALE_KEYS = 20000;

/** The series names of one size, as the report reads them back. */
export const scaleSeries = (label: string) => ({
    baseline: `scale ${label}: baseline cold up`,
    coldUp: `scale ${label}: cold up (pulumi up --yes)`,
    peakMiB: `scale ${label}: peak memory of pulumi's processes in the cold up (MiB)`,
    preview: `scale ${label}: preview, unchanged`,
    noopUp: `scale ${label}: up, unchanged`,
    rolling: `scale ${label}: rolling change of every node`,
    nodeRestart: `scale ${label}: one replica's own restart until in sync`,
    destroy: `scale ${label}: destroy`,
    status: `scale ${label}: npm run status`,
    grow: `scale ${label}: up, ${RESIZE_SHARDS} more shards`,
    shrink: `scale ${label}: up, back to as many shards`,
});

/** Reads every key back through a cluster client; throws when any is missing or wrong. */
async function checkKeys(s: ClusterSettings, after: string): Promise<void> {
    await withClusterClient(seedsOf(s), undefined, async (client) => {
        const missing = await countMissingKeys(client, SCALE_KEYS, "scale");
        if (missing > 0) throw new Error(`${missing} of ${SCALE_KEYS} keys missing or wrong after ${after}`);
    });
}

const seedsOf = (s: ClusterSettings) => planCluster(s).nodes.slice(0, 3).map((n) => `${n.ip}:${n.port}`);

/** Seconds from `docker restart` of a replica until it answers and its link to its master is up again. */
async function replicaRestart(s: ClusterSettings): Promise<number> {
    const nodes = planCluster(s).nodes;
    for (const n of nodes) {
        const c = await adminOf(n);
        const role = String(await c.call("INFO", "replication"));
        c.disconnect();
        if (!role.includes("role:slave")) continue;
        const t0 = Date.now();
        docker("restart", n.name);
        for (;;) {
            try {
                const r = await adminOf(n);
                const info = String(await r.call("INFO", "replication"));
                r.disconnect();
                if (info.includes("master_link_status:up")) return seconds(t0);
            } catch {
                // still starting
            }
            await sleep(20);
        }
    }
    throw new Error("no replica to restart");
}

/** `healthcheckInterval` values that differ: a change of it recreates every container. */
const INTERVALS = ["10s", "11s"];

export async function scaleBench(add: (name: string, value: number, unit?: string) => number, ratio: (name: string, ours: number, base: number) => void): Promise<void> {
    for (const [shards, replicas] of SCALE_SERIES) {
        const label = `${shards}x${replicas}`;
        // Both methods need the kernel's neighbour table to hold every node's peers (README, Sizing).
        const nodes = shards * (1 + replicas);
        if (neighbourTableWarning(nodes, thisMachine().neighbourEntries) !== undefined) {
            const line = neighbourTableSysctls(nodes);
            log(`raising the kernel's neighbour table for ${label}: sysctl -w ${line.join(" ")}`);
            execFileSync("sysctl", ["-w", ...line], { stdio: "ignore" });
        }
        const names = scaleSeries(label);
        // A network and subnet per size: one Docker kept after a teardown (baseline.ts) does not stop the next size.
        const size = SCALE_SERIES.findIndex(([a, b]) => a === shards && b === replicas) + 1;
        const base = add(names.baseline, (await baselineColdUp(settingsFor(`bench-base${size}`, `10.210.${size}.0/24`, shards, replicas), `bench-base${size}`)).total);
        const s = settingsFor("bench-scale", "10.213.0.0/24", shards, replicas);
        const stack = oursCli("bench-scale", {
            namePrefix: s.namePrefix,
            subnet: s.subnet,
            shards: String(shards),
            replicasPerShard: String(replicas),
            hostPortBase: "0",
            image: IMAGE,
            healthcheckInterval: INTERVALS[0],
        });
        try {
            const { seconds: up, peakMiB } = await stack.timePeak("up", "--yes");
            add(names.coldUp, up);
            add(names.peakMiB, peakMiB, "MiB");
            ratio(`scale ${label}: cold up / seed's method`, up, base);
            add(names.preview, stack.time("preview"));
            add(names.noopUp, stack.time("up", "--yes"));
            await withClusterClient(seedsOf(s), undefined, (client) => writeKeys(client, SCALE_KEYS, "scale"));
            add(names.status, stack.npmRun("status"));
            const own = add(names.nodeRestart, await replicaRestart(s));
            stack.config("healthcheckInterval", INTERVALS[1]);
            const rolling = add(names.rolling, stack.time("up", "--yes"));
            ratio(`scale ${label}: rolling change / each node's own restart`, rolling, own * s.shards * (1 + s.replicasPerShard));
            stack.npmRun("status");
            await checkKeys(s, "the rolling change");
            if (RESIZED.has(label)) {
                for (const [series, count] of [[names.grow, shards + RESIZE_SHARDS], [names.shrink, shards]] as const) {
                    stack.config("shards", String(count));
                    const took = add(series, stack.time("up", "--yes"));
                    stack.npmRun("status");
                    await checkKeys(s, `${count} shards`);
                    log(`scale ${label}: ${count} shards in ${took.toFixed(2)} s, healthy, ${SCALE_KEYS} keys intact`);
                }
                stack.time("preview", "--expect-no-changes");
            }
            add(names.destroy, stack.time("destroy", "--yes"));
            log(`scale ${label}: baseline ${base.toFixed(2)} s, cold up ${up.toFixed(2)} s (${peakMiB.toFixed(0)} MiB), rolling ${rolling.toFixed(2)} s (one node ${own.toFixed(2)} s)`);
        } finally {
            removeStackObjects("bench-scale");
            stack.remove();
        }
    }
}
