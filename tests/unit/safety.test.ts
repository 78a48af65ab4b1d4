import { strict as assert } from "assert";
import fc from "fast-check";
import { isDowngrade, redisVersionOf } from "../../components/planning/image";
import { ClusterIdentity, refusedChanges } from "../../components/planning/safety";
import { changeGuardProvider } from "../../components/providers/guard";

const deployed: ClusterIdentity = {
    namePrefix: "redis",
    subnet: "10.38.0.0/24",
    gateway: "10.38.0.1",
    firstNodeIp: "10.38.0.11",
    image: "redis-cluster-local/redis:7.0.15",
};

describe("change safety", () => {
    it("lets a new stack through whatever it asks for", () => {
        assert.deepEqual(refusedChanges(undefined, { ...deployed, namePrefix: "cache" }, false), []);
    });

    it("lets unchanged and harmless changes through (a newer image)", () => {
        assert.deepEqual(refusedChanges(deployed, deployed, false), []);
        assert.deepEqual(refusedChanges(deployed, { ...deployed, image: "redis:7.2" }, false), []);
    });

    it("refuses a rename, even with allowFullRestart, naming the key and the way back", () => {
        for (const allow of [false, true]) {
            const [reason, ...rest] = refusedChanges(deployed, { ...deployed, namePrefix: "cache" }, allow);
            assert.deepEqual(rest, []);
            assert.match(reason, /^redis-cluster:namePrefix changed from "redis" to "cache": that would delete every container, data volume/);
            assert.match(reason, /pulumi config set redis-cluster:namePrefix redis/);
        }
    });

    for (const k of ["subnet", "gateway", "firstNodeIp"] as const) {
        it(`refuses a ${k} change unless allowFullRestart is set`, () => {
            const next = { ...deployed, [k]: k === "subnet" ? "10.39.0.0/24" : "10.38.0.254" };
            const [reason] = refusedChanges(deployed, next, false);
            assert.match(reason, new RegExp(`^redis-cluster:${k} changed from ${deployed[k].replace(/[./]/g, "\\$&")} to `));
            assert.match(reason, /every node stops at the same time \(the data stays on the volumes\)/);
            assert.match(reason, /pulumi config set redis-cluster:allowFullRestart true/);
            assert.deepEqual(refusedChanges(deployed, next, true), []);
        });
    }

    it("lets hosts be added at the end, and refuses any other change of the host list (nodes would leave their data)", () => {
        const h1 = "h1=unix:///a@10.0.0.1";
        const h2 = "h2=unix:///b@10.0.0.2";
        const h3 = "h3=unix:///c@10.0.0.3";
        const before = { ...deployed, hosts: `${h1},${h2}` };
        assert.deepEqual(refusedChanges(before, { ...before, hosts: `${h1},${h2},${h3}` }, false), []);
        for (const hosts of [h1, `${h2},${h1}`, `${h1},h2=unix:///b@10.0.0.9`, `${h3},${h1},${h2}`, ""]) {
            const [reason] = refusedChanges(before, { ...before, hosts }, true);
            assert.match(reason ?? "", /^redis-cluster:hosts changed other than by adding hosts at the end: .*new hosts may be added after them/, hosts);
        }
        // From one local engine to hosts would recreate every node elsewhere.
        assert.equal(refusedChanges({ ...deployed, hosts: "" }, { ...deployed, hosts: h1 }, true).length, 1);
        // State written before hosts existed has no list: that is one local engine, as before.
        assert.deepEqual(refusedChanges(deployed, { ...deployed, hosts: "" }, false), []);
    });

    it("refuses going back to an older Redis minor version, naming both, unless allowDowngrade says no node runs the newer one", () => {
        const [reason] = refusedChanges({ ...deployed, image: "redis:7.2.4" }, { ...deployed, image: "redis:7.0.15" }, true);
        assert.match(reason, /^redis-cluster:image changed from redis:7\.2\.4 \(Redis 7\.2\.4\) to redis:7\.0\.15 \(Redis 7\.0\.15\)/);
        assert.match(reason, /pulumi config set redis-cluster:allowDowngrade true/);
        assert.deepEqual(refusedChanges({ ...deployed, image: "redis:7.2.4" }, { ...deployed, image: "redis:7.0.15" }, false, true), []);
    });

    it("reads versions from tags, also behind a registry port, and only from tags", () => {
        assert.deepEqual(redisVersionOf("redis:7.2"), [7, 2, 0]);
        assert.deepEqual(redisVersionOf("redis:7.2.4-alpine"), [7, 2, 4]);
        assert.deepEqual(redisVersionOf("registry:5000/team/redis:8.0.1"), [8, 0, 1]);
        assert.equal(redisVersionOf("registry:5000/team/redis"), undefined);
        assert.equal(redisVersionOf("redis:latest"), undefined);
        assert.equal(redisVersionOf("redis@sha256:abcd"), undefined);
    });

    it("calls a change a downgrade exactly when major.minor goes down (property)", () => {
        const version = fc.tuple(fc.nat(20), fc.nat(20), fc.nat(30));
        fc.assert(
            fc.property(version, version, (a, b) => {
                const expected = b[0] < a[0] || (b[0] === a[0] && b[1] < a[1]);
                assert.equal(isDowngrade(a, b), expected);
                assert.deepEqual(redisVersionOf(`redis:${b.join(".")}`), b);
            }),
        );
    });

    it("fails the guard's check (preview and up alike) with the reasons, and passes a first run", async () => {
        const refused = await changeGuardProvider.check!({ identity: deployed, allowFullRestart: false }, { identity: { ...deployed, gateway: "10.38.0.254" }, allowFullRestart: false });
        assert.equal(refused.failures?.length, 1);
        assert.match(refused.failures![0].reason, /redis-cluster:gateway changed from 10\.38\.0\.1 to 10\.38\.0\.254/);
        const first = await changeGuardProvider.check!({}, { identity: deployed, allowFullRestart: false });
        assert.deepEqual(first.failures, []);
    });
});
