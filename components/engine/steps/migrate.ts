/**
 * The one primitive that moves slots between two masters, the way redis-cli
 * documents its own: the target marks the slots IMPORTING, the source
 * MIGRATING, the keys go over in batches with MIGRATE, then the new owner is
 * told to the target, the source and every other master.
 */
import { formatRange, slotsOf } from "../../planning/slots";
import { SlotMove } from "../../planning/reshard";
import { ClusterView } from "../../planning/clusterView";
import { MIGRATE_TIMEOUT_MS, NodePool } from "../pool";
import { Deadline, Log } from "../wait";

/** Keys per MIGRATE: big keys travel in small batches, so one reply never waits on too much data. */
const MIGRATE_BATCH_KEYS = 100;
/** Slots marked open and settled together. */
const SLOT_BATCH = 128;
const PROGRESS_EVERY_MS = 5000;

/**
 * Moves `move.slots` from `move.from` to `move.to` (node ids in `view`). Its time is measured by
 * progress (slots, keys and rate are logged), not by the operation's deadline, which is extended
 * by the time the move took.
 */
export async function moveSlots(pool: NodePool, view: ClusterView, move: SlotMove, deadline: Deadline, log: Log): Promise<void> {
    const started = Date.now();
    const line = (id: string) => {
        const l = view.byId(id);
        if (!l) throw new Error(`cannot move slots ${move.slots.map(formatRange).join(",")}: node ${id} is not in the cluster`);
        return l;
    };
    const src = line(move.from);
    const dst = line(move.to);
    const from = await pool.at(src.ip, src.port);
    const to = await pool.at(dst.ip, dst.port);
    const masters = await Promise.all(view.liveMasters.map((n) => pool.at(n.ip, n.port)));
    const slots = slotsOf(move.slots);
    const auth = pool.migrateAuth();
    // MIGRATE blocks until the target has stored the batch: the admin clients' 5 s bound would fail big keys.
    const migrator = await pool.migrationClient(src);
    const fromName = pool.label(src.ip, src.port);
    const toName = pool.label(dst.ip, dst.port);
    let keys = 0;
    let lastProgress = Date.now();
    const progress = (done: number) => {
        if (Date.now() - lastProgress < PROGRESS_EVERY_MS) return;
        lastProgress = Date.now();
        const rate = keys / Math.max(0.001, (Date.now() - started) / 1000);
        log(`moving slots from ${fromName} to ${toName}: ${done}/${slots.length} slots, ${keys} keys (${rate.toFixed(0)} keys/s)`);
    };
    try {
        for (let i = 0; i < slots.length; i += SLOT_BATCH) {
            const batch = slots.slice(i, i + SLOT_BATCH);
            await Promise.all(batch.map((slot) => to.call("CLUSTER", "SETSLOT", String(slot), "IMPORTING", move.from)));
            await Promise.all(batch.map((slot) => from.call("CLUSTER", "SETSLOT", String(slot), "MIGRATING", move.to)));
            // The batch's slots are asked for keys together (one round trip, not one per slot: most slots of a
            // small data set are empty); each slot's keys then go over with one MIGRATE per slot (its keys must
            // share a slot), until every slot answers empty.
            let pending = batch;
            while (pending.length > 0) {
                const found = (await Promise.all(pending.map((slot) => from.call("CLUSTER", "GETKEYSINSLOT", String(slot), String(MIGRATE_BATCH_KEYS))))) as string[][];
                for (const slotKeys of found.filter((f) => f.length > 0)) {
                    // REPLACE: a key a previous, interrupted MIGRATE already copied is overwritten by the source's.
                    await migrator.call("MIGRATE", dst.ip, String(dst.port), "", "0", String(MIGRATE_TIMEOUT_MS), "REPLACE", ...auth, "KEYS", ...slotKeys);
                    keys += slotKeys.length;
                    progress(i);
                }
                pending = pending.filter((_, j) => found[j].length > 0);
            }
            // The new owner first, then the old one, then everybody else.
            await Promise.all(batch.map((slot) => to.call("CLUSTER", "SETSLOT", String(slot), "NODE", move.to)));
            await Promise.all(
                batch.map((slot) =>
                    from.call("CLUSTER", "SETSLOT", String(slot), "NODE", move.to).catch((err: Error) => {
                        // A source that has just lost its last slot may already have turned itself into a
                        // replica of the new owner (cluster-allow-replica-migration): it knows the owner then.
                        if (!/only with masters/.test(String(err?.message))) throw err;
                    }),
                ),
            );
            await Promise.all(
                masters
                    .filter((m) => m !== to && m !== from)
                    .flatMap((m) => batch.map((slot) => m.call("CLUSTER", "SETSLOT", String(slot), "NODE", move.to).catch(() => undefined))),
            );
        }
    } finally {
        migrator.disconnect();
        deadline.extend(Date.now() - started);
    }
    log(`moved slots ${move.slots.map(formatRange).join(",")} (${slots.length} slots, ${keys} keys) from ${fromName} to ${toName}`);
}
