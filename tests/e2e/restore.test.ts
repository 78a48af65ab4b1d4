// Restore into another shape: a 3x1 cluster with a password holds 100,000 keys of every type (some with a
// TTL, five of 1 MB) and a Function; its backup, taken while a client writes, is loaded by restoreFrom
// into a new 5x2 stack with another password, and every key is compared with the original by its type
// and content, its TTL within the time elapsed; FCALL works there. The same archive goes into a 3x1
// cluster with TLS and ACL users too. A restore killed with SIGKILL halfway is finished by the next up. A
// tampered archive is refused at preview with nothing created; restoring into a cluster that holds keys
// is refused at preview, unless restoreMode is merge (its keys kept) or replace; pointing restoreFrom
// elsewhere afterwards restores nothing.
import { strict as assert } from "assert";
import * as fs from "fs";
import * as path from "path";
import { Cluster, Redis } from "ioredis";
import { docker, stackObjects } from "../support/docker";
import { freezeTree, killFrozen, pulumiUpPid, thaw } from "../support/process";
import { backupToTemp } from "../support/backup";
import { TestStack, createTestStack, npmRunUpAfterKill } from "../support/stack";
import { eventually, scanAll, withClusterClient, writeKeys } from "../support/redis";
import { ContinuousWriter } from "../support/writer";

const SOURCE = "e2e-r";
const TARGET = "e2e-s";
const REFUSED = "e2e-o";
const SOURCE_SEEDS = ["10.233.0.11:6379"];
const TARGET_SEEDS = ["10.234.0.11:6379"];
const SOURCE_PASSWORD = "e2e-Rs-src-pw-1";
const TARGET_PASSWORD = "e2e-Rs-dst-pw-2";
const PLAIN = 94000;
const PER_TYPE = 1000;
const BIG = 5;
const TLS_NAME = "e2e-l";
const TLS_SEEDS = ["10.236.0.11:6379"];
const APP = { username: "app", password: "e2e-Rs-app-pw-3" };
const LIBRARY = "#!lua name=restorelib\nredis.register_function('greet', function(keys, args) return 'hello ' .. args[1] end)";

/** Keys of every type Redis has, some expiring, five of 1 MB, and a Function library: 100,005 keys. */
async function writeEveryType(c: Cluster): Promise<void> {
    await writeKeys(c, PLAIN, "plain");
    for (let start = 0; start < PER_TYPE; start += 100) {
        await Promise.all(
            Array.from({ length: 100 }, async (_, k) => {
                const i = start + k;
                await c.hset(`hash:${i}`, { a: `${i}`, b: "x".repeat(i % 150) });
                await c.rpush(`list:${i}`, ...Array.from({ length: 20 }, (_, n) => `${i}-${n}`));
                await c.sadd(`set:${i}`, ...Array.from({ length: 10 }, (_, n) => `m${n}`));
                await c.zadd(`zset:${i}`, ...Array.from({ length: 10 }, (_, n) => [n * 1.5, `z${n}`]).flat());
                await c.xadd(`stream:${i}`, "*", "field", `${i}`);
                await c.set(`ttl:${i}`, `${i}`, "EX", 3600);
            }),
        );
    }
    for (let i = 0; i < BIG; i++) await c.set(`big:${i}`, Buffer.alloc(1024 * 1024, 97 + i));
    await Promise.all(c.nodes("master").map((m) => m.call("FUNCTION", "LOAD", "REPLACE", LIBRARY)));
}

/** Each of `keys` in `a` and `b`: the same type and content (plain strings compared by value, in bulk). */
async function assertSameContent(a: Cluster, b: Cluster, keys: string[]): Promise<void> {
    for (let i = 0; i < keys.length; i += 2000) {
        const batch = keys.slice(i, i + 2000);
        const read = (c: Cluster) => Promise.all(batch.map((k) => (k.startsWith("plain:") ? c.get(k) : contentOf(c, k))));
        const [x, y] = await Promise.all([read(a), read(b)]);
        batch.forEach((k, j) => assert.equal(y[j], x[j], `${k}: its content differs`));
    }
}

/**
 * A key's type and content in a canonical form. Not DUMP: a hash or set in a hash table serializes in
 * its table's order, which differs between two Redis processes holding the same members.
 */
