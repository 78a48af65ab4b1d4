/** Forming a new cluster from empty nodes, the way `redis-cli --cluster create` does, but faster. */
import { ClusterView } from "../planning/clusterView";
import type { ClusterSpec } from "./spec";
import { waitHealthy, waitSlotAgreement } from "./health";
import { bootstrapNodeTimeoutMs, setNodeTimeout } from "./steps/nodeTimeout";
import { meetAll } from "./steps/meet";
import { replicate } from "./steps/replicate";
import { assignSlots } from "./steps/slots";
import { NodePool } from "./pool";
import { Deadline, Log } from "./wait";

/** Returns once the new cluster is healthy (waitHealthy), with the configured node timeout restored. */
export async function createCluster(pool: NodePool, spec: ClusterSpec, deadline: Deadline, log: Log): Promise<void> {
    const names = spec.nodes.map((n) => n.name);
    try {
        await setNodeTimeout(pool, names, bootstrapNodeTimeoutMs(names.length, spec.nodeTimeoutMs));
        // Distinct epochs before the nodes meet, so no two masters ever tie (as redis-cli does).
        await Promise.all(names.map((n, i) => pool.call(n, "CLUSTER", "SET-CONFIG-EPOCH", String(i + 1)).catch(() => undefined)));
        await assignSlots(pool, spec, ClusterView.EMPTY, log);
        await meetAll(pool, spec, deadline, log);
        const view = await waitSlotAgreement(pool, names, deadline);
        // The plan's shards, member for member (on several hosts, no two members share one).
        const idOf = (name: string) => {
            const line = view.at(pool.byName(name));
            if (line === undefined) throw new Error(`${pool.label(pool.byName(name).ip, pool.byName(name).port)} is not in the cluster's view after the nodes met`);
            return line.id;
        };
        const assignments = spec.shards.flatMap((s) => s.replicas.map((r) => ({ node: idOf(r), masterId: idOf(s.master) })));
        await replicate(pool, view, assignments, deadline, log);
        await waitHealthy(pool, names, deadline, log);
    } finally {
        // Restore the configured timeout on every path, so no node keeps the bootstrap value.
        await setNodeTimeout(pool, names, spec.nodeTimeoutMs).catch(() => undefined);
    }
}
