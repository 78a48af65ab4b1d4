// Metrics on a running 3x1 cluster with TLS and ACL users (the default user off) that holds keys: an
// exporter beside every node, turned on, grown with a scale-out and turned off again without restarting
// any Redis node (read from Docker), each exporter read over HTTP as a Prometheus would, logged in as a
// user that can read no key, with no secret in plaintext where Docker or the state shows it, those of
// nodes a scale-in removes gone in the same up; then the
// stack's Prometheus, read through its HTTP API: every target up, the rules valid, an alert for a
// stopped node that fires and resolves, history kept across a new scrape config.
import { strict as assert } from "assert";
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as http from "http";
import * as path from "path";
import { containerLifecycle, docker, stackObjects } from "../support/docker";
import { TestStack, createTestStack } from "../support/stack";
import { DataSet, eventually, missingFromDataSet, withClusterClient, writeDataSet } from "../support/redis";
import { PROJECT_ROOT, pulumiEnv } from "../support/env";
import { REDIS_CLI_TLS_ARGS } from "../../components/planning/tls";
import { httpGet, sample, scrapeAll } from "../support/metrics";
import { alertRules } from "../../components/planning/prometheus";

const PREFIX = "e2e-x";
const SUBNET = "10.225.0.0/24";
const USER = { username: "app", password: "app-secret-7f3a" };
const DATA: DataSet = { prefix: "m", plain: 1500, groups: 100 };
const nodeNames = (count: number) => Array.from({ length: count }, (_, i) => `${PREFIX}-${i + 1}`);
const seeds = ["10.225.0.11:6379"];

/** What Docker says of each node's container: a restart changes one of these. */
const PROMETHEUS = "http://127.0.0.1:19190";

/** A Prometheus API call's data (GET, JSON). */
async function prometheusApi<T>(path: string): Promise<T> {
    const parsed = JSON.parse(await httpGet(`${PROMETHEUS}${path}`)) as { status: string; data: T; error?: string };
    if (parsed.status !== "success") throw new Error(`${path}: ${parsed.error}`);
    return parsed.data;
}
type Series = { metric: Record<string, string>; value: [number, string] }[];
const query = (promql: string, at?: number) => prometheusApi<{ result: Series }>(`/api/v1/query?query=${encodeURIComponent(promql)}${at === undefined ? "" : `&time=${at}`}`).then((d) => d.result);
const firing = async (alert: string) =>
    (await prometheusApi<{ alerts: { labels: Record<string, string>; state: string }[] }>("/api/v1/alerts")).alerts.filter((a) => a.labels.alertname === alert && a.state === "firing");

/** What Alertmanager posts: groups of alerts, each firing or resolved. */
type Notification = { status: string; alerts: { status: string; labels: Record<string, string> }[] };

