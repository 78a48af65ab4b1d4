import { strict as assert } from "assert";
import fc from "fast-check";
import * as fs from "fs";
import * as path from "path";
import { PERSISTENCE_MODES, REDIS_DEFAULT_SAVE, keepNothingStartScript, keepsNothing, persistenceLines, resolvePersistence } from "../../components/planning/persistence";
import { resolveSettings } from "../../components/planning/settings";
import { renderRedisConf } from "../../components/planning/redisConf";
import { planCluster } from "../../components/planning/plan";
import { startScriptBed } from "../support/startScriptBed";

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
        assert.deepEqual(linesFor({ persistence: "none" }), ["appendonly no", 'save ""', "rdb-del-sync-files yes"]);
    });

    it("keeps nothing only in mode none", () => {
        for (const mode of [undefined, ...PERSISTENCE_MODES]) {
            for (const appendonly of [true, false]) {
                assert.equal(keepsNothing(resolvePersistence({ persistence: mode }, appendonly, key).persistence), mode === "none", `${mode} ${appendonly}`);
            }
        }
    });

    it("takes any schedule of positive pairs, and refuses anything else, naming the key (property)", () => {
        const pair = fc.tuple(fc.integer({ min: 1, max: 1e6 }), fc.integer({ min: 1, max: 1e6 }));
        fc.assert(
            fc.property(fc.array(pair, { minLength: 1, maxLength: 5 }), fc.constantFrom(...PERSISTENCE_MODES.filter((m) => m === "rdb" || m === "aof+rdb")), (pairs, mode) => {
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
        ["an unknown mode", { persistence: "disk" }, /redis-cluster:persistence "disk" is not one of aof, rdb, aof\+rdb, none/],
        ["an unknown fsync policy", { appendfsync: "sometimes" }, /redis-cluster:appendfsync "sometimes" is not one of everysec, always, no/],
        ["a schedule without a mode", { save: "900 1" }, /redis-cluster:save needs redis-cluster:persistence rdb or aof\+rdb/],
        ["a schedule with aof alone", { persistence: "aof", save: "900 1" }, /persistence aof takes no snapshots: use aof\+rdb/],
        ["a schedule with none", { persistence: "none", save: "900 1" }, /persistence none takes no snapshots: use rdb/],
    ];
    for (const [what, raw, message] of refused) {
        it(`refuses ${what}`, () => assert.match(resolvePersistence(raw, true, key).problems.join("\n"), message));
    }

    it("warns where a setting does nothing, or what rdb can lose", () => {
        assert.match(resolvePersistence({ persistence: "aof" }, false, key).warnings.join(), /appendonly false is ignored: redis-cluster:persistence aof decides/);
        assert.match(resolvePersistence({ persistence: "rdb", appendfsync: "always" }, true, key).warnings.join(), /appendfsync always does nothing/);
        assert.match(resolvePersistence({ persistence: "rdb" }, true, key).warnings.join(), /loses the writes since then, on its replicas too/);
        assert.match(resolvePersistence({ persistence: "none" }, true, key).warnings.join(), /nodes keep nothing on disk.*without a replica its keys are lost/);
        assert.match(resolvePersistence({ persistence: "none", appendfsync: "no" }, true, key).warnings.join(), /appendfsync no does nothing with redis-cluster:persistence none/);
        assert.equal(resolveSettings({ persistence: "rdb" }, "redis:7.2").settings.appendonly, false);
    });
});

describe("a node without persistence, as it starts (sh and awk as in the image)", () => {
    const bed = startScriptBed("keep-nothing");
    const file = (name: string) => path.join(bed.dir, name);
    const age = (name: string, secondsAgo: number) => fs.utimesSync(file(name), new Date(Date.now() - secondsAgo * 1000), new Date(Date.now() - secondsAgo * 1000));
    /** Runs the script's lines in the bed; returns whether the snapshot is left and how long it waited (undefined: not at all). */
    const start = (nodeTimeoutMs = 5000) => {
        fs.writeFileSync(file("redis.conf"), `port 6379\ncluster-node-timeout ${nodeTimeoutMs}\n`);
        fs.rmSync(file("slept"), { force: true });
        fs.writeFileSync(file("bin/sleep"), `#!/bin/sh\necho "$1" > '${file("slept")}'\n`, { mode: 0o755 });
        bed.run([...keepNothingStartScript(file("redis.conf"), bed.dir), `exec redis-server ${file("redis.conf")}`].join("\n"), file("redis.conf"));
        return { snapshot: fs.existsSync(file("dump.rdb")), slept: fs.existsSync(file("slept")) ? Number(fs.readFileSync(file("slept"), "utf8")) : undefined };
    };

    it("loads the snapshot the stop before its first start saved, and one saved since its last start; drops an older one", () => {
        fs.writeFileSync(file("dump.rdb"), "saved as it stopped");
        assert.deepEqual(start(), { snapshot: true, slept: undefined });
        age(".started", 60);
        assert.deepEqual(start(), { snapshot: true, slept: undefined }, "saved since the last start (a restart of pulumi up's)");
        age("dump.rdb", 120);
        assert.deepEqual(start(), { snapshot: false, slept: undefined }, "older than the last start: a crash, nothing was saved");
    });

    // nodes.conf of a cluster of `shards` masters; `replicaOf[i]`: the master index of replica i; myself is `me` (an index into masters then replicas).
    const nodesConf = (shards: number, replicaOf: number[], me: number, withSlots: boolean) => {
        const id = (i: number) => String(i).padStart(40, "0");
        const lines = Array.from({ length: shards }, (_, i) => `${id(i)} 10.9.0.${i + 1}:6379@16379 ${i === me ? "myself," : ""}master - 0 0 ${i + 1} connected${withSlots ? ` ${i * 100}-${i * 100 + 99}` : ""}`);
        replicaOf.forEach((m, r) => lines.push(`${id(shards + r)} 10.9.0.${shards + r + 1}:6379@16379 ${shards + r === me ? "myself," : ""}slave ${id(m)} 0 0 ${m + 1} connected`));
        return lines.join("\n") + "\nvars currentEpoch 9 lastVoteEpoch 0\n";
    };

    it("waits two node timeouts and a bit exactly when it was a master of slots with a replica (property)", () => {
        fc.assert(
            fc.property(
                fc.integer({ min: 1, max: 4 }).chain((shards) =>
                    fc.record({
                        shards: fc.constant(shards),
                        replicaOf: fc.array(fc.integer({ min: 0, max: shards - 1 }), { maxLength: 4 }),
                        me: fc.nat(),
                        withSlots: fc.boolean(),
                        nodeTimeoutMs: fc.integer({ min: 100, max: 60000 }),
                    }),
                ),
                ({ shards, replicaOf, me, withSlots, nodeTimeoutMs }) => {
                    const myself = me % (shards + replicaOf.length);
                    fs.writeFileSync(file("nodes.conf"), nodesConf(shards, replicaOf, myself, withSlots));
                    const waits = myself < shards && withSlots && replicaOf.includes(myself);
                    const { slept } = start(nodeTimeoutMs);
                    assert.equal(slept, waits ? Math.floor((2 * nodeTimeoutMs + 2999) / 1000) : undefined);
                    if (waits) assert.ok(slept! * 1000 >= 2 * nodeTimeoutMs + 2000);
                },
            ),
            { numRuns: 40 },
        );
    });
});
