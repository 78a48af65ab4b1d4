// The default shape (3 shards x 1 replica) for real: Pulumi engine, docker
// provider, containers and Redis, checked with redis-cli and ioredis.
import { strict as assert } from "assert";
import * as fs from "fs";
import "../support/env";
import { docker, stackObjects } from "../support/docker";
import { TestStack, createTestStack } from "../support/stack";
import { runStatus } from "../support/status";
import { LiveNode, clusterClient, countMissingKeys, eventually, liveNodes, redisCli, writeKeys } from "../support/redis";

const PREFIX = "e2e-a";
const SUBNET = "10.201.0.0/24";
const NODE_TIMEOUT_MS = 5000;
const KEYS = 10000;
const ips = [11, 12, 13, 14, 15, 16].map((n) => `10.201.0.${n}`);
const names = [1, 2, 3, 4, 5, 6].map((i) => `${PREFIX}-${i}`);

interface ShardOutput {
    master: { name: string; ip: string; port: number; nodeId: string };
    replicas: { name: string; ip: string; port: number; nodeId: string }[];
    slots: string[];
    slotCount: number;
}

/** The live shards as redis-cli sees them, keyed by master id. */
function liveShards(view: LiveNode[]) {
    return view
        .filter((n) => n.flags.includes("master") && n.slots.length > 0)
        .map((m) => ({ master: m, replicas: view.filter((r) => r.masterId === m.id) }));
}

function assertOutputsMatchLive(outputs: ShardOutput[], view: LiveNode[]) {
    const live = liveShards(view);
    assert.equal(outputs.length, live.length);
    for (const shard of outputs) {
        const m = live.find((l) => l.master.id === shard.master.nodeId);
        assert.ok(m, `output master ${shard.master.name} (${shard.master.nodeId}) is not a live master`);
        assert.equal(m.master.ip, shard.master.ip);
        assert.deepEqual(shard.slots, m.master.slots);
        assert.deepEqual(shard.replicas.map((r) => r.nodeId).sort(), m.replicas.map((r) => r.id).sort());
    }
}

