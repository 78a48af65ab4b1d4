import { strict as assert } from "assert";
import { clusterLayout, planCluster } from "../../components/planning/plan";
import { renderRedisConf } from "../../components/planning/redisConf";
import { resolveSettings } from "../../components/planning/settings";

const settingsFor = (raw: Record<string, unknown>) => {
    const r = resolveSettings(raw, "redis:7.2");
    assert.deepEqual(r.problems, []);
    return r.settings;
};

describe("cluster plan", () => {
    it("gives node i the i-th address, name, volume and host port", () => {
        const plan = planCluster(settingsFor({}));
        assert.equal(plan.nodes.length, 6);
        assert.deepEqual(
            plan.nodes.map((n) => [n.name, n.ip, n.hostPort, n.volumeName]),
            [1, 2, 3, 4, 5, 6].map((i) => [`redis-${i}`, `10.38.0.${10 + i}`, 6370 + i, `redis-${i}-data`]),
        );
        assert.equal(plan.networkName, "redis-net");
    });

    it("publishes nothing when hostPortBase is 0", () => {
        const plan = planCluster(settingsFor({ hostPortBase: "0" }));
        assert.ok(plan.nodes.every((n) => n.hostPort === undefined));
    });

    it("puts every replica on a node other than its master, each node in one shard", () => {
        const plan = planCluster(settingsFor({ shards: "4", replicasPerShard: "2", subnet: "10.5.0.0/24" }));
        const seen = new Set<string>();
        for (const shard of plan.shards) {
            assert.equal(shard.replicas.length, 2);
            assert.ok(!shard.replicas.includes(shard.master));
            for (const n of [shard.master, ...shard.replicas]) {
                assert.ok(!seen.has(n), `${n} in two shards`);
                seen.add(n);
            }
        }
        assert.equal(seen.size, 12);
        assert.deepEqual(plan.shards[0], { index: 1, master: "redis-1", replicas: ["redis-5", "redis-6"], slots: [{ start: 0, end: 4095 }] });
    });
});

describe("redis.conf", () => {
    it("renders the seed's settings with the node's own announce address", () => {
        const settings = settingsFor({ nodeTimeoutMs: "7000", appendonly: "false" });
        const conf = renderRedisConf(planCluster(settings).nodes[2], settings);
        for (const line of [
            "port 6379",
            "cluster-enabled yes",
            "cluster-config-file nodes.conf",
            "cluster-node-timeout 7000",
            "cluster-announce-ip 10.38.0.13",
            "cluster-announce-port 6379",
            "cluster-announce-bus-port 16379",
            "appendonly no",
        ]) {
            assert.ok(conf.split("\n").includes(line), `missing "${line}" in\n${conf}`);
        }
        assert.doesNotMatch(conf, /requirepass|masterauth/);
    });

    it("sets requirepass and masterauth together when a password is configured", () => {
        const settings = settingsFor({ password: "s3cret" });
        const conf = renderRedisConf(planCluster(settings).nodes[0], settings);
        assert.match(conf, /^requirepass "s3cret"$/m);
        assert.match(conf, /^masterauth "s3cret"$/m);
    });

    const hosts = [1, 2, 3].map((i) => ({ name: `h${i}`, docker: `unix:///run/rch-${i}.sock`, address: `10.77.0.${10 + i}` }));

    it("keeps the one-engine plan as it was: nodes announce their container address, clients get the loopback port", () => {
        const node = planCluster(settingsFor({})).nodes[0];
        assert.equal(node.host, undefined);
        assert.deepEqual(node.announce, { ip: "10.38.0.11", port: 6379, busPort: 16379 });
        assert.deepEqual(node.published, [{ internal: 6379, external: 6371, ip: "127.0.0.1" }]);
        assert.deepEqual(clusterLayout(planCluster(settingsFor({}))).nodes[0], { name: "redis-1", ip: "10.38.0.11", port: 6379 });
    });

    it("with hosts, puts node i on host (i-1) mod H, publishing and announcing its host's address and ports", () => {
        const plan = planCluster(settingsFor({ hosts, hostPortBase: "7101" }));
        assert.deepEqual(plan.nodes.map((n) => n.host?.name), ["h1", "h2", "h3", "h1", "h2", "h3"]);
        const n5 = plan.nodes[4];
        assert.deepEqual(n5.announce, { ip: "10.77.0.12", port: 7105, busPort: 17105 });
        assert.deepEqual(n5.published, [
            { internal: 6379, external: 7105, ip: "10.77.0.12" },
            { internal: 16379, external: 17105, ip: "10.77.0.12" },
        ]);
        const conf = renderRedisConf(n5, settingsFor({ hosts, hostPortBase: "7101" }));
        assert.match(conf, /cluster-announce-ip 10\.77\.0\.12\ncluster-announce-port 7105\ncluster-announce-bus-port 17105\n/);
        assert.deepEqual(clusterLayout(plan).nodes[4], { name: "redis-5", ip: "10.77.0.12", port: 7105, busPort: 17105, host: "h2" });
    });

    it("with hosts, forms shards whose members are all on different hosts", () => {
        const plan = planCluster(settingsFor({ hosts, hostPortBase: "7101", shards: "4", replicasPerShard: "2", subnet: "10.5.0.0/24" }));
        const hostOf = new Map(plan.nodes.map((n) => [n.name, n.host!.name]));
        for (const shard of plan.shards) {
            const used = [shard.master, ...shard.replicas].map((n) => hostOf.get(n));
            assert.equal(new Set(used).size, 3, `${shard.master}: ${used}`);
        }
    });
});

