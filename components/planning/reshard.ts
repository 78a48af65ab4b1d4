/**
 * Planning changes to a running cluster's shape: which nodes lead the
 * shards, which slots move where, which nodes replicate whom, which nodes
 * leave. Pure: every function takes a CLUSTER NODES view and the plan.
 */
import { ip2long } from "netmask";
import { NodeLine, endpoint, isFailConfirmed as confirmedFail, isMaster, isMyself } from "./topology";
import { completeShards, improveShards } from "./placement";
import { SlotRange, mergeRanges, slotsOf, splitSlots } from "./slots";

const firstSlot = (n: NodeLine) => Math.min(...n.slots.map((r) => r.start));

/** Live masters that own slots, in slot order: the shards as they are now. */
export function currentShardLeaders(view: readonly NodeLine[]): NodeLine[] {
    return view.filter((n) => isMaster(n) && !confirmedFail(n) && n.slots.length > 0).sort((a, b) => firstSlot(a) - firstSlot(b));
}

export interface LeaderChoice {
    /** Ids of the nodes that lead the shards after the change, in slot order. */
    leaders: string[];
    /** Current leaders that must hand all their slots to others. */
    draining: string[];
    /** Staying replicas to turn into empty masters (CLUSTER RESET) because no empty node is left to lead a new shard. */
    toReset: string[];
}

/**
 * Keeps every staying shard leader it can; drops the last shards when there
 * are too many; leads new shards with empty staying masters first, then with
 * replicas taken from the shards that have the most. A new leader is, of the
 * candidates, one on the host that runs the fewest leaders so far (`hostOf`,
 * with hosts: otherwise a later handover would move the shard to such a host),
 * then the first in the plan's order (`stayingEndpoints`' order).
 */
export function chooseLeaders(view: readonly NodeLine[], stayingEndpoints: Set<string>, shards: number, hostOf: (n: NodeLine) => string | undefined = () => undefined): LeaderChoice {
    const stays = (n: NodeLine) => stayingEndpoints.has(endpoint(n));
    const planOrder = new Map([...stayingEndpoints].map((e, i) => [e, i]));
    const current = currentShardLeaders(view);
    const staying = current.filter(stays);
    const kept = staying.slice(0, shards);
    const draining = [...current.filter((n) => !stays(n)), ...staying.slice(shards)].map((n) => n.id);
    const leaders: string[] = [];
    const toReset: string[] = [];
    // Leaders per host so far, counted as they are added rather than recounted for every comparison.
    const load = new Map<string | undefined, number>();
    const lead = (n: NodeLine) => {
        leaders.push(n.id);
        load.set(hostOf(n), (load.get(hostOf(n)) ?? 0) + 1);
    };
    kept.forEach(lead);
    const rank = (n: NodeLine) => [hostOf(n) === undefined ? 0 : load.get(hostOf(n)) ?? 0, planOrder.get(endpoint(n)) ?? Infinity];
    /** The candidate on the least loaded host, the earliest in the plan among equals. */
    const best = (candidates: NodeLine[]) =>
        candidates.reduce((a, b) => {
            const [ra, rb] = [rank(a), rank(b)];
            return rb[0] < ra[0] || (rb[0] === ra[0] && rb[1] < ra[1]) ? b : a;
        });
    const empty = view.filter((n) => stays(n) && !confirmedFail(n) && isMaster(n) && n.slots.length === 0);
    while (leaders.length < shards && empty.length > 0) {
        const chosen = best(empty);
        empty.splice(empty.indexOf(chosen), 1);
        lead(chosen);
    }
    if (leaders.length < shards) {
        const replicasOf = (id: string) => view.filter((r) => r.masterId === id && stays(r) && !confirmedFail(r));
        while (leaders.length < shards) {
            const donor = kept
                .map((m) => ({ m, spare: replicasOf(m.id).filter((r) => !toReset.includes(r.id)) }))
                .sort((a, b) => b.spare.length - a.spare.length)[0];
            if (!donor || donor.spare.length === 0) {
                throw new Error(`not enough nodes to lead ${shards} shards`);
            }
            const chosen = best(donor.spare);
            toReset.push(chosen.id);
            lead(chosen);
        }
    }
    return { leaders, draining, toReset };
}

