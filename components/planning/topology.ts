/**
 * Reading a cluster's shape from CLUSTER NODES text and deciding what a
 * bootstrap must do. Pure: every input is plain data fetched elsewhere.
 */
import { SlotRange, countSlots, formatRange, mergeRanges, parseRange, uncoveredSlots } from "./slots";

/** One line of CLUSTER NODES. */
export interface NodeLine {
    id: string;
    ip: string;
    port: number;
    flags: string[];
    /** Id of the master this node replicates, when it is a replica. */
    masterId?: string;
    linkState: string;
    slots: SlotRange[];
    /** Slots being moved, which must be resolved first (only a node's own line carries them). */
    openSlots: OpenSlot[];
}

/** A slot in the middle of a migration: `[slot->-peer]` (migrating to peer) or `[slot-<-peer]` (importing from peer). */
export interface OpenSlot {
    slot: number;
    state: "migrating" | "importing";
    /** Id of the node the slot moves to (migrating) or comes from (importing). */
    peer: string;
}

export function parseOpenSlot(token: string): OpenSlot {
    const m = /^\[(\d+)-([<>])-([0-9a-f]+)\]$/.exec(token);
    if (!m) {
        throw new Error(`not an open-slot marker: "${token}"`);
    }
    return { slot: Number(m[1]), state: m[2] === ">" ? "migrating" : "importing", peer: m[3] };
}

/** The marker as CLUSTER NODES prints it, for messages people compare with redis-cli. */
export function formatOpenSlot(o: OpenSlot): string {
    return `[${o.slot}-${o.state === "migrating" ? ">" : "<"}-${o.peer}]`;
}

/** "ip:port": how a node is told apart, also when several share an address (one host, many ports). */
export function endpoint(n: { ip: string; port: number }): string {
    return `${n.ip}:${n.port}`;
}

export function parseClusterNodes(text: string): NodeLine[] {
    return text
        .split("\n")
        .map((l) => l.trim())
        .filter((l) => l.length > 0)
        .map((line) => {
            const f = line.split(" ");
            const [address] = f[1].split(",");
            const [hostPort] = address.split("@");
            const colon = hostPort.lastIndexOf(":");
            const slots: SlotRange[] = [];
            const openSlots: OpenSlot[] = [];
            for (const token of f.slice(8)) {
                if (token.startsWith("[")) {
                    openSlots.push(parseOpenSlot(token));
                } else {
                    slots.push(parseRange(token));
                }
            }
            return {
                id: f[0],
                ip: hostPort.slice(0, colon),
                port: Number(hostPort.slice(colon + 1)),
                flags: f[2].split(","),
                masterId: f[3] === "-" ? undefined : f[3],
                linkState: f[7],
                slots,
                openSlots,
            };
        });
}

/** INFO / CLUSTER INFO text as a key -> value map. */
export function parseInfo(text: string): Record<string, string> {
    const out: Record<string, string> = {};
    for (const line of text.split("\n")) {
        const i = line.indexOf(":");
        if (i > 0 && !line.startsWith("#")) {
            out[line.slice(0, i).trim()] = line.slice(i + 1).trim();
        }
    }
    return out;
}

export const isMyself = (n: NodeLine) => n.flags.includes("myself");
export const isMaster = (n: NodeLine) => n.flags.includes("master");
export const isFailed = (n: NodeLine) => n.flags.includes("fail") || n.flags.includes("fail?");
/** Failed as the cluster agreed (fail), not only suspected by this node (fail?, also a busy machine's passing PFAIL). */
export const isFailConfirmed = (n: NodeLine) => n.flags.includes("fail");
export const isHandshake = (n: NodeLine) => n.flags.includes("handshake") || n.flags.includes("noaddr");

/** What one planned node reported about itself and its view of the cluster. */
export interface NodeReport {
    name: string;
    ip: string;
    port: number;
    /** Keys in the node's keyspace (db0). */
    keys: number;
    view: readonly NodeLine[];
}

export type Assessment =
    /** No node knows another or owns a slot: build the cluster from scratch. */
    | { kind: "fresh" }
    /**
     * A cluster of our nodes exists; `joining` are empty strangers to it that must join, `departing`
     * the endpoints of its members the plan does not have (a scale-in, or what a failed or killed run
     * of another plan left behind): they are drained and forgotten, never dropped with their keys.
     */
    | { kind: "formed"; joining: string[]; departing: string[] }
    /** Something is in the way that only a person should resolve. */
    | { kind: "refuse"; reasons: string[] };

/**
 * Decides whether the planned nodes can be bootstrapped, healed, or must be left alone. `leaving`
 * are endpoints of nodes the plan just dropped. A planned node that is part of our cluster (it knows
 * another planned node by id or address) may know nodes outside the plan: they are members to drain.
 * Refuses whenever going ahead could lose or mix data: a node whose cluster is not ours (it knows
 * only nodes outside the plan), or keys on a node that is not yet in the cluster.
 */
