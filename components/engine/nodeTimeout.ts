/** cluster-node-timeout at run time: short while nodes form or join, the configured value otherwise. */
import { NodePool } from "./pool";

/** While nodes form a cluster or join one, this timeout makes them say `ok` in well under a second. */
export const BOOTSTRAP_NODE_TIMEOUT_MS = 500;

/** CONFIG SET cluster-node-timeout on the named nodes (run time only: redis.conf keeps the configured value). */
export async function setNodeTimeout(pool: NodePool, names: string[], ms: number): Promise<void> {
    await Promise.all(names.map((n) => pool.client(n).call("CONFIG", "SET", "cluster-node-timeout", String(ms))));
}