export interface SlotMove {
    from: string;
    to: string;
    slots: SlotRange[];
}

/**
 * The slots that change owner when `leaders` take `targets` (the plan's ranges per shard, in
 * leader order; the standard split by default), grouped by (from, to).
 */
export function slotMoves(view: readonly NodeLine[], leaders: string[], targets: SlotRange[][] = splitSlots(leaders.length).map((r) => [r])): SlotMove[] {
    const owner = new Map<number, string>();
    for (const n of view.filter((x) => isMaster(x) && !confirmedFail(x))) {
        for (const r of n.slots) for (let s = r.start; s <= r.end; s++) owner.set(s, n.id);
    }
    const moves = new Map<string, SlotMove>();
    targets.forEach((ranges, i) => {
        for (const s of slotsOf(ranges)) {
            const from = owner.get(s);
            const to = leaders[i];
            if (from === undefined || from === to) continue;
            const key = `${from}>${to}`;
            const move = moves.get(key) ?? { from, to, slots: [] };
            move.slots.push({ start: s, end: s });
            moves.set(key, move);
        }
    });
    return [...moves.values()].map((m) => ({ ...m, slots: mergeRanges(m.slots) }));
}

const size = (ranges: SlotRange[]) => ranges.reduce((n, r) => n + r.end - r.start + 1, 0);

/**
 * Orders moves so that no leader ever owns zero slots on the way: Redis turns
 * a master that gives away its last slot into a replica of the receiver
 * (cluster-allow-replica-migration), after which it could not take slots back.
 * When every remaining move would empty its leader, one slot of it waits
 * until the end, when the leader has received its new slots.
 */
export function orderMoves(view: readonly NodeLine[], moves: SlotMove[], leaders: string[]): SlotMove[] {
    const owned = new Map(view.map((n) => [n.id, size(n.slots)]));
    const pending = moves.map((m) => ({ ...m, slots: [...m.slots] }));
    const ordered: SlotMove[] = [];
    const deferred: SlotMove[] = [];
    while (pending.length > 0) {
        let i = pending.findIndex((m) => !leaders.includes(m.from) || (owned.get(m.from) ?? 0) - size(m.slots) > 0);
        if (i < 0) {
            i = 0;
            const m = pending[0];
            const last = m.slots[m.slots.length - 1];
            const held = { start: last.end, end: last.end };
            m.slots = last.start === last.end ? m.slots.slice(0, -1) : [...m.slots.slice(0, -1), { start: last.start, end: last.end - 1 }];
            deferred.push({ from: m.from, to: m.to, slots: [held] });
        }
        const [m] = pending.splice(i, 1);
        if (m.slots.length > 0) {
            owned.set(m.from, (owned.get(m.from) ?? 0) - size(m.slots));
            owned.set(m.to, (owned.get(m.to) ?? 0) + size(m.slots));
            ordered.push(m);
        }
    }
    return [...ordered, ...deferred];
}

export interface ReplicaAssignment {
    node: string;
    masterId: string;
}

/**
 * Gives every leader `replicas` replicas from the staying nodes that lead nothing, by the
 * placement rule: replicas stay with their shard (a shard with too many gives up those sharing a
 * host most); free nodes fill the shards that lack some as the planner fills new ones
 * (completeShards); then replicas move only where that lowers the shards sharing a host
 * (improveShards). Only changes are returned: an empty list means the layout is as the rule wants.
 */
