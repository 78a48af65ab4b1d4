/**
 * `npm run bench`: this stack against the seed article's hand-run method, on
 * the same Docker engine, image and redis.conf, in one run. Writes
 * bench/RESULTS.md, bench/results.json and bench/chart.svg.
 *
 * Every ratio is ours/baseline measured pairwise (one baseline run next to
 * each run of ours), never against a number from another run or machine.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { labelledTestStacks, removeStackObjects } from "../tests/support/docker";
import { ClusterSettings } from "../components/planning/settings";
import { FAILOVER_TRIALS, IMAGE, OUT, RESHARD_KEYS, SCALES, TRIALS, docker, log, settingsFor, timed } from "./common";
import { baselineColdUp } from "./baseline";
import { failoverTrial, oursConvergence, oursStack, removeOursStack } from "./ours";
import { reshardTrial } from "./reshard";
import { hostsBench } from "./hosts";
import { hostsOverTimeBench } from "./hostsOverTime";
import { securityBench } from "./security";
import { persistenceBench } from "./persistence";
import { metricsBench } from "./metrics";
import { backupBench } from "./backup";
import { scaleBench } from "./scale";
import { Series, chart, fmt, report, stats } from "./report";
import { Phase, breakdown, destroyBreakdown, emptyProgram, oursCli } from "./cli";
import { RATIOS, SERIES } from "./series";

/** The stack's config for the CLI (redis-cluster keys without the namespace). */
function cliConfig(s: ClusterSettings): Record<string, string> {
    return { namePrefix: s.namePrefix, subnet: s.subnet, shards: String(s.shards), replicasPerShard: String(s.replicasPerShard), hostPortBase: "0", image: IMAGE };
}

