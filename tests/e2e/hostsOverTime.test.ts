// Hosts over time, on test hosts made on this machine (scripts/test-hosts.sh). A host gone for good
// (destroy: its dockerd, containers and volumes deleted) replaced by a new machine under the same name:
// the refusal names the recovery, a replacement whose old machine still answers is refused, and the up
// with `replaced` brings every shard's replica back on a host apart from its master, under writes, with
// every key kept. A host drained under writes: each of its nodes started on another host and handed
// over before it goes; then the host leaves the list with nothing of the cluster left on it; a drain
// the other hosts cannot hold is refused at preview. A drain killed half way (once a new node runs, and
// once one has joined the cluster) and then reverted: the drained host's nodes stay, the new ones leave.
import { strict as assert } from "assert";
import { execFileSync } from "child_process";
import { TestStack, createTestStack, npmRunUpAfterKill } from "../support/stack";
import { freezeTree, killFrozen, pulumiUpPid } from "../support/process";
import { clusterClient, countMissingKeys, eventually, withClusterClient, writeKeys } from "../support/redis";
import { ClusterNodesLine, readClusterNodes } from "../support/clusterNodes";
import { runStatus } from "../support/status";
import { ContinuousWriter } from "../support/writer";
import { upUnderWrites } from "../support/rollout";
import { testHost, testHosts } from "../support/testHosts";

const PREFIX = "e2e-rh";
const KEYS = 5000;
const HOSTS = [1, 2, 3].map(testHost);
/** The fourth machine, in host 2's place. */
const REPLACEMENT = { ...testHost(4), name: "h2", replaced: true };
const engine = (host: { docker: string }, ...args: string[]) => execFileSync("docker", ["-H", host.docker, ...args], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] }).trim();
const lines = (text: string) => text.split("\n").filter(Boolean);

/** CLUSTER NODES as the node at `endpoint` sees it, read with the tests' own parser. */
async function clusterNodes(endpoint: string): Promise<ClusterNodesLine[]> {
    return withClusterClient([endpoint], undefined, async (c) => {
        await c.exists("any");
        return readClusterNodes(String(await c.nodes("master")[0].call("CLUSTER", "NODES")));
    });
}

