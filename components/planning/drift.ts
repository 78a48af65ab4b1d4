/**
 * Whether the live cluster has the shape the plan asks for. The bootstrap's inputs say only what
 * the last successful run was asked to do; a run that failed or was killed half way (slots moved to
 * a new master, a scale-in half drained) leaves the cluster in a shape no input shows. Reverting the
 * config would then look like "no change" while Pulumi deletes the nodes holding the moved keys.
 * This compares the structure only (members, slot split, replica counts, open slots, and with hosts
 * replicas placed by the placement rule and no host running more masters than an even spread gives
 * it where a replica can take a shard back), never transient
 * state (links, PFAIL, sync progress), so a healthy cluster after a failover on one host matches. Pure.
 */
import { describeMove, masterMovesFor } from "./masterHosts";
import { assignReplicas, currentShardLeaders } from "./reshard";
import { countSlots, formatRange, mergeRanges, parseRange } from "./slots";
import { NodeLine, endpoint, isHandshake, isMaster, isMyself } from "./topology";

export interface PlannedShape {
    /** With several hosts, each node's host. */
    nodes: { name: string; ip: string; port: number; host?: string }[];
    /** Per shard its slot ranges ("a-b"), in slot order, and its planned master (a node's name). */
    shards: { slots: string[]; master?: string }[];
    replicasPerShard: number;
}

/** What each planned node answered: its CLUSTER NODES view, or undefined when it did not answer. */
export interface ObservedNode {
    name: string;
    ip: string;
    port: number;
    view?: readonly NodeLine[];
}

const rangesText = (lines: { slots: { start: number; end: number }[] }[]) =>
    lines
        .map((l) => mergeRanges(l.slots).map(formatRange).join(","))
        .sort()
        .join(" ");

/** Reasons the live cluster differs from the plan, each naming the node or the numbers; empty when it matches. */
export function shapeDrift(observed: ObservedNode[], plan: PlannedShape): string[] {
    const reasons: string[] = [];
    const planned = new Set(plan.nodes.map(endpoint));
    // A node that does not answer is unreachable, not absent: the run that follows must find out why.
    for (const n of observed.filter((o) => o.view === undefined)) {
        reasons.push(`${n.name} (${endpoint(n)}) does not answer`);
    }
    const answered = observed.filter((o): o is ObservedNode & { view: readonly NodeLine[] } => o.view !== undefined);
    if (answered.length === 0) {
        return reasons;
    }
    for (const o of answered) {
        const self = o.view.find(isMyself);
        if (self && self.openSlots.length > 0) {
            reasons.push(`${o.name} has ${self.openSlots.length} open slot(s) left by an interrupted migration`);
        }
        const known = o.view.filter((l) => !isHandshake(l));
        if (known.length < 2 && (self?.slots.length ?? 0) === 0 && plan.nodes.length > 1) {
            reasons.push(`${o.name} is not in the cluster`);
        }
    }
    // Every node's table: members outside the plan (nodes a failed run added, or one that never left).
    const outside = new Map<string, NodeLine>();
    for (const o of answered) {
        for (const l of o.view.filter((x) => !isHandshake(x) && !planned.has(endpoint(x)))) outside.set(endpoint(l), l);
    }
    for (const l of outside.values()) {
        const owns = l.slots.length > 0 ? ` and owns ${countSlots(l.slots)} slot(s)` : "";
        reasons.push(`${endpoint(l)} is a member of the cluster but not in the plan${owns}`);
    }
    // The slot split and the replica counts, as the most complete view shows them.
    const view = answered.map((o) => o.view).reduce((best, v) => (v.length > best.length ? v : best));
    const masters = view.filter((l) => isMaster(l) && l.slots.length > 0);
    const live = rangesText(masters);
    const wanted = rangesText(plan.shards.map((s) => ({ slots: s.slots.map(parseRange) })));
    if (live !== wanted) {
        reasons.push(`the slots are split as ${masters.length} shard(s) [${live}], the plan has ${plan.shards.length} [${wanted}]`);
    }
    const counted = reasons.length;
    for (const m of masters) {
        const replicas = view.filter((l) => l.masterId === m.id).length;
        if (replicas !== plan.replicasPerShard) {
            reasons.push(`the shard of ${endpoint(m)} has ${replicas} replica(s), the plan ${plan.replicasPerShard}`);
        }
    }
    if (reasons.length === counted) {
        // The counts match: the replicas must also sit where the placement rule puts them (no two members
        // of a shard on one host while a node on another host could serve it), as the up leaves them.
        const hostOf = (l: NodeLine) => plan.nodes.find((p) => endpoint(p) === endpoint(l))?.host;
        const leaders = currentShardLeaders(view).map((l) => l.id);
        const line = (id: string) => view.find((l) => l.id === id)!;
        for (const a of assignReplicas(view, leaders, planned, plan.replicasPerShard, hostOf)) {
            reasons.push(`${endpoint(line(a.node))} should replicate ${endpoint(line(a.masterId))}, so that no two members of a shard share a host`);
        }
    }
    // A host lost and back holds the masters its replicas' hosts had: losing it next may stop the cluster.
    reasons.push(...masterMovesFor(view, plan).map(describeMove));
    return reasons;
}
