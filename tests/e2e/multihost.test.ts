// Clusters over Docker hosts made on this machine (scripts/test-hosts.sh): placement checked from outside,
// clients that know only the host addresses, a host lost and brought back, hosts added, a rotation rolled.
import { strict as assert } from "assert";
import { execFileSync } from "child_process";
import * as fs from "fs";
import { Redis } from "ioredis";
import { ClusterNodesLine, readClusterNodes } from "../support/clusterNodes";
import { TestStack, createTestStack } from "../support/stack";
import { clusterClient, countMissingKeys, eventually, withClusterClient, writeKeys } from "../support/redis";
import { runStatus } from "../support/status";
import { backupToTemp } from "../support/backup";
import { testHost, testHostOverTls, testHosts } from "../support/testHosts";
import { upUnderWrites } from "../support/rollout";
import { sample, scrapeAll } from "../support/metrics";

const PREFIX = "e2e-h";
const KEYS = 10000;
const TEST_HOSTS = [1, 2, 3, 4].map(testHost);
// The cluster starts on three; the fourth is added to the list late in the suite.
const HOSTS = TEST_HOSTS.slice(0, 3);
const hostByAddress = new Map(TEST_HOSTS.map((h) => [h.address, h.name]));
const engine = (host: { docker: string }, ...args: string[]) => execFileSync("docker", ["-H", host.docker, ...args], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] }).trim();
const lines = (text: string) => text.split("\n").filter(Boolean);

/** A node's line, with the test host its address belongs to. */
interface LiveLine extends ClusterNodesLine {
    host: string;
}

/** CLUSTER NODES from the node at `endpoint`, read with the tests' reader, independently of the project's parser. */
async function clusterNodes(endpoint: string, password?: string, tlsCa?: string): Promise<LiveLine[]> {
    const [host, port] = endpoint.split(":");
    const c = new Redis({ host, port: Number(port), password, tls: tlsCa === undefined ? undefined : { ca: tlsCa }, lazyConnect: true, connectTimeout: 2000, maxRetriesPerRequest: 0, retryStrategy: () => null });
    c.on("error", () => undefined);
    try {
        await c.connect();
        // `failed` as this suite always read it: any flag containing "fail" (nofailover too), broader than the reader's.
        return readClusterNodes(String(await c.call("CLUSTER", "NODES"))).map((n) => ({ ...n, host: hostByAddress.get(n.ip) ?? "?", failed: n.flags.some((f) => f.includes("fail")) }));
    } finally {
        c.disconnect();
    }
}

/**
 * Each host's own engine runs exactly the nodes the placement output puts there (and, with metrics, each
 * one's exporter, and `monitoring`, the Prometheus container, on the first host).
 */
function assertPlacedOnHosts(placement: Record<string, string>, hosts = HOSTS, exporters = false, monitoring: string[] = []) {
    for (const h of hosts) {
        const nodes = Object.keys(placement).filter((n) => placement[n] === h.name);
        const placed = [...nodes, ...(exporters ? nodes.map((n) => `${n}-exporter`) : []), ...(h === hosts[0] ? monitoring : [])].sort();
        assert.deepEqual(lines(engine(h, "ps", "--format", "{{.Names}}")).sort(), placed, h.name);
    }
}

/** Every shard (a master with slots and its replicas) has its members on distinct hosts. */
function assertAntiAffine(view: LiveLine[]) {
    for (const m of view.filter((n) => n.master && n.slots.length > 0)) {
        const members = [m, ...view.filter((r) => r.masterId === m.id)];
        assert.equal(new Set(members.map((n) => n.host)).size, members.length, `shard of ${m.endpoint} shares a host: ${members.map((n) => `${n.endpoint}@${n.host}`).join(", ")}`);
    }
}

