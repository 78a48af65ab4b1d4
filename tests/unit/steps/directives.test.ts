import { strict as assert } from "assert";
import { judgeDirectives, judgeDirectivesOnAnyNode } from "../../../components/engine/steps/directives";
import { stepBed } from "../../support/stepBed";

describe("step: Redis judges the user's redis.conf directives before any node restarts", function () {
    this.timeout(20000);
    const bed = stepBed();
    const names = ["m1", "m2", "m3"];
    const known = () => names.forEach((n) => ["hz", "io-threads"].forEach((d, i) => bed.named(n).config.set(d, ["10", "1"][i])));

    it("takes known directives and values, and leaves the probed node as it was", async () => {
        await bed.fresh(...names);
        known();
        assert.deepEqual(await judgeDirectives(bed.pool, "m1", [["hz", "20"], ["io-threads", "4"]]), []);
        assert.equal(bed.named("m1").config.get("hz"), "10");
        assert.equal(bed.named("m1").config.get("io-threads"), "1");
    });

    it("names each unknown directive and quotes each value Redis refuses, changing nothing", async () => {
        await bed.fresh(...names);
        known();
        const refusals = await judgeDirectives(bed.pool, "m1", [["hz", "often"], ["no-such-thing", "1"]]);
        assert.equal(refusals.length, 2);
        assert.match(refusals[0], /^hz often: ERR CONFIG SET failed \(possibly related to argument 'hz'\) - argument couldn't be parsed into an integer$/);
        assert.match(refusals[1], /^no-such-thing: Redis has no such directive/);
        assert.equal(bed.named("m1").config.get("hz"), "10");
        await assert.rejects(judgeDirectivesOnAnyNode(names.map((n) => bed.address(n)), { access: {} }, [["no-such-thing", "1"]]), /Redis refused redis-cluster:redisConfig on m1, so no node was restarted:\n - no-such-thing: Redis has no such directive/);
    });

    it("asks the first node that answers", async () => {
        await bed.fresh(...names);
        known();
        bed.named("m1").down = true;
        await assert.rejects(judgeDirectivesOnAnyNode(names.map((n) => bed.address(n)), { access: {} }, [["hz", "x"]]), /Redis refused redis-cluster:redisConfig on m2/);
    });
});
