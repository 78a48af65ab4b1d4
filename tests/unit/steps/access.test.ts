import { strict as assert } from "assert";
import { applyAccessCommands, applyCurrentAccess, checkRulesWithRedis, judgeRulesOnAnyNode } from "../../../components/engine/steps/access";
import { PermanentError } from "../../../components/engine/wait";
import { stepBed } from "../../support/stepBed";

describe("step: access", function () {
    this.timeout(20000);
    const bed = stepBed();
    const names = ["m1", "m2", "m3"];
    const users = (name: string) => [...bed.named(name).users.keys()].sort();

    describe("the end of a change: only what the config says", () => {
        const app = { name: "app", password: "app-pw", rules: "~app:* +get +set" };

        it("sets the password, and deletes users the config does not have (outside ACL mode: all but default)", async () => {
            await bed.fresh(...names);
            await bed.pool.call("m1", "ACL", "SETUSER", "stale", "on", ">x");
            await applyCurrentAccess(bed.pool, names, { password: "pw" }, [app]);
            assert.deepEqual(names.map(users), names.map(() => ["default"]));
            assert.deepEqual(names.map((n) => bed.named(n).config.get("requirepass")), ["pw", "pw", "pw"]);
            assert.deepEqual(bed.named("m3").users.get("default")!.slice(-1), [">pw"]);
        });

        it("run again, ends with the same users and settings", async () => {
            await bed.fresh(...names);
            await applyCurrentAccess(bed.pool, names, { password: "pw" }, [app]);
            const state = () => bed.cluster.nodes.map((n) => JSON.stringify([[...n.users.keys()], [...n.config], n.users.get("default")!.slice(-3)]));
            const before = state();
            await applyCurrentAccess(bed.pool, names, { password: "pw" }, [app]);
            assert.deepEqual(state(), before);
        });

        it("stops naming a node that does not answer", async () => {
            await bed.fresh(...names);
            bed.named("m2").down = true;
            await assert.rejects(applyCurrentAccess(bed.pool, names, { password: "pw" }, [app]), /m2 \(127\.0\.0\.1:\d+\): ACL USERS: Connection is closed/);
        });
    });

    it("runs the commands of a change on each named node, in order", async () => {
        await bed.fresh(...names);
        await applyAccessCommands(bed.pool, ["m1", "m3"], [["ACL", "SETUSER", "ops", "on"], ["ACL", "SETUSER", "ops", "+get"]]);
        assert.deepEqual([users("m1"), users("m2"), users("m3")], [["default", "ops"], ["default"], ["default", "ops"]]);
        assert.deepEqual(bed.named("m1").users.get("ops"), ["on", "+get"]);
        bed.named("m3").loadingUntil = Date.now() + 60000;
        await assert.rejects(applyAccessCommands(bed.pool, ["m3"], [["ACL", "SETUSER", "ops", "on"]]), /m3 \(127\.0\.0\.1:\d+\): ACL SETUSER: LOADING/);
    });

    describe("Redis judging the users' rules first", () => {
        it("accepts rules Redis takes, leaving no probe user behind, and again the same", async () => {
            await bed.fresh(...names);
            for (let i = 0; i < 2; i++) await checkRulesWithRedis(bed.pool, "m1", [{ name: "app", rules: "~app:* +get +set" }]);
            assert.deepEqual(users("m1"), ["default"]);
        });

        it("refuses, for good, a rule naming a command Redis does not have, saying whose; no user changes", async () => {
            await bed.fresh(...names);
            const judged = checkRulesWithRedis(bed.pool, "m1", [{ name: "app", rules: "~app:* +get" }, { name: "ops", rules: "+nosuchcommand" }]);
            await assert.rejects(judged, (err: Error) => err instanceof PermanentError && /Redis refused the rules of user "ops", nothing was changed: ERR Error in ACL SETUSER modifier '\+nosuchcommand'/.test(err.message));
            assert.deepEqual(users("m1"), ["default"]);
        });

        it("judges on the first node that answers, and with none answering judges nothing (a new cluster)", async () => {
            await bed.fresh(...names);
            bed.named("m1").down = true;
            const nodes = names.map((n) => bed.address(n));
            await assert.rejects(judgeRulesOnAnyNode(nodes, { access: {} }, [{ name: "ops", rules: "+nosuchcommand" }]), /user "ops"/);
            assert.ok(bed.named("m2").server.received.some((c) => c[0] === "ACL" && c[1] === "SETUSER"), "judged elsewhere than on the first answering node");
            for (const n of names) bed.named(n).down = true;
            await judgeRulesOnAnyNode(nodes, { access: {} }, [{ name: "ops", rules: "+nosuchcommand" }]);
        });
    });
});
