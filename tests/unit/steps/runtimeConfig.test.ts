import { strict as assert } from "assert";
import { applyRuntimeConfig, describeRuntimeChange } from "../../../components/engine/steps/runtimeConfig";
import { stepBed } from "../../support/stepBed";

describe("step: directives set at run time (maxmemory, eviction policy, the user's run-time directives)", function () {
    this.timeout(20000);
    const bed = stepBed();
    const names = ["m1", "m2", "m3"];
    const config = (parameter: string) => names.map((n) => bed.named(n).config.get(parameter));
    const saved = (parameter: string) => names.map((n) => bed.named(n).rewritten?.get(parameter));
    const wanted = { maxmemory: "104857600", "maxmemory-policy": "allkeys-lru" };

    it("sets them on every node and saves them with CONFIG REWRITE; again, it changes and rewrites nothing", async () => {
        await bed.fresh(...names);
        assert.deepEqual(await applyRuntimeConfig(bed.pool, names, wanted), names);
        assert.deepEqual(config("maxmemory"), names.map(() => "104857600"));
        assert.deepEqual(saved("maxmemory-policy"), names.map(() => "allkeys-lru"));
        names.forEach((n) => (bed.named(n).rewritten = undefined));
        assert.deepEqual(await applyRuntimeConfig(bed.pool, names, wanted), []);
        assert.deepEqual(saved("maxmemory"), names.map(() => undefined));
    });

    it("touches only the node that differs (one restarted into an older live config)", async () => {
        await bed.fresh(...names);
        await applyRuntimeConfig(bed.pool, names, wanted);
        bed.named("m2").config.set("maxmemory", "0");
        assert.deepEqual(await applyRuntimeConfig(bed.pool, names, wanted), ["m2"]);
        assert.deepEqual(config("maxmemory"), names.map(() => "104857600"));
    });

    it("puts every managed directive it is not given back to Redis's default, also one an old live config brought back", async () => {
        await bed.fresh(...names);
        await applyRuntimeConfig(bed.pool, names, wanted);
        assert.deepEqual(await applyRuntimeConfig(bed.pool, names, { maxmemory: "104857600" }), names);
        assert.deepEqual(saved("maxmemory-policy"), names.map(() => "noeviction"));
        assert.deepEqual(config("maxmemory"), names.map(() => "104857600"));
        bed.named("m1").config.set("maxmemory-policy", "volatile-ttl");
        assert.deepEqual(await applyRuntimeConfig(bed.pool, names, { maxmemory: "104857600" }), ["m1"]);
        assert.deepEqual(config("maxmemory-policy"), names.map(() => "noeviction"));
    });

    it("stops at a value Redis refuses, quoting it, with every other node as it was", async () => {
        await bed.fresh(...names);
        await assert.rejects(applyRuntimeConfig(bed.pool, names, { "maxmemory-policy": "lru-ish" }), /Redis refused maxmemory-policy lru-ish: .*argument\(s\) must be one of the following/);
        assert.deepEqual(config("maxmemory-policy"), names.map(() => "noeviction"));
        assert.deepEqual(saved("maxmemory-policy"), names.map(() => undefined));
    });

    it("refuses, naming each, a directive Redis does not know, a value it refuses and one it takes only at a start, with no node changed", async () => {
        await bed.fresh(...names);
        await assert.rejects(applyRuntimeConfig(bed.pool, names, { "no-such": "1", hz: "often", "io-threads": "4", maxmemory: "104857600" }), (err: Error) => {
            assert.match(err.message, /\n - no-such: Redis has no such directive/);
            assert.match(err.message, /\n - hz often: .*couldn't be parsed into an integer/);
            assert.match(err.message, /\n - io-threads: this Redis takes it only at a start/);
            assert.doesNotMatch(err.message, /maxmemory 104857600/);
            return true;
        });
        assert.deepEqual([config("hz"), config("maxmemory")], [names.map(() => "10"), names.map(() => "0")]);
        assert.deepEqual(saved("hz"), names.map(() => undefined));
        // The memory ceiling is never tried on a node: a lower maxmemory would evict keys there even so.
        const setsMaxmemory = (n: string) => bed.named(n).server.received.some((c) => c[0] === "CONFIG" && c[1]?.toUpperCase() === "SET" && c[2] === "maxmemory");
        assert.deepEqual(names.filter(setsMaxmemory), []);
    });

    it("stops naming a node that does not answer, having changed no other directive there", async () => {
        await bed.fresh(...names);
        bed.named("m3").down = true;
        await assert.rejects(applyRuntimeConfig(bed.pool, names, wanted), /m3 \(127\.0\.0\.1:\d+\): CONFIG GET: Connection is closed/);
        assert.deepEqual(config("maxmemory"), names.map(() => "0"));
    });

    it("tells the preview what each change of a run-time directive does, and nothing when none changes", () => {
        assert.deepEqual(describeRuntimeChange({ hz: "20", "maxmemory-policy": "allkeys-lru" }, { hz: "25", timeout: "300" }, { hz: "10", timeout: "0" }), [
            "hz 20 -> 25",
            "maxmemory-policy allkeys-lru -> noeviction (dropped)",
            "timeout 0 -> 300",
        ]);
        assert.deepEqual(describeRuntimeChange({ hz: "20" }, {}, { hz: "10" }), ["hz 20 -> 10 (dropped)"]);
        assert.deepEqual(describeRuntimeChange({ hz: "20" }, { hz: "20" }, {}), []);
    });
});