async function contentOf(c: Cluster, key: string): Promise<string> {
    const type = await c.type(key);
    const sorted = (items: string[]) => [...items].sort();
    const content =
        type === "string"
            ? (await c.getBuffer(key))!.toString("base64")
            : type === "hash"
              ? sorted(Object.entries(await c.hgetall(key)).map(([f, v]) => `${f}=${v}`))
              : type === "list"
                ? await c.lrange(key, 0, -1)
                : type === "set"
                  ? sorted(await c.smembers(key))
                  : type === "zset"
                    ? await c.zrange(key, 0, -1, "WITHSCORES")
                    : type === "stream"
                      ? await c.xrange(key, "-", "+")
                      : `unexpected type ${type}`;
    return `${type} ${JSON.stringify(content)}`;
}

/** Every key of the cluster, from each master. */
async function allKeys(c: Cluster): Promise<string[]> {
    // The client learns the masters on its first command.
    await c.exists("any");
    const keys = (await Promise.all(c.nodes("master").map(scanAll))).flat();
    return keys.sort();
}

describe("restore: a backup loaded into a new cluster of another shape", function () {
    this.timeout(15 * 60 * 1000);
    let source: TestStack;
    let target: TestStack | undefined;
    let archive: string;
    let backupDir: string;
    let backedUpAt: number;

    before(async () => {
        source = await createTestStack(SOURCE, { namePrefix: SOURCE, subnet: "10.233.0.0/24", hostPortBase: "0" }, { password: SOURCE_PASSWORD });
        await source.up();
        await withClusterClient(SOURCE_SEEDS, SOURCE_PASSWORD, writeEveryType);
        backedUpAt = Date.now();
        // Taken while a client writes (keys of its own, "live:*", which the archive may hold or not).
        const backup = await withClusterClient(SOURCE_SEEDS, SOURCE_PASSWORD, async (c) => {
            const writer = new ContinuousWriter(c, "live").start();
            const began = Date.now();
            try {
                return await backupToTemp(SOURCE);
            } finally {
                assert.ok(writer.acknowledgedBetween(began, Date.now()), "the client wrote during the backup");
                await writer.stop();
            }
        });
        assert.equal(backup.code, 0, backup.output);
        backupDir = backup.dir;
        archive = backup.output.trim().split("\n").pop()!;
    });
    after(async () => {
        await target?.destroyAndRemove();
        await source?.destroyAndRemove();
        if (backupDir) fs.rmSync(backupDir, { recursive: true, force: true });
    });

    it("refuses a tampered archive and a directory without one at preview, naming the file, and creates nothing", async () => {
        const tampered = path.join(backupDir, "tampered");
        fs.cpSync(archive, tampered, { recursive: true });
        const file = path.join(tampered, "shard-2.rdb");
        const data = fs.readFileSync(file);
        data[Math.floor(data.length / 2)] ^= 0xff;
        fs.writeFileSync(file, new Uint8Array(data));
        const refused = await createTestStack(REFUSED, { namePrefix: REFUSED, subnet: "10.235.0.0/24", hostPortBase: "0", restoreFrom: tampered });
        try {
            await assert.rejects(refused.stack.preview(), /shard 2: shard-2\.rdb does not match its sha256 \(changed since the backup\)/);
            assert.deepEqual(stackObjects(REFUSED), { containers: [], networks: [], volumes: [] });
            // Nor is a directory that holds no archive.
            await refused.stack.setConfig("redis-cluster:restoreFrom", { value: path.join(backupDir, "no-such-archive") });
            await assert.rejects(refused.stack.preview(), /no-such-archive is not a backup archive: it has no manifest\.json/);
            assert.deepEqual(stackObjects(REFUSED), { containers: [], networks: [], volumes: [] });
        } finally {
            await refused.destroyAndRemove();
        }
    });

    it("loads every key, with its type, value and TTL, and the Functions, into a 5x2 cluster with another password", async () => {
        target = await createTestStack(TARGET, { namePrefix: TARGET, subnet: "10.234.0.0/24", hostPortBase: "0", shards: "5", replicasPerShard: "2", restoreFrom: archive }, { password: TARGET_PASSWORD });
        const result = await target.up();
        assert.equal(result.outputs.clusterState.value, "ok");
        assert.deepEqual(result.outputs.slotAssignments.value.map((s: { replicas: unknown[] }) => s.replicas.length), [2, 2, 2, 2, 2]);
        assert.match(result.stdout, /restored \d+ keys \([\d.]+ MB\) from /);
        const elapsed = Date.now() - backedUpAt;
        await withClusterClient(SOURCE_SEEDS, SOURCE_PASSWORD, (src) =>
            withClusterClient(TARGET_SEEDS, TARGET_PASSWORD, async (dst) => {
                // The client's own keys are left out: each shard's file holds those written before its save.
                const keys = (await allKeys(src)).filter((k) => !k.startsWith("live:"));
                assert.equal(keys.length, PLAIN + 6 * PER_TYPE + BIG);
                assert.deepEqual((await allKeys(dst)).filter((k) => !k.startsWith("live:")), keys, "the same keys");
                await assertSameContent(src, dst, keys);
                for (let i = 0; i < PER_TYPE; i += 97) {
                    const [before, after] = [await src.pttl(`ttl:${i}`), await dst.pttl(`ttl:${i}`)];
                    // The same instant of expiry as the original: read later, never more time left.
                    assert.ok(after > 0 && after <= before && before - after <= elapsed + 5000, `ttl:${i}: ${before} then ${after}`);
                }
                assert.equal(await dst.call("FCALL", "greet", "0", "restore"), "hello restore");
            }),
        );
    });

    it("loads the same archive into a 3x1 cluster with TLS and ACL users, logged in as the stack's own user", async () => {
        const tls = await createTestStack(TLS_NAME, { namePrefix: TLS_NAME, subnet: "10.236.0.0/24", hostPortBase: "0", tls: "true", disableDefaultUser: "true", restoreFrom: archive });
        try {
            await tls.stack.setAllConfig(
                {
                    "redis-cluster:users[0].name": { value: APP.username },
                    "redis-cluster:users[0].password": { value: APP.password, secret: true },
                    "redis-cluster:users[0].rules": { value: "~* &* +@all" },
                },
                true,
            );
            const result = await tls.up();
            assert.equal(result.outputs.clusterState.value, "ok");
            const ca = result.outputs.caCertificate.value as string;
            await withClusterClient(SOURCE_SEEDS, SOURCE_PASSWORD, (src) =>
                withClusterClient(
                    TLS_SEEDS,
                    APP,
                    async (dst) => {
                        const sample = (await allKeys(src)).filter((k, i) => !k.startsWith("live:") && (i % 50 === 0 || !k.startsWith("plain:")));
                        await assertSameContent(src, dst, sample);
                        assert.equal(await dst.call("FCALL", "greet", "0", "tls"), "hello tls");
                    },
                    ca,
                ),
            );
        } finally {
            await tls.destroyAndRemove();
        }
    });

    it("finishes a restore killed with SIGKILL halfway on the next up, replacing what it had loaded", async () => {
        const killed = await createTestStack(REFUSED, { namePrefix: REFUSED, subnet: "10.235.0.0/24", hostPortBase: "0", replicasPerShard: "0", restoreFrom: archive });
        const masters = ["10.235.0.11", "10.235.0.12", "10.235.0.13"].map((host) => new Redis({ host, lazyConnect: true, maxRetriesPerRequest: 1, retryStrategy: () => 500 }));
        masters.forEach((m) => m.on("error", () => undefined));
        // Keys loaded so far; undefined while a node is not there yet.
        const loaded = async () => {
            const sizes = await Promise.all(masters.map((m) => m.dbsize().catch(() => undefined)));
            return sizes.every((n) => n !== undefined) ? sizes.reduce((a, b) => a! + b!, 0)! : undefined;
        };
        try {
            const up = killed.up();
            up.catch(() => undefined);
            // Freeze the whole up once a fifth of the archive is in, and pull the plug if it is still short of
            // the whole (a restore that finished while the test looked would prove nothing).
            const pids = await eventually("the restore to be loading", 10 * 60 * 1000, async () => {
                const keys = await loaded();
                const pid = pulumiUpPid(REFUSED);
                if (keys === undefined || keys < 20000 || pid === undefined) return undefined;
                const frozen = freezeTree(pid);
                if (((await loaded()) ?? 0) < 60000) return killFrozen(frozen);
                thaw(frozen);
                return undefined;
            });
            assert.ok(pids.length >= 3, `killed only ${pids}`);
            await assert.rejects(up, "the killed up reported success");
            // A key the killed run had loaded, changed since: the resumed restore puts the archive's value back.
            await withClusterClient(["10.235.0.11:6379"], undefined, (c) => c.set("plain:7", "half-written"));
            const output = npmRunUpAfterKill(REFUSED);
            assert.match(output, /going on with a restore that was interrupted/);
            await withClusterClient(SOURCE_SEEDS, SOURCE_PASSWORD, (src) =>
                withClusterClient(["10.235.0.11:6379"], undefined, async (dst) => {
                    const keys = (await allKeys(src)).filter((k) => !k.startsWith("live:"));
                    assert.deepEqual((await allKeys(dst)).filter((k) => !k.startsWith("live:")), keys, "every key of the archive, and the marker gone");
                    for (const k of ["plain:7", "plain:93999", "hash:3", "stream:999", "big:4"]) assert.equal(await contentOf(dst, k), await contentOf(src, k), k);
                }),
            );
            // The killed run's temporary standalone node is gone too.
            assert.deepEqual(stackObjects(REFUSED).containers.filter((n) => n.includes("restore")), []);
            assert.equal(docker("ps", "-aq", "--filter", `name=${REFUSED}-restore`), "");
            await killed.stack.preview({ expectNoChanges: true });
        } finally {
            masters.forEach((m) => m.disconnect());
            await killed.destroyAndRemove();
        }
    });

    it("restores nothing when restoreFrom changes afterwards, and refuses a restore into a cluster that holds keys at preview", async () => {
        const keysBefore = await withClusterClient(TARGET_SEEDS, TARGET_PASSWORD, (c) => allKeys(c));
        await target!.stack.setConfig("redis-cluster:restoreFrom", { value: path.join(backupDir, "tampered") });
        const changed = await target!.up();
        assert.match(changed.stdout, /this cluster was created already .* so nothing was restored/);
        // Dropped, then set again: a new restore, into a cluster that holds keys.
        await target!.stack.removeConfig("redis-cluster:restoreFrom");
        await target!.up();
        await target!.stack.setConfig("redis-cluster:restoreFrom", { value: archive });
        await assert.rejects(target!.stack.preview(), new RegExp(`restoreFrom ${archive.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}: the cluster holds \\d+ keys: a restore loads only into a new or empty cluster`));
        await target!.stack.removeConfig("redis-cluster:restoreFrom");
        assert.deepEqual(await withClusterClient(TARGET_SEEDS, TARGET_PASSWORD, (c) => allKeys(c)), keysBefore);
    });

    it("merges an archive into a cluster that holds keys when told to, keeping its keys; replace overwrites those the archive holds too", async () => {
        const changes = async (c: Cluster) => {
            await c.del("plain:1");
            await c.set("plain:2", "mine");
            await c.set("own:1", "x");
        };
        const read = (c: Cluster) => Promise.all(["plain:1", "plain:2", "own:1"].map((k) => c.get(k)));
        await withClusterClient(TARGET_SEEDS, TARGET_PASSWORD, changes);
        await target!.stack.setAllConfig({ "redis-cluster:restoreFrom": { value: archive }, "redis-cluster:restoreMode": { value: "merge" } });
        const merged = await target!.up();
        assert.match(merged.stdout, /kept the cluster's own \d+ keys of the same names/);
        assert.deepEqual(await withClusterClient(TARGET_SEEDS, TARGET_PASSWORD, read), ["value-1", "mine", "x"]);
        // Again, as replace: a new restore (the setting dropped and set again) that overwrites.
        await target!.stack.removeConfig("redis-cluster:restoreFrom");
        await target!.up();
        await target!.stack.setAllConfig({ "redis-cluster:restoreFrom": { value: archive }, "redis-cluster:restoreMode": { value: "replace" } });
        await target!.up();
        assert.deepEqual(await withClusterClient(TARGET_SEEDS, TARGET_PASSWORD, read), ["value-1", "value-2", "x"]);
    });
});
