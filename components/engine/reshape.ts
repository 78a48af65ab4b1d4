/**
 * Changing a formed cluster's shape to the plan's: shards led by the right
 * number of masters, the planned slot split among them, the planned number of
 * replicas each, and nodes outside the plan drained and forgotten. Every step
 * moves keys with MIGRATE before ownership changes, so no key is lost.
 */
import { assignReplicas, chooseLeaders, currentShardLeaders, departingNodes, orderMoves, slotMoves } from "../planning/reshard";
import { SLOT_COUNT, formatRange, parseRange, slotsOf } from "../planning/slots";
import { ClusterView } from "../planning/clusterView";
import { NodeLine, endpoint, parseInfo } from "../planning/topology";
import type { ClusterSpec } from "./spec";
import { waitSlotAgreement } from "./health";
import { NodePool } from "./pool";
import { bestHeir, failOver } from "./steps/failover";
import { copyFunctions } from "./steps/functions";
import { meetAll } from "./steps/meet";
import { moveSlots } from "./steps/migrate";
import { removeLeavingNodes } from "./steps/remove";
import { replicate } from "./steps/replicate";
import { Deadline, Log, PermanentError } from "./wait";

export async function reshape(pool: NodePool, spec: ClusterSpec, deadline: Deadline, log: Log): Promise<void> {
    const names = spec.nodes.map((n) => n.name);
    const staying = new Set(spec.nodes.map(endpoint));

    let view = await waitSlotAgreement(pool, names, deadline);
    await failOverLeavingMasters(pool, view, staying, deadline, log);

    view = await waitSlotAgreement(pool, names, deadline);
    // Those still leading are drained (a replica that took over keeps every key its master had).
    await refuseStrayKeys(pool, departingNodes(view.slotOwners, staying));
    const hostByEndpoint = new Map(spec.nodes.map((p) => [endpoint(p), p.host]));
    const hostOf = (n: NodeLine) => hostByEndpoint.get(endpoint(n));
    const choice = chooseLeaders(view.lines, staying, spec.shards.length, hostOf);
    const current = new Set(currentShardLeaders(view.lines).map((n) => n.id));
    let reset = 0;
    for (const id of choice.leaders.filter((l) => !current.has(l))) {
        const line = view.byId(id)!;
        const client = await pool.at(line.ip, line.port);
        // Ask the node itself: gossip may not have told the others yet that it became a replica.
        if (choice.toReset.includes(id) || parseInfo(String(await client.call("INFO", "replication"))).role !== "master") {
            log(`turning replica ${pool.label(line.ip, line.port)} into an empty master to lead a new shard`);
            await client.call("CLUSTER", "RESET", "SOFT");
            reset++;
        }
    }
    if (reset > 0) {
        await meetAll(pool, spec, deadline, log);
        view = await waitSlotAgreement(pool, names, deadline);
    }

    const targets = spec.shards.map((s) => s.slots.map(parseRange));
    const moves = orderMoves(view.lines, slotMoves(view.lines, choice.leaders, targets), choice.leaders);
    if (moves.length > 0) {
        await copyFunctions(pool, view, choice.leaders, log);
    }
    for (const move of moves) {
        await moveSlots(pool, view, move, deadline, log);
    }
    if (moves.length > 0) {
        view = await waitSlotAgreement(pool, names, deadline);
    }

    await replicate(pool, view, assignReplicas(view.lines, choice.leaders, staying, spec.replicasPerShard, hostOf), deadline, log);

    const leaving = departingNodes((await waitSlotAgreement(pool, names, deadline)).lines, staying);
    if (leaving.length > 0) {
        await removeLeavingNodes(pool, spec, leaving, deadline, log);
    }
}

/**
 * A leaving master's keys in slots it does not own (left by a migration whose partner died) are never
 * moved by draining its slots, and Redis drops them when the drained master turns replica of the
 * slots' new owner: the reshape stops before moving anything, naming the node and the slots.
 */
async function refuseStrayKeys(pool: NodePool, leavingMasters: NodeLine[]): Promise<void> {
    const found: string[] = [];
    for (const m of leavingMasters) {
        const client = await pool.at(m.ip, m.port);
        if (Number(await client.call("DBSIZE")) === 0) continue;
        const owned = new Set(slotsOf(m.slots));
        const others = Array.from({ length: SLOT_COUNT }, (_, s) => s).filter((s) => !owned.has(s));
        // Only slots it does not own: writes to its own slots cannot make the count wrong.
        const counts = await Promise.all(others.map(async (s) => Number(await client.call("CLUSTER", "COUNTKEYSINSLOT", String(s)))));
        const stray = others.filter((_, i) => counts[i] > 0);
        if (stray.length > 0) {
            const keys = counts.reduce((a, b) => a + b, 0);
            found.push(`${pool.label(m.ip, m.port)} (${endpoint(m)}) holds ${keys} key(s) in slot(s) it does not own: ${stray.slice(0, 5).join(", ")}${stray.length > 5 ? ", ..." : ""}`);
        }
    }
    if (found.length > 0) {
        throw new PermanentError(
            `refusing to drain nodes that hold keys outside their slots (Redis would drop them once the node gives its last slot away), nothing was moved:\n - ${found.join("\n - ")}\n` +
                `Move those keys to their slots' owners (e.g. redis-cli --cluster fix) or keep the nodes in the plan, then run up again`,
        );
    }
}

/** A master that leaves with a synced staying replica hands over by failover: no keys move. */
async function failOverLeavingMasters(pool: NodePool, view: ClusterView, staying: Set<string>, deadline: Deadline, log: Log): Promise<void> {
    for (const master of departingNodes(view.slotOwners, staying)) {
        const leavingPeers = new Set(departingNodes(view.lines, staying).map(endpoint));
        const heir = await bestHeir(pool, view, master, leavingPeers);
        if (!heir) {
            continue;
        }
        log(`failing ${pool.label(master.ip, master.port)} over to ${pool.label(heir.ip, heir.port)} before it leaves`);
        await failOver(pool, heir, master, deadline);
    }
}
