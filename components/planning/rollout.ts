/**
 * The order in which containers are recreated when a change replaces them
 * (image, redis.conf, password). Pure.
 */
import { ClusterPlan, NodePlan } from "./plan";

/**
 * Wave k holds the k-th member of every shard (wave 0 the planned masters,
 * wave 1 each shard's first replica, ...). A wave never holds two members of
 * one shard, so while it restarts every shard keeps a node that serves it,
 * and waves restart one after another.
 */
export function rolloutWaves(plan: ClusterPlan): NodePlan[][] {
    const byName = new Map(plan.nodes.map((n) => [n.name, n]));
    const members = plan.shards.map((s) => [s.master, ...s.replicas]);
    const depth = Math.max(0, ...members.map((m) => m.length));
    const waves: NodePlan[][] = [];
    for (let k = 0; k < depth; k++) {
        waves.push(members.filter((m) => k < m.length).map((m) => byName.get(m[k])!));
    }
    return waves;
}
