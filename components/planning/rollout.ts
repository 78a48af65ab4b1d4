/**
 * The order in which containers are recreated when a change replaces them
 * (image, redis.conf, password). Pure.
 */
import { ClusterPlan, NodePlan } from "./plan";

/**
 * One node at a time: the planned masters first, then each shard's first
 * replica, then its second, and so on. Restarting a single node is the only
 * order that is safe whatever the live roles are: after scaling or a
 * failover, a planned master may be a replica of another planned master, and
 * two nodes restarted together could be a whole shard. Ending with the
 * replicas hands the shards back to the planned masters.
 */
export function rolloutOrder(plan: ClusterPlan): NodePlan[] {
    const byName = new Map(plan.nodes.map((n) => [n.name, n]));
    const members = plan.shards.map((s) => [s.master, ...s.replicas]);
    const depth = Math.max(0, ...members.map((m) => m.length));
    const order: NodePlan[] = [];
    for (let rank = 0; rank < depth; rank++) {
        for (const m of members) {
            if (rank < m.length) order.push(byName.get(m[rank])!);
        }
    }
    return order;
}
