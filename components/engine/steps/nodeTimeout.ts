/**
 * Cluster settings at run time: cluster-node-timeout (short while nodes form or join, the configured
 * value otherwise), and no replica migration (the plan decides which shard a replica serves).
 */
import { NodePool } from "../pool";

/**
 * While nodes form a cluster or join one, a short timeout makes them say `ok` in well under a second (a
 * master waits about the timeout before it does). Redis pings every node it has not heard from in half of
 * it, so a cluster of n nodes sends about n * n / (timeout / 2) pings a second: at 500 ms, 100 nodes on two
 * cores never got through them and kept marking each other failed. 20 ms per node keeps that linear in n;
 * never above the configured timeout.
 */
export function bootstrapNodeTimeoutMs(nodes: number, configuredMs: number): number {
    return Math.min(configuredMs, Math.max(500, 20 * nodes));
}

/** CONFIG SET cluster-node-timeout on the named nodes (run time only: redis.conf keeps the configured value). */
export async function setNodeTimeout(pool: NodePool, names: string[], ms: number): Promise<void> {
    await Promise.all(names.map((n) => pool.call(n, "CONFIG", "SET", "cluster-node-timeout", String(ms))));
}

/** High enough that no replica ever leaves its shard on its own (a master would need more replicas than this left). */
export const NO_REPLICA_MIGRATION_BARRIER = 1000000;

/**
 * Redis moves a replica of a shard that has two or more to a master it saw without a working one for
 * 5 s (replica migration). Between two ups that leaves one shard short and another over the plan, which
 * the next preview reports; the plan, healed by up, decides instead. Run time only: a node restarted
 * by its gate gets it again from the bootstrap at the end of the same up.
 */
export async function disableReplicaMigration(pool: NodePool, names: string[]): Promise<void> {
    await Promise.all(names.map((n) => pool.call(n, "CONFIG", "SET", "cluster-migration-barrier", String(NO_REPLICA_MIGRATION_BARRIER))));
}
