import { strict as assert } from "assert";
import { NO_REPLICA_MIGRATION_BARRIER, disableReplicaMigration, setNodeTimeout } from "../../../components/engine/steps/nodeTimeout";
import { stepBed } from "../../support/stepBed";

describe("step: node timeout and replica migration", function () {
    this.timeout(20000);
    const bed = stepBed();
    const names = ["m1", "m2", "m3"];
    const config = (parameter: string) => names.map((n) => bed.named(n).config.get(parameter));

    it("sets cluster-node-timeout on the named nodes, and again to the same value changes nothing", async () => {
        await bed.fresh(...names);
        await setNodeTimeout(bed.pool, names, 500);
        assert.deepEqual(config("cluster-node-timeout"), ["500", "500", "500"]);
        await setNodeTimeout(bed.pool, names, 500);
        assert.deepEqual(config("cluster-node-timeout"), ["500", "500", "500"]);
        assert.deepEqual(await bed.pool.call("m1", "CONFIG", "GET", "cluster-node-timeout"), ["cluster-node-timeout", "500"]);
    });

    it("turns replica migration off, and again leaves it off", async () => {
        await bed.fresh(...names);
        await disableReplicaMigration(bed.pool, names);
        await disableReplicaMigration(bed.pool, names);
        assert.deepEqual(config("cluster-migration-barrier"), names.map(() => String(NO_REPLICA_MIGRATION_BARRIER)));
    });

    it("stops naming a node that does not answer; the others get the value", async () => {
        await bed.fresh(...names);
        bed.named("m2").down = true;
        await assert.rejects(setNodeTimeout(bed.pool, names, 500), /m2 \(127\.0\.0\.1:\d+\): CONFIG SET: Connection is closed/);
        assert.deepEqual(config("cluster-node-timeout"), ["500", "15000", "500"]);
    });

    it("stops naming a node that is loading", async () => {
        await bed.fresh(...names);
        bed.named("m3").loadingUntil = Date.now() + 60000;
        await assert.rejects(disableReplicaMigration(bed.pool, names), /m3 \(127\.0\.0\.1:\d+\): CONFIG SET: LOADING/);
    });
});
