// Backups, pure: the node each shard is read from, slot coverage and an archive's integrity.
import { strict as assert } from "assert";
import * as fs from "fs";
import * as path from "path";
import * as fc from "fast-check";
import { BACKUP_FORMAT, BACKUP_RULES, BackupManifest, FileFacts, MemberState, ShardMembers, archiveProblems, backupSource, coverageProblems, RESTORE_MODES, restoreExpiry, restoreStart } from "../../components/planning/backup";
import { SLOT_COUNT, SlotRange, formatRange } from "../../components/planning/slots";

const member = fc.record({ answers: fc.boolean(), linkUp: fc.boolean(), offset: fc.nat(1000) });
const shardOf = (master: Omit<MemberState, "name">, replicas: Omit<MemberState, "name">[]): ShardMembers => ({
    shard: 2,
    slots: ["5461-10922"],
    master: { name: "m", ...master },
    replicas: replicas.map((r, i) => ({ name: `r${i + 1}`, ...r })),
});

/** `cuts` as the boundaries of contiguous ranges over every slot. */
function partition(cuts: number[]): SlotRange[] {
    const bounds = [...new Set(cuts)].filter((c) => c > 0 && c < SLOT_COUNT).sort((a, b) => a - b);
    const starts = [0, ...bounds];
    return starts.map((start, i) => ({ start, end: (starts[i + 1] ?? SLOT_COUNT) - 1 }));
}

describe("which node a backup reads", () => {
    it("takes the in-sync replica nearest its master, else the master, and never a replica whose link is down (property)", () => {
        fc.assert(
            fc.property(member, fc.array(member, { maxLength: 4 }), (master, replicas) => {
                const shard = shardOf(master, replicas);
                const chosen = backupSource(shard);
                const inSync = shard.replicas.filter((r) => r.answers && r.linkUp);
                if (inSync.length > 0) {
                    assert.ok("node" in chosen && chosen.role === "replica");
                    const picked = shard.replicas.find((r) => r.name === chosen.node)!;
                    assert.ok(picked.answers && picked.linkUp);
                    assert.equal(picked.offset, Math.max(...inSync.map((r) => r.offset!)));
                } else if (master.answers) {
                    assert.deepEqual(chosen, { node: "m", role: "master" });
                } else {
                    assert.ok("problem" in chosen);
                    assert.match(chosen.problem, /^shard 2 \(slots 5461-10922\): its master m does not answer/);
                }
            }),
        );
    });
});

describe("slot coverage of an archive", () => {
    it("accepts every partition of the slots into contiguous ranges, in any order (property)", () => {
        fc.assert(
            fc.property(fc.array(fc.integer({ min: 1, max: SLOT_COUNT - 1 }), { maxLength: 40 }), (cuts) => {
                assert.deepEqual(coverageProblems(partition(cuts).reverse()), []);
            }),
        );
    });

    it("names the gap when a range is missing and the overlap when one is twice (property)", () => {
        fc.assert(
            fc.property(fc.array(fc.integer({ min: 1, max: SLOT_COUNT - 1 }), { minLength: 1, maxLength: 40 }), fc.nat(), (cuts, pick) => {
                const ranges = partition(cuts);
                const victim = ranges[pick % ranges.length];
                assert.deepEqual(coverageProblems(ranges.filter((r) => r !== victim)), [`slots ${formatRange(victim)} are in no shard`]);
                assert.deepEqual(coverageProblems([...ranges, victim]), [`slots ${formatRange(victim)} are in two shards`]);
            }),
        );
    });
});

describe("an archive against its manifest", () => {
    const manifest: BackupManifest = {
        format: BACKUP_FORMAT,
        stack: "dev",
        createdAt: "2026-12-07T16:00:00.000Z",
        redisVersion: "7.0.15",
        shape: { shards: 3, replicasPerShard: 1 },
        shards: ["0-5460", "5461-10922", "10923-16383"].map((slots, i) => ({ shard: i + 1, slots: [slots], node: `redis-${i + 4}`, role: "replica", keys: 10, file: `shard-${i + 1}.rdb`, bytes: 100 + i, sha256: `${i}`.repeat(64) })),
    };
    const files = () => new Map<string, FileFacts>(manifest.shards.map((s) => [s.file, { bytes: s.bytes, sha256: s.sha256 }]));

    it("is whole when every file is there with its size and hash and the slots are covered once", () => {
        assert.deepEqual(archiveProblems(JSON.parse(JSON.stringify(manifest)), files()), []);
    });

    it("names a truncated, a changed and a missing file, and a gap in the slots", () => {
        const f = files();
        f.set("shard-1.rdb", { bytes: 50, sha256: manifest.shards[0].sha256 });
        f.set("shard-2.rdb", { bytes: 101, sha256: "f".repeat(64) });
        f.delete("shard-3.rdb");
        const broken = { ...manifest, shards: [...manifest.shards.slice(0, 2), { ...manifest.shards[2], slots: ["10923-16000"] }] };
        assert.deepEqual(archiveProblems(broken, f), [
            "shard 1: shard-1.rdb has 50 bytes, the manifest says 100 (truncated or replaced)",
            "shard 2: shard-2.rdb does not match its sha256 (changed since the backup)",
            "shard 3: shard-3.rdb is missing",
            "slots 16001-16383 are in no shard",
        ]);
    });

    it("refuses what is not an archive of this format", () => {
        assert.deepEqual(archiveProblems({ ...manifest, format: "something-else/2" }, files()), [`not an archive of this format (format "something-else/2", expected ${BACKUP_FORMAT})`]);
        assert.deepEqual(archiveProblems("[]", files()), ["the manifest is not a JSON object"]);
        assert.deepEqual(archiveProblems({ ...manifest, shards: [] }, files()), ["the manifest lists no shard"]);
    });
});

describe("when a restore may load", () => {
    it("loads into an empty cluster, goes on with its own interrupted restore, loads beside keys only as the mode says, and never over another archive's (property)", () => {
        const id = fc.constantFrom("a".repeat(64), "b".repeat(64));
        fc.assert(
            fc.property(fc.nat(100), fc.option(id, { nil: null }), id, fc.constantFrom(...RESTORE_MODES), (keys, marker, archiveId, mode) => {
                const start = restoreStart(keys, marker, archiveId, mode);
                if (marker !== null && marker !== archiveId) assert.ok("refused" in start && /another archive/.test(start.refused), JSON.stringify(start));
                else if (mode !== "empty") assert.deepEqual(start, { load: mode });
                else if (marker === archiveId) assert.deepEqual(start, { load: "resume" });
                else if (keys === 0) assert.deepEqual(start, { load: "fresh" });
                else assert.ok("refused" in start && new RegExp(`holds ${keys} key.*unless restoreMode is merge or replace`).test(start.refused), JSON.stringify(start));
            }),
        );
    });

    it("gives RESTORE the archive's absolute expiry, 0 for none, and skips a key that is gone", () => {
        assert.equal(restoreExpiry(-1), 0);
        assert.equal(restoreExpiry(-2), undefined);
        assert.equal(restoreExpiry(1796659665123), 1796659665123);
    });
});

describe("the backup user's rules", () => {
    it("are the ones the README tells a person to set", () => {
        const readme = fs.readFileSync(path.join(__dirname, "..", "..", "README.md"), "utf8");
        assert.ok(readme.includes(`'redis-cluster:users[2].rules' '${BACKUP_RULES}'`), "the README's config line");
        assert.ok(readme.includes(`\`${BACKUP_RULES}\` (it reads no key`), "the README's prose");
    });
});
