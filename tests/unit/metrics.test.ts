import { strict as assert } from "assert";
import * as fc from "fast-check";
import { Netmask, ip2long, long2ip } from "netmask";
import {
    DEFAULT_EXPORTER_IMAGE,
    EXPORTER_PASSWORD_FILE,
    METRICS_RULES,
    shardOfNodes,
    targetLabels,
    exporterArgs,
    passwordFile,
    planExporters,
    resolveMetrics,
} from "../../components/planning/metrics";
import { resolveSettings } from "../../components/planning/settings";
import { planCluster } from "../../components/planning/plan";
import { ruleProblem } from "../../components/planning/users";

const IMAGE = "redis:7.2.4";

describe("metrics settings", () => {
    it("are off unless turned on, and take the official exporter image by default", () => {
        assert.equal(resolveSettings({}, IMAGE).settings.metrics, undefined);
        assert.equal(resolveSettings({ metrics: "false" }, IMAGE).settings.metrics, undefined);
        assert.deepEqual(resolveSettings({ metrics: "true" }, IMAGE).settings.metrics, { exporterImage: DEFAULT_EXPORTER_IMAGE, exporterPortBase: 9121 });
        assert.deepEqual(resolveSettings({ metrics: true, exporterImage: "local/exporter:1.45.0" }, IMAGE).settings.metrics?.exporterImage, "local/exporter:1.45.0");
    });

    it("refuses a value that is not true or false, a bad image and a port range past 65535, each naming its key", () => {
        assert.match(resolveSettings({ metrics: "yes" }, IMAGE).problems.join("\n"), /redis-cluster:metrics must be true or false \(got "yes"\)/);
        assert.match(resolveSettings({ metrics: "true", exporterImage: "a b" }, IMAGE).problems.join("\n"), /redis-cluster:exporterImage "a b" is not an image reference/);
        assert.match(resolveSettings({ metrics: "true", exporterPortBase: "65533" }, IMAGE).problems.join("\n"), /redis-cluster:exporterPortBase must be a port from 1 to 65530 \(room for 6 exporters/);
    });

    it("refuses a subnet with no room for an exporter beside every node", () => {
        // A /28 holds .1-.14: the gateway .1, .13 and .14 kept for Prometheus and Alertmanager; 6 nodes from .2
        // reach .7, and 6 exporters from .12 down would reach .7 too.
        const { problems } = resolveSettings({ metrics: "true", subnet: "10.9.0.0/28" }, IMAGE);
        assert.match(problems.join("\n"), /redis-cluster:metrics: redis-cluster:subnet 10\.9\.0\.0\/28 has no room for an exporter beside each of the 6 nodes/);
        // 3 nodes fit: .2-.4, their exporters .12-.10.
        const small = resolveSettings({ metrics: "true", subnet: "10.9.0.0/28", replicasPerShard: "0", firstNodeIp: "10.9.0.2" }, IMAGE);
        assert.deepEqual(small.problems, []);
        const plan = planCluster(small.settings);
        assert.deepEqual(planExporters(plan.nodes, plan.subnet, small.settings.metrics!, false).map((e) => e.ip), ["10.9.0.12", "10.9.0.11", "10.9.0.10"]);
    });

    it("with hosts, refuses exporter ports that meet the nodes' client or bus ports", () => {
        const hosts = ["a", "b", "c"].map((name, i) => ({ name, docker: "unix:///var/run/docker.sock", address: `192.168.50.${i + 1}` }));
        const clash = resolveSettings({ metrics: "true", hosts, hostPortBase: "7001", exporterPortBase: "7004" }, IMAGE).problems.join("\n");
        assert.match(clash, /redis-cluster:exporterPortBase 7004 publishes exporters on ports the nodes publish/);
        const bus = resolveSettings({ metrics: "true", hosts, hostPortBase: "7001", exporterPortBase: "17000" }, IMAGE).problems.join("\n");
        assert.match(bus, /exporterPortBase 17000 publishes exporters on ports the nodes publish/);
        assert.deepEqual(resolveSettings({ metrics: "true", hosts, hostPortBase: "7001" }, IMAGE).problems, []);
    });

    it("never gives an exporter a node's address, the gateway, another exporter's or one outside the subnet, whenever the settings accept them (property)", () => {
        let accepted = 0;
        fc.assert(
            fc.property(
                fc.integer({ min: 16, max: 29 }),
                fc.integer({ min: 0, max: 255 }),
                fc.integer({ min: 3, max: 40 }),
                fc.integer({ min: 0, max: 2 }),
                fc.option(fc.integer({ min: 1, max: 60 })),
                fc.option(fc.integer({ min: 1, max: 60 }), { nil: undefined }),
                (bits, third, shards, replicas, firstOffset, gatewayOffset) => {
                    const block = new Netmask(`10.${third}.0.0/${bits}`);
                    const subnet = `${block.base}/${block.bitmask}`;
                    const raw = {
                        metrics: "true",
                        subnet,
                        shards: String(shards),
                        replicasPerShard: String(replicas),
                        ...(firstOffset === null ? {} : { firstNodeIp: long2ip(ip2long(block.base) + firstOffset) }),
                        ...(gatewayOffset === undefined ? {} : { gateway: long2ip(ip2long(block.base) + gatewayOffset) }),
                    };
                    const { settings, problems } = resolveSettings(raw, IMAGE);
                    if (problems.length > 0) return;
                    accepted++;
                    const plan = planCluster(settings);
                    const exporters = planExporters(plan.nodes, plan.subnet, settings.metrics!, false);
                    // Nodes, the gateway and the two addresses kept for Prometheus and Alertmanager.
                    const taken = new Set([plan.gateway, ...plan.nodes.map((n) => n.ip), block.last, long2ip(ip2long(block.last) - 1)]);
                    assert.equal(exporters.length, plan.nodes.length);
                    for (const e of exporters) {
                        assert.ok(block.contains(e.ip) && e.ip !== block.base && e.ip !== block.broadcast, `${e.ip} usable in ${subnet}`);
                        assert.ok(!taken.has(e.ip), `${e.ip} taken (${subnet}, ${plan.nodes.length} nodes)`);
                        taken.add(e.ip);
                    }
                },
            ),
            { numRuns: 500 },
        );
        assert.ok(accepted > 100, `only ${accepted} of 500 generated settings were accepted: the property says little`);
    });

    it("keeps every exporter's address when the cluster grows or shrinks (property)", () => {
        fc.assert(
            fc.property(fc.integer({ min: 3, max: 30 }), fc.integer({ min: 3, max: 30 }), (a, b) => {
                const plan = (shards: number) => {
                    const { settings } = resolveSettings({ metrics: "true", shards: String(shards), subnet: "10.50.0.0/24" }, IMAGE);
                    return planExporters(planCluster(settings).nodes, "10.50.0.0/24", settings.metrics!, false);
                };
                const [small, large] = a < b ? [plan(a), plan(b)] : [plan(b), plan(a)];
                assert.deepEqual(large.slice(0, small.length).map((e) => [e.node, e.ip]), small.map((e) => [e.node, e.ip]));
            }),
        );
    });
});

describe("an exporter's plan and command line", () => {
    const nodes = [
        { index: 1, name: "r-1", ip: "10.0.0.11", port: 6379 },
        { index: 2, name: "r-2", ip: "10.0.0.12", port: 6379 },
    ];

    it("reaches its node at the node's address, plain or TLS, and is scraped at its own address", () => {
        const [plain] = planExporters(nodes, "10.0.0.0/24", { exporterImage: "x", exporterPortBase: 9121 }, false);
        assert.deepEqual(plain, { name: "r-1-exporter", node: "r-1", ip: "10.0.0.252", redisUri: "redis://10.0.0.11:6379", target: "10.0.0.252:9121", labels: { node: "r-1" } });
        // The shard comes from the live cluster, in slot order.
        const of = shardOfNodes([{ master: { name: "r-2" }, replicas: [] }, { master: { name: "r-1" }, replicas: [{ name: "r-3" }] }]);
        assert.deepEqual(of, { "r-2": "1", "r-1": "2", "r-3": "2" });
        assert.deepEqual(targetLabels(plain, of), { node: "r-1", shard: "2" });
        assert.deepEqual(targetLabels(plain, {}), { node: "r-1" });
        const [, tls] = planExporters(nodes, "10.0.0.0/24", { exporterImage: "x", exporterPortBase: 9121 }, true);
        assert.equal(tls.redisUri, "rediss://10.0.0.12:6379");
        assert.equal(tls.ip, "10.0.0.251");
    });

    it("with hosts, is published on its host's address and scraped there", () => {
        const onHosts = nodes.map((n, i) => ({ ...n, host: { name: `h${i + 1}`, address: `192.168.9.${i + 1}` } }));
        const [, second] = planExporters(onHosts, "10.0.0.0/24", { exporterImage: "x", exporterPortBase: 9200 }, false);
        assert.deepEqual(second.published, { ip: "192.168.9.2", external: 9201, internal: 9121 });
        assert.equal(second.target, "192.168.9.2:9201");
        assert.deepEqual(second.labels, { node: "r-2", host: "h2" });
    });

    it("never carries a password on its command line: it reads it from a file that maps its node to it (property)", () => {
        const [e] = planExporters(nodes, "10.0.0.0/24", { exporterImage: "x", exporterPortBase: 9121 }, true);
        fc.assert(
            fc.property(fc.string({ minLength: 4 }), fc.option(fc.constantFrom("cluster-metrics", "default"), { nil: undefined }), (password, username) => {
                // A password that happens to be part of the fixed arguments (e.g. "redis") proves nothing.
                fc.pre(!exporterArgs(e, { username, password: "\u0000" }, true).join(" ").includes(password));
                const args = exporterArgs(e, { username, password }, true);
                assert.ok(!args.join(" ").includes(password), args.join(" "));
                assert.ok(args.includes(`--redis.password-file=${EXPORTER_PASSWORD_FILE}`));
                assert.deepEqual(JSON.parse(passwordFile(e, password)), { [e.redisUri]: password });
            }),
        );
        assert.deepEqual(exporterArgs(e, {}, false), ["--redis.addr=rediss://10.0.0.11:6379", "--web.listen-address=:9121", "--redis-only-metrics"]);
    });

    it("keeps the metrics user's name from redis-cluster:users", () => {
        const users = [{ name: "cluster-metrics", password: "x".repeat(12), rules: "~* +@read" }];
        assert.match(resolveSettings({ users, password: "p".repeat(12) }, IMAGE).problems.join("\n"), /"cluster-metrics" is managed by the stack \(the exporters' own user, with redis-cluster:metrics\)/);
    });

    it("logs in as a user whose rules the stack's own checks accept and that names no key or channel", () => {
        for (const rule of METRICS_RULES) assert.equal(ruleProblem(rule), undefined, rule);
        assert.ok(METRICS_RULES.includes("resetkeys") && METRICS_RULES.includes("-@all"));
        assert.ok(!METRICS_RULES.some((r) => /^[~%&]|\+config|\+@all/.test(r)), "no keys, channels, CONFIG or every command");
    });
});