async function main(): Promise<void> {
    for (const leftover of labelledTestStacks("bench-")) removeStackObjects(leftover);
    const series: Record<string, Series> = {};
    const add = (name: string, value: number, unit = "s") => ((series[name] ??= { name, unit, values: [] }).values.push(value), value);
    const ratios: Record<string, number[]> = {};
    const ratio = (name: string, ours: number, base: number) => (ratios[name] ??= []).push(ours / base);

    const base3 = settingsFor("bench-base", "10.210.0.0/24", 3, 1);
    const ours3 = settingsFor("bench-ours", "10.211.0.0/24", 3, 1);

    log(`image ${IMAGE}; ${TRIALS} trials of 3x1 through the pulumi CLI, each next to the baseline; each preview next to an empty program's`);
    const floor = emptyProgram();
    let phases: Phase[] = [];
    let destroyPhases: Phase[] = [];
    try {
        for (let i = 0; i < TRIALS; i++) {
            const b = await baselineColdUp(base3, "bench-base");
            add(SERIES.baselineColdUp, b.total);
            add(SERIES.baselineConvergence, b.convergence);
            add(SERIES.baselineTeardown, b.down);
            const stack = oursCli("bench-ours", cliConfig(ours3));
            let up = NaN;
            try {
                up = add(SERIES.coldUp, stack.time("up", "--yes"));
                ratio(RATIOS.coldUp, up, b.total);
                const empty = add(SERIES.emptyPreview, floor.time("preview"));
                const preview = add(SERIES.preview, stack.time("preview"));
                ratio(RATIOS.preview, preview, empty);
                add(SERIES.noopUp, stack.time("up", "--yes"));
                if (i === 0) {
                    // One more no-op up with the engine's log on, read for where the time goes.
                    phases = breakdown(stack.stderr("up", "--yes", "--logtostderr", "-v=7"));
                    log(`failover: ${FAILOVER_TRIALS} trials, nodeTimeoutMs ${ours3.nodeTimeoutMs}`);
                    for (let f = 0; f < FAILOVER_TRIALS; f++) add("ours failover to key readable 3x1", await failoverTrial(ours3, f));
                }
                const destroy = add(SERIES.destroy, stack.time("destroy", "--yes"));
                ratio(RATIOS.destroy, destroy, b.down);
                if (i === 0) {
                    // Once more with the engine's log on, read for where a destroy's time goes.
                    stack.time("up", "--yes");
                    destroyPhases = destroyBreakdown(stack.stderr("destroy", "--yes", "--logtostderr", "-v=7"));
                }
            } finally {
                removeStackObjects("bench-ours");
                stack.remove();
            }
            const conv = add("ours convergence 3x1 (bootstrap code)", await oursConvergence(settingsFor("bench-conv", "10.212.0.0/24", 3, 1), "bench-conv"));
            ratio("convergence 3x1", conv, b.convergence);
            log(`trial ${i + 1}: baseline ${fmt(b.total)} s, ours ${fmt(up)} s; convergence ${fmt(b.convergence)} vs ${fmt(conv)} s`);
        }
    } finally {
        floor.remove();
    }

    for (const [shards, replicas] of SCALES) {
        const label = `${shards}x${replicas}`;
        const b = await baselineColdUp(settingsFor("bench-base", "10.210.0.0/24", shards, replicas), "bench-base");
        add(`baseline cold up ${label}`, b.total);
        const stack = await oursStack("bench-ours", settingsFor("bench-ours", "10.211.0.0/24", shards, replicas));
        try {
            const up = add(`ours cold up ${label}`, await timed(() => stack.up()));
            ratio(`cold up ${label}`, up, b.total);
            await stack.destroy();
        } finally {
            removeStackObjects("bench-ours");
            await removeOursStack(stack);
        }
        log(`${label}: baseline ${fmt(b.total)} s, ours ${fmt(series[`ours cold up ${label}`].values[0])} s`);
    }

    if (process.env.BENCH_RESHARD !== "0") {
        for (let i = 0; i < Math.min(TRIALS, 3); i++) {
            const base = add(`baseline reshard 3->4 with ${RESHARD_KEYS} keys (redis-cli add-node + rebalance)`, await reshardTrial(false, "bench-reshard-base"));
            const ours = add(`ours reshard 3->4 with ${RESHARD_KEYS} keys (bootstrap reshape)`, await reshardTrial(true, "bench-reshard-ours"));
            ratio("reshard 3->4", ours, base);
            log(`reshard trial ${i + 1}: redis-cli ${fmt(base)} s, ours ${fmt(ours)} s`);
        }
    }

    if (process.env.BENCH_HOSTS !== "0") {
        await hostsBench(add, ratio);
        await hostsOverTimeBench(add);
    }

    if (process.env.BENCH_SECURITY !== "0") {
        await securityBench(add, ratio);
    }

    if (process.env.BENCH_PERSISTENCE !== "0") {
        await persistenceBench(add, ratio);
    }
    if (process.env.BENCH_METRICS !== "0") {
        await metricsBench(add, ratio);
    }
    if (process.env.BENCH_BACKUP !== "0") {
        await backupBench(add, ratio);
    }
    await scaleBench(add, ratio);

    const result = {
        date: new Date().toISOString(),
        // The parts chosen or sized by environment (none: everything at its default).
        settings: Object.fromEntries(Object.entries(process.env).filter(([k]) => k.startsWith("BENCH_"))),
        machine: { cpus: os.cpus().length, memoryGiB: Math.round(os.totalmem() / 2 ** 30), docker: docker("version", "--format", "{{.Server.Version}}"), image: IMAGE },
        series: Object.values(series).map((s) => ({ ...s, ...stats(s.values) })),
        ratios: Object.entries(ratios).map(([name, v]) => ({ name, values: v, ...stats(v) })),
        noopUpBreakdown: phases,
        destroyBreakdown: destroyPhases,
    };
    fs.mkdirSync(OUT, { recursive: true });
    fs.writeFileSync(path.join(OUT, "results.json"), JSON.stringify(result, null, 2) + "\n");
    fs.writeFileSync(path.join(OUT, "chart.svg"), chart(result.series.filter((s) => s.name.includes("cold up"))));
    fs.writeFileSync(path.join(OUT, "RESULTS.md"), report(result));
    log("wrote bench/RESULTS.md, bench/results.json, bench/chart.svg");
}

main().catch((err) => {
    console.error(err);
    for (const leftover of labelledTestStacks("bench-")) removeStackObjects(leftover);
    process.exit(1);
});
