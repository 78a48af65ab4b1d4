/**
 * Waits for the cluster to reach a state, each with a deadline and a message
 * that says what is still missing. Nodes are named by their planned names.
 */
import { formatRange } from "../planning/slots";
import { ClusterView } from "../planning/clusterView";
import { coverageGaps, roleSignature, slotOwnership } from "../planning/topology";
import { NodePool } from "./pool";
import { Deadline, Log, lookEvery, waitUntil } from "./wait";

/**
 * Waits until the named nodes report the same owner for every slot and no slot is unassigned
 * (what redis-cli calls waiting for the cluster to join), and returns that agreed view.
 */
export async function waitSlotAgreement(pool: NodePool, names: string[], deadline: Deadline): Promise<ClusterView> {
    let detail = "";
    return waitUntil(
        deadline,
        () => `all nodes to agree on the slot map (${detail})`,
        async () => {
            const views = await Promise.all(names.map((n) => pool.view(n)));
            const maps = new Set(views.map((v) => slotOwnership(v.lines)));
            const gaps = coverageGaps(views[0].lines);
            detail = `${maps.size} different maps, ${gaps.length} unassigned ranges`;
            return maps.size === 1 && gaps.length === 0 ? views[0] : undefined;
        },
        lookEvery(50, names.length),
    );
}

/** Every named node says cluster_state:ok. */
export async function waitClusterOk(pool: NodePool, names: string[], deadline: Deadline): Promise<void> {
    let notOk: string[] = [];
    await waitUntil(
        deadline,
        () => `cluster_state:ok on ${notOk.join(", ")}`,
        async () => {
            const states = await Promise.all(names.map(async (n) => (await pool.info(n, "cluster")).cluster_state));
            notOk = names.filter((_, i) => states[i] !== "ok");
            return notOk.length === 0 ? true : undefined;
        },
        lookEvery(50, names.length),
    );
}

/** cluster_state:ok everywhere, one slot map, one replication map, no open slots, every replica linked. */
export async function waitHealthy(pool: NodePool, names: string[], deadline: Deadline, log: Log): Promise<void> {
    let lastProblem = "";
    let lastLogged = "";
    await waitUntil(
        deadline,
        () => `a healthy cluster (${lastProblem})`,
        async () => {
            const states = await Promise.all(
                names.map(async (name) => ({
                    name,
                    cluster: await pool.info(name, "cluster"),
                    replication: await pool.info(name, "replication"),
                    view: await pool.view(name),
                })),
            );
            const notOk = states.filter((s) => s.cluster.cluster_state !== "ok").map((s) => s.name);
            const maps = new Set(states.map((s) => slotOwnership(s.view.lines)));
            // Every node must also agree on who replicates whom, or outputs read from one node could be stale.
            const roles = new Set(states.map((s) => roleSignature(s.view.lines)));
            const open = states.filter((s) => s.view.openSlots.length > 0).map((s) => s.name);
            const replicas = states.filter((s) => s.replication.role === "slave");
            const linked = replicas.filter((s) => s.replication.master_link_status === "up");
            const gaps = coverageGaps(states[0].view.lines);
            const problems: string[] = [];
            if (notOk.length > 0) problems.push(`cluster_state not ok on ${notOk.join(", ")}`);
            if (maps.size > 1) problems.push(`nodes disagree on the slot map`);
            if (roles.size > 1) problems.push(`nodes disagree on which node replicates which`);
            if (gaps.length > 0) problems.push(`slots ${gaps.map(formatRange).join(",")} unassigned`);
            if (open.length > 0) problems.push(`open slots on ${open.join(", ")}`);
            if (linked.length < replicas.length) problems.push(`replicas in sync ${linked.length}/${replicas.length}`);
            lastProblem = problems.join("; ");
            const progress = `cluster_state ok ${names.length - notOk.length}/${names.length}, replicas in sync ${linked.length}/${replicas.length}`;
            if (progress !== lastLogged) {
                lastLogged = progress;
                log(progress);
            }
            return problems.length === 0 ? true : undefined;
        },
        lookEvery(100, names.length),
    );
}
