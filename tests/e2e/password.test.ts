// Another topology: 4 shards x 2 replicas, another subnet and first address,
// with a password that must never appear in plaintext, and an exporter beside every node that logs in with it.
import { strict as assert } from "assert";
import { execFileSync } from "child_process";
import * as fs from "fs";
import { PROJECT_ROOT, TEST_PASSPHRASE, pulumiEnv } from "../support/env";
import { docker, stackObjects } from "../support/docker";
import { TestStack, createTestStack, stateFile } from "../support/stack";
import { clusterClient, countMissingKeys, liveNodes, redisCli, writeKeys } from "../support/redis";
import { sample, scrapeAll } from "../support/metrics";

const PREFIX = "e2e-b";
const PASSWORD = "e2e-Pa55-w0rd-Xq7";
const names = Array.from({ length: 12 }, (_, i) => `${PREFIX}-${i + 1}`);
const ips = names.map((_, i) => `10.202.0.${21 + i}`);

describe("a 4x2 cluster with a password, end to end", function () {
    this.timeout(15 * 60 * 1000);
    let t: TestStack;

    before(async () => {
        t = await createTestStack(
            PREFIX,
            { shards: "4", replicasPerShard: "2", subnet: "10.202.0.0/24", firstNodeIp: "10.202.0.21", namePrefix: PREFIX, hostPortBase: "0", metrics: "true" },
            { password: PASSWORD },
        );
    });

    after(async () => {
        await t?.destroyAndRemove();
    });

    it("comes up balanced, each shard with two replicas on other nodes", async () => {
        const result = await t.up();
        assert.equal(result.outputs.clusterState.value, "ok");
        const shards = result.outputs.slotAssignments.value as any[];
        assert.deepEqual(shards.map((s) => s.slots), [["0-4095"], ["4096-8191"], ["8192-12287"], ["12288-16383"]]);

        const view = liveNodes(names[0], PASSWORD);
        assert.equal(view.length, 12);
        for (const shard of shards) {
            const master = view.find((n) => n.id === shard.master.nodeId)!;
            assert.deepEqual(master.slots, shard.slots);
            const replicas = view.filter((n) => n.masterId === master.id);
            assert.equal(replicas.length, 2);
            assert.deepEqual(replicas.map((r) => r.id).sort(), shard.replicas.map((r: any) => r.nodeId).sort());
            assert.ok(replicas.every((r) => r.ip !== master.ip));
        }
        names.forEach((name, i) => {
            assert.equal(docker("inspect", "-f", `{{(index .NetworkSettings.Networks "${PREFIX}-net").IPAddress}}`, name), ips[i]);
            assert.match(redisCli(name, PASSWORD, "info", "replication"), /role:(master|slave)/);
        });
        const check = redisCli(names[0], PASSWORD, "--cluster", "check", `${ips[0]}:6379`);
        assert.match(check, /\[OK\] All 16384 slots covered\./);
        // No port is published when hostPortBase is 0.
        assert.equal(docker("port", names[0]), "");
    });

    it("serves keys to clients with the password and refuses clients without it", async () => {
        const client = clusterClient([`${ips[0]}:6379`], PASSWORD);
        try {
            await writeKeys(client, 10000, "pw");
            assert.equal(await countMissingKeys(client, 10000, "pw"), 0);
        } finally {
            client.disconnect();
        }
        assert.match(redisCli(names[0], undefined, "ping"), /NOAUTH/);
        // redis-cli reports the failed AUTH on stderr; the command itself is then refused.
        assert.match(redisCli(names[0], "wrong-password", "ping"), /NOAUTH|WRONGPASS/);
    });

    it("exports every node through its exporter, logged in with the password", async () => {
        const targets = (await t.stack.outputs()).metricsTargets.value as { targets: [string]; labels: { node: string } }[];
        assert.deepEqual(targets.map((x) => x.labels.node), names);
        const bodies = await scrapeAll(targets.map((x) => x.targets[0]));
        for (const [target, body] of Object.entries(bodies)) {
            assert.equal(sample(body, "redis_cluster_known_nodes"), 12, target);
            assert.equal(sample(body, "redis_connected_slaves") !== undefined, true, target);
        }
        const masters = Object.values(bodies).filter((b) => sample(b, "redis_instance_info", 'role="master"') !== undefined);
        assert.equal(masters.length, 4);
        assert.equal(masters.reduce((sum, b) => sum + (sample(b, "redis_db_keys", 'db="db0"') ?? 0), 0), 10000, "the masters' key counts add up to the keys written");
    });

    it("keeps the password out of the state file, outputs, logs and container metadata", async () => {
        const state = fs.readFileSync(stateFile(t.name), "utf8");
        assert.ok(state.length > 1000);
        assert.ok(!state.includes(PASSWORD), "the state file holds the password in plaintext");
        assert.ok(state.includes("ciphertext"), "the state holds secrets encrypted");
        // Encrypted with the stack's passphrase, not a key anyone has: without it nothing opens.
        const exported = (passphrase: string) =>
            execFileSync("pulumi", ["stack", "export", "--show-secrets", "--stack", t.name], { cwd: PROJECT_ROOT, env: { ...process.env, ...pulumiEnv(), PULUMI_CONFIG_PASSPHRASE: passphrase }, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
        assert.throws(() => exported(""), /incorrect passphrase/);
        assert.ok(exported(TEST_PASSPHRASE).includes(PASSWORD), "the ciphertext is not the password's");
        const outputs = await t.stack.outputs();
        for (const [name, output] of Object.entries(outputs)) {
            if (!output.secret) assert.ok(!JSON.stringify(output.value).includes(PASSWORD), `output ${name}`);
        }
        assert.ok(t.log.join("").length > 100);
        assert.ok(!t.log.join("").includes(PASSWORD), "the engine's output shows the password");
        for (const name of [...names, ...names.map((n) => `${n}-exporter`)]) {
            assert.ok(!docker("inspect", name).includes(PASSWORD), `docker inspect ${name} shows the password`);
        }
    });

    it("previews no changes and leaves nothing after destroy", async () => {
        await t.stack.preview({ expectNoChanges: true });
        await t.stack.destroy();
        assert.deepEqual(stackObjects(t.name), { containers: [], networks: [], volumes: [] });
    });
});