export function assignReplicas(
    view: readonly NodeLine[],
    leaders: string[],
    stayingEndpoints: Set<string>,
    replicas: number,
    hostOf: (n: NodeLine) => string | undefined = () => undefined,
): ReplicaAssignment[] {
    // In address order, so a new cluster gets the plan's layout (node 4 replicates shard 1, ...).
    const usable = view
        .filter((n) => stayingEndpoints.has(endpoint(n)) && !confirmedFail(n) && !leaders.includes(n.id))
        .sort((a, b) => ip2long(a.ip) - ip2long(b.ip) || a.port - b.port);
    const masterHosts = leaders.map((id) => hostOf(view.find((n) => n.id === id)!));
    const surplus: NodeLine[] = [];
    const kept = leaders.map((id, k) => {
        const list = usable.filter((n) => n.masterId === id);
        while (list.length > replicas) {
            // The member sharing a host with the most others goes (the last on ties).
            const shared = (n: NodeLine) => [masterHosts[k], ...list.map(hostOf)].filter((h) => h !== undefined && h === hostOf(n)).length;
            const worst = list.reduce((w, n, i) => (shared(n) >= shared(list[w]) ? i : w), 0);
            surplus.push(...list.splice(worst, 1));
        }
        return list;
    });
    const free = usable.filter((n) => surplus.includes(n) || !n.masterId || !leaders.includes(n.masterId));
    const open = kept.map((list, k) => ({ hosts: [masterHosts[k], ...list.map(hostOf)], missing: replicas - list.length }));
    const filled = completeShards(open, free, hostOf).map((picked, k) => [...kept[k], ...picked]);
    const { shards } = improveShards(masterHosts, filled, free.filter((n) => !filled.flat().includes(n)), hostOf);
    return leaders.flatMap((masterId, k) => shards[k].filter((n) => n.masterId !== masterId).map((n) => ({ node: n.id, masterId })));
}

/** Nodes the cluster knows that the plan no longer has (scale-in), or that are gone for good. */
export function departingNodes(view: readonly NodeLine[], stayingEndpoints: Set<string>): NodeLine[] {
    return view.filter((n) => !stayingEndpoints.has(endpoint(n)));
}

/** What to do about slots an interrupted migration left open. */
export interface OpenSlotPlan {
    /** Finish the move toward the node that was importing, so keys already copied stay valid. */
    moves: SlotMove[];
    /** Close on the node that marks it: its partner is gone (forgotten, or recreated empty), or the move is done. */
    stabilize: { node: string; slots: number[] }[];
}

/**
 * Plans the way out of open slots from each node's own line (`selves`, which carry the markers)
 * and the cluster's view (slot owners, known nodes). A slot marked on both ends counts once.
 */
export function planOpenSlots(selves: readonly NodeLine[], view: readonly NodeLine[]): OpenSlotPlan {
    const known = new Set(view.filter((n) => !confirmedFail(n)).map((n) => n.id));
    const ownerOf = (slot: number) => view.find((x) => isMaster(x) && x.slots.some((r) => r.start <= slot && slot <= r.end))?.id;
    const moves = new Map<string, SlotMove>();
    const stabilize = new Map<string, number[]>();
    const moving = new Set<number>();
    const close = (node: string, slot: number) => stabilize.set(node, [...(stabilize.get(node) ?? []), slot]);
    for (const self of selves.filter(isMyself)) {
        for (const o of self.openSlots) {
            if (!known.has(o.peer)) {
                close(self.id, o.slot);
                continue;
            }
            const to = o.state === "migrating" ? o.peer : self.id;
            const from = ownerOf(o.slot) ?? (o.state === "migrating" ? self.id : o.peer);
            if (from === to) {
                close(self.id, o.slot);
                continue;
            }
            if (moving.has(o.slot)) continue;
            moving.add(o.slot);
            const key = `${from}>${to}`;
            const move = moves.get(key) ?? { from, to, slots: [] };
            move.slots.push({ start: o.slot, end: o.slot });
            moves.set(key, move);
        }
    }
    return {
        moves: [...moves.values()].map((m) => ({ ...m, slots: mergeRanges(m.slots) })),
        stabilize: [...stabilize.entries()].map(([node, slots]) => ({ node, slots })),
    };
}