/** A webhook receiver on the cluster network's gateway (this machine, as the containers reach it). */
async function webhookReceiver(address: string, port: number): Promise<{ received: Notification[]; close(): Promise<void> }> {
    const received: Notification[] = [];
    const server = http.createServer((req, res) => {
        let body = "";
        req.on("data", (c) => (body += c));
        req.on("end", () => {
            received.push(JSON.parse(body) as Notification);
            res.end("ok");
        });
    });
    await new Promise<void>((resolve, reject) => server.listen(port, address, resolve).on("error", reject));
    return { received, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

const lifecycle = containerLifecycle;

type Targets = { targets: [string]; labels: Record<string, string> }[];

describe("metrics: an exporter beside every node and Prometheus (3 shards x 1 replica, TLS, ACL users)", function () {
    this.timeout(15 * 60 * 1000);
    let t: TestStack;
    let ca: string;

    const targetsOutput = async (): Promise<Targets | undefined> => (await t.stack.outputs()).metricsTargets?.value as Targets | undefined;
    const exporters = () => docker("ps", "-a", "--filter", `name=^${PREFIX}-`, "--format", "{{.Names}}").split("\n").filter((n) => n.endsWith("-exporter")).sort();

    before(async () => {
        t = await createTestStack(
            PREFIX,
            { namePrefix: PREFIX, subnet: SUBNET, hostPortBase: "0", tls: "true", disableDefaultUser: "true" },
        );
        await t.stack.setConfig("redis-cluster:users[0].name", { value: USER.username }, true);
        await t.stack.setConfig("redis-cluster:users[0].rules", { value: "~* +@all" }, true);
        await t.stack.setConfig("redis-cluster:users[0].password", { value: USER.password, secret: true }, true);
        await t.up();
        ca = (await t.stack.outputs()).caCertificate.value as string;
        await withClusterClient(seeds, USER, (c) => writeDataSet(c, DATA), ca);
    });
    let webhook: Awaited<ReturnType<typeof webhookReceiver>> | undefined;
    /** The exporters' password, read from an exporter's file by the first test. */
    let metricsPassword = "";
    after(async () => {
        await webhook?.close();
        await t?.destroyAndRemove();
    });

    it("turns metrics on without restarting a node: every exporter reads its node over TLS as a user that can read no key", async () => {
        const names = nodeNames(6);
        const before = lifecycle(names);
        await t.stack.setConfig("redis-cluster:metrics", { value: "true" });
        const preview = await t.stack.preview();
        assert.equal(preview.changeSummary.replace ?? 0, 0, "no container is replaced");
        await t.up();
        assert.deepEqual(lifecycle(names), before, "no Redis container was restarted");
        assert.deepEqual(exporters(), names.map((n) => `${n}-exporter`).sort());

        const targets = (await targetsOutput())!;
        assert.deepEqual(
            targets.map((x) => x.labels.node),
            names,
        );
        // Exporters take addresses from the top of the subnet down, below the two kept for Prometheus and Alertmanager.
        assert.deepEqual(targets.map((x) => x.targets[0]), names.map((_, i) => `10.225.0.${252 - i}:9121`));
        const bodies = await scrapeAll(targets.map((x) => x.targets[0]));
        let keys = 0;
        for (const [target, body] of Object.entries(bodies)) {
            assert.equal(sample(body, "redis_cluster_state"), 1, target);
            assert.equal(sample(body, "redis_cluster_slots_ok"), 16384, target);
            assert.equal(sample(body, "redis_cluster_known_nodes"), 6, target);
            if (/role="master"/.test(body.split("\n").find((l) => l.startsWith("redis_instance_info")) ?? "")) keys += sample(body, "redis_db_keys", 'db="db0"') ?? 0;
        }
        assert.equal(keys, DATA.plain + 2 * DATA.groups, "the masters' key counts add up to the keys written");

        // The exporter's login: a user of the stack's own that may run INFO but read no key.
        const file = execFileSync("docker", ["cp", `${PREFIX}-1-exporter:/etc/redis-exporter/passwords.json`, "-"], { encoding: "utf8" });
        const password = (metricsPassword = (JSON.parse(file.slice(file.indexOf("{"), file.lastIndexOf("}") + 1)) as Record<string, string>)["rediss://10.225.0.11:6379"]);
        assert.ok(password && password.length >= 32, "the exporter's password file names its node");
        const asMetrics = (...args: string[]) =>
            docker("exec", "-e", `REDISCLI_AUTH=${password}`, `${PREFIX}-1`, "redis-cli", ...REDIS_CLI_TLS_ARGS, "--user", "cluster-metrics", ...args);
        assert.match(asMetrics("info", "server"), /redis_version:/);
        assert.match(asMetrics("get", "any-key"), /NOPERM/);
        assert.match(asMetrics("config", "get", "masterauth"), /NOPERM/);

        // No secret in plaintext: not in Docker's view of the exporters, not in the state.
        for (const e of exporters()) assert.doesNotMatch(docker("inspect", e), new RegExp(`${password}|${USER.password}`), e);
        const state = execFileSync("pulumi", ["stack", "export", "--stack", t.name], { cwd: PROJECT_ROOT, env: { ...process.env, ...pulumiEnv() }, encoding: "utf8", maxBuffer: 64 * 1024 * 1024 });
        assert.doesNotMatch(state, new RegExp(`${password}|${USER.password}`));
        await t.stack.preview({ expectNoChanges: true });
    });

    it("runs Prometheus and Alertmanager beside them: every exporter scraped, the rules valid, an alert for a stopped node that fires and resolves, posted to a webhook", async () => {
        const names = nodeNames(6);
        const before = lifecycle(names);
        webhook = await webhookReceiver("10.225.0.1", 19193);
        await t.stack.setAllConfig({
            "redis-cluster:prometheus": { value: "true" },
            "redis-cluster:prometheusPort": { value: "19190" },
            "redis-cluster:scrapeInterval": { value: "1s" },
            "redis-cluster:alertFor": { value: "3s" },
            "redis-cluster:alertWebhookUrl": { value: "http://10.225.0.1:19193/alerts?token=e2e-hook-token-93kd", secret: true },
        });
        const result = await t.up();
        assert.equal(result.outputs.prometheusUrl.value, PROMETHEUS);
        assert.deepEqual(lifecycle(names), before, "no Redis container was restarted");
        // Every target up within a few scrape intervals, and every node's cluster state read.
        await eventually("every exporter to be scraped", 30000, async () => ((await query(`up{job="redis-cluster"} == 1`).catch(() => [])).length === 6 ? true : undefined));
        const states = await eventually("every node's cluster state", 30000, async () => {
            const r = await query("redis_cluster_state").catch(() => []);
            return r.length === 6 ? r : undefined;
        });
        assert.deepEqual(states.map((x) => [x.metric.node, x.metric.shard, x.value[1]]).sort(), names.map((n, i) => [n, String(i < 3 ? i + 1 : i - 2), "1"]).sort());
        // Redis's own tool judges the files the stack wrote (and the outputs carry the same text).
        assert.match(docker("exec", `${PREFIX}-prometheus`, "promtool", "check", "rules", "/etc/prometheus/rules.yml"), /SUCCESS: \d+ rules found/);
        assert.match(docker("exec", `${PREFIX}-prometheus`, "promtool", "check", "config", "/etc/prometheus/prometheus.yml"), /SUCCESS/);
        // And every variant of the rules the stack can write (replicas or not, maxmemory or not, TLS or not).
        for (const replicasPerShard of [0, 2]) {
            for (const maxmemory of [false, true]) {
                for (const tls of [false, true]) {
                    const text = alertRules({
                        alertFor: "90s",
                        replicasPerShard,
                        maxmemory,
                        ...(tls ? { certificates: [{ node: "n-1", shard: "1", notAfter: "2027-06-01T00:00:00.000Z" }, { node: "n-2", notAfter: "2027-06-02T00:00:00.000Z" }], renewBeforeDays: 30 } : {}),
                    });
                    const checked = execFileSync("docker", ["exec", "-i", `${PREFIX}-prometheus`, "promtool", "check", "rules", "/dev/stdin"], { input: text, encoding: "utf8" });
                    assert.match(checked, /SUCCESS: \d+ rules found/, JSON.stringify({ replicasPerShard, maxmemory, tls }));
                }
            }
        }
        const rules = result.outputs.alertRules.value as string;
        // The files Prometheus reads hold no secret: the exporters log in, Prometheus only reads them over HTTP.
        for (const text of [rules, result.outputs.prometheusConfig.value as string]) assert.doesNotMatch(text, new RegExp(`${metricsPassword}|${USER.password}|PRIVATE KEY`));
        assert.ok(metricsPassword.length >= 32);
        for (const alert of ["RedisNodeDown", "RedisClusterStateNotOk", "RedisSlotsNotCovered", "RedisReplicaLinkDown", "RedisShardWithoutReplica", "RedisEvicting", "RedisRejectedConnections", "RedisCertificateExpiring"]) {
            assert.match(rules, new RegExp(`"alert": "${alert}"`), alert);
        }
        // Every rule's expression is evaluated by the server without an error.
        const groups = await prometheusApi<{ groups: { rules: { name: string; health: string; lastError?: string }[] }[] }>("/api/v1/rules");
        await eventually("every rule evaluated", 30000, async () => {
            const g = await prometheusApi<{ groups: { rules: { name: string; health: string; lastError?: string }[] }[] }>("/api/v1/rules");
            const all = g.groups.flatMap((x) => x.rules);
            assert.deepEqual(all.filter((r) => r.health === "err").map((r) => `${r.name}: ${r.lastError}`), []);
            return all.every((r) => r.health === "ok") ? true : undefined;
        });
        assert.ok(groups.groups.length === 1);

        // A master stopped: its node is reported down, with its node and shard; back, the alert resolves.
        const master = names[0];
        docker("stop", "-t", "5", master);
        try {
            const alerts = await eventually("RedisNodeDown to fire", 60000, async () => {
                const a = await firing("RedisNodeDown");
                return a.length > 0 ? a : undefined;
            });
            assert.deepEqual(alerts.map((a) => [a.labels.node, a.labels.shard]), [[master, "1"]]);
            // Alertmanager posts it to the webhook, naming the node.
            await eventually("the webhook to receive RedisNodeDown", 60000, () =>
                webhook!.received.some((n) => n.alerts.some((a) => a.status === "firing" && a.labels.alertname === "RedisNodeDown" && a.labels.node === master)) ? true : undefined,
            );
        } finally {
            docker("start", master);
        }
        await eventually("RedisNodeDown to resolve", 60000, async () => ((await firing("RedisNodeDown")).length === 0 ? true : undefined));
        // The webhook's token stays out of Docker's view and the state's plaintext.
        assert.doesNotMatch(docker("inspect", `${PREFIX}-alertmanager`), /e2e-hook-token-93kd/);
        const exported = execFileSync("pulumi", ["stack", "export", "--stack", t.name], { cwd: PROJECT_ROOT, env: { ...process.env, ...pulumiEnv() }, encoding: "utf8", maxBuffer: 64 * 1024 * 1024 });
        assert.doesNotMatch(exported, /e2e-hook-token-93kd/);
        await eventually("the cluster to be whole again", 60000, async () => ((await query("redis_cluster_state == 1")).length === 6 && (await query("redis_master_link_up == 1")).length === 3 ? true : undefined));
        assert.deepEqual(await withClusterClient(seeds, USER, (c) => missingFromDataSet(c, DATA), ca), { plain: 0, groups: 0 });

        // Every panel of the dashboard in the repository: its query parses and has a series per node,
        // shard or replica, as its title says (the cluster's stats one each).
        const dashboard = JSON.parse(fs.readFileSync(path.join(PROJECT_ROOT, "dashboards", "redis-cluster.json"), "utf8")) as { panels: { title: string; targets: { expr: string }[] }[] };
        const expected = (title: string) => (/per node/.test(title) ? names.length : /per shard/.test(title) ? 3 : /per replica/.test(title) ? 3 : 1);
        for (const panel of dashboard.panels) {
            for (const target of panel.targets) {
                const series = await query(target.expr);
                assert.equal(series.length, expected(panel.title), `${panel.title}: ${target.expr} -> ${JSON.stringify(series.map((x) => x.metric))}`);
                if (/per node/.test(panel.title)) assert.deepEqual(series.map((x) => x.metric.node).sort(), [...names].sort(), panel.title);
                if (/per shard/.test(panel.title)) assert.deepEqual(series.map((x) => x.metric.shard).sort(), ["1", "2", "3"], panel.title);
            }
        }
        await t.stack.preview({ expectNoChanges: true });
    });

    it("gives nodes added by a scale-out their exporters in the same up, restarting no node", async () => {
        const before = lifecycle(nodeNames(6));
        const scrapedBefore = Math.floor(Date.now() / 1000) - 2;
        await t.stack.setConfig("redis-cluster:shards", { value: "4" });
        await t.up();
        assert.deepEqual(lifecycle(nodeNames(6)), before, "no Redis container was restarted");
        assert.deepEqual(exporters(), nodeNames(8).map((n) => `${n}-exporter`).sort());
        const targets = (await targetsOutput())!;
        assert.equal(targets.length, 8);
        const bodies = await scrapeAll(targets.map((x) => x.targets[0]));
        for (const [target, body] of Object.entries(bodies)) {
            assert.equal(sample(body, "redis_cluster_known_nodes"), 8, target);
            assert.equal(sample(body, "redis_cluster_slots_ok"), 16384, target);
        }
        // Prometheus, given the new targets by a new container, scrapes all 8 and still has what it scraped before.
        await eventually("every exporter to be scraped", 30000, async () => ((await query(`up{job="redis-cluster"} == 1`).catch(() => [])).length === 8 ? true : undefined));
        assert.equal((await query(`up{job="redis-cluster"}`, scrapedBefore)).length, 6, "the series scraped before the new config are kept");
        assert.deepEqual(await withClusterClient(seeds, USER, (c) => missingFromDataSet(c, DATA), ca), { plain: 0, groups: 0 });
    });

    it("removes the exporters of the nodes a scale-in removes, in the same up, and Prometheus stops scraping them", async () => {
        const before = lifecycle(nodeNames(6));
        await t.stack.setConfig("redis-cluster:shards", { value: "3" });
        await t.up();
        assert.deepEqual(lifecycle(nodeNames(6)), before, "no staying Redis container was restarted");
        assert.deepEqual(exporters(), nodeNames(6).map((n) => `${n}-exporter`).sort());
        assert.equal((await targetsOutput())!.length, 6);
        const active = await eventually("Prometheus to scrape the 6 staying exporters", 30000, async () => {
            const targets = (await prometheusApi<{ activeTargets: { labels: Record<string, string>; health: string }[] }>("/api/v1/targets").catch(() => undefined))?.activeTargets;
            return targets?.length === 6 && targets.every((x) => x.health === "up") ? targets : undefined;
        });
        assert.deepEqual(active.map((x) => x.labels.node).sort(), nodeNames(6).sort());
        assert.deepEqual(await withClusterClient(seeds, USER, (c) => missingFromDataSet(c, DATA), ca), { plain: 0, groups: 0 });
    });

    it("turns metrics and Prometheus off: the exporters, the server and the metrics user go, no node restarts, every key stays", async () => {
        const names = nodeNames(6);
        const before = lifecycle(names);
        await t.stack.setAllConfig({ "redis-cluster:metrics": { value: "false" }, "redis-cluster:prometheus": { value: "false" } });
        await t.stack.removeConfig("redis-cluster:alertWebhookUrl");
        await t.up();
        assert.deepEqual(lifecycle(names), before, "no Redis container was restarted");
        assert.deepEqual(exporters(), []);
        assert.equal(docker("ps", "-a", "--filter", `name=^${PREFIX}-(prometheus|alertmanager)$`, "--format", "{{.Names}}"), "");
        // Its history goes with it, as the README says; the nodes' volumes stay.
        assert.deepEqual(stackObjects(t.name).volumes.sort(), names.map((n) => `${n}-data`).sort());
        assert.equal(await targetsOutput(), undefined, "no metricsTargets output");
        const users = docker("exec", `${PREFIX}-1`, "sh", "-c", "grep -c cluster-metrics /data/users.acl || true");
        assert.equal(users, "0", "the metrics user is gone from the node's aclfile");
        assert.deepEqual(await withClusterClient(seeds, USER, (c) => missingFromDataSet(c, DATA), ca), { plain: 0, groups: 0 });
        await t.stack.preview({ expectNoChanges: true });
    });
});