export function assess(reports: NodeReport[], leaving: string[] = []): Assessment {
    const plannedEndpoints = new Set(reports.map(endpoint));
    // Addresses a node may know: the plan's, and those of nodes the plan just dropped (scale-in).
    const planned = new Set([...plannedEndpoints, ...leaving]);
    // A planned node known at an old address moved (a new subnet): it is ours, and MEET updates it.
    const ours = new Set(reports.map((r) => r.view.find(isMyself)?.id).filter((id): id is string => id !== undefined));
    const reasons: string[] = [];
    const members: NodeReport[] = [];
    const strangers: NodeReport[] = [];
    const departing = new Set<string>();
    for (const r of reports) {
        const self = r.view.find(isMyself);
        const others = r.view.filter((n) => !isMyself(n) && !isHandshake(n));
        const foreign = others.filter((n) => !planned.has(endpoint(n)) && !ours.has(n.id));
        const inOurCluster = others.some((n) => ours.has(n.id) || plannedEndpoints.has(endpoint(n)));
        if (foreign.length > 0 && !inOurCluster) {
            reasons.push(
                `${r.name} (${endpoint(r)}) belongs to another cluster: it knows ${foreign.map(endpoint).join(", ")}, ` +
                    `which this stack does not manage, and none of the planned nodes. Its volume ${r.name}-data holds that cluster's data: ` +
                    `keep it, and give this stack another namePrefix (or move the volume away yourself)`,
            );
            continue;
        }
        foreign.forEach((n) => departing.add(endpoint(n)));
        const ownsSlots = (self?.slots.length ?? 0) > 0;
        if (others.length > 0 || ownsSlots) {
            members.push(r);
        } else {
            strangers.push(r);
        }
    }
    for (const r of strangers) {
        if (r.keys > 0) {
            reasons.push(`${r.name} (${endpoint(r)}) is not in the cluster but holds ${r.keys} keys; refusing to touch its data`);
        }
    }
    if (reasons.length > 0) {
        return { kind: "refuse", reasons };
    }
    if (members.length === 0) {
        return { kind: "fresh" };
    }
    return { kind: "formed", joining: strangers.map((r) => r.name), departing: [...departing].sort() };
}

/** A shard as the outputs show it. */
export interface ShardView {
    master: NodeRef;
    replicas: NodeRef[];
    slots: string[];
    slotCount: number;
}

export interface NodeRef {
    name: string;
    /** With several hosts: the host the node runs on. */
    host?: string;
    ip: string;
    port: number;
    nodeId: string;
}

/** Names nodes by their planned address; an unplanned address keeps its ip as name. */
export function describeShards(view: readonly NodeLine[], nameOf: (ip: string, port: number) => string | undefined): ShardView[] {
    const ref = (n: NodeLine): NodeRef => ({ name: nameOf(n.ip, n.port) ?? n.ip, ip: n.ip, port: n.port, nodeId: n.id });
    return view
        .filter((n) => isMaster(n) && n.slots.length > 0)
        .map((m) => {
            const slots = mergeRanges(m.slots);
            return {
                master: ref(m),
                replicas: view
                    .filter((r) => r.masterId === m.id)
                    .map(ref)
                    .sort((a, b) => a.name.localeCompare(b.name, undefined, { numeric: true })),
                slots: slots.map(formatRange),
                slotCount: countSlots(slots),
            };
        })
        .sort((a, b) => parseRange(a.slots[0]).start - parseRange(b.slots[0]).start);
}

/** A map from slot range text to owning node id, to compare two nodes' views. */
export function slotOwnership(view: readonly NodeLine[]): string {
    return view
        .filter((n) => n.slots.length > 0)
        .map((n) => `${n.id}:${mergeRanges(n.slots).map(formatRange).join(",")}`)
        .sort()
        .join(" ");
}

/** Who replicates whom, in one comparable string: nodes that agree on roles give the same one. */
export function roleSignature(view: readonly NodeLine[]): string {
    return view
        .filter((n) => !isHandshake(n))
        .map((n) => `${n.id}:${n.masterId ?? "master"}`)
        .sort()
        .join(" ");
}

export function coverageGaps(view: readonly NodeLine[]): SlotRange[] {
    return uncoveredSlots(view.flatMap((n) => n.slots));
}

/** How long gossip may take to close a link after the hub knows every node, before that link is met directly. */
export const GOSSIP_GRACE_MS = 5000;

/**
 * The missing links to close with a MEET now (`gaps`: missingLinks). A node that meets one member learns the
 * others from gossip, as redis-cli lets it: the MEETs go between the hub (the first planned node) and the
 * nodes it does not know yet, or that do not know it: n - 1 for a new cluster of n, where meeting every pair
 * took n(n - 1), each a handshake over the bus. A link gossip left open `GOSSIP_GRACE_MS` after the hub
 * knew every node and every node knew it (`hubClosedForMs`, undefined while not) is met directly.
 */
export function meetsToSend<G extends { from: string; to: { name: string } }>(gaps: G[], hub: string, hubClosedForMs: number | undefined): G[] {
    const hubGaps = gaps.filter((g) => g.from === hub || g.to.name === hub);
    if (hubGaps.length > 0) {
        // One MEET per pair: the hub's own where it lacks the node, the node's where only it lacks the hub.
        const hubLacks = new Set(hubGaps.filter((g) => g.from === hub).map((g) => g.to.name));
        return hubGaps.filter((g) => g.from === hub || !hubLacks.has(g.from));
    }
    return hubClosedForMs !== undefined && hubClosedForMs >= GOSSIP_GRACE_MS ? gaps : [];
}

/** Planned nodes that do not yet know another planned node (handshakes do not count): MEET from -> to. */
export function missingLinks<A extends { name: string; ip: string; port: number }>(views: { name: string; view: readonly NodeLine[] }[], addresses: A[]): { from: string; to: A }[] {
    const gaps: { from: string; to: A }[] = [];
    for (const { name, view } of views) {
        const known = new Set(view.filter((v) => !isHandshake(v)).map(endpoint));
        for (const m of addresses) {
            if (m.name !== name && !known.has(endpoint(m))) gaps.push({ from: name, to: m });
        }
    }
    return gaps;
}
