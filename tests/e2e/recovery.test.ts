// Day-2 recovery: nodes lost together with their volumes, and a `pulumi up`
// killed in the middle of moving slots. Every key is checked after each.
import { strict as assert } from "assert";
import Redis from "ioredis";
import { ClusterNodesLine, readClusterNodes } from "../support/clusterNodes";
import { docker, stackObjects } from "../support/docker";
import { freezeTree, killFrozen, pulumiUpPid, thaw } from "../support/process";
import { TestStack, createTestStack, npmRunUpAfterKill } from "../support/stack";
import { runStatus } from "../support/status";
import { DataSet, LiveNode, eventually, liveNodes, missingFromDataSet, redisCli, withClusterClient, writeDataSet } from "../support/redis";

const PREFIX = "e2e-f";
const NODE_TIMEOUT_MS = 5000;
const seed = "10.206.0.11:6379";
// 10,000 plain keys and 5,000 hash-tagged pairs: 20,000 keys in all.
const DATA: DataSet = { prefix: "r", plain: 10000, groups: 5000 };

interface Member {
    name: string;
    ip: string;
    nodeId: string;
}
interface ShardOutput {
    master: Member;
    replicas: Member[];
    slotCount: number;
}

describe("recovering from lost nodes and an interrupted up", function () {
    this.timeout(20 * 60 * 1000);
    let t: TestStack;
    let shards: ShardOutput[];

    before(async () => {
        t = await createTestStack(PREFIX, { namePrefix: PREFIX, subnet: "10.206.0.0/24", hostPortBase: "0", nodeTimeoutMs: String(NODE_TIMEOUT_MS) });
        shards = (await t.up()).outputs.slotAssignments.value;
        await withClusterClient([seed], undefined, (client) => writeDataSet(client, DATA));
    });
    after(async () => {
        await t?.destroyAndRemove();
    });

    /** Deletes a node as a careless `docker rm -f -v` / `docker volume prune` would: nothing of it is left. */
    function destroyNodeAndVolume(name: string) {
        docker("rm", "-f", "-v", name);
        docker("volume", "rm", `${name}-data`);
    }

    async function assertAllKeys() {
        const missing = await withClusterClient([seed], undefined, (client) => missingFromDataSet(client, DATA));
        assert.deepEqual(missing, { plain: 0, groups: 0 });
    }

    /** Every container's own view: nobody remembers `deadId`, nobody has an open slot. */
    function assertViewsClean(deadId?: string) {
        for (const name of stackObjects(t.name).containers) {
            const view = liveNodes(name);
            if (deadId) assert.ok(!view.some((n) => n.id === deadId), `${name} still knows the dead id ${deadId}`);
            assert.ok(!view.some((n) => n.failed), `${name} sees failed nodes:\n${JSON.stringify(view)}`);
            assert.ok(!view.some((n) => n.slots.some((s) => s.startsWith("["))), `${name} has open slots`);
        }
    }

    /** Container name -> id, for every container of the stack. */
    const containerIds = () => Object.fromEntries(stackObjects(t.name).containers.map((n) => [n, docker("inspect", "-f", "{{.Id}}", n).trim()]));

    /** Refresh and up bring `lost` back; every other container keeps running as it was (none restarts with it). */
    async function recreateWithUp(lost: string): Promise<ShardOutput[]> {
        const before = containerIds();
        // As a person would: refresh notices the missing container and volume, up creates them again.
        await t.stack.refresh();
        const result = await t.up();
        assert.equal(result.outputs.clusterState.value, "ok");
        const after = containerIds();
        assert.deepEqual(Object.keys(after).sort(), [...Object.keys(before), lost].sort());
        assert.deepEqual(Object.fromEntries(Object.keys(before).map((n) => [n, after[n]])), before, "a container other than the lost one was recreated");
        return result.outputs.slotAssignments.value;
    }

    it("re-attaches a replica whose container and volume were deleted: new id, old id forgotten", async () => {
        const lost = shards[0].replicas[0];
        destroyNodeAndVolume(lost.name);
        await eventually("the cluster to mark the replica failed", NODE_TIMEOUT_MS + 10000, () =>
            liveNodes(shards[0].master.name).find((n) => n.id === lost.nodeId)?.flags.includes("fail") ? true : undefined,
        );

        shards = await recreateWithUp(lost.name);
        const view = liveNodes(shards[0].master.name);
        const back = view.find((n) => n.ip === lost.ip)!;
        assert.ok(back, "the recreated node is not in the cluster");
        assert.notEqual(back.id, lost.nodeId, "an empty volume cannot keep the old identity");
        assert.ok(back.flags.includes("slave"), `it joined as ${back.flags}`);
        assert.equal(back.masterId, shards[0].master.nodeId);
        assert.deepEqual(shards[0].replicas.map((r) => r.nodeId), [back.id]);
        assert.match(redisCli(lost.name, undefined, "info", "replication"), /master_link_status:up/);
        assertViewsClean(lost.nodeId);
        await assertAllKeys();
        await t.stack.preview({ expectNoChanges: true });
    });

    it("after losing a master with its volume, keeps the promoted replica as master and re-attaches the new node under it", async () => {
        const lost = shards[1].master;
        const heir = shards[1].replicas[0];
        const observer = shards[0].master.name;
        destroyNodeAndVolume(lost.name);
        await eventually("the replica to take over", NODE_TIMEOUT_MS + 10000, () => {
            const h = liveNodes(observer).find((n) => n.id === heir.nodeId);
            return h?.flags.includes("master") && h.slots.length > 0 ? true : undefined;
        });
        // Served again by the promoted replica before Pulumi does anything.
        await assertAllKeys();

        shards = await recreateWithUp(lost.name);
        const view = liveNodes(observer);
        const back = view.find((n) => n.ip === lost.ip)!;
        assert.notEqual(back.id, lost.nodeId);
        assert.ok(back.flags.includes("slave"), `it joined as ${back.flags}`);
        assert.equal(back.masterId, heir.nodeId, "the new node replicates the promoted replica");
        const shard = shards.find((s) => s.master.nodeId === heir.nodeId);
        assert.ok(shard, `outputs do not show ${heir.name} as a master: ${JSON.stringify(shards)}`);
        assert.deepEqual(shard.replicas.map((r) => r.nodeId), [back.id]);
        assertViewsClean(lost.nodeId);
        const check = redisCli(observer, undefined, "--cluster", "check", seed);
        assert.match(check, /\[OK\] All 16384 slots covered\./);
        await assertAllKeys();
        assert.equal(runStatus(t.name).code, 0);
        await t.stack.preview({ expectNoChanges: true });
    });

    it("recreates every container although a replica is stopped: the stopped replica blocks nothing", async () => {
        // A shard whose master restarts before its replica (planned masters go first): the master's gate
        // finds the replica stopped, and this very up recreates the replica after it.
        const shard = shards.find((s) => Number(s.master.name.split("-").pop()) <= 3)!;
        const stopped = shard.replicas[0].name;
        docker("stop", stopped);
        await t.stack.setConfig("redis-cluster:nodeTimeoutMs", { value: String(NODE_TIMEOUT_MS + 1000) });
        const result = await t.up();
        assert.equal(result.outputs.clusterState.value, "ok");
        shards = result.outputs.slotAssignments.value;
        // Its master restarted without a failover instead of waiting for a replica that cannot take over.
        assert.match(t.log.join(""), new RegExp(`${shard.master.name}: none of its replicas answers`));
        assert.match(t.log.join(""), new RegExp(`${stopped}: does not answer; nothing to hand over before it restarts`));
        for (const name of stackObjects(t.name).containers) {
            assert.equal(docker("inspect", "-f", "{{.State.Running}}", name), "true", `${name} is not running`);
            assert.equal(redisCli(name, undefined, "config", "get", "cluster-node-timeout").split("\n")[1], String(NODE_TIMEOUT_MS + 1000));
        }
        assert.ok(shards.every((s) => s.replicas.length === 1), JSON.stringify(shards));
        assertViewsClean();
        await assertAllKeys();
        await t.stack.preview({ expectNoChanges: true });
    });

    /**
     * Starts an up after `change`, and SIGKILLs the whole `pulumi up` process tree (CLI, language host,
     * providers) while a slot is open on one of `watched` (the masters slots move from). Returns the
     * own CLUSTER NODES line of each watched node and of `alsoRead` as the kill left them.
     */
    async function upKilledMidMigration(change: () => Promise<void>, watched: Member[], alsoRead: string[]): Promise<LiveNode[]> {
        const masters = watched.map((m) => new Redis({ host: m.ip, port: 6379, lazyConnect: true, maxRetriesPerRequest: 1 }));
        masters.forEach((m) => m.on("error", () => undefined));
        try {
            await change();
            const up = t.up();
            up.catch(() => undefined);
            const migrating = async () => {
                for (const m of masters) {
                    // Never throws: it also runs while the up is frozen, which must then be killed or thawed.
                    const view = await m
                        .call("CLUSTER", "NODES")
                        .then((t) => readClusterNodes(String(t)))
                        .catch((): ClusterNodesLine[] => []);
                    if (view.find((l) => l.myself)?.slots.some((s) => s.includes("->-"))) return true;
                }
                return false;
            };
            // Watch the source masters for a slot marked MIGRATING, freeze the whole up, and pull the plug
            // only if a slot is still open once frozen (between two batches none is; then thaw and watch on).
            const killed = await eventually(
                "a slot to be migrating",
                10 * 60 * 1000,
                async () => {
                    if (!(await migrating())) return undefined;
                    const pid = pulumiUpPid(t.name);
                    if (pid === undefined) return undefined;
                    const frozen = freezeTree(pid);
                    if (await migrating()) return killFrozen(frozen);
                    thaw(frozen);
                    return undefined;
                },
                5,
            );
            assert.ok(killed.length >= 3, `killed only ${killed}`);
            await assert.rejects(up, "the killed up reported success");
            return [...watched.map((m) => m.name), ...alsoRead].flatMap((name) => liveNodes(name).filter((n) => n.flags.includes("myself")));
        } finally {
            masters.forEach((m) => m.disconnect());
        }
    }

    /** `npm run up` as a person runs it after a killed one: it releases the dead process's lock. */
    const npmRunUp = () => npmRunUpAfterKill(t.name);

    /** A healthy cluster of `count` balanced shards holding every key, on exactly the planned containers. */
    async function assertSettled(count: number): Promise<ShardOutput[]> {
        const outputs = await t.stack.outputs();
        assert.equal(outputs.clusterState.value, "ok");
        const out: ShardOutput[] = outputs.slotAssignments.value;
        assert.equal(out.length, count);
        const counts = out.map((s) => s.slotCount);
        assert.ok(Math.max(...counts) - Math.min(...counts) <= 1, `slots unbalanced: ${counts}`);
        assert.equal(stackObjects(t.name).containers.length, count * 2);
        assertViewsClean();
        const check = redisCli(out[0].master.name, undefined, "--cluster", "check", seed);
        assert.match(check, /\[OK\] All 16384 slots covered\./);
        assert.match(check, /\[OK\] All nodes agree about slots configuration\./);
        assert.doesNotMatch(check, /\[ERR\]|\[WARNING\]/);
        await assertAllKeys();
        await t.stack.preview({ expectNoChanges: true });
        return out;
    }

    it("finishes a 3 -> 4 shard migration when the up doing it is killed and run again", async () => {
        const interrupted = await upKilledMidMigration(
            () => t.stack.setConfig("redis-cluster:shards", { value: "4" }),
            shards.map((s) => s.master),
            [`${PREFIX}-7`],
        );
        const open = interrupted.flatMap((n) => n.slots.filter((s) => s.startsWith("[")));
        // Without open slots the kill came too late and this test would prove nothing.
        assert.ok(open.length > 0, "the kill left no slot open");
        if (process.env.E2E_VERBOSE) console.log(`left open by the kill: ${open.length} slot marker(s), e.g. ${open[0]}`);
        // The nodes that joined already own slots and vote: they must not be left at the short timeout
        // the bootstrap gives joining nodes, although the run that set it was killed.
        const configured = (await t.stack.getConfig("redis-cluster:nodeTimeoutMs")).value;
        for (const joined of [`${PREFIX}-7`, `${PREFIX}-8`]) {
            assert.equal(redisCli(joined, undefined, "config", "get", "cluster-node-timeout").split("\n")[1], configured, joined);
        }

        // Run again as a person would: `npm run up` releases the dead process's lock and finishes the job.
        const output = npmRunUp();
        // A slot still importing on the target is moved on; a slot the target already owns (the kill came
        // between its SETSLOT NODE and the source's) only has the source's marker closed.
        const importing = open.some((m) => m.includes("-<-"));
        assert.match(output, importing ? /finishing an interrupted migration/ : /closing \d+ open slot\(s\) on .* whose migration partner is gone or done/, `markers ${open.join(" ")}\n${output.slice(-4000)}`);
        shards = await assertSettled(4);
    });

    it("keeps every key when a killed 4 -> 3 scale-in is reverted: the half-drained shard gets its slots back", async () => {
        const interrupted = await upKilledMidMigration(() => t.stack.setConfig("redis-cluster:shards", { value: "3" }), shards.map((s) => s.master), []);
        assert.ok(interrupted.some((n) => n.slots.some((s) => s.startsWith("["))), "the kill left no slot open");
        // Back to 4: the bootstrap's inputs are those of its last successful run, so only the live cluster shows the half-done shape.
        await t.stack.setConfig("redis-cluster:shards", { value: "4" });
        const output = npmRunUp();
        assert.match(output, /the live cluster differs from the plan; up reconciles it first/);
        shards = await assertSettled(4);
    });

    it("keeps every key when a killed 4 -> 5 scale-out is reverted: the new master is drained before its container goes", async () => {
        const interrupted = await upKilledMidMigration(() => t.stack.setConfig("redis-cluster:shards", { value: "5" }), shards.map((s) => s.master), [`${PREFIX}-9`, `${PREFIX}-10`]);
        assert.ok(interrupted.some((n) => n.slots.some((s) => s.startsWith("["))), "the kill left no slot open");
        await t.stack.setConfig("redis-cluster:shards", { value: "4" });
        const output = npmRunUp();
        assert.match(output, /the live cluster differs from the plan; up reconciles it first:[\s\S]*is a member of the cluster but not in the plan/);
        assert.match(output, /draining them before they go/);
        shards = await assertSettled(4);
        assert.ok(!stackObjects(t.name).containers.includes(`${PREFIX}-9`) && !stackObjects(t.name).volumes.includes(`${PREFIX}-9-data`));
    });
});
