/**
 * Plans, specs and checks for engine runs against a FakeCluster: a cluster of 3 or 4 shards holding
 * known keys, the ClusterSpec the bootstrap would get, and what a healthy outcome must look like.
 */
import { strict as assert } from "assert";
import calculateSlot from "cluster-key-slot";
import type { ClusterSpec } from "../../components/engine/spec";
import { formatRange, splitSlots } from "../../components/planning/slots";
import { endpoint } from "../../components/planning/topology";
import { FakeCluster, FakeNode } from "./fakeCluster";

export const KEYS = 200;
/** key:0.. as written: the first half anywhere, the second half in the slots the fourth shard takes. */
export const KEY_NAMES: string[] = [];
for (let i = 0; KEY_NAMES.length < KEYS; i++) {
    if (KEY_NAMES.length < KEYS / 2 || calculateSlot(`key:${i}`) >= 16000) KEY_NAMES.push(`key:${i}`);
}

/**
 * A plan of `shards` (3 or 4) shards with `replicas` each, over the nodes named m1.., r1.. (r<i>
 * replicates m<i>). The fourth shard takes only slots 16000-16383 from the third: a reshape then moves
 * 384 slots in three batches, not 8192, and every kind of step still happens.
 */
export interface Plan {
    masters: string[];
    replicas: string[][];
    slots: string[];
}
export const FOURTH_SHARD_FROM = 16000;
export function planOf(shards: 3 | 4, replicas: number): Plan {
    const split = splitSlots(3).map(formatRange);
    return {
        masters: Array.from({ length: shards }, (_, i) => `m${i + 1}`),
        replicas: Array.from({ length: shards }, (_, i) => (replicas === 0 ? [] : [`r${i + 1}`])),
        slots: shards === 3 ? split : [split[0], split[1], `${splitSlots(3)[2].start}-${FOURTH_SHARD_FROM - 1}`, `${FOURTH_SHARD_FROM}-16383`],
    };
}

export function specFor(cluster: FakeCluster, plan: Plan, leaving: string[] = [], timeoutMs = 10000): ClusterSpec {
    const address = (name: string) => ({ name, ip: "127.0.0.1", port: cluster.nodes.find((n) => n.name === name)!.server.port });
    return {
        nodes: [...plan.masters, ...plan.replicas.flat()].map(address),
        shards: plan.masters.map((m, i) => ({ master: m, replicas: plan.replicas[i], slots: [plan.slots[i]] })),
        replicasPerShard: plan.replicas[0].length,
        nodeTimeoutMs: 5000,
        users: [],
        access: {},
        leaving: leaving.map((n) => endpoint(address(n))),
        timeoutMs,
    };
}

/** Every key once, on the master that owns its slot, with its value; no open slot; the plan's shape. */
export function assertWhole(cluster: FakeCluster, plan: Plan, output: string): void {
    const misplaced = KEY_NAMES.map((k) => ({ k, ...cluster.locate(k) }))
        .filter((l) => l.holders.length !== 1 || l.holders[0] !== l.owner);
    assert.deepEqual(misplaced.slice(0, 3), [], `keys lost or stranded (${misplaced.length}):\n${output}`);
    for (const k of KEY_NAMES) {
        const owner = cluster.nodes.find((n) => n.name === cluster.locate(k).owner)!;
        assert.equal(owner.keys.get(k), `value of ${k}`);
    }
    const open = cluster.nodes.filter((n) => n.importing.size + n.migrating.size > 0).map((n) => n.name);
    assert.deepEqual(open, [], `open slots:\n${output}`);
    const leaders = cluster.nodes.filter((n) => n.role === "master" && cluster.slotsOf(n).length > 0).map((n) => n.name).sort();
    const planned = new Set([...plan.masters, ...plan.replicas.flat()]);
    assert.equal(leaders.length, plan.masters.length, `shards led by ${leaders}:\n${output}`);
    assert.ok(leaders.every((l) => planned.has(l)), `a node outside the plan leads a shard: ${leaders}\n${output}`);
    const ids = new Set(cluster.nodes.filter((n) => !planned.has(n.name)).map((n) => n.id));
    const remembering = cluster.nodes.filter((n) => planned.has(n.name) && [...n.knows].some((id) => ids.has(id))).map((n) => n.name);
    assert.deepEqual(remembering, [], `planned nodes still know nodes outside the plan:\n${output}`);
}

/** A cluster of the plan of `shards` shards holding the keys, with the nodes of 4 shards started. */
export async function clusterOf(shards: 3 | 4, replicas: number): Promise<FakeCluster> {
    const cluster = new FakeCluster();
    const byName = new Map<string, FakeNode>();
    const all = planOf(4, replicas);
    for (const name of [...all.masters, ...all.replicas.flat()]) byName.set(name, await cluster.addNode(name));
    const plan = planOf(shards, replicas);
    cluster.form(plan.masters.map((m) => byName.get(m)!), plan.replicas.map((rs) => rs.map((r) => byName.get(r)!)), plan.slots);
    for (const k of KEY_NAMES) cluster.write(k, `value of ${k}`);
    return cluster;
}
