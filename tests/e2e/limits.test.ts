// Bounded nodes on a running 3x1 cluster that holds keys: limits turned on by one rolling restart (the
// nodes then run from their live config), eviction and Redis's own refusal at the ceiling instead of the
// kernel's OOM killer, both changed in place (no container restarts, read from Docker), maxmemory kept
// through a restart, and a limit the nodes no longer fit refused at preview.
import { strict as assert } from "assert";
import { Cluster } from "ioredis";
import { containerLifecycle, docker } from "../support/docker";
import { TestStack, createTestStack } from "../support/stack";
import { DataSet, eventually, missingFromDataSet, redisCli, withClusterClient, writeDataSet } from "../support/redis";
import { upUnderWrites } from "../support/rollout";

const PREFIX = "e2e-m";
const SUBNET = "10.222.0.0/24";
const names = Array.from({ length: 6 }, (_, i) => `${PREFIX}-${i + 1}`);
const addresses = Object.fromEntries(names.map((n, i) => [n, `10.222.0.${11 + i}:6379`]));
const seeds = [addresses[names[0]]];
const MiB = 1024 * 1024;
const DATA: DataSet = { prefix: "small", plain: 2000, groups: 200 };
const LATER: DataSet = { prefix: "later", plain: 2000, groups: 200 };

const lifecycle = () => containerLifecycle(names);
const configOf = (node: string, directive: string) => redisCli(node, undefined, "config", "get", directive).split("\n")[1];
const infoOf = (node: string, section: string, field: string) => new RegExp(`^${field}:(.*)$`, "m").exec(redisCli(node, undefined, "info", section))?.[1]?.trim();

/** Writes `count` values of 1 MiB (distinct keys over every slot); returns Redis's first refusal, if any. */
async function writeBig(client: Cluster, from: number, count: number): Promise<string | undefined> {
    const value = Buffer.alloc(MiB, "x");
    for (let i = from; i < from + count; i += 8) {
        const batch = Array.from({ length: Math.min(8, from + count - i) }, (_, k) => client.set(`big:${i + k}`, value));
        const results = await Promise.allSettled(batch);
        const refused = results.find((r): r is PromiseRejectedResult => r.status === "rejected");
        if (refused) return String(refused.reason?.message ?? refused.reason);
    }
    return undefined;
}