describe("a 3x1 cluster, end to end", function () {
    this.timeout(15 * 60 * 1000);
    let t: TestStack;
    let shards: ShardOutput[];

    before(async () => {
        // The default health check interval (test stacks use a longer one, tests/support/stack.ts): this suite reads Docker's health.
        t = await createTestStack(PREFIX, { subnet: SUBNET, namePrefix: PREFIX, hostPortBase: "16371", nodeTimeoutMs: String(NODE_TIMEOUT_MS), healthcheckInterval: "10s" });
    });

    after(async () => {
        await t?.destroyAndRemove();
    });

    it("comes up from nothing with outputs that match the live cluster", async () => {
        const result = await t.up();
        assert.equal(result.summary.result, "succeeded");
        const outputs = result.outputs;
        assert.equal(outputs.clusterState.value, "ok");
        assert.equal(outputs.networkName.value, `${PREFIX}-net`);
        shards = outputs.slotAssignments.value;
        assert.deepEqual(shards.map((s) => s.slots), [["0-5460"], ["5461-10922"], ["10923-16383"]]);
        assert.deepEqual(shards.map((s) => s.slotCount), [5461, 5462, 5461]);

        const view = liveNodes(names[0]);
        assert.equal(view.length, 6);
        assertOutputsMatchLive(shards, view);
        // Replica migration is off on every node: the plan, not Redis, decides which shard a replica serves.
        for (const name of names) assert.equal(redisCli(name, undefined, "config", "get", "cluster-migration-barrier").split("\n")[1], "1000000", name);
        for (const shard of shards) {
            assert.equal(shard.replicas.length, 1);
            assert.notEqual(shard.replicas[0].ip, shard.master.ip, "a replica shares its master's node");
        }
        const check = redisCli(names[0], undefined, "--cluster", "check", `${ips[0]}:6379`);
        assert.match(check, /\[OK\] All 16384 slots covered\./);
        assert.match(check, /\[OK\] All nodes agree about slots configuration\./);

        // Containers at their planned addresses, with their volumes, seen by Docker itself.
        names.forEach((name, i) => {
            const ip = docker("inspect", "-f", `{{(index .NetworkSettings.Networks "${PREFIX}-net").IPAddress}}`, name);
            assert.equal(ip, ips[i]);
            const mount = docker("inspect", "-f", '{{range .Mounts}}{{if eq .Destination "/data"}}{{.Name}}{{end}}{{end}}', name);
            assert.equal(mount, `${name}-data`);
            assert.equal(docker("port", name, "6379/tcp"), `127.0.0.1:${16371 + i}`);
        });
    });

    it(`stores ${KEYS} keys through ioredis in cluster mode, on every shard`, async () => {
        const client = clusterClient([`${ips[0]}:6379`]);
        try {
            await writeKeys(client, KEYS, "k");
            assert.equal(await countMissingKeys(client, KEYS, "k"), 0);
        } finally {
            client.disconnect();
        }
        for (const shard of shards) {
            const keys = Number(redisCli(shard.master.name, undefined, "dbsize"));
            assert.ok(keys > KEYS / 4, `${shard.master.name} holds only ${keys} keys`);
        }
    });

    it("is healthy in Docker's eyes too: every container's health check passes", async () => {
        await eventually("every container to be healthy", 30000, () => (names.every((n) => docker("inspect", "-f", "{{.State.Health.Status}}", n) === "healthy") ? true : undefined), 500);
        assert.equal(docker("inspect", "-f", "{{.Config.Healthcheck.Interval}}", names[0]), "10s");
    });

    it("shows a healthy cluster in npm run status, and an uncovered slot as unhealthy", async () => {
        const healthy = runStatus(t.name);
        assert.equal(healthy.code, 0, healthy.output);
        assert.match(healthy.output, /HEALTHY/);
        assert.match(healthy.output, /shard 1 {2}slots 0-5460 \(5461\)/);
        assert.match(healthy.output, new RegExp(`master  ${shards[0].master.name} `));
        // What Redis warns about at its start, read here from the kernel itself: memory overcommit off (0 or 2).
        const overcommit = fs.readFileSync("/proc/sys/vm/overcommit_memory", "utf8").trim();
        if (overcommit === "1") assert.doesNotMatch(healthy.output, /Memory overcommit must be enabled/);
        else assert.match(healthy.output, /Redis warned when it started .*\n(.*\n)*  - every node: Memory overcommit must be enabled!/);

        redisCli(shards[0].master.name, undefined, "cluster", "delslots", "0");
        try {
            const broken = runStatus(t.name);
            assert.equal(broken.code, 1, broken.output);
            assert.match(broken.output, /UNHEALTHY/);
            assert.match(broken.output, /sees slots 0 without a master/);
        } finally {
            redisCli(shards[0].master.name, undefined, "cluster", "addslots", "0");
        }
        await eventually("slot 0 to be served again", 10000, () => (runStatus(t.name).code === 0 ? true : undefined), 500);
    });

    it("is reachable from the host through the published ports with the hostPorts NAT map", async () => {
        const outputs = await t.stack.outputs();
        const natMap = Object.fromEntries(
            Object.entries(outputs.hostPorts.value as Record<string, string>).map(([k, v]) => [k, { host: v.split(":")[0], port: Number(v.split(":")[1]) }]),
        );
        const client = clusterClient(["127.0.0.1:16371"], undefined, natMap);
        try {
            assert.equal(await countMissingKeys(client, 500, "k"), 0);
        } finally {
            client.disconnect();
        }
    });

    it("fails a crashed master over to its replica within nodeTimeoutMs + 5 s, losing no keys", async () => {
        const victim = shards[1];
        const stoppedAt = Date.now();
        // SIGKILL, as a crash or an OOM kill: no shutdown save, no goodbye to the cluster.
        docker("kill", victim.master.name);
        const observer = shards[0].master.name;
        await eventually("the replica to take over", NODE_TIMEOUT_MS + 5000, () => {
            const promoted = liveNodes(observer).find((n) => n.id === victim.replicas[0].nodeId);
            return promoted?.flags.includes("master") && promoted.slots.length > 0 ? true : undefined;
        });
        const tookMs = Date.now() - stoppedAt;
        assert.ok(tookMs <= NODE_TIMEOUT_MS + 5000, `failover took ${tookMs} ms`);

        // Served again, but not healthy: a node is down and its shard has no replica.
        const down = runStatus(t.name);
        assert.equal(down.code, 1, down.output);
        assert.match(down.output, new RegExp(`${victim.master.name} \\(${victim.master.ip}:6379\\) does not answer`));
        assert.match(down.output, /has 0 of 1 replicas/);

        const client = clusterClient([`${ips[0]}:6379`]);
        try {
            await eventually("the cluster to serve every key", 15000, async () => ((await countMissingKeys(client, KEYS, "k")) === 0 ? true : undefined), 500);
            await writeKeys(client, 1000, "after-failover");
            assert.equal(await countMissingKeys(client, 1000, "after-failover"), 0);
        } finally {
            client.disconnect();
        }
    });

    it("brings the stopped node back with refresh and up, as a replica, and then previews no changes", async () => {
        const victim = shards[1];
        await t.stack.refresh();
        const result = await t.up();
        assert.equal(result.outputs.clusterState.value, "ok");
        assert.equal(docker("inspect", "-f", "{{.State.Running}}", victim.master.name), "true");

        const view = liveNodes(victim.master.name);
        const returned = view.find((n) => n.flags.includes("myself"))!;
        assert.equal(returned.id, victim.master.nodeId, "the node kept its identity (nodes.conf on its volume)");
        assert.ok(returned.flags.includes("slave"), `it rejoined as ${returned.flags}`);
        assert.equal(returned.masterId, victim.replicas[0].nodeId);
        assert.match(redisCli(victim.master.name, undefined, "info", "replication"), /master_link_status:up/);

        const after: ShardOutput[] = result.outputs.slotAssignments.value;
        assert.equal(after[1].master.nodeId, victim.replicas[0].nodeId, "outputs show the promoted replica as master");
        assert.deepEqual(after[1].replicas.map((r) => r.nodeId), [victim.master.nodeId]);
        assertOutputsMatchLive(after, view);

        await t.stack.preview({ expectNoChanges: true });
        assert.equal(runStatus(t.name).code, 0);
    });

    it("changes nothing on a second up", async () => {
        const result = await t.up();
        // "read": the stack reference to its own last outputs (what the change guard compares with), read every run.
        const changes = Object.entries(result.summary.resourceChanges ?? {}).filter(([op]) => op !== "same" && op !== "read");
        assert.deepEqual(changes, []);
        await t.stack.preview({ expectNoChanges: true });
    });

    it("refuses at preview a hostPortBase shift whose new ports running nodes hold, and changes nothing", async () => {
        const ids = () => stackObjects(t.name).containers.map((n) => docker("inspect", "-f", "{{.Id}}", n));
        const before = ids();
        await t.stack.setConfig("redis-cluster:hostPortBase", { value: "16372" });
        try {
            await assert.rejects(t.stack.preview(), (err: Error) => {
                assert.match(err.message, /redis-cluster:hostPortBase changed from 16371 to 16372: the ranges overlap, so node 1's new port 16372 is held by node 2/);
                assert.match(err.message, /redis-cluster:hostPortBase 16377 or above/);
                return true;
            });
            // The same refusal under up, which fails before any resource changes.
            await assert.rejects(t.up(), /the ranges overlap/);
            assert.deepEqual(ids(), before);
        } finally {
            await t.stack.setConfig("redis-cluster:hostPortBase", { value: "16371" });
        }
        await t.stack.preview({ expectNoChanges: true });
    });

    it("under persistence none, a master the kernel kills waits for its replica to take over, then syncs every key from it", async () => {
        await t.stack.setConfig("redis-cluster:persistence", { value: "none" });
        await t.up();
        for (const n of names) assert.equal(redisCli(n, undefined, "config", "get", "save").split("\n")[1] ?? "", "", n);
        const client = clusterClient([`${ips[0]}:6379`]);
        let master: string, replica: string;
        try {
            await writeKeys(client, 1000, "cache");
            const view = liveNodes(names[0]);
            const victim = liveShards(view)[0];
            const name = (id: string) => names.find((n) => ips[names.indexOf(n)] === view.find((v) => v.id === id)!.ip)!;
            [master, replica] = [name(victim.master.id), name(victim.replicas[0].id)];
        } finally {
            client.disconnect();
        }
        // SIGKILL from the host, as the OOM killer would: Docker restarts it at once (after a `docker kill` it would not).
        process.kill(Number(docker("inspect", "-f", "{{.State.Pid}}", master)), "SIGKILL");
        await eventually(`${master} to rejoin as a replica of ${replica}, in sync`, 60000, () => {
            try {
                const info = redisCli(master, undefined, "info", "replication");
                return /role:slave/.test(info) && /master_link_status:up/.test(info) && info.includes(`master_host:${ips[names.indexOf(replica)]}`) ? true : undefined;
            } catch {
                return undefined;
            }
        }, 500);
        assert.equal(docker("inspect", "-f", "{{.RestartCount}}", master), "1");
        assert.match(docker("logs", "--tail", "200", master), /a master without persistence is back empty: waiting \d+s for a replica/);
        // A client that learns the slots now (one from before may read a moved slot's MOVED inside a pipeline).
        const reader = clusterClient([`${ips[0]}:6379`]);
        try {
            assert.equal(await countMissingKeys(reader, KEYS, "k"), 0);
            assert.equal(await countMissingKeys(reader, 1000, "cache"), 0);
        } finally {
            reader.disconnect();
        }
    });

    it("leaves no container, network or volume after destroy", async () => {
        await t.stack.destroy();
        assert.deepEqual(stackObjects(t.name), { containers: [], networks: [], volumes: [] });
    });
});
