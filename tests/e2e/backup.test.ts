// `npm run backup` against a 3x1 cluster with a password while a client writes: an archive of every
// shard, read from the replicas, each file what its manifest says; each shard's RDB then opened by a
// standalone Redis of its own and read by ioredis: every key written before the backup is there, in
// its shard's file only. A shard none of whose nodes answers fails the backup, naming it, leaving no archive.
import { strict as assert } from "assert";
import { spawnSync } from "child_process";
import { createHash } from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import calculateSlot from "cluster-key-slot";
import { Redis } from "ioredis";
import { runBackup } from "../support/backup";
import { docker } from "../support/docker";
import { TestStack, createTestStack } from "../support/stack";
import { eventually, redisCli, scanAll, withClusterClient, writeKeys } from "../support/redis";
import { ContinuousWriter } from "../support/writer";
import { BackupManifest, MANIFEST_FILE } from "../../components/planning/backup";
import { parseRange } from "../../components/planning/slots";
import { preparedImage } from "../../scripts/preparedImage";

const PREFIX = "e2e-p";
const SUBNET = "10.232.0.0/24";
const SEEDS = ["10.232.0.11:6379"];
const PASSWORD = "e2e-Bk-pw-2Qm";
const KEYS = 20000;
const names = [1, 2, 3, 4, 5, 6].map((i) => `${PREFIX}-${i}`);

/** Opens `file` of `dir` in a standalone Redis container of its own (no cluster, no password), for `use`. */
async function withStandalone<T>(dir: string, file: string, use: (c: Redis) => Promise<T>): Promise<T> {
    const name = `${PREFIX}-archive-check`;
    spawnSync("docker", ["rm", "-f", name]);
    docker("run", "-d", "--name", name, "-v", `${dir}:/archive:ro`, "--entrypoint", "redis-server", preparedImage(), "--dir", "/archive", "--dbfilename", file, "--save", "", "--appendonly", "no", "--protected-mode", "no");
    const c = new Redis({ host: docker("inspect", "-f", "{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}", name), lazyConnect: true, maxRetriesPerRequest: 1 });
    c.on("error", () => undefined);
    try {
        await eventually(`${file} to be loaded`, 30000, async () => {
            try {
                if (c.status !== "ready") await c.connect();
                return /loading:0/.test(String(await c.call("INFO", "persistence"))) ? true : undefined;
            } catch {
                return undefined;
            }
        });
        return await use(c);
    } finally {
        c.disconnect();
        spawnSync("docker", ["rm", "-f", name]);
    }
}

describe("backup: an archive of every shard, taken while a client writes", function () {
    this.timeout(10 * 60 * 1000);
    let t: TestStack;
    let work: string;
    let archive: string;
    let manifest: BackupManifest;

    before(async () => {
        t = await createTestStack(PREFIX, { namePrefix: PREFIX, subnet: SUBNET, hostPortBase: "0" }, { password: PASSWORD });
        await t.up();
        await withClusterClient(SEEDS, PASSWORD, (c) => writeKeys(c, KEYS, "bk"));
        work = fs.mkdtempSync(path.join(os.tmpdir(), "redis-cluster-backup-"));
    });
    after(async () => {
        for (const n of names) spawnSync("docker", ["unpause", n]);
        await t?.destroyAndRemove();
        if (work) fs.rmSync(work, { recursive: true, force: true });
    });

    it("writes a checked archive from the replicas, with progress per shard, while a client writes", async () => {
        const result = await withClusterClient(SEEDS, PASSWORD, async (c) => {
            const writer = new ContinuousWriter(c, "live").start();
            const began = Date.now();
            try {
                return await runBackup(t.name, work);
            } finally {
                assert.ok(writer.acknowledgedBetween(began, Date.now()), "the client wrote during the backup");
                await writer.stop();
            }
        });
        assert.equal(result.code, 0, result.output);
        for (const n of [1, 2, 3]) assert.match(result.output, new RegExp(`shard ${n}/3 \\(slots [0-9,-]+\\): BGSAVE on ${PREFIX}-\\d \\(replica\\) \\.\\.\\. \\d+ keys`), result.output);
        archive = result.output.trim().split("\n").pop()!;
        assert.equal(path.dirname(archive), work);
        assert.deepEqual(fs.readdirSync(work), [path.basename(archive)], "no partial directory is left beside it");
        manifest = JSON.parse(fs.readFileSync(path.join(archive, MANIFEST_FILE), "utf8"));
        assert.equal(manifest.stack, t.name);
        assert.deepEqual(manifest.shape, { shards: 3, replicasPerShard: 1 });
        assert.match(manifest.redisVersion, /^7\./);
        assert.deepEqual(manifest.shards.map((s) => s.slots), [["0-5460"], ["5461-10922"], ["10923-16383"]]);
        for (const s of manifest.shards) {
            const data = new Uint8Array(fs.readFileSync(path.join(archive, s.file)));
            assert.equal(s.role, "replica");
            assert.equal(data.length, s.bytes, s.file);
            assert.equal(createHash("sha256").update(data).digest("hex"), s.sha256, s.file);
        }
    });

    it("holds every key written before the backup, each in its shard's file alone, as many as the manifest says", async () => {
        for (const s of manifest.shards) {
            const ranges = s.slots.map(parseRange);
            const mine = (key: string) => ranges.some((r) => calculateSlot(key) >= r.start && calculateSlot(key) <= r.end);
            const expected = Array.from({ length: KEYS }, (_, i) => `bk:${i}`).filter(mine);
            await withStandalone(archive, s.file, async (c) => {
                assert.equal(Number(await c.dbsize()), s.keys, `${s.file}: DBSIZE against the manifest`);
                const values = await c.mget(...expected);
                assert.deepEqual(values.filter((v, i) => v !== `value-${expected[i].slice(3)}`).length, 0, `${s.file}: keys missing or wrong`);
                // Nothing of another shard's slots: each file is its shard's alone.
                const stray = (await scanAll(c)).filter((k) => !mine(k));
                assert.deepEqual(stray, [], `${s.file} holds keys of other shards`);
            });
        }
        assert.ok(manifest.shards.reduce((n, s) => n + s.keys, 0) >= KEYS);
    });

    it("fails naming the shard none of whose nodes answers, and leaves no archive", async () => {
        const dir = fs.mkdtempSync(path.join(work, "failed-"));
        const third = (await t.stack.outputs()).slotAssignments.value[2];
        const shardNodes = [third.master.name, ...third.replicas.map((r: { name: string }) => r.name)];
        for (const n of shardNodes) docker("pause", n);
        let result: { code: number; output: string };
        try {
            result = await runBackup(t.name, dir);
        } finally {
            for (const n of shardNodes) docker("unpause", n);
        }
        assert.equal(result.code, 1, result.output);
        assert.match(result.output, /backup of stack e2e-p FAILED, no archive written: shard 3 \(slots 10923-16383\): its master e2e-p-\d does not answer and no replica in sync with it does/);
        assert.deepEqual(fs.readdirSync(dir), []);
        // The cluster itself is back once its nodes answer again.
        await eventually("the cluster to be ok again", 60000, () => (names.every((n) => /cluster_state:ok/.test(redisCli(n, PASSWORD, "cluster", "info"))) ? true : undefined), 500);
    });
});
