import { strict as assert } from "assert";
import { copyFunctions } from "../../../components/engine/steps/functions";
import { stepBed } from "../../support/stepBed";

describe("step: functions", function () {
    this.timeout(20000);
    const bed = stepBed();
    const LIB = "#!lua name=counters\nredis.register_function('bump', function(keys) return redis.call('INCR', keys[1]) end)";
    const libraries = (name: string) => [...bed.named(name).functions.keys()];

    /** Three masters with the library, and m4, a new empty master, to lead a fourth shard. */
    async function newMaster() {
        await bed.formed(3, 0);
        await bed.join("m4");
        for (const m of ["m1", "m2", "m3"]) await bed.pool.call(m, "FUNCTION", "LOAD", LIB);
        const view = await bed.pool.view("m1");
        return { view, leaders: ["m1", "m2", "m3", "m4"].map((n) => bed.named(n).id) };
    }

    it("copies the masters' function libraries to a new master", async () => {
        const { view, leaders } = await newMaster();
        await copyFunctions(bed.pool, view, leaders, bed.record);
        assert.deepEqual(libraries("m4"), ["counters"]);
        assert.deepEqual(bed.log, ["copied 1 function library to 1 new master(s)"]);
    });

    it("run again, restores nothing", async () => {
        const { view, leaders } = await newMaster();
        await copyFunctions(bed.pool, view, leaders, bed.record);
        bed.mark();
        await copyFunctions(bed.pool, view, leaders, bed.record);
        assert.deepEqual(bed.steps(), []);
    });

    it("with no library anywhere, sends nothing", async () => {
        await bed.formed(3, 0);
        await copyFunctions(bed.pool, await bed.pool.view("m1"), ["m1", "m2", "m3"].map((n) => bed.named(n).id), bed.record);
        assert.deepEqual([bed.steps(), bed.log], [[], []]);
    });

    it("stops naming a leader that does not answer, before restoring anything anywhere", async () => {
        const { view, leaders } = await newMaster();
        bed.named("m4").down = true;
        await bed.connect();
        await assert.rejects(copyFunctions(bed.pool, view, leaders, bed.record), /m4 \(127\.0\.0\.1:\d+\) does not answer/);
        assert.deepEqual(bed.steps(), []);
    });
});
