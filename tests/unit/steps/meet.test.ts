import { strict as assert } from "assert";
import { meetAll } from "../../../components/engine/steps/meet";
import { stepBed } from "../../support/stepBed";

describe("step: meet", function () {
    this.timeout(20000);
    const bed = stepBed();
    const knows = () => bed.cluster.nodes.map((n) => `${n.name}:${[...n.knows].map((id) => bed.cluster.byId(id)!.name).sort().join(",")}`);

    it("makes every planned node know every other", async () => {
        await bed.fresh("m1", "m2", "m3");
        await meetAll(bed.pool, bed.spec(), bed.deadline(), bed.record);
        assert.deepEqual(knows(), ["m1:m2,m3", "m2:m1,m3", "m3:m1,m2"]);
        assert.deepEqual(bed.log, ["meeting 3 nodes", "all 3 nodes know each other"]);
    });

    it("run again, sends no MEET and logs nothing", async () => {
        await bed.fresh("m1", "m2", "m3");
        await meetAll(bed.pool, bed.spec(), bed.deadline(), bed.record);
        bed.mark();
        bed.log.length = 0;
        await meetAll(bed.pool, bed.spec(), bed.deadline(), bed.record);
        assert.deepEqual(bed.steps(), []);
        assert.deepEqual(bed.log, []);
    });

    it("introduces a planned node the others do not know yet, and only it", async () => {
        await bed.fresh("m1", "m2", "m3");
        bed.cluster.form([bed.named("m1"), bed.named("m2")], [], ["0-8191", "8192-16383"]);
        await meetAll(bed.pool, bed.spec(), bed.deadline(), bed.record);
        assert.deepEqual(knows(), ["m1:m2,m3", "m2:m1,m3", "m3:m1,m2"]);
    });

    it("stops naming a planned node that does not answer, having told nobody to meet it", async () => {
        await bed.fresh("m1", "m2", "m3");
        bed.named("m3").down = true;
        bed.mark();
        await assert.rejects(meetAll(bed.pool, bed.spec(), bed.deadline(1500), bed.record), /m3 \(127\.0\.0\.1:\d+\): CLUSTER NODES: Connection is closed/);
        assert.deepEqual(bed.steps(), []);
    });

    it("stops naming a planned node that is loading its data, having told nobody to meet it", async () => {
        await bed.fresh("m1", "m2", "m3");
        bed.named("m2").loadingUntil = Date.now() + 60000;
        bed.mark();
        await assert.rejects(meetAll(bed.pool, bed.spec(), bed.deadline(1500), bed.record), /m2 \(127\.0\.0\.1:\d+\): CLUSTER NODES: LOADING/);
        assert.deepEqual(bed.steps(), []);
    });
});
