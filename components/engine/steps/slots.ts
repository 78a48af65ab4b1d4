/** Slot ownership without moving keys: closing slots an interrupted migration left open, and assigning slots nobody owns. */
import { ClusterView } from "../../planning/clusterView";
import { OpenSlotPlan, departingNodes, planOpenSlots } from "../../planning/reshard";
import { SlotRange, formatRange, intersectRanges, parseRange } from "../../planning/slots";
import { NodeLine, coverageGaps, endpoint, isFailConfirmed, isFailed } from "../../planning/topology";
import type { ClusterSpec } from "../spec";
import { moveSlots } from "./migrate";
import { NodePool, readView } from "../pool";
import { Deadline, Log } from "../wait";

const names = (spec: ClusterSpec) => spec.nodes.map((n) => n.name);

/**
 * Resolves slots left open by an interrupted migration (planOpenSlots): moves are finished toward
 * the importing node, so keys already copied stay valid; slots whose partner is gone are closed.
 */
export async function finishOpenSlots(pool: NodePool, spec: ClusterSpec, view: ClusterView, deadline: Deadline, log: Log): Promise<void> {
    const plannedSelves = (await Promise.all(names(spec).map((n) => pool.view(n)))).map((v) => v.myself!).filter(Boolean);
    // Members outside the plan carry their own markers (a new master importing when a run was killed).
    const planned = new Set(spec.nodes.map(endpoint));
    const outside = departingNodes(view.lines, planned).filter((n) => !isFailed(n));
    const outsideSelves = await Promise.all(
        outside.map(async (n) => {
            const client = await pool.at(n.ip, n.port).catch(() => undefined);
            return client && (await readView(client)).myself;
        }),
    );
    const selves = [...plannedSelves, ...outsideSelves.filter((l): l is NodeLine => l !== undefined)];
    const plan: OpenSlotPlan = planOpenSlots(selves, view.lines);
    for (const { node, slots } of plan.stabilize) {
        const line = view.byId(node) ?? selves.find((n) => n.id === node)!;
        log(`closing ${slots.length} open slot(s) on ${pool.label(line.ip, line.port)} whose migration partner is gone or done`);
        const client = await pool.at(line.ip, line.port);
        for (const slot of slots) await client.call("CLUSTER", "SETSLOT", String(slot), "STABLE");
    }
    for (const move of plan.moves) {
        log(`finishing an interrupted migration of ${move.slots.reduce((k, r) => k + r.end - r.start + 1, 0)} slot(s)`);
        await moveSlots(pool, view, move, deadline, log);
    }
}

/** The node that now owns any of a shard's planned slots (it may be a promoted replica). */
function currentLeader(pool: NodePool, view: ClusterView, planned: SlotRange[]): string | undefined {
    // Only a confirmed FAIL disqualifies: a busy machine shows transient PFAIL ("fail?") during bootstrap.
    const owner = view.ownersOf(planned).find((n) => !isFailConfirmed(n));
    return owner ? pool.nameOf(owner.ip, owner.port) : undefined;
}

/**
 * Assigns every slot nobody owns to the shard planned for it, on the node that
 * currently leads that shard. On a new cluster that is all of them.
 */
export async function assignSlots(pool: NodePool, spec: ClusterSpec, view: ClusterView, log: Log): Promise<void> {
    const gaps = coverageGaps(view.lines);
    if (gaps.length === 0) {
        return;
    }
    for (const shard of spec.shards) {
        const planned = shard.slots.map(parseRange);
        const missing = intersectRanges(planned, gaps);
        if (missing.length === 0) {
            continue;
        }
        const leader = currentLeader(pool, view, planned) ?? shard.master;
        await pool.call(leader, "CLUSTER", "ADDSLOTSRANGE", ...missing.flatMap((r) => [String(r.start), String(r.end)]));
        log(`slots ${missing.map(formatRange).join(",")} -> ${leader}`);
    }
}
