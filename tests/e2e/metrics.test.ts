// Metrics on a running 3x1 cluster with TLS and ACL users (the default user off) that holds keys: an
// exporter beside every node, turned on, grown with a scale-out and turned off again without restarting
// any Redis node (read from Docker), each exporter read over HTTP as a Prometheus would, logged in as a
// user that can read no key, with no secret in plaintext where Docker or the state shows it.
import { strict as assert } from "assert";
import { execFileSync } from "child_process";
import { docker } from "../support/docker";
import { TestStack, createTestStack } from "../support/stack";
import { DataSet, eventually, missingFromDataSet, withClusterClient, writeDataSet } from "../support/redis";
import { PROJECT_ROOT, pulumiEnv } from "../support/env";
import { REDIS_CLI_TLS_ARGS } from "../../components/planning/tls";
import { sample, scrapeAll } from "../support/metrics";

const PREFIX = "e2e-x";
const SUBNET = "10.224.0.0/24";
const USER = { username: "app", password: "app-secret-7f3a" };
const DATA: DataSet = { prefix: "m", plain: 1500, groups: 100 };
const nodeNames = (count: number) => Array.from({ length: count }, (_, i) => `${PREFIX}-${i + 1}`);
const seeds = ["10.224.0.11:6379"];

/** What Docker says of each node's container: a restart changes one of these. */
const lifecycle = (names: string[]) => Object.fromEntries(names.map((n) => [n, docker("inspect", "-f", "{{.Id}} {{.State.StartedAt}} restarts={{.RestartCount}}", n)]));

type Targets = { targets: [string]; labels: Record<string, string> }[];

describe("metrics: an exporter beside every node (3 shards x 1 replica, TLS, ACL users)", function () {
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
    after(async () => {
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
        // Exporters take addresses from the top of the subnet down.
        assert.deepEqual(targets.map((x) => x.targets[0]), names.map((_, i) => `10.224.0.${254 - i}:9121`));
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
        const password = (JSON.parse(file.slice(file.indexOf("{"), file.lastIndexOf("}") + 1)) as Record<string, string>)["rediss://10.224.0.11:6379"];
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

    it("gives nodes added by a scale-out their exporters in the same up, restarting no node", async () => {
        const before = lifecycle(nodeNames(6));
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
        assert.deepEqual(await withClusterClient(seeds, USER, (c) => missingFromDataSet(c, DATA), ca), { plain: 0, groups: 0 });
    });

    it("turns metrics off: the exporters and their user go, no node restarts, every key stays", async () => {
        const names = nodeNames(8);
        const before = lifecycle(names);
        await t.stack.setConfig("redis-cluster:metrics", { value: "false" });
        await t.up();
        assert.deepEqual(lifecycle(names), before, "no Redis container was restarted");
        assert.deepEqual(exporters(), []);
        assert.equal(await targetsOutput(), undefined, "no metricsTargets output");
        const users = docker("exec", `${PREFIX}-1`, "sh", "-c", "grep -c cluster-metrics /data/users.acl || true");
        assert.equal(users, "0", "the metrics user is gone from the node's aclfile");
        assert.deepEqual(await withClusterClient(seeds, USER, (c) => missingFromDataSet(c, DATA), ca), { plain: 0, groups: 0 });
        await t.stack.preview({ expectNoChanges: true });
    });
});
