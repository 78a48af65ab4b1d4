/**
 * What metrics cost: pipelined SETs through a cluster client into a 3x1 cluster without metrics, and
 * with an exporter beside every node and Prometheus scraping them every 5 s (a third of the default
 * interval, so a run of SETs sees scrapes), next to each other in the same run; and the memory the
 * exporters and Prometheus then take, as Docker reports it.
 */
import { removeStackObjects } from "../tests/support/docker";
import { preparedExporterImage, preparedPrometheusImage } from "../scripts/preparedImage";
import { TRIALS, docker, log, settingsFor, writes } from "./common";
import { oursStack, removeOursStack } from "./ours";
import { fmt } from "./report";

const WRITES = Number(process.env.BENCH_METRICS_WRITES ?? 200000);
const PREFIX = "bench-metrics";
const ON = {
    "redis-cluster:metrics": { value: "true" },
    "redis-cluster:exporterImage": { value: preparedExporterImage() },
    "redis-cluster:prometheus": { value: "true" },
    "redis-cluster:prometheusImage": { value: preparedPrometheusImage() },
    "redis-cluster:prometheusPort": { value: "19290" },
    "redis-cluster:scrapeInterval": { value: "5s" },
};

/** Docker's figure for a container's memory, in MiB ("12.5MiB / 23.4GiB"). */
function memoryMiB(container: string): number {
    const [used] = docker("stats", "--no-stream", "--format", "{{.MemUsage}}", container).split(" / ");
    const m = /^([\d.]+)\s*([KMG]i?B)$/.exec(used.trim());
    if (!m) throw new Error(`docker stats for ${container}: "${used}"`);
    return Number(m[1]) * ({ KiB: 1 / 1024, MiB: 1, GiB: 1024, kB: 1 / 1024, MB: 1, GB: 1024 } as Record<string, number>)[m[2]];
}

export async function metricsBench(add: (name: string, value: number, unit?: string) => number, ratio: (name: string, ours: number, base: number) => void): Promise<void> {
    const s = settingsFor(PREFIX, "10.227.0.0/24", 3, 1);
    for (let i = 0; i < Math.min(TRIALS, 2); i++) {
        const seconds: number[] = [];
        // Off and on in turn, the order swapped by trial so that neither always runs on a warmer machine.
        for (const on of i % 2 === 0 ? [false, true] : [true, false]) {
            const stack = await oursStack(PREFIX, s, on ? ON : {});
            try {
                await stack.up();
                seconds[on ? 1 : 0] = add(`${WRITES} SETs, metrics ${on ? "on (exporters, Prometheus every 5 s)" : "off"}`, await writes(s, WRITES, {}));
                if (on) {
                    const exporters = Array.from({ length: 6 }, (_, k) => memoryMiB(`${PREFIX}-${k + 1}-exporter`));
                    add("memory of one exporter (MiB, mean of 6)", exporters.reduce((a, b) => a + b, 0) / exporters.length, "MiB");
                    add("memory of Prometheus after the SETs (MiB)", memoryMiB(`${PREFIX}-prometheus`), "MiB");
                }
                await stack.destroy();
            } finally {
                removeStackObjects(PREFIX);
                await removeOursStack(stack);
            }
        }
        ratio(`${WRITES} SETs: metrics on / off`, seconds[1], seconds[0]);
        log(`metrics trial ${i + 1}: off ${fmt(seconds[0])} s, on ${fmt(seconds[1])} s`);
    }
}
