/**
 * What persistence costs writes: pipelined SETs through a cluster client into a 3x1 cluster with the AOF
 * synced every second (the default), with snapshots only, with nothing on disk, and with the AOF synced on
 * every write, each next to the others on the same engine in the same run.
 */
import { removeStackObjects } from "../tests/support/docker";
import { TRIALS, log, settingsFor, writes } from "./common";
import { oursStack, removeOursStack } from "./ours";
import { fmt } from "./report";

const WRITES = Number(process.env.BENCH_PERSISTENCE_WRITES ?? 200000);
const MODES: { label: string; config: Record<string, { value: string }> }[] = [
    { label: "persistence aof, appendfsync everysec", config: { "redis-cluster:persistence": { value: "aof" } } },
    { label: "persistence rdb", config: { "redis-cluster:persistence": { value: "rdb" } } },
    { label: "persistence none", config: { "redis-cluster:persistence": { value: "none" } } },
    { label: "persistence aof, appendfsync always", config: { "redis-cluster:persistence": { value: "aof" }, "redis-cluster:appendfsync": { value: "always" } } },
];

export async function persistenceBench(add: (name: string, value: number) => number, ratio: (name: string, ours: number, base: number) => void): Promise<void> {
    const s = settingsFor("bench-pers", "10.224.0.0/24", 3, 1);
    for (let i = 0; i < Math.min(TRIALS, 2); i++) {
        const seconds: number[] = [];
        // A trial's modes in turn, the order rotated by trial so that none always runs on a warmer machine.
        for (const k of MODES.map((_, m) => (m + i) % MODES.length)) {
            const stack = await oursStack("bench-pers", s, MODES[k].config);
            try {
                await stack.up();
                seconds[k] = add(`${WRITES} SETs, ${MODES[k].label}`, await writes(s, WRITES, {}));
                await stack.destroy();
            } finally {
                removeStackObjects("bench-pers");
                await removeOursStack(stack);
            }
        }
        ratio(`${WRITES} SETs: rdb / aof everysec`, seconds[1], seconds[0]);
        ratio(`${WRITES} SETs: none / aof everysec`, seconds[2], seconds[0]);
        ratio(`${WRITES} SETs: aof always / aof everysec`, seconds[3], seconds[0]);
        log(`persistence trial ${i + 1}: ${MODES.map((m, k) => `${m.label} ${fmt(seconds[k])} s`).join("; ")}`);
    }
}
