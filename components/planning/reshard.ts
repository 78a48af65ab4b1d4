/**
 * Planning changes to a running cluster's shape: which nodes lead the
 * shards, which slots move where, which nodes replicate whom, which nodes
 * leave. Pure: every function takes a CLUSTER NODES view and the plan.
 */
import { ip2long } from "netmask";
import { NodeLine, endpoint, isMaster, isMyself } from "./topology";
import { SlotRange, mergeRanges, slotsOf, splitSlots } from "./slots";

const confirmedFail = (n: NodeLine) => n.flags.includes("fail");
const firstSlot = (n: NodeLine) => Math.min(...n.slots.map((r) => r.start));

/** Live masters that own slots, in slot order: the shards as they are now. */
export function currentShardLeaders(view: NodeLine[]): NodeLine[] {
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
 * replicas taken from the shards that have the most.
 */
export function chooseLeaders(view: NodeLine[], stayingEndpoints: Set<string>, shards: number): LeaderChoice {
    const stays = (n: NodeLine) => stayingEndpoints.has(endpoint(n));
    const current = currentShardLeaders(view);
    const staying = current.filter(stays);
    const kept = staying.slice(0, shards);
    const draining = [...current.filter((n) => !stays(n)), ...staying.slice(shards)].map((n) => n.id);
    const leaders = kept.map((n) => n.id);
    const toReset: string[] = [];
    const empty = view.filter((n) => stays(n) && !confirmedFail(n) && isMaster(n) && n.slots.length === 0);
    for (const n of empty) {
        if (leaders.length < shards) leaders.push(n.id);
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
            const chosen = donor.spare[donor.spare.length - 1];
            toReset.push(chosen.id);
            leaders.push(chosen.id);
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
export function slotMoves(view: NodeLine[], leaders: string[], targets: SlotRange[][] = splitSlots(leaders.length).map((r) => [r])): SlotMove[] {
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
export function orderMoves(view: NodeLine[], moves: SlotMove[], leaders: string[]): SlotMove[] {
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
 * Gives every leader `replicas` replicas from the staying nodes that lead
 * nothing: existing replicas stay where they are unless their shard has too
 * many; empty masters and surplus replicas go to the shards that lack some.
 */
export function assignReplicas(
    view: NodeLine[],
    leaders: string[],
    stayingEndpoints: Set<string>,
    replicas: number,
    hostOf: (n: NodeLine) => string | undefined = () => undefined,
): ReplicaAssignment[] {
    // In address order, so a new cluster gets the plan's layout (node 4 replicates shard 1, ...).
    const usable = view
        .filter((n) => stayingEndpoints.has(endpoint(n)) && !confirmedFail(n) && !leaders.includes(n.id))
        .sort((a, b) => ip2long(a.ip) - ip2long(b.ip) || a.port - b.port);
    const members = new Map(leaders.map((id) => [id, usable.filter((n) => n.masterId === id).map((n) => n.id)]));
    const free: string[] = usable.filter((n) => !n.masterId || !leaders.includes(n.masterId)).map((n) => n.id);
    for (const [id, list] of members) {
        while (list.length > replicas) free.push(list.pop()!);
        members.set(id, list);
    }
    const out: ReplicaAssignment[] = [];
    const line = (id: string) => view.find((n) => n.id === id)!;
    for (const id of leaders) {
        const list = members.get(id)!;
        while (list.length < replicas && free.length > 0) {
            // On several hosts: a node on a host the shard does not use yet, if there is one.
            const used = [id, ...list].map((m) => hostOf(line(m)));
            const fresh = free.findIndex((f) => hostOf(line(f)) === undefined || !used.includes(hostOf(line(f))));
            const [node] = free.splice(fresh >= 0 ? fresh : 0, 1);
            list.push(node);
            out.push({ node, masterId: id });
        }
    }
    return out;
}

/** Nodes the cluster knows that the plan no longer has (scale-in), or that are gone for good. */
export function departingNodes(view: NodeLine[], stayingEndpoints: Set<string>): NodeLine[] {
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
export function planOpenSlots(selves: NodeLine[], view: NodeLine[]): OpenSlotPlan {
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