describe("Docker hosts made on this machine", function () {
    this.timeout(20 * 60 * 1000);
    before(() => {
        testHosts("down");
        testHosts("up", String(HOSTS.length));
    });
    after(() => testHosts("down"));

    describe("one cluster over three Docker hosts", function () {
        let t: TestStack;
        let seeds: string[];

        before(async () => {
            // maxmemory: a setting Redis takes at run time, changed below while a host is down.
            t = await createTestStack(PREFIX, { namePrefix: PREFIX, subnet: "10.210.0.0/24", hostPortBase: "7101", hosts: JSON.stringify(HOSTS), maxmemory: "200mb" });
        });
        after(async () => {
            await t?.destroyAndRemove();
            for (const h of TEST_HOSTS) {
                assert.deepEqual(lines(engine(h, "ps", "-a", "--format", "{{.Names}}")), [], `containers left on ${h.name}`);
                assert.deepEqual(lines(engine(h, "volume", "ls", "-q")), [], `volumes left on ${h.name}`);
            }
        });

        it("comes up with masters spread over the hosts and no shard's nodes on one host, checked on every host", async () => {
            const result = await t.up();
            assert.equal(result.outputs.clusterState.value, "ok");
            const placement: Record<string, string> = result.outputs.placement.value;
            assert.deepEqual(Object.values(placement).sort(), ["h1", "h1", "h2", "h2", "h3", "h3"]);
            assertPlacedOnHosts(placement);
            seeds = result.outputs.seedNodes.value;
            assert.ok(seeds.every((s: string) => /^10\.77\.0\.1[1-3]:71\d\d$/.test(s)), `seed nodes are host endpoints: ${seeds}`);
            const view = await clusterNodes(seeds[0]);
            assert.equal(view.length, 6);
            assert.ok(view.every((n) => hostByAddress.has(n.endpoint.split(":")[0])), "every node announces its host's address");
            assert.equal(new Set(view.filter((n) => n.master).map((n) => n.host)).size, 3, "one master per host");
            assertAntiAffine(view);
            const nodes: { name: string; host: string; port: number }[] = result.outputs.nodes.value;
            for (const n of nodes) assert.equal(n.host, placement[n.name]);
            const shards: { master: { name: string; host: string; ip: string; port: number }; replicas: { name: string; host: string }[] }[] = result.outputs.slotAssignments.value;
            for (const s of shards) {
                for (const ref of [s.master, ...s.replicas]) assert.equal(ref.host, placement[ref.name], `${ref.name} in slotAssignments`);
                assert.match(`${s.master.ip}:${s.master.port}`, /^10\.77\.0\.1[1-3]:71\d\d$/);
            }
        });

        it("serves 10,000 keys to a cluster client that knows only the host addresses (no NAT map)", async () => {
            const client = clusterClient(seeds);
            try {
                await writeKeys(client, KEYS, "mh");
                assert.equal(await countMissingKeys(client, KEYS, "mh"), 0);
            } finally {
                client.disconnect();
            }
            // Every replica has everything its master acknowledged (what WAIT would confirm), before a host is lost.
            await eventually("replicas to catch up", 30000, async () => {
                for (const m of (await clusterNodes(seeds[0])).filter((n) => n.master && n.slots.length > 0)) {
                    const [host, port] = m.endpoint.split(":");
                    const c = new Redis({ host, port: Number(port), lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
                    await c.connect();
                    const acked = Number(await c.call("WAIT", "1", "5000"));
                    c.disconnect();
                    if (acked < 1) return undefined;
                }
                return true;
            });
        });

        it("keeps serving every slot and key when a host dies with all its containers", async () => {
            testHosts("stop", "2");
            const client = clusterClient(seeds.filter((s) => !s.startsWith("10.77.0.12:")));
            try {
                await eventually("every key readable with host h2 gone", 60000, async () => ((await countMissingKeys(client, KEYS, "mh")) === 0 ? true : undefined), 1000);
            } finally {
                client.disconnect();
            }
        });

        /** CONFIG GET maxmemory of every node on the given hosts, by node endpoint. */
        const maxmemoryOn = async (hosts: typeof HOSTS) => {
            const out: Record<string, string> = {};
            for (const s of seeds.filter((e) => hosts.some((h) => e.startsWith(`${h.address}:`)))) {
                const [host, port] = s.split(":");
                const c = new Redis({ host, port: Number(port), lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
                try {
                    await c.connect();
                    out[s] = ((await c.call("CONFIG", "GET", "maxmemory")) as string[])[1];
                } finally {
                    c.disconnect();
                }
            }
            return out;
        };
        const setConfig = (config: Record<string, string>) => t.stack.setAllConfig(Object.fromEntries(Object.entries(config).map(([k, v]) => [`redis-cluster:${k}`, { value: v }])));

        it("goes on while the host is gone with what restarts no node: h2's nodes are left as they are, a run-time setting reaches the others; a restart or a new placement is refused", async () => {
            const running = () => [HOSTS[0], HOSTS[2]].map((h) => engine(h, "ps", "-q", "--no-trunc").split("\n").sort().join(","));
            const before = running();
            const onH2 = Object.entries((await t.stack.outputs()).placement.value as Record<string, string>).filter(([, h]) => h === "h2").map(([n]) => n);
            const silent = new RegExp(`host "h2" \\(unix:///run/rch-2\\.sock\\) does not answer[^\\n]*its nodes \\(${onH2.join(", ")}\\) are left as they are`);
            const preview = await t.stack.preview({ expectNoChanges: true });
            assert.match(preview.stdout, silent);
            const noop = await t.up();
            assert.match(noop.stdout, silent);
            // Only the stack's read of its own last outputs besides.
            assert.deepEqual(Object.keys(noop.summary.resourceChanges ?? {}).sort(), ["read", "same"]);
            // Every node restarts for a new health check interval: refused at preview and at up, before any node changes.
            const interval = (await t.stack.getConfig("redis-cluster:healthcheckInterval")).value;
            await setConfig({ healthcheckInterval: "20s" });
            const restart = /host "h2" does not answer, and this change restarts nodes[^\n]*Bring the host back, or point its entry at a new machine with replaced: true/;
            await assert.rejects(t.stack.preview(), restart);
            await assert.rejects(t.up(), restart);
            assert.deepEqual(running(), before);
            await setConfig({ healthcheckInterval: interval });
            // Exporters beside every node, the silent host's too: refused likewise.
            await setConfig({ metrics: "true" });
            await assert.rejects(t.stack.preview(), restart);
            await setConfig({ metrics: "false" });
            // A second replica per shard places new nodes: refused at preview, naming the host.
            await setConfig({ replicasPerShard: "2" });
            await assert.rejects(t.stack.preview(), /Cannot reach every Docker host, nothing was changed:\s+- host "h2"[^\n]*does not answer[\s\S]*This change places nodes anew/);
            await t.stack.removeConfig("redis-cluster:replicasPerShard");
            // maxmemory is set in place on the nodes that answer; h2's get it when they answer again (next test).
            await setConfig({ maxmemory: "220mb" });
            const inPlace = await t.up();
            assert.match(inPlace.stdout, /not answering, left as they are until they do/);
            assert.deepEqual(running(), before, "no container on the hosts that answer changed");
            assert.deepEqual(new Set(Object.values(await maxmemoryOn([HOSTS[0], HOSTS[2]]))), new Set([String(220 * 1024 * 1024)]));
            assert.equal(await withClusterClient(seeds.filter((s) => !s.startsWith("10.77.0.12:")), undefined, (c) => countMissingKeys(c, KEYS, "mh")), 0);
            await t.stack.preview({ expectNoChanges: true });
        });

        /** Masters serving slots per test host, h1..h3, as the cluster says. */
        const mastersPerHost = async () => {
            const masters = (await clusterNodes(seeds[0])).filter((n) => n.master && n.slots.length > 0 && !n.failed);
            return HOSTS.map((h) => masters.filter((m) => m.host === h.name).length);
        };
        // The host whose replica took over h2's shard: it runs two of the three masters until the next up.
        let doubled: number;

        it("brings the host's nodes back with refresh and up, and hands a shard back so no host runs two masters; the next preview shows no changes", async () => {
            testHosts("start", "2");
            await t.stack.refresh();
            // h2's old master rejoins as a replica of its heir, which kept the shard.
            let perHost: number[] = [];
            await eventually("h2's old master to rejoin as a replica", 30000, async () => {
                perHost = await mastersPerHost();
                return perHost[1] === 0 && [...perHost].sort().join() === "0,1,2" ? true : undefined;
            }, 500).catch(() => assert.fail(`masters per host after h2's loss: ${perHost}`));
            doubled = perHost.indexOf(2) + 1;
            const result = await t.up();
            assert.equal(result.outputs.clusterState.value, "ok");
            const view = await clusterNodes(seeds[0]);
            assert.equal(view.length, 6);
            assert.deepEqual(view.filter((n) => n.failed).map((n) => n.endpoint), [], "a node is still seen as failed");
            assertAntiAffine(view);
            assert.deepEqual(await mastersPerHost(), [1, 1, 1], "one master per host again");
            // What was set while h2 was gone reached its nodes too: the bootstrap kept them as pending.
            assert.match(result.stdout, /nodes an earlier up passed over while they did not answer do now; up brings them in line: e2e-h-\d, e2e-h-\d/);
            assert.deepEqual(new Set(Object.values(await maxmemoryOn(HOSTS))), new Set([String(220 * 1024 * 1024)]));
            assert.equal(await withClusterClient(seeds, undefined, (c) => countMissingKeys(c, KEYS, "mh")), 0);
            await t.stack.preview({ expectNoChanges: true });
            // npm run status reaches every node at its host endpoint and names it.
            const status = runStatus(t.name);
            assert.equal(status.code, 0, status.output);
            for (let i = 1; i <= 6; i++) assert.match(status.output, new RegExp(`${PREFIX}-${i}\\s+10\\.77\\.0\\.1[1-3]:710${i}`));
        });

        it("survives a second host loss, of the host that ran two masters, with every key readable; it comes back the same way", async () => {
            // Had it kept two of the three masters, the one left could not promote their replicas.
            testHosts("stop", String(doubled));
            const client = clusterClient(seeds.filter((s) => !s.startsWith(`10.77.0.1${doubled}:`)));
            try {
                await eventually(`every key readable with host h${doubled} gone`, 60000, async () => ((await countMissingKeys(client, KEYS, "mh")) === 0 ? true : undefined), 1000);
            } finally {
                client.disconnect();
            }
            testHosts("start", String(doubled));
            await t.stack.refresh();
            assert.equal((await t.up()).outputs.clusterState.value, "ok");
            assert.deepEqual(await mastersPerHost(), [1, 1, 1]);
            assert.equal(await withClusterClient(seeds, undefined, (c) => countMissingKeys(c, KEYS, "mh")), 0);
            await t.stack.preview({ expectNoChanges: true });
        });

        /** Changes the shape, then checks every key, the node count, and that no shard shares a host. */
        async function reshapeAcrossHosts(config: Record<string, string>, nodes: number, hosts = HOSTS) {
            await t.stack.setAllConfig(Object.fromEntries(Object.entries(config).map(([k, v]) => [`redis-cluster:${k}`, { value: v }])));
            const result = await t.up();
            assert.equal(result.outputs.clusterState.value, "ok");
            const view = await clusterNodes(seeds[0]);
            assert.equal(view.length, nodes);
            assertAntiAffine(view);
            assertPlacedOnHosts(result.outputs.placement.value, hosts);
            assert.equal(await withClusterClient(seeds, undefined, (c) => countMissingKeys(c, KEYS, "mh")), 0);
            await t.stack.preview({ expectNoChanges: true });
        }

        it("refuses 4 shards on 3 hosts at preview (one host would run half the masters), then grows to them when told to accept that", async () => {
            const running = () => HOSTS.map((h) => engine(h, "ps", "-q", "--no-trunc").split("\n").sort().join(","));
            const before = running();
            await t.stack.setConfig("redis-cluster:shards", { value: "4" });
            const refusal = /host "h1" would run 2 of the 4 masters: if it is lost, the other masters are not a majority[\s\S]*5 or 6 shards on 3 hosts[\s\S]*redis-cluster:allowHostLossOutage/;
            await assert.rejects(t.stack.preview(), refusal);
            await assert.rejects(t.up(), refusal);
            assert.deepEqual(running(), before);
            // Keeping every key and no shard on one host.
            await reshapeAcrossHosts({ shards: "4", allowHostLossOutage: "true" }, 8);
        });

        it("adds a second replica to every shard: each shard then has a node on every host", async () => {
            await reshapeAcrossHosts({ replicasPerShard: "2" }, 12);
        });

        it("lists a mistyped host that runs no node: up warns, blocks nothing and changes no node; the entry may then be corrected", async () => {
            const running = () => HOSTS.map((h) => engine(h, "ps", "-q", "--no-trunc").split("\n").sort().join(","));
            const before = running();
            const typo = { ...TEST_HOSTS[3], docker: "unix:///run/rch-typo.sock" };
            await t.stack.setConfig("redis-cluster:hosts", { value: JSON.stringify([...HOSTS, typo]) });
            const result = await t.up();
            assert.equal(result.outputs.clusterState.value, "ok");
            assert.match(result.stdout, /host "h4" \(unix:\/\/\/run\/rch-typo\.sock\) does not answer[^\n]*it runs no node/);
            assert.deepEqual(running(), before, "a container changed");
            // The next test corrects the entry (and adds a shard there): no refusal, as h4 never ran a node.
        });

        it("adds a fourth host: running nodes stay where they are, a new shard goes to the new host and two others", async () => {
            testHosts("up", "4");
            const before: Record<string, string> = (await t.stack.outputs()).placement.value;
            const logFrom = t.log.length;
            // h4 as a remote engine is: tcp:// with TLS (certPath), the entry that replaces the mistyped one.
            await reshapeAcrossHosts({ hosts: JSON.stringify([...HOSTS, testHostOverTls(4)]), shards: "5" }, 15, TEST_HOSTS);
            // The new masters go where an even spread wants them: no shard is handed over afterwards.
            assert.doesNotMatch(t.log.slice(logFrom).join(""), /runs more masters than the plan gives it/);
            const after: Record<string, string> = (await t.stack.outputs()).placement.value;
            assert.deepEqual(Object.fromEntries(Object.keys(before).map((n) => [n, after[n]])), before, "a running node moved");
            const added = Object.keys(after).filter((n) => !(n in before)).map((n) => after[n]);
            assert.equal(added[0], "h4");
            assert.equal(new Set(added).size, 3, `the new shard's nodes share a host: ${added}`);
        });

        it("shrinks back to 3x1: the extra shards and replicas leave every host, no node moves, every key stays", async () => {
            const before: Record<string, string> = (await t.stack.outputs()).placement.value;
            // Checks every key, anti-affinity, and that each host runs exactly the placed nodes (none on h4).
            await reshapeAcrossHosts({ shards: "3", replicasPerShard: "1" }, 6, TEST_HOSTS);
            const after: Record<string, string> = (await t.stack.outputs()).placement.value;
            assert.deepEqual(after, Object.fromEntries(Object.keys(after).map((n) => [n, before[n]])), "a staying node moved");
            assert.deepEqual(lines(engine(TEST_HOSTS[3], "volume", "ls", "-q")), [], "the departed nodes' volumes stay on h4");
        });
    });

    describe("a new 3x2 cluster with TLS, a password, metrics and Prometheus over three Docker hosts, rolled by a password rotation", function () {
        const prefix = "e2e-hr";
        const OLD_PASSWORD = "e2e-H0sts-old-7pXw";
        const NEW_PASSWORD = "e2e-H0sts-new-2mVd";
        let t: TestStack;
        let seeds: string[];
        // Clients, replication and the bus over TLS between the hosts: each certificate names its host's address.
        let ca: string;

        before(async () => {
            t = await createTestStack(prefix, { namePrefix: prefix, subnet: "10.214.0.0/24", hostPortBase: "7201", shards: "3", replicasPerShard: "2", hosts: JSON.stringify(HOSTS), tls: "true", metrics: "true", exporterPortBase: "7501", prometheus: "true", scrapeInterval: "1s" }, { password: OLD_PASSWORD });
        });
        after(async () => {
            await t?.destroyAndRemove();
            for (const h of HOSTS) assert.deepEqual(lines(engine(h, "ps", "-a", "--format", "{{.Names}}")), [], `containers left on ${h.name}`);
        });

        /** Every exporter, scraped at its host's address and published port, reaches its node; Prometheus, on the first host, scrapes them all. */
        const assertExported = async () => {
            // Asked inside its container (it is published on that host's loopback): promtool queries the server.
            const upOnFirstHost = () => engine(HOSTS[0], "exec", `${prefix}-prometheus`, "promtool", "query", "instant", "http://127.0.0.1:9090", 'count(up{job="redis-cluster"} == 1)');
            await eventually("Prometheus on the first host to scrape all 9 exporters", 60000, () => (/=> 9 @/.test(upOnFirstHost()) ? true : undefined));
            const targets = (await t.stack.outputs()).metricsTargets.value as { targets: [string]; labels: { node: string; host: string } }[];
            assert.equal(targets.length, 9);
            const bodies = await scrapeAll(targets.map((x) => x.targets[0]));
            for (const x of targets) {
                assert.equal(x.targets[0].split(":")[0], HOSTS.find((h) => h.name === x.labels.host)!.address, `${x.labels.node} is scraped on its host`);
                assert.equal(sample(bodies[x.targets[0]], "redis_cluster_state"), 1, x.targets[0]);
                assert.equal(sample(bodies[x.targets[0]], "redis_cluster_known_nodes"), 9, x.targets[0]);
            }
        };

        it("comes up with every shard on all three hosts and one master on each, each node's exporter beside it", async () => {
            const result = await t.up();
            assert.equal(result.outputs.clusterState.value, "ok");
            const placement: Record<string, string> = result.outputs.placement.value;
            assertPlacedOnHosts(placement, HOSTS, true, [`${prefix}-prometheus`]);
            await assertExported();
            seeds = result.outputs.seedNodes.value;
            ca = result.outputs.caCertificate.value;
            const [firstHost, firstPort] = seeds[0].split(":");
            assert.equal(
                result.outputs.connectCommand.value,
                `pulumi stack output caCertificate > redis-ca.crt && redis-cli -c --tls --cacert redis-ca.crt -h ${firstHost} -p ${firstPort} --askpass`,
            );
            const view = await clusterNodes(seeds[0], OLD_PASSWORD, ca);
            assert.equal(view.length, 9);
            assertAntiAffine(view);
            const masters = view.filter((n) => n.master && n.slots.length > 0);
            assert.equal(masters.length, 3);
            const perHost = HOSTS.map((h) => masters.filter((m) => m.host === h.name).length);
            assert.deepEqual(perHost, [1, 1, 1], "one master per host");
            await withClusterClient(seeds, OLD_PASSWORD, (c) => writeKeys(c, KEYS, "hr"), ca);
        });

        it("is backed up from the hosts (each shard's RDB copied through its host's engine) and restored into a new cluster over the same hosts, every key there", async () => {
            const backup = await backupToTemp(prefix);
            const restored = "e2e-hb";
            try {
                assert.equal(backup.code, 0, backup.output);
                const placement = (await t.stack.outputs()).placement.value as Record<string, string>;
                assert.deepEqual(backup.manifest!.shards.map((s) => [s.role, placement[s.node] !== undefined]), [["replica", true], ["replica", true], ["replica", true]]);
                const archive = backup.output.trim().split("\n").pop()!;
                // Another shape, on the hosts too: the restore reaches the new nodes at their hosts' addresses.
                const spread = await createTestStack(restored, { namePrefix: restored, subnet: "10.237.0.0/24", hostPortBase: "7301", replicasPerShard: "0", hosts: JSON.stringify(HOSTS), restoreFrom: archive });
                try {
                    const result = await spread.up();
                    assert.equal(result.outputs.clusterState.value, "ok");
                    // One master on each host (the suite's own cluster runs there too).
                    assert.deepEqual(Object.values(result.outputs.placement.value as Record<string, string>).sort(), HOSTS.map((h) => h.name).sort());
                    assert.match(result.stdout, /restored \d+ keys/);
                    assert.equal(await withClusterClient(result.outputs.seedNodes.value, undefined, (c) => countMissingKeys(c, KEYS, "hr")), 0);
                } finally {
                    await spread.destroyAndRemove();
                }
            } finally {
                fs.rmSync(backup.dir, { recursive: true, force: true });
            }
        });

        it("rotates the password node by node across the hosts while a client writes: no shard down, no write lost", async () => {
            await t.stack.setConfig("redis-cluster:password", { value: NEW_PASSWORD, secret: true });
            const endpoints = Object.fromEntries(seeds.map((s, i) => [`${prefix}-${i + 1}`, s]));
            const before = HOSTS.flatMap((h) => lines(engine(h, "ps", "-q", "--no-trunc", "--filter", `name=^${prefix}-[0-9]+$`)));
            // The writer keeps the old password all through: every node accepts both until the up ends.
            await upUnderWrites({ up: () => t.up(), seeds, addresses: endpoints, writers: [OLD_PASSWORD], auth: NEW_PASSWORD, tlsCa: ca, keyPrefix: "rotate" });
            const after = HOSTS.flatMap((h) => lines(engine(h, "ps", "-q", "--no-trunc", "--filter", `name=^${prefix}-[0-9]+$`)));
            assert.equal(after.length, 9);
            // The exporters log in with the new password.
            await assertExported();
            assert.deepEqual(after.filter((id) => before.includes(id)), [], "a container was not recreated");
            await withClusterClient(seeds, NEW_PASSWORD, async (reader) => assert.equal(await countMissingKeys(reader, KEYS, "hr"), 0), ca);
            for (const s of seeds) {
                const [host, port] = s.split(":");
                // No ready check: its INFO would be refused before AUTH.
                const c = new Redis({ host, port: Number(port), tls: { ca }, lazyConnect: true, enableReadyCheck: false, maxRetriesPerRequest: 0, retryStrategy: () => null });
                c.on("error", () => undefined);
                try {
                    await c.connect();
                    await assert.rejects(c.call("AUTH", OLD_PASSWORD), /WRONGPASS/, `${s} still takes the old password`);
                    assert.equal(await c.call("AUTH", NEW_PASSWORD), "OK");
                } finally {
                    c.disconnect();
                }
            }
            assertAntiAffine(await clusterNodes(seeds[0], NEW_PASSWORD, ca));
            await t.stack.preview({ expectNoChanges: true });
        });

        it("puts back replicas moved by hand onto their master's host: the preview names them, the up re-attaches them, no key lost", async () => {
            const view = await clusterNodes(seeds[0], NEW_PASSWORD, ca);
            const [a, b] = view.filter((n) => n.master && n.slots.length > 0);
            // b's replica on a's host and a's replica on b's host trade masters: each shard then has two members on one host.
            const moves = [
                { node: view.find((n) => n.masterId === b.id && n.host === a.host)!, to: a },
                { node: view.find((n) => n.masterId === a.id && n.host === b.host)!, to: b },
            ];
            for (const m of moves) {
                const c = new Redis({ host: m.node.ip, port: m.node.port, password: NEW_PASSWORD, tls: { ca }, lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
                c.on("error", () => undefined);
                try {
                    await c.connect();
                    assert.equal(await c.call("CLUSTER", "REPLICATE", m.to.id), "OK");
                } finally {
                    c.disconnect();
                }
            }
            await eventually("every node to see the moved replicas", 30000, async () => {
                const seen = await clusterNodes(seeds[0], NEW_PASSWORD, ca);
                return moves.every((m) => seen.find((n) => n.id === m.node.id)?.masterId === m.to.id) ? true : undefined;
            });
            assert.throws(() => assertAntiAffine(view.map((n) => ({ ...n, masterId: moves.find((m) => m.node.id === n.id)?.to.id ?? n.masterId }))), /shares a host/);
            const preview = await t.stack.preview();
            assert.match(preview.stdout + preview.stderr, /the live cluster differs from the plan; up reconciles it first:[\s\S]*should replicate .*so that no two members of a shard share a host/);
            const result = await t.up();
            assert.equal(result.outputs.clusterState.value, "ok");
            assertAntiAffine(await clusterNodes(seeds[0], NEW_PASSWORD, ca));
            await withClusterClient(seeds, NEW_PASSWORD, async (reader) => assert.equal(await countMissingKeys(reader, KEYS, "hr"), 0), ca);
            await t.stack.preview({ expectNoChanges: true });
        });

        it("refuses a hostPortBase change with hosts at preview and at up, leaving every container as it was", async () => {
            const before = HOSTS.flatMap((h) => lines(engine(h, "ps", "-q", "--no-trunc"))).sort();
            await t.stack.setConfig("redis-cluster:hostPortBase", { value: "7301" });
            try {
                const refusal = /redis-cluster:hostPortBase changed from 7201 to 7301: with hosts, .*every node's address changes[\s\S]*redis-cluster:allowFullRestart true/;
                await assert.rejects(t.stack.preview(), refusal);
                await assert.rejects(t.up(), refusal);
            } finally {
                await t.stack.setConfig("redis-cluster:hostPortBase", { value: "7201" });
            }
            assert.deepEqual(HOSTS.flatMap((h) => lines(engine(h, "ps", "-q", "--no-trunc"))).sort(), before);
            await withClusterClient(seeds, NEW_PASSWORD, async (reader) => assert.equal(await countMissingKeys(reader, KEYS, "hr"), 0), ca);
        });
    });
});
