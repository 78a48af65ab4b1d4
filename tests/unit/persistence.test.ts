import { strict as assert } from "assert";
import fc from "fast-check";
import { PERSISTENCE_MODES, REDIS_DEFAULT_SAVE, persistenceLines, resolvePersistence } from "../../components/planning/persistence";
import { resolveSettings } from "../../components/planning/settings";
import { renderRedisConf } from "../../components/planning/redisConf";
import { planCluster } from "../../components/planning/plan";

const key = (name: string) => `redis-cluster:${name}`;
const linesFor = (raw: Parameters<typeof resolvePersistence>[0], appendonly = true) => {
    const r = resolvePersistence(raw, appendonly, key);
    assert.deepEqual(r.problems, []);
    return persistenceLines(r.persistence);
};

describe("persistence", () => {
    it("without a mode renders what appendonly always rendered, so existing stacks see no change", () => {
        assert.deepEqual(linesFor({}, true), ["appendonly yes"]);
        assert.deepEqual(linesFor({}, false), ["appendonly no"]);
        const conf = (raw: Record<string, string>) => {
            const s = resolveSettings(raw, "redis:7.2").settings;
            return renderRedisConf(planCluster(s).nodes[0], s);
        };
        assert.match(conf({}), /\nappendonly yes\nrepl-diskless-sync-delay 0\n/);
        assert.doesNotMatch(conf({}), /save|appendfsync/);
    });

    it("renders each mode: aof without snapshots, rdb without the AOF, aof+rdb with both; naming a mode as it ran changes nothing", () => {
        assert.deepEqual(linesFor({ persistence: "aof" }), ["appendonly yes", 'save ""']);
        assert.deepEqual(linesFor({ persistence: "rdb" }), ["appendonly no"]);
        assert.deepEqual(linesFor({ persistence: "aof+rdb" }), ["appendonly yes"]);
        assert.deepEqual(linesFor({ persistence: "RDB", save: "900 1" }), ["appendonly no", 'save "900 1"']);
        assert.deepEqual(linesFor({ persistence: "aof+rdb", save: `  ${REDIS_DEFAULT_SAVE.replace(/ /g, "   ")} ` }), ["appendonly yes"]);
        assert.deepEqual(linesFor({ persistence: "aof", appendfsync: "always" }), ["appendonly yes", 'save ""', "appendfsync always"]);
        assert.deepEqual(linesFor({ appendfsync: "no" }), ["appendonly yes", "appendfsync no"]);
    });

    it("takes any schedule of positive pairs, and refuses anything else, naming the key (property)", () => {
        const pair = fc.tuple(fc.integer({ min: 1, max: 1e6 }), fc.integer({ min: 1, max: 1e6 }));
        fc.assert(
            fc.property(fc.array(pair, { minLength: 1, maxLength: 5 }), fc.constantFrom(...PERSISTENCE_MODES.filter((m) => m !== "aof")), (pairs, mode) => {
                const save = pairs.flat().join(" ");
                const { persistence, problems } = resolvePersistence({ persistence: mode, save }, true, key);
                assert.deepEqual(problems, []);
                assert.equal(persistence.save, save === REDIS_DEFAULT_SAVE ? undefined : save);
            }),
        );
        for (const bad of ["3600", "3600 1 300", "0 1", "3600 -1", "every hour", "3600 1.5"]) {
            assert.match(resolvePersistence({ persistence: "rdb", save: bad }, true, key).problems.join(), /redis-cluster:save ".*" is not a snapshot schedule/, bad);
        }
    });

    const refused: [string, Parameters<typeof resolvePersistence>[0], RegExp][] = [
        ["an unknown mode", { persistence: "disk" }, /redis-cluster:persistence "disk" is not one of aof, rdb, aof\+rdb/],
        ["an unknown fsync policy", { appendfsync: "sometimes" }, /redis-cluster:appendfsync "sometimes" is not one of everysec, always, no/],
        ["a schedule without a mode", { save: "900 1" }, /redis-cluster:save needs redis-cluster:persistence rdb or aof\+rdb/],
        ["a schedule with aof alone", { persistence: "aof", save: "900 1" }, /persistence aof takes no snapshots: use aof\+rdb/],
    ];
    for (const [what, raw, message] of refused) {
        it(`refuses ${what}`, () => assert.match(resolvePersistence(raw, true, key).problems.join("\n"), message));
    }

    it("warns where a setting does nothing, or what rdb can lose", () => {
        assert.match(resolvePersistence({ persistence: "aof" }, false, key).warnings.join(), /appendonly false is ignored: redis-cluster:persistence aof decides/);
        assert.match(resolvePersistence({ persistence: "rdb", appendfsync: "always" }, true, key).warnings.join(), /appendfsync always does nothing/);
        assert.match(resolvePersistence({ persistence: "rdb" }, true, key).warnings.join(), /loses the writes since its last snapshot/);
        assert.equal(resolveSettings({ persistence: "rdb" }, "redis:7.2").settings.appendonly, false);
    });
});
