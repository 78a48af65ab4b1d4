import { strict as assert } from "assert";
import calculateSlot from "cluster-key-slot";
import { ClusterView } from "../../../components/planning/clusterView";
import { assignSlots, finishOpenSlots } from "../../../components/engine/steps/slots";
import { KEY_NAMES, planOf } from "../../support/fakePlans";
import { stepBed } from "../../support/stepBed";

describe("step: slots", function () {
    this.timeout(20000);
    const bed = stepBed();
    /** Who owns the first and the last slot of each range, by name. */
    const owners = (...ranges: string[]) =>
        ranges.map((r) => r.split("-").map((s) => bed.cluster.byId(bed.cluster.owner[Number(s)] ?? "")?.name ?? "none").join("-"));

    describe("assigning slots nobody owns", () => {
        it("gives each shard its planned slots, on a new cluster all of them", async () => {
            await bed.fresh("m1", "m2", "m3");
            await assignSlots(bed.pool, bed.spec(), ClusterView.EMPTY, bed.record);
            assert.deepEqual(owners(...planOf(3, 0).slots), ["m1-m1", "m2-m2", "m3-m3"]);
            assert.deepEqual(bed.log, ["slots 0-5460 -> m1", "slots 5461-10922 -> m2", "slots 10923-16383 -> m3"]);
        });

        it("run again on the view it left, assigns nothing", async () => {
            await bed.fresh("m1", "m2", "m3");
            await assignSlots(bed.pool, bed.spec(), ClusterView.EMPTY, bed.record);
            for (const other of ["m2", "m3"]) await bed.join(other);
            bed.mark();
            await assignSlots(bed.pool, bed.spec(), await bed.pool.bestView(), bed.record);
            assert.deepEqual(bed.steps(), []);
        });

        it("gives a shard's missing slots to the node leading it now, a promoted replica, not to its planned master", async () => {
            await bed.fresh("m1", "m2", "m3", "r1", "r2", "r3");
            // r2 took over shard 2 (m2 is its replica now), which lost slots 6001-10922.
            bed.cluster.form([bed.named("m1"), bed.named("r2"), bed.named("m3")], [[bed.named("r1")], [bed.named("m2")], [bed.named("r3")]], ["0-5460", "5461-6000", "10923-16383"]);
            await assignSlots(bed.pool, bed.spec(planOf(3, 1)), await bed.pool.bestView(), bed.record);
            assert.deepEqual(owners("5461-6000", "6001-10922"), ["r2-r2", "r2-r2"]);
            assert.deepEqual(bed.log, ["slots 6001-10922 -> r2"]);
        });

        it("stops naming a shard's leader that does not answer, giving its slots to nobody else", async () => {
            await bed.fresh("m1", "m2", "m3");
            bed.named("m2").down = true;
            await assert.rejects(assignSlots(bed.pool, bed.spec(), ClusterView.EMPTY, bed.record), /m2 \(127\.0\.0\.1:\d+\): CLUSTER ADDSLOTSRANGE: Connection is closed/);
            assert.deepEqual(owners(...planOf(3, 0).slots), ["m1-m1", "none-none", "none-none"]);
        });
    });

    describe("closing slots an interrupted migration left open", () => {
        /** m1 was moving 10 slots, the first holding a key, to m2: both marked. */
        const FIRST = Math.min(...KEY_NAMES.map((k) => calculateSlot(k)));
        const moving = (k: string) => calculateSlot(k) >= FIRST && calculateSlot(k) < FIRST + 10;
        async function interrupted() {
            await bed.formed(3, 0);
            const [m1, m2] = [bed.named("m1"), bed.named("m2")];
            for (let s = FIRST; s < FIRST + 10; s++) {
                m1.migrating.set(s, m2.id);
                m2.importing.set(s, m1.id);
            }
            return { m1, m2 };
        }

        it("finishes the move toward the importing node, keys and all", async () => {
            const { m1, m2 } = await interrupted();
            await finishOpenSlots(bed.pool, bed.spec(), await bed.pool.bestView(), bed.deadline(), bed.record);
            assert.deepEqual(owners(`${FIRST}-${FIRST + 9}`, `${FIRST + 10}`), ["m2-m2", "m1"]);
            assert.deepEqual([m1.migrating.size, m2.importing.size], [0, 0]);
            assert.deepEqual(KEY_NAMES.filter((k) => moving(k) && !(m2.keys.has(k) && !m1.keys.has(k))), [], "a key of a moved slot stayed behind");
            assert.match(bed.log.join("\n"), /finishing an interrupted migration of 10 slot\(s\)/);
        });

        it("closes a slot whose partner is gone (recreated empty), and run again does nothing", async () => {
            const { m1 } = await interrupted();
            const ghost = "f".repeat(40);
            m1.migrating.clear();
            m1.migrating.set(FIRST, ghost);
            bed.named("m2").importing.clear();
            await finishOpenSlots(bed.pool, bed.spec(), await bed.pool.bestView(), bed.deadline(), bed.record);
            assert.deepEqual([m1.migrating.size, owners(`${FIRST}`)], [0, ["m1"]]);
            assert.match(bed.log.join("\n"), /closing 1 open slot\(s\) on m1/);
            bed.mark();
            await finishOpenSlots(bed.pool, bed.spec(), await bed.pool.bestView(), bed.deadline(), bed.record);
            assert.deepEqual(bed.steps(), []);
        });

        it("run again after finishing, does nothing", async () => {
            await interrupted();
            await finishOpenSlots(bed.pool, bed.spec(), await bed.pool.bestView(), bed.deadline(), bed.record);
            bed.mark();
            await finishOpenSlots(bed.pool, bed.spec(), await bed.pool.bestView(), bed.deadline(), bed.record);
            assert.deepEqual(bed.steps(), []);
        });

        it("stops naming a planned node that does not answer (it may carry markers), having moved nothing", async () => {
            const { m1 } = await interrupted();
            const view = await bed.pool.bestView();
            bed.named("m3").down = true;
            bed.mark();
            await assert.rejects(finishOpenSlots(bed.pool, bed.spec(), view, bed.deadline(), bed.record), /m3 \(127\.0\.0\.1:\d+\): CLUSTER NODES: Connection is closed/);
            assert.deepEqual(bed.steps(), []);
            assert.equal(m1.migrating.size, 10);
        });

        it("stops naming the importing node when it does not answer, leaving the slots open and the keys where they are", async () => {
            const { m1, m2 } = await interrupted();
            // Loading: it answers nothing but LOADING, and its own markers are not known.
            const view = await bed.pool.bestView();
            m2.loadingUntil = Date.now() + 60000;
            const keys = m1.keys.size;
            await assert.rejects(finishOpenSlots(bed.pool, bed.spec(), view, bed.deadline(1500), bed.record), /m2 \(127\.0\.0\.1:\d+\): CLUSTER NODES: LOADING/);
            assert.deepEqual([m1.migrating.size, m2.importing.size, m1.keys.size, owners(`${FIRST}-${FIRST + 9}`)], [10, 10, keys, ["m1-m1"]]);
        });
    });
});
