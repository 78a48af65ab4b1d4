import { strict as assert } from "assert";
import calculateSlot from "cluster-key-slot";
import { moveSlots } from "../../../components/engine/steps/migrate";
import { KEY_NAMES } from "../../support/fakePlans";
import { stepBed } from "../../support/stepBed";

describe("step: migrate", function () {
    this.timeout(30000);
    const bed = stepBed();
    const moving = KEY_NAMES.filter((k) => calculateSlot(k) < 1000);
    const move = () => ({ from: bed.named("m1").id, to: bed.named("m2").id, slots: [{ start: 0, end: 999 }] });
    const openSlots = () => bed.cluster.nodes.filter((n) => n.importing.size + n.migrating.size > 0).map((n) => n.name);

    it("moves slots with their keys and tells every master the new owner", async () => {
        await bed.formed(3, 0);
        const [m1, m2] = [bed.named("m1"), bed.named("m2")];
        assert.ok(moving.length > 0);
        await moveSlots(bed.pool, await bed.pool.view("m1"), move(), bed.deadline(), bed.record);
        assert.ok(moving.every((k) => m2.keys.has(k) && !m1.keys.has(k)), "a key did not move");
        assert.ok(bed.cluster.owner.slice(0, 1000).every((id) => id === m2.id));
        assert.deepEqual(openSlots(), []);
        const seen = (await bed.pool.view("m3")).byId(m2.id)!;
        assert.equal(seen.slots[0].start, 0);
        assert.match(bed.log.join("\n"), new RegExp(`moved slots 0-999 \\(1000 slots, ${moving.length} keys\\) from m1 to m2`));
    });

    it("run again after it was cut off before the new owner was told (a resumed run), finishes the move", async () => {
        await bed.formed(3, 0);
        const view = await bed.pool.view("m1");
        let cut = false;
        bed.cluster.gate = (_node, [name, sub, , how]) => !(name === "CLUSTER" && sub.toUpperCase() === "SETSLOT" && how === "NODE" && !cut && (cut = true));
        await assert.rejects(moveSlots(bed.pool, view, move(), bed.deadline(), bed.record));
        assert.ok(cut);
        // The first batch of slots had its keys copied, and is still open on both ends.
        assert.ok(moving.filter((k) => calculateSlot(k) < 128).every((k) => bed.named("m2").keys.has(k)));
        assert.deepEqual(openSlots(), ["m1", "m2"]);
        await bed.connect();
        await moveSlots(bed.pool, view, move(), bed.deadline(), bed.record);
        assert.ok(bed.cluster.owner.slice(0, 1000).every((id) => id === bed.named("m2").id));
        assert.ok(moving.every((k) => bed.named("m2").keys.has(k) && !bed.named("m1").keys.has(k)));
        assert.deepEqual(openSlots(), []);
    });

    it("stops naming the target when it does not answer, before marking any slot", async () => {
        await bed.formed(3, 0);
        const view = await bed.pool.view("m1");
        bed.named("m2").down = true;
        await bed.connect();
        await assert.rejects(moveSlots(bed.pool, view, move(), bed.deadline(), bed.record), /m2 \(127\.0\.0\.1:\d+\) does not answer/);
        assert.deepEqual([bed.steps(), openSlots()], [[], []]);
        assert.ok(moving.every((k) => bed.named("m1").keys.has(k)));
    });

    it("refuses a move from a node the view does not have, naming it", async () => {
        await bed.formed(3, 0);
        const view = await bed.pool.view("m1");
        await assert.rejects(moveSlots(bed.pool, view, { ...move(), from: "f".repeat(40) }, bed.deadline(), bed.record), /cannot move slots 0-999: node f{40} is not in the cluster/);
        assert.deepEqual(bed.steps(), []);
    });
});
