/**
 * One node's CLUSTER NODES, parsed once and indexed: its lines by id and by endpoint, the roles
 * (live masters, the replicas of each master), who owns slots, and the node's own line with the
 * slots it has open. Immutable and pure: the engine reads a view and asks it, never the text again.
 * Names are the plan's business (NodePool.nameOf): a view knows only what Redis printed.
 */
import { SlotRange, intersectRanges } from "./slots";
import { NodeLine, OpenSlot, endpoint, isFailed, isHandshake, isMaster, isMyself, parseClusterNodes } from "./topology";

const NONE: readonly NodeLine[] = [];

/** The first line for each key, as a search of the lines in order would find it. */
function firstBy(lines: readonly NodeLine[], key: (n: NodeLine) => string): Map<string, NodeLine> {
    const map = new Map<string, NodeLine>();
    for (const n of lines) if (!map.has(key(n))) map.set(key(n), n);
    return map;
}

export class ClusterView {
    /** A node that knows nobody and owns nothing, or one that did not say. */
    static readonly EMPTY = new ClusterView([]);

    static parse(text: string): ClusterView {
        return new ClusterView(parseClusterNodes(text));
    }

    /** The line of the node that printed the view (flag myself). */
    readonly myself?: NodeLine;
    /** The slots this node has open (a migration under way or interrupted): only its own line carries them. */
    readonly openSlots: readonly OpenSlot[];
    /** Lines that are not handshakes: the members this node has actually met. */
    readonly known: readonly NodeLine[];
    /** Masters not failed, not even suspected (fail?): those a slot's new owner can be told to. */
    readonly liveMasters: readonly NodeLine[];
    /** Masters that own at least one slot, failed or not. */
    readonly slotOwners: readonly NodeLine[];
    private readonly ids: Map<string, NodeLine>;
    private readonly endpoints: Map<string, NodeLine>;
    private readonly replicas = new Map<string, NodeLine[]>();

    /** `lines` in the order the node printed them. */
    constructor(readonly lines: readonly NodeLine[]) {
        this.myself = lines.find(isMyself);
        this.openSlots = this.myself?.openSlots ?? [];
        this.known = lines.filter((n) => !isHandshake(n));
        this.liveMasters = lines.filter((n) => isMaster(n) && !isFailed(n));
        this.slotOwners = lines.filter((n) => isMaster(n) && n.slots.length > 0);
        this.ids = firstBy(lines, (n) => n.id);
        // A node recreated empty at an old address may be listed twice there: under its new id and its old,
        // failed one. A handshake line is never the node: a MEET repeated to a node already met, or one
        // still under way, lists its endpoint under a made-up id that Redis drops when the handshake ends.
        this.endpoints = firstBy(this.known, endpoint);
        for (const n of lines) {
            if (n.masterId !== undefined) this.replicas.set(n.masterId, [...(this.replicas.get(n.masterId) ?? []), n]);
        }
    }

    byId(id: string): NodeLine | undefined {
        return this.ids.get(id);
    }

    /** The line of the node met at ip:port (the first listed, when several are; handshakes are not met). */
    at(node: { ip: string; port: number }): NodeLine | undefined {
        return this.endpoints.get(endpoint(node));
    }

    /** The lines that replicate `masterId`, in the view's order. */
    replicasOf(masterId: string): readonly NodeLine[] {
        return this.replicas.get(masterId) ?? NONE;
    }

    /** Masters that own any slot of `ranges`, in the view's order. */
    ownersOf(ranges: SlotRange[]): NodeLine[] {
        return this.slotOwners.filter((n) => intersectRanges(n.slots, ranges).length > 0);
    }
}