describe("bounded nodes: memory, maxmemory and eviction, CPUs (3 shards x 1 replica)", function () {
    this.timeout(15 * 60 * 1000);
    let t: TestStack;

    before(async () => {
        t = await createTestStack(PREFIX, { namePrefix: PREFIX, subnet: SUBNET, hostPortBase: "0" });
        await t.up();
        await withClusterClient(seeds, undefined, (c) => writeDataSet(c, DATA));
    });
    after(async () => {
        await t?.destroyAndRemove();
    });

    it("turns memory and CPU limits and an eviction policy on with one rolling restart under writes, keeping every key", async () => {
        await t.stack.setAllConfig({
            "redis-cluster:memory": { value: "96m" },
            "redis-cluster:maxmemoryPolicy": { value: "allkeys-lru" },
            "redis-cluster:cpus": { value: "1" },
        });
        // Directives of Redis's own through redisConfig in the same roll: one it takes at run time, two only at a
        // start; a backlog above the kernel's default (4096) needs the container's somaxconn raised with it.
        await t.stack.setAllConfig(
            { "redis-cluster:redisConfig.hz": { value: "20" }, "redis-cluster:redisConfig.io-threads": { value: "2" }, "redis-cluster:redisConfig.tcp-backlog": { value: "8192" } },
            true,
        );
        // Every container once: for the CPU limit, redis.conf, and to start from the node's live config.
        await upUnderWrites({ up: () => t.up(), seeds, addresses, keyPrefix: "limits" });
        for (const n of names) {
            assert.equal(docker("inspect", "-f", "{{.HostConfig.Memory}} {{.HostConfig.MemorySwap}} {{.HostConfig.NanoCpus}}", n), `${96 * MiB} ${96 * MiB} 1000000000`, n);
            assert.equal(configOf(n, "maxmemory"), String(72 * MiB), n);
            assert.equal(configOf(n, "maxmemory-policy"), "allkeys-lru", n);
            assert.deepEqual([configOf(n, "hz"), configOf(n, "io-threads"), configOf(n, "tcp-backlog")], ["20", "2", "8192"], n);
            assert.equal(docker("exec", n, "cat", "/proc/sys/net/core/somaxconn"), "8192", n);
            // Redis warns at its start when the kernel caps the backlog below tcp-backlog.
            assert.doesNotMatch(docker("logs", n), /TCP backlog setting of \d+ cannot be enforced/, n);
        }
        assert.deepEqual(await withClusterClient(seeds, undefined, (c) => missingFromDataSet(c, DATA)), { plain: 0, groups: 0 });
        await t.stack.preview({ expectNoChanges: true });
    });

    it("refuses a directive Redis does not know, or a value it refuses, before any node changes", async () => {
        const before = lifecycle();
        await t.stack.setAllConfig({ "redis-cluster:redisConfig.no-such-directive": { value: "1" }, "redis-cluster:redisConfig.hz": { value: "often" } }, true);
        try {
            await assert.rejects(t.up(), (err: Error) => {
                assert.match(err.message, /Redis refused redis-cluster:redisConfig on e2e-m-\d, so no node was changed:/);
                assert.match(err.message, /hz often: ERR CONFIG SET failed \(possibly related to argument 'hz'\)/);
                assert.match(err.message, /no-such-directive: Redis has no such directive/);
                return true;
            });
        } finally {
            await t.stack.removeConfig("redis-cluster:redisConfig.no-such-directive", true);
            await t.stack.setConfig("redis-cluster:redisConfig.hz", { value: "20" }, true);
        }
        assert.deepEqual(lifecycle(), before, "no container was restarted");
        for (const n of names) assert.equal(configOf(n, "hz"), "20", n);
    });

    it("changes a directive Redis takes at run time in place, and puts Redis's own value back when it is dropped: no container restarts", async () => {
        const before = lifecycle();
        await t.stack.setConfig("redis-cluster:redisConfig.hz", { value: "25" }, true);
        // The preview says what happens: set on the running nodes, nothing replaced.
        const preview = await t.stack.preview();
        assert.match(preview.stdout, /set on the running nodes, no restart: hz 20 -> 25/);
        assert.equal(preview.changeSummary.replace ?? 0, 0);
        const changed = await t.up();
        assert.deepEqual(Object.keys(changed.summary.resourceChanges ?? {}).sort(), ["same", "update"]);
        for (const n of names) assert.equal(configOf(n, "hz"), "25", n);
        await t.stack.removeConfig("redis-cluster:redisConfig.hz", true);
        await t.up();
        for (const n of names) assert.equal(configOf(n, "hz"), "10", n);
        assert.deepEqual(lifecycle(), before, "no container was restarted");
        // Kept in each node's live config: a restart of a replica's Redis keeps hz at 10, not the 20 or 25 it once had.
        const replica = names.find((n) => /role:slave/.test(redisCli(n, undefined, "info", "replication")))!;
        docker("restart", "-t", "30", replica);
        await eventually(`${replica} to serve again, in sync`, 60000, () => {
            try {
                return /master_link_status:up/.test(redisCli(replica, undefined, "info", "replication")) ? configOf(replica, "hz") : undefined;
            } catch {
                return undefined;
            }
        }, 500).then((hz) => assert.equal(hz, "10"));
    });

    it("evicts under a write burst beyond maxmemory instead of being killed by the kernel, at the share the README gives for write-heavy data", async () => {
        // A burst with AOF on rewrites the AOF mid-burst: the forked child keeps the pages the burst replaces, so
        // 75% (the default, above) leaves too little room (a slow machine's run was killed so); the Sizing section
        // says 50% for write-heavy data, and that is what this burst gets. In place: no restart.
        await t.stack.setConfig("redis-cluster:maxmemory", { value: "50%" });
        const before = lifecycle();
        await t.up();
        for (const n of names) assert.equal(configOf(n, "maxmemory"), String(48 * MiB), n);
        // 200 MiB, 8 values in flight, into three masters of 48 MiB each.
        const refused = await withClusterClient(seeds, undefined, (c) => writeBig(c, 0, 200));
        assert.equal(refused, undefined, "allkeys-lru evicts instead of refusing");
        const evicted = names.map((n) => Number(infoOf(n, "stats", "evicted_keys")));
        assert.ok(evicted.reduce((a, b) => a + b) > 0, `evicted_keys: ${evicted}`);
        assert.deepEqual(lifecycle(), before, "no container was restarted or OOM-killed");
        for (const n of names) assert.equal(redisCli(n, undefined, "ping"), "PONG");
    });

    it("switches to noeviction in place: Redis then refuses writes at the ceiling, and nothing restarts", async () => {
        const before = lifecycle();
        await t.stack.setConfig("redis-cluster:maxmemoryPolicy", { value: "noeviction" });
        const result = await t.up();
        assert.equal(result.outputs.clusterState.value, "ok");
        assert.equal(result.summary.resourceChanges?.replace ?? 0, 0);
        for (const n of names) assert.equal(configOf(n, "maxmemory-policy"), "noeviction", n);
        const refused = await withClusterClient(seeds, undefined, (c) => writeBig(c, 1000, 300));
        assert.match(refused ?? "", /OOM command not allowed when used memory > 'maxmemory'/);
        assert.deepEqual(lifecycle(), before, "no container was restarted or OOM-killed");
    });

    it("raises the memory limit and maxmemory with it in place, and a restarted node keeps maxmemory", async () => {
        const before = lifecycle();
        await t.stack.setConfig("redis-cluster:memory", { value: "128m" });
        await t.up();
        for (const n of names) {
            assert.equal(docker("inspect", "-f", "{{.HostConfig.Memory}}", n), String(128 * MiB), n);
            assert.equal(configOf(n, "maxmemory"), String(64 * MiB), n);
        }
        assert.deepEqual(lifecycle(), before, "the limit changed on the running containers");
        // The rendered redis.conf has no maxmemory: only the node's live config on its volume keeps it.
        const replica = names.find((n) => infoOf(n, "replication", "role") === "slave")!;
        docker("restart", replica);
        await eventually(`${replica} back`, 30000, () => (infoOf(replica, "persistence", "loading") === "0" ? true : undefined));
        assert.equal(configOf(replica, "maxmemory"), String(64 * MiB));
        // Room again under the raised ceiling.
        await withClusterClient(seeds, undefined, (c) => writeDataSet(c, LATER));
    });

    it("refuses at preview a memory limit below what nodes use, naming them, with nothing changed", async () => {
        // The nodes filled their 48 MiB under noeviction above.
        await t.stack.setConfig("redis-cluster:memory", { value: "48m" });
        try {
            await assert.rejects(t.stack.preview(), (err: Error) => {
                assert.match(err.message, /redis-cluster:memory is below what nodes use now/);
                assert.match(err.message, new RegExp(`${PREFIX}-\\d uses \\d+(\\.\\d)?m \\(used_memory \\d+, used_memory_rss \\d+\\), not below the new limit 48m`));
                return true;
            });
            await assert.rejects(t.up(), /redis-cluster:memory is below what nodes use now/);
        } finally {
            await t.stack.setConfig("redis-cluster:memory", { value: "128m" });
        }
        for (const n of names) assert.equal(docker("inspect", "-f", "{{.HostConfig.Memory}}", n), String(128 * MiB), n);
    });

    it("an up after the refusal touches no container, then nothing is left to change; every key written under the raised ceiling reads back", async () => {
        const before = lifecycle();
        // Only the change guard, which kept what the refused run asked for, records the config again.
        const result = await t.up();
        assert.deepEqual(Object.keys(result.summary.resourceChanges ?? {}).sort(), ["same", "update"]);
        assert.equal(result.summary.resourceChanges?.update, 1);
        assert.deepEqual(lifecycle(), before);
        await t.stack.preview({ expectNoChanges: true });
        assert.deepEqual(await withClusterClient(seeds, undefined, (c) => missingFromDataSet(c, LATER)), { plain: 0, groups: 0 });
    });
});
