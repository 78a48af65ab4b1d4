import { strict as assert } from "assert";
import * as fc from "fast-check";
import { DEFAULT_ALERTMANAGER_IMAGE, DEFAULT_PROMETHEUS_IMAGE, alertRules, alertmanagerConfig, prometheusArgs, resolvePrometheus, scrapeConfig } from "../../components/planning/prometheus";
import { planExporters } from "../../components/planning/metrics";
import { resolveSettings } from "../../components/planning/settings";

const IMAGE = "redis:7.2.4";
const names = (rules: string) => (JSON.parse(rules.slice(rules.indexOf("\n") + 1)) as { groups: { rules: { alert: string; labels: Record<string, string>; expr: string }[] }[] }).groups[0].rules;

describe("prometheus settings", () => {
    it("are off unless turned on; on, they take the defaults", () => {
        assert.equal(resolveSettings({ metrics: "true" }, IMAGE).settings.prometheus, undefined);
        assert.deepEqual(resolveSettings({ metrics: "true", prometheus: "true" }, IMAGE).settings.prometheus, { image: DEFAULT_PROMETHEUS_IMAGE, port: 9090, scrapeInterval: "15s", alertFor: "1m" });
    });

    it("refuse Prometheus without metrics, bad durations and ports, and a port the nodes publish, in one list", () => {
        const problems = resolveSettings({ prometheus: "true", scrapeInterval: "500ms", alertFor: "soon", prometheusPort: "70000" }, IMAGE).problems.join("\n");
        assert.match(problems, /redis-cluster:prometheus is true but redis-cluster:metrics is not: there would be nothing to scrape/);
        assert.match(problems, /redis-cluster:scrapeInterval "500ms" is not a duration/);
        assert.match(problems, /redis-cluster:alertFor "soon" is not a duration/);
        assert.match(problems, /redis-cluster:prometheusPort must be a port from 1 to 65535 \(got "70000"\)/);
        const clash = resolveSettings({ metrics: "true", prometheus: "true", prometheusPort: "6373" }, IMAGE).problems.join("\n");
        assert.match(clash, /redis-cluster:prometheusPort 6373 is one of the nodes' published ports \(redis-cluster:hostPortBase 6371 to 6376\)/);
        assert.match(resolvePrometheus({ prometheus: "maybe" }, true).problems.join(), /redis-cluster:prometheus must be true or false/);
    });

    it("run Alertmanager for a webhook URL, which must be http(s) and is never quoted back; a webhook without Prometheus is refused", () => {
        assert.deepEqual(resolvePrometheus({ prometheus: "true", alertWebhookUrl: "https://hooks.example/x?token=abc" }, true).prometheus?.alertmanager, {
            image: DEFAULT_ALERTMANAGER_IMAGE,
            webhookUrl: "https://hooks.example/x?token=abc",
        });
        const bad = resolvePrometheus({ prometheus: "true", alertWebhookUrl: "ftp://secret-token@host" }, true).problems.join("\n");
        assert.match(bad, /redis-cluster:alertWebhookUrl is not an http:\/\/ or https:\/\/ URL/);
        assert.doesNotMatch(bad, /secret-token/);
        assert.match(resolvePrometheus({ alertWebhookUrl: "https://x" }, true).problems.join(), /redis-cluster:alertWebhookUrl is set but redis-cluster:prometheus is not true/);
        const am = JSON.parse(alertmanagerConfig("https://hooks.example/x").split("\n").slice(1).join("\n"));
        assert.deepEqual(am.receivers, [{ name: "webhook", webhook_configs: [{ url: "https://hooks.example/x", send_resolved: true }] }]);
        assert.deepEqual(am.route.group_by, ["alertname", "node"]);
        // Prometheus sends its alerts to it.
        const config = JSON.parse(scrapeConfig([], {}, { scrapeInterval: "15s" }, "10.0.0.253:9093").split("\n").slice(1).join("\n"));
        assert.deepEqual(config.alerting, { alertmanagers: [{ static_configs: [{ targets: ["10.0.0.253:9093"] }] }] });
    });

    it("refuse a webhook URL set without --secret, naming the command", () => {
        const { problems } = resolveSettings({ metrics: "true", prometheus: "true", alertWebhookUrl: "https://x/y", plaintextSecrets: ["alertWebhookUrl"] }, IMAGE);
        assert.match(problems.join("\n"), /redis-cluster:alertWebhookUrl is stored in plaintext .* pulumi config set --secret redis-cluster:alertWebhookUrl/);
    });

    it("accept every whole duration from 1s to 24h and nothing else (property)", () => {
        fc.assert(
            fc.property(fc.integer({ min: 0, max: 100000 }), fc.constantFrom("s", "m", "h", "ms", "d", ""), (n, unit) => {
                const seconds = n * ({ s: 1, m: 60, h: 3600 } as Record<string, number>)[unit];
                const ok = resolvePrometheus({ prometheus: "true", scrapeInterval: `${n}${unit}` }, true).problems.length === 0;
                assert.equal(ok, seconds >= 1 && seconds <= 86400, `${n}${unit}`);
            }),
        );
    });
});

describe("the Prometheus files", () => {
    const { settings } = resolveSettings({ metrics: "true", prometheus: "true", scrapeInterval: "5s" }, IMAGE);
    const exporters = planExporters(
        [1, 2, 3, 4].map((i) => ({ index: i, name: `r-${i}`, ip: `10.38.0.${10 + i}`, port: 6379 })),
        "10.38.0.0/24",
        settings.metrics!,
        false,
    );

    it("scrape every exporter under one job, each with its node and live shard, and evaluate the rules as often", () => {
        const config = JSON.parse(scrapeConfig(exporters, { "r-1": "1", "r-2": "2", "r-3": "1" }, settings.prometheus!).split("\n").slice(1).join("\n"));
        assert.deepEqual(config.global, { scrape_interval: "5s", evaluation_interval: "5s" });
        assert.deepEqual(config.rule_files, ["/etc/prometheus/rules.yml"]);
        assert.deepEqual(config.scrape_configs[0].static_configs, [
            { targets: ["10.38.0.252:9121"], labels: { node: "r-1", shard: "1" } },
            { targets: ["10.38.0.251:9121"], labels: { node: "r-2", shard: "2" } },
            { targets: ["10.38.0.250:9121"], labels: { node: "r-3", shard: "1" } },
            // Not in a shard the live cluster reported (unreachable at the last up): no shard label rather than a wrong one.
            { targets: ["10.38.0.249:9121"], labels: { node: "r-4" } },
        ]);
        assert.ok(prometheusArgs().includes("--storage.tsdb.path=/prometheus"));
    });

    it("have the alerts that apply to the cluster and only those, each with the alertFor duration and a severity", () => {
        const base = ["RedisNodeDown", "RedisClusterStateNotOk", "RedisSlotsNotCovered", "RedisReplicaLinkDown", "RedisEvicting", "RedisRejectedConnections"];
        assert.deepEqual(names(alertRules({ alertFor: "2m", replicasPerShard: 0, maxmemory: false })).map((r) => r.alert), base);
        const all = names(
            alertRules({
                alertFor: "2m",
                replicasPerShard: 1,
                maxmemory: true,
                certificates: [{ node: "r-1", shard: "1", notAfter: "2027-01-31T00:00:00.000Z" }, { node: "r-2", notAfter: "2027-02-01T00:00:00.000Z" }],
                renewBeforeDays: 30,
            }),
        );
        assert.deepEqual(
            all.map((r) => r.alert),
            [...base.slice(0, 4), "RedisShardWithoutReplica", ...base.slice(4), "RedisMemoryNearMax", "RedisCertificateExpiring", "RedisCertificateExpiring"],
        );
        assert.ok(all.every((r) => (r as unknown as { for: string }).for === "2m" && ["critical", "warning"].includes(r.labels.severity)));
        const [first, second] = all.filter((r) => r.alert === "RedisCertificateExpiring");
        // Due 30 days before expiry, labelled with the node (and its shard where known).
        assert.equal(first.expr, `vector(time()) > ${Date.parse("2027-01-01T00:00:00.000Z") / 1000}`);
        assert.deepEqual(first.labels, { severity: "warning", node: "r-1", shard: "1" });
        assert.deepEqual(second.labels, { severity: "warning", node: "r-2" });
    });
});