describe("hosts over time", function () {
    this.timeout(30 * 60 * 1000);
    before(() => testHosts("down"));
    after(() => testHosts("down"));

    describe("a host gone for good, replaced by a new machine under its name", function () {
        let t: TestStack;
        let seeds: string[];

        before(async () => {
            testHosts("up", "3");
            t = await createTestStack(PREFIX, { namePrefix: PREFIX, subnet: "10.240.0.0/24", hostPortBase: "7401", hosts: JSON.stringify(HOSTS) });
            seeds = (await t.up()).outputs.seedNodes.value;
            await withClusterClient(seeds, undefined, (c) => writeKeys(c, KEYS, "rh"));
        });
        after(async () => {
            await t?.destroyAndRemove();
            for (const h of [1, 3, 4].map(testHost)) assert.deepEqual(lines(engine(h, "ps", "-a", "--format", "{{.Names}}")), [], `containers left on ${h.docker}`);
            testHosts("down");
        });

        it("keeps every key when host 2 is destroyed, and the preview's warning names the commands that replace it", async () => {
            testHosts("destroy", "2");
            const alive = seeds.filter((s) => !s.startsWith("10.77.0.12:"));
            await eventually("every key readable with h2 gone", 60000, () => withClusterClient(alive, undefined, async (c) => ((await countMissingKeys(c, KEYS, "rh")) === 0 ? true : undefined)).catch(() => undefined), 1000);
            const preview = await t.stack.preview({ expectNoChanges: true });
            assert.match(
                preview.stdout,
                /host "h2" \(unix:\/\/\/run\/rch-2\.sock\) does not answer[\s\S]*If its machine is gone for good, point its entry at a new machine[\s\S]*pulumi config set --path 'redis-cluster:hosts\[1\]\.docker' <the new machine's Docker endpoint>\s+pulumi config set --path 'redis-cluster:hosts\[1\]\.address' <the new machine's address>\s+pulumi config set --path 'redis-cluster:hosts\[1\]\.replaced' true/,
            );
        });

        it("refuses to replace a host whose old machine still answers, changing nothing", async () => {
            // Host 3 is alive: pointing its entry elsewhere would abandon its nodes' data.
            const running = engine(HOSTS[2], "ps", "-q", "--no-trunc");
            testHosts("add", "4");
            await t.stack.setConfig("redis-cluster:hosts", { value: JSON.stringify([HOSTS[0], HOSTS[1], { ...testHost(4), name: "h3", replaced: true }]) });
            await assert.rejects(t.stack.preview(), /host "h3" is marked replaced, but its old machine \(unix:\/\/\/run\/rch-3\.sock\) still answers/);
            assert.equal(engine(HOSTS[2], "ps", "-q", "--no-trunc"), running);
            assert.equal(engine(testHost(4), "ps", "-aq"), "");
        });

        it("replaces host 2 by a fourth machine under writes: replicas back on hosts apart from their masters, HEALTHY, every key, no change on the next preview", async () => {
            await t.stack.setConfig("redis-cluster:hosts", { value: JSON.stringify([HOSTS[0], REPLACEMENT, HOSTS[2]]) });
            const alive = seeds.filter((s) => !s.startsWith("10.77.0.12:"));
            const writerClient = clusterClient(alive);
            const writer = new ContinuousWriter(writerClient, "during").start();
            let result;
            try {
                result = await t.up();
            } finally {
                await writer.stop();
            }
            try {
                assert.deepEqual(await writer.lost(writerClient), [], "acknowledged writes lost");
            } finally {
                writerClient.disconnect();
            }
            assert.equal(result.outputs.clusterState.value, "ok");
            assert.match(result.stdout, /forgetting 2 departed node id\(s\)/);
            // The placement output: h2's nodes, on the new machine.
            const placement: Record<string, string> = result.outputs.placement.value;
            const onH2 = Object.keys(placement).filter((n) => placement[n] === "h2").sort();
            assert.deepEqual(lines(engine(testHost(4), "ps", "--format", "{{.Names}}")).sort(), onH2);
            seeds = result.outputs.seedNodes.value;
            assert.ok(seeds.some((s) => s.startsWith("10.77.0.14:")) && !seeds.some((s) => s.startsWith("10.77.0.12:")), `seeds ${seeds}`);
            // Every shard has its replica again, on a host apart from its master's; nothing of the old machine is known.
            const view = await clusterNodes(seeds[0]);
            assert.equal(view.length, 6);
            assert.deepEqual(view.filter((n) => n.failed || n.ip === "10.77.0.12"), []);
            const hostOf = (n: ClusterNodesLine) => `${n.ip}`;
            for (const m of view.filter((n) => n.master && n.owned.length > 0)) {
                const replicas = view.filter((r) => r.masterId === m.id);
                assert.equal(replicas.length, 1, `shard of ${m.ip}:${m.port}`);
                assert.notEqual(hostOf(replicas[0]), hostOf(m), `shard of ${m.ip}:${m.port} shares a host`);
            }
            assert.equal(new Set(view.filter((n) => n.master && n.owned.length > 0).map(hostOf)).size, 3, "one master per host");
            const status = runStatus(t.name);
            assert.equal(status.code, 0, status.output);
            assert.match(status.output, /HEALTHY/);
            assert.equal(await withClusterClient(seeds, undefined, (c) => countMissingKeys(c, KEYS, "rh")), 0);
            // The flag may stay: nothing left to replace.
            const preview = await t.stack.preview({ expectNoChanges: true });
            assert.match(preview.stdout, /host "h2" is marked replaced and runs on the machine its entry names: nothing to replace/);
        });
    });

    describe("a host drained, then removed from the list", function () {
        const prefix = "e2e-dr";
        const FOUR = [1, 2, 3, 4].map(testHost);
        let t: TestStack;
        let seeds: string[];

        before(async () => {
            testHosts("up", "4");
            // 4 shards on 4 hosts: one master each. Drained to 3 hosts, one of them runs two: accepted up front.
            t = await createTestStack(prefix, { namePrefix: prefix, subnet: "10.241.0.0/24", hostPortBase: "7501", shards: "4", replicasPerShard: "2", hosts: JSON.stringify(FOUR) });
            seeds = (await t.up()).outputs.seedNodes.value;
            await withClusterClient(seeds, undefined, (c) => writeKeys(c, KEYS, "dr"));
        });
        after(async () => {
            await t?.destroyAndRemove();
        });

        it("refuses a drain that would leave one host half the masters, naming allowHostLossOutage, with nothing changed", async () => {
            await t.stack.setConfig("redis-cluster:hosts", { value: JSON.stringify([...FOUR.slice(0, 3), { ...FOUR[3], drain: true }]) });
            await assert.rejects(t.stack.preview(), /host "h\d" would run 2 of the 4 masters[\s\S]*allowHostLossOutage/);
        });

        /** Names of the containers on hosts 1-3, and the ids of those running on host 4. */
        const onOthers = () => FOUR.slice(0, 3).flatMap((h) => lines(engine(h, "ps", "-a", "--format", "{{.Names}}"))).sort();
        const runningOnH4 = () => lines(engine(FOUR[3], "ps", "-q", "--no-trunc")).sort();

        /**
         * Starts the drain of host 4, SIGKILLs the whole up (CLI, language host, providers) once `reached` says so,
         * then takes the drain back as a person would (the flag off, `npm run up`): the drained host's nodes stay
         * as they ran, the new ones leave the other hosts, every key stays and the next preview shows no changes.
         */
        async function drainKilledThenReverted(reached: (drained: string[]) => Promise<boolean>) {
            const placement: Record<string, string> = (await t.stack.outputs()).placement.value;
            const drained = Object.keys(placement).filter((n) => placement[n] === "h4");
            const [others, h4] = [onOthers(), runningOnH4()];
            await t.stack.setConfig("redis-cluster:hosts", { value: JSON.stringify([...FOUR.slice(0, 3), { ...FOUR[3], drain: true }]) });
            const up = t.up();
            up.catch(() => undefined);
            const killed = await eventually(
                "the drain to get that far",
                5 * 60 * 1000,
                async () => {
                    if (!(await reached(drained))) return undefined;
                    const pid = pulumiUpPid(t.name);
                    return pid === undefined ? undefined : killFrozen(freezeTree(pid));
                },
                100,
            );
            assert.ok(killed.length >= 3, `killed only ${killed}`);
            await assert.rejects(up, "the killed up reported success");
            await t.stack.setConfig("redis-cluster:hosts", { value: JSON.stringify(FOUR) });
            npmRunUpAfterKill(t.name);
            assert.deepEqual((await t.stack.outputs()).placement.value, placement);
            assert.deepEqual(onOthers(), others, "the new nodes left hosts 1-3");
            assert.deepEqual(runningOnH4(), h4, "host 4's containers ran on, never replaced");
            const view = await clusterNodes(seeds[0]);
            assert.equal(view.length, 12);
            assert.deepEqual(view.filter((n) => n.failed).map((n) => n.endpoint), []);
            assert.equal(view.filter((n) => n.ip === "10.77.0.14").length, 3);
            assert.equal(await withClusterClient(seeds, undefined, (c) => countMissingKeys(c, KEYS, "dr")), 0);
            await t.stack.preview({ expectNoChanges: true });
        }

        it("takes back a drain killed once a new node runs on another host: host 4's nodes stay, the new ones leave, every key stays", async () => {
            await t.stack.setConfig("redis-cluster:allowHostLossOutage", { value: "true" });
            await drainKilledThenReverted(async (drained) => onOthers().some((n) => drained.includes(n)));
        });

        it("takes back a drain killed once a new node has joined the cluster: it is handed back and leaves, every key stays", async () => {
            const addresses = FOUR.slice(0, 3).map((h) => h.address);
            await drainKilledThenReverted(async (drained) => {
                const ports = drained.map((n) => 7501 + Number(n.split("-").pop()) - 1);
                const view = await clusterNodes(seeds[0]).catch((): ClusterNodesLine[] => []);
                return view.some((n) => addresses.includes(n.ip) && ports.includes(n.port));
            });
        });

        it("drains host 4 under writes: its nodes start on the other hosts and take over before they go; no write lost, every shard on three hosts", async () => {
            await t.stack.setConfig("redis-cluster:hosts", { value: JSON.stringify([...FOUR.slice(0, 3), { ...FOUR[3], drain: true }]) });
            const before: Record<string, string> = (await t.stack.outputs()).placement.value;
            const drained = Object.keys(before).filter((n) => before[n] === "h4");
            assert.equal(drained.length, 3);
            // The nodes that stay must never go down; the drained ones go only after their successors took over.
            const nodes: { name: string; ip: string; port: number }[] = (await t.stack.outputs()).nodes.value;
            const staying = Object.fromEntries(nodes.filter((n) => !drained.includes(n.name)).map((n) => [n.name, `${n.ip}:${n.port}`]));
            const watched = await upUnderWrites({ up: () => t.up(), seeds: seeds.filter((x) => !x.startsWith("10.77.0.14:")), addresses: staying, keyPrefix: "drain" });
            const placement: Record<string, string> = watched.result.outputs.placement.value;
            assert.deepEqual(Object.values(placement).filter((h) => h === "h4"), []);
            for (const n of drained) assert.notEqual(placement[n], undefined, n);
            assert.deepEqual(lines(engine(FOUR[3], "ps", "-a", "--format", "{{.Names}}")), [], "containers left on h4");
            assert.deepEqual(lines(engine(FOUR[3], "volume", "ls", "-q")), [], "volumes left on h4");
            seeds = watched.result.outputs.seedNodes.value;
            const view = await clusterNodes(seeds[0]);
            assert.equal(view.length, 12);
            assert.deepEqual(view.filter((n) => n.failed || n.ip === "10.77.0.14"), []);
            for (const m of view.filter((n) => n.master && n.owned.length > 0)) {
                const members = [m, ...view.filter((r) => r.masterId === m.id)];
                assert.equal(new Set(members.map((n) => n.ip)).size, 3, `shard of ${m.endpoint} is not on three hosts`);
            }
            assert.equal(await withClusterClient(seeds, undefined, (c) => countMissingKeys(c, KEYS, "dr")), 0);
            await t.stack.preview({ expectNoChanges: true });
        });

        it("lets the drained host leave the list, and refuses a drain the other hosts cannot hold at preview", async () => {
            await t.stack.setConfig("redis-cluster:hosts", { value: JSON.stringify(FOUR.slice(0, 3)) });
            assert.equal((await t.up()).outputs.clusterState.value, "ok");
            // Shards of three nodes on two hosts: refused before anything is created or changed.
            await t.stack.setConfig("redis-cluster:hosts", { value: JSON.stringify([...FOUR.slice(0, 2), { ...FOUR[2], drain: true }]) });
            await assert.rejects(t.stack.preview(), /draining "h3" would leave 2 host\(s\), and each shard's 3 nodes need 3 hosts apart: add a host to the list first/);
            await t.stack.setConfig("redis-cluster:hosts", { value: JSON.stringify(FOUR.slice(0, 3)) });
        });
    });
});
