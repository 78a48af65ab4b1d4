import { strict as assert } from "assert";
import { replicate } from "../../../components/engine/steps/replicate";
import { stepBed } from "../../support/stepBed";

describe("step: replicate", function () {
    this.timeout(20000);
    const bed = stepBed();
    /** r4 (started, empty, in the cluster) to replicate m1. */
    async function r4ToM1() {
        await bed.formed(3, 1);
        await bed.join("r4");
        return [{ node: bed.named("r4").id, masterId: bed.named("m1").id }];
    }

    it("attaches each node to its master", async () => {
        const assignments = await r4ToM1();
        await replicate(bed.pool, await bed.pool.bestView(), assignments, bed.deadline(), bed.record);
        assert.deepEqual([bed.named("r4").role, bed.named("r4").masterId], ["slave", bed.named("m1").id]);
        assert.deepEqual(bed.log, ["replicas attached: r4->m1"]);
    });

    it("run again (a run resumed after it), leaves the replica with its master", async () => {
        const assignments = await r4ToM1();
        await replicate(bed.pool, await bed.pool.bestView(), assignments, bed.deadline(), bed.record);
        await replicate(bed.pool, await bed.pool.bestView(), assignments, bed.deadline(), bed.record);
        assert.deepEqual([bed.named("r4").role, bed.named("r4").masterId], ["slave", bed.named("m1").id]);
        assert.equal(bed.named("m1").role, "master");
    });

    it("with nothing to attach, sends nothing", async () => {
        await bed.formed(3, 1);
        await replicate(bed.pool, await bed.pool.bestView(), [], bed.deadline(), bed.record);
        assert.deepEqual([bed.steps(), bed.log], [[], []]);
    });

    it("waits for a loading node to accept, then attaches it", async () => {
        const assignments = await r4ToM1();
        const view = await bed.pool.bestView();
        bed.named("r4").loadingUntil = Date.now() + 700;
        await replicate(bed.pool, view, assignments, bed.deadline(), bed.record);
        assert.deepEqual([bed.named("r4").role, bed.named("r4").masterId], ["slave", bed.named("m1").id]);
    });

    it("stops at the deadline naming a node that does not answer, and its last error", async () => {
        const assignments = await r4ToM1();
        const view = await bed.pool.bestView();
        bed.named("r4").down = true;
        await assert.rejects(replicate(bed.pool, view, assignments, bed.deadline(1500), bed.record), /timed out while waiting for r4 to accept CLUSTER REPLICATE [0-9a-f]+ \(last error: .*Connection is closed/);
        assert.equal(bed.named("r4").role, "master");
    });
});
