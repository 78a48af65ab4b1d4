/**
 * Hosts over time, on test hosts made on this machine (needs root, as bench/hosts.ts): the time of the
 * `up` that replaces a host whose machine is gone for good (from the entry pointed at a new machine to a
 * healthy cluster: the up ends when every replica is in sync), for 3x1 and 4x2, and of the `up` that
 * drains a host of a 4x2 cluster, each with the data size it moved.
 */
import { Stack } from "@pulumi/pulumi/automation";
import { removeStackObjects } from "../tests/support/docker";
import { testHost, testHosts } from "../tests/support/testHosts";
import { fillKeys, log, settingsFor, timed } from "./common";
import { oursStack, removeOursStack } from "./ours";
import { hostsUnavailable } from "./hosts";

const KEYS = Number(process.env.BENCH_HOSTS_KEYS ?? 50000);
const VALUE_BYTES = 1024;
const PORT_BASE = 7601;
const MB = ((KEYS * VALUE_BYTES) / 1048576).toFixed(0);

type Add = (name: string, value: number) => number;

/** A stack over test hosts `hosts` (1-based), up and holding the keys. */
async function spreadStack(shards: number, replicas: number, hosts: number[]): Promise<Stack> {
    const s = settingsFor("bench-hot", "10.242.0.0/24", shards, replicas);
    const stack = await oursStack("bench-hot", s, {
        "redis-cluster:hostPortBase": { value: String(PORT_BASE) },
        "redis-cluster:hosts": { value: JSON.stringify(hosts.map(testHost)) },
        "redis-cluster:allowHostLossOutage": { value: "true" },
    });
    const result = await stack.up();
    const value = "x".repeat(VALUE_BYTES);
    await fillKeys(result.outputs.seedNodes.value, KEYS, "h", () => value);
    return stack;
}

async function withStack(shards: number, replicas: number, hosts: number[], use: (stack: Stack) => Promise<void>): Promise<void> {
    testHosts("down");
    testHosts("up", String(Math.max(...hosts)));
    const stack = await spreadStack(shards, replicas, hosts);
    try {
        await use(stack);
        await stack.destroy();
    } finally {
        removeStackObjects("bench-hot");
        await removeOursStack(stack);
        testHosts("down");
    }
}

export async function hostsOverTimeBench(add: Add): Promise<void> {
    const why = hostsUnavailable();
    if (why) {
        log(`hosts over time: skipped, ${why}`);
        return;
    }
    for (const [shards, replicas, count] of [
        [3, 1, 3],
        [4, 2, 4],
    ]) {
        await withStack(shards, replicas, Array.from({ length: count }, (_, k) => k + 1), async (stack) => {
            // Host 2 gone for good; a new machine (the next test host) takes its name.
            testHosts("destroy", "2");
            const fresh = count + 1;
            testHosts("add", String(fresh));
            const hosts = Array.from({ length: count }, (_, k) => (k === 1 ? { ...testHost(fresh), name: "h2", replaced: true } : testHost(k + 1)));
            await stack.setConfig("redis-cluster:hosts", { value: JSON.stringify(hosts) });
            const took = add(`replace a lost host, ${shards}x${replicas} over ${count} hosts, ${MB} MB (up until healthy)`, await timed(() => stack.up()));
            log(`hosts over time: replacing h2 of ${shards}x${replicas} took ${took.toFixed(2)} s`);
        });
    }
    await withStack(4, 2, [1, 2, 3, 4], async (stack) => {
        const hosts = [1, 2, 3, 4].map((i) => (i === 4 ? { ...testHost(4), drain: true } : testHost(i)));
        await stack.setConfig("redis-cluster:hosts", { value: JSON.stringify(hosts) });
        const took = add(`drain a host, 4x2 over 4 hosts, ${MB} MB (up until its nodes run elsewhere)`, await timed(() => stack.up()));
        log(`hosts over time: draining h4 of 4x2 took ${took.toFixed(2)} s`);
    });
}
