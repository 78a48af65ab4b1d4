import { strict as assert } from "assert";
import { removeLeavingNodes } from "../../../components/engine/steps/remove";
import { departingNodes } from "../../../components/planning/reshard";
import { endpoint } from "../../../components/planning/topology";
import { planOf } from "../../support/fakePlans";
import { stepBed } from "../../support/stepBed";

describe("step: remove", function () {
    this.timeout(20000);
    const bed = stepBed();

    /** m4 and r4 (empty, in the cluster, outside the plan of 3 shards) leave. */
    async function leavingPair() {
        await bed.formed(3, 1);
        for (const name of ["m4", "r4"]) await bed.join(name);
        await bed.pool.call("r4", "CLUSTER", "REPLICATE", bed.named("m4").id);
        const staying = new Set(bed.spec(planOf(3, 1)).nodes.map(endpoint));
        const leaving = departingNodes((await bed.pool.view("m1")).lines, staying);
        assert.deepEqual(leaving.map((l) => l.id).sort(), [bed.named("m4").id, bed.named("r4").id].sort());
        return leaving;
    }
    const spec = () => bed.spec(planOf(3, 1), ["m4", "r4"]);

    it("resets the leaving nodes and has every staying node forget them", async () => {
        const leaving = await leavingPair();
        await removeLeavingNodes(bed.pool, spec(), leaving, bed.deadline(), bed.record);
        for (const l of leaving) assert.deepEqual(bed.knowing(l.id), [], `${l.id} still known`);
        assert.ok(["m4", "r4"].every((n) => bed.named(n).knows.size === 0 && bed.named(n).role === "master"));
        assert.match(bed.log.join("\n"), /forgetting 2 node\(s\) leaving the cluster/);
    });

    it("run again with the same lines (a resumed run), the staying nodes receive nothing", async () => {
        const leaving = await leavingPair();
        await removeLeavingNodes(bed.pool, spec(), leaving, bed.deadline(), bed.record);
        bed.mark();
        await removeLeavingNodes(bed.pool, spec(), leaving, bed.deadline(), bed.record);
        assert.deepEqual(bed.steps().filter((s) => !/^[mr]4:/.test(s)), []);
        for (const l of leaving) assert.deepEqual(bed.knowing(l.id), []);
    });

    it("refuses to forget a leaving master that does not answer (its keys cannot be checked), naming it; nothing is reset or forgotten", async () => {
        const leaving = await leavingPair();
        const m4 = bed.named("m4");
        m4.down = true;
        await bed.connect();
        await assert.rejects(removeLeavingNodes(bed.pool, spec(), leaving, bed.deadline(), bed.record), /refusing to forget leaving masters that do not answer.*: m4 \(127\.0\.0\.1:\d+\)/);
        assert.deepEqual(bed.steps(), []);
        assert.ok(bed.knowing(m4.id).length > 0);
    });

    it("forgets a leaving replica that does not answer: it holds only a copy of its master's keys", async () => {
        const leaving = await leavingPair();
        const r4 = bed.named("r4");
        r4.down = true;
        await bed.connect();
        await removeLeavingNodes(bed.pool, spec(), leaving, bed.deadline(), bed.record);
        assert.deepEqual(bed.knowing(r4.id).filter((n) => n !== "m4" && n !== "r4"), []);
    });
});
