import { strict as assert } from "assert";
import { chooseHeir, restartingMembers, ReplicaState } from "../../components/planning/handover";
import { parseClusterNodes } from "../../components/planning/topology";
import { planCluster } from "../../components/planning/plan";
import { rolloutOrder } from "../../components/planning/rollout";
import { rolloutGateProvider } from "../../components/providers/gate";
import { resolveSettings } from "../../components/planning/settings";

const planFor = (raw: Record<string, string>) => {
    const r = resolveSettings(raw, "redis:7.2");
    assert.deepEqual(r.problems, []);
    return planCluster(r.settings!);
};
const names = (nodes: { name: string }[]) => nodes.map((n) => n.name);

describe("rolling restarts", () => {
    it("restarts one node at a time: the planned masters first, then each shard's replicas rank by rank", () => {
        assert.deepEqual(names(rolloutOrder(planFor({}))), ["redis-1", "redis-2", "redis-3", "redis-4", "redis-5", "redis-6"]);
        assert.deepEqual(names(rolloutOrder(planFor({ shards: "3", replicasPerShard: "2" }))), [
            "redis-1", "redis-2", "redis-3", "redis-4", "redis-6", "redis-8", "redis-5", "redis-7", "redis-9",
        ]);
        assert.deepEqual(names(rolloutOrder(planFor({ replicasPerShard: "0" }))), ["redis-1", "redis-2", "redis-3"]);
    });

    it("restarts every planned node exactly once", () => {
        const plan = planFor({ shards: "5", replicasPerShard: "3" });
        assert.deepEqual(names(rolloutOrder(plan)).sort(), names(plan.nodes).sort());
    });

    it("restarts only existing nodes whose container definition changed", () => {
        const m = (name: string, revision: string) => ({ name, ip: "10.0.0.1", port: 6379, revision });
        const before = [m("a", "1"), m("b", "1"), m("c", "1")];
        const after = [m("a", "2"), m("b", "1"), m("d", "9")];
        assert.deepEqual(restartingMembers(before, after).map((x) => x.name), ["a"]);
        assert.deepEqual(restartingMembers([], after), []);
    });

    it("hands a master to its most up-to-date linked replica that is not restarting too", () => {
        const view = parseClusterNodes(`
m1 10.0.0.11:6379@16379 myself,master - 0 0 1 connected 0-5460
r4 10.0.0.14:6379@16379 slave m1 0 0 1 connected
r7 10.0.0.17:6379@16379 slave m1 0 0 1 connected
r8 10.0.0.18:6379@16379 slave,fail m1 0 0 1 disconnected
r5 10.0.0.15:6379@16379 slave m2 0 0 2 connected`);
        const master = view[0];
        const states = new Map<string, ReplicaState>([
            ["10.0.0.14:6379", { linked: true, offset: 100 }],
            ["10.0.0.17:6379", { linked: true, offset: 120 }],
            ["10.0.0.18:6379", { linked: true, offset: 999 }],
            ["10.0.0.15:6379", { linked: true, offset: 999 }],
        ]);
        assert.equal(chooseHeir(view, master, new Set(), states)?.id, "r7");
        // r7 restarts too: r4 takes over.
        assert.equal(chooseHeir(view, master, new Set(["10.0.0.17:6379"]), states)?.id, "r4");
        // A replica still syncing is not an heir: wait.
        states.set("10.0.0.14:6379", { linked: false, offset: 0 });
        assert.equal(chooseHeir(view, master, new Set(["10.0.0.17:6379"]), states), undefined);
    });
});

describe("rollout gate chain", () => {
    const node = (revision: string) => ({ name: "redis-2", ip: "10.0.0.12", port: 6379, revision });
    const base = { clusterName: "redis", entryPoints: [{ name: "redis-2", ip: "10.0.0.12", port: 6379 }] };
    const record = { name: "redis-1", ip: "10.0.0.11", port: 6379, runId: "r1" };

    it("passes the previous restart on when its own node is new or unchanged, without touching Redis", async () => {
        const created = await rolloutGateProvider.create({ ...base, node: node("a"), previous: record });
        assert.deepEqual(created.outs.restart, record);
        const first = await rolloutGateProvider.create({ ...base, node: node("a") });
        assert.deepEqual(first.outs.restart, { name: "", ip: "", port: 0, runId: "" }, "always present, so the next preview is stable");
        const updated = await rolloutGateProvider.update!("id", { ...base, node: node("a") }, { ...base, node: node("a"), previous: record });
        assert.deepEqual(updated.outs.restart, record);
    });

    it("updates when its node or the node to wait for changes, and not otherwise", async () => {
        const olds = { ...base, node: node("a"), previous: record };
        assert.equal((await rolloutGateProvider.diff!("id", olds, { ...olds })).changes, false);
        assert.equal((await rolloutGateProvider.diff!("id", olds, { ...olds, node: node("b") })).changes, true);
        assert.equal((await rolloutGateProvider.diff!("id", olds, { ...olds, previous: { ...record, runId: "r2" } })).changes, true);
    });
});
