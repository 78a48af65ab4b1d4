/**
 * Healing a formed cluster into the plan: new and recreated nodes joined, departed ids forgotten,
 * interrupted migrations finished, unowned slots assigned, then the shape reshaped to the plan's.
 */
import { defaultUserOn } from "../planning/access";
import { applyCurrentAccess } from "./steps/access";
import { bootstrapNodeTimeoutMs, setNodeTimeout } from "./steps/nodeTimeout";
import { forgetGhosts } from "./steps/forget";
import { meetAll } from "./steps/meet";
import { assignSlots, finishOpenSlots } from "./steps/slots";
import { waitClusterOk } from "./health";
import { NodePool } from "./pool";
import { reshape } from "./reshape";
import type { ClusterSpec } from "./spec";
import { Deadline, Log } from "./wait";

/** Ends a change of access and brings every node's named users to the list (a replaced or healed node included). */
export async function applyUsers(pool: NodePool, spec: ClusterSpec, log: Log): Promise<void> {
    await applyCurrentAccess(pool, spec.nodes.map((n) => n.name), spec.access, spec.users);
    if (spec.access.internal) {
        log(`ACL users on every node: ${spec.users.map((u) => u.name).join(", ") || "none"}${defaultUserOn(spec.access) ? "" : " (the default user is off)"}`);
    }
}

export async function healCluster(pool: NodePool, spec: ClusterSpec, joining: string[], holdsKeys: boolean, deadline: Deadline, log: Log): Promise<void> {
    if (joining.length > 0) {
        log(`joining ${joining.join(", ")} to the existing cluster`);
    }
    const names = spec.nodes.map((n) => n.name);
    // Ends a change of access (every node accepted the old logins too until now) and brings every
    // node's named users to the list, a node that was replaced or healed included.
    await applyUsers(pool, spec, log);
    // Applies a changed nodeTimeoutMs without a restart, and undoes the bootstrap's lowered value if an
    // earlier run was interrupted before restoring it. Joining nodes get the short bootstrap timeout
    // until they say cluster_state:ok (well under a second) only while the cluster holds no key: they
    // are masters, if without slots, and Redis counts their failure reports, so a few of them could
    // mark a loaded master failed during a fork pause of half a second and cause a failover (whose
    // asynchronous replication may lose the writes of that moment).
    await setNodeTimeout(pool, names.filter((n) => !joining.includes(n)), spec.nodeTimeoutMs);
    await setNodeTimeout(pool, joining, holdsKeys ? spec.nodeTimeoutMs : bootstrapNodeTimeoutMs(names.length, spec.nodeTimeoutMs));
    try {
        await forgetGhosts(pool, spec, deadline, log);
        await meetAll(pool, spec, deadline, log);
        await finishOpenSlots(pool, spec, await pool.bestView(), deadline, log);
        await assignSlots(pool, spec, await pool.bestView(), log);
        // A node that does not yet see the cluster as ok answers CLUSTERDOWN, also to MIGRATE.
        await waitClusterOk(pool, names, deadline);
        log(`cluster_state ok on all ${names.length} nodes`);
    } finally {
        await setNodeTimeout(pool, joining, spec.nodeTimeoutMs).catch(() => undefined);
    }
    // From here joined nodes may own slots and vote in failovers: they run with the configured timeout.
    // Roles of a formed cluster follow what it is now, not the initial plan's numbering.
    await reshape(pool, spec, deadline, log);
}
