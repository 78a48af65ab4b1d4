import { strict as assert } from "assert";
import fc from "fast-check";
import { clusterLayout, planCluster } from "../../components/planning/plan";
import { resolveSettings } from "../../components/planning/settings";
import { SEED_NODES, clusterAddresses, gateEntryPoints } from "../../components/planning/entryPoints";
import { ClusterView } from "../../components/planning/clusterView";

const layoutFor = (raw: Record<string, unknown>) => {
    const r = resolveSettings(raw, "redis:7.2");
    assert.deepEqual(r.problems, []);
    return clusterLayout(planCluster(r.settings));
};
const hostList = (count: number) => Array.from({ length: count }, (_, i) => ({ name: `h${i + 1}`, docker: `unix:///run/ep-${i + 1}.sock`, address: `10.77.0.${11 + i}` }));

/** Any valid shape: 1-60 shards, 0-3 replicas, on one engine or on 2-5 hosts (at least one more than the replicas). */
const shapeArb = fc.record({ shards: fc.integer({ min: 3, max: 60 }), replicas: fc.integer({ min: 0, max: 3 }), hosts: fc.integer({ min: 0, max: 5 }) })
    .filter(({ replicas, hosts }) => hosts === 0 || hosts > replicas);
const layoutOf = ({ shards, replicas, hosts }: { shards: number; replicas: number; hosts: number }) =>
    layoutFor({ shards: String(shards), replicasPerShard: String(replicas), subnet: "10.5.0.0/16", ...(hosts > 0 ? { hosts: hostList(hosts), hostPortBase: "7101" } : {}) });

describe("a rollout gate's entry points (planning/entryPoints)", () => {
    it("are planned nodes: the node first, its whole planned shard, the first nodes, one on every host, and no more, whatever the size", () => {
        fc.assert(
            fc.property(shapeArb, fc.nat(), (shape, pick) => {
                const layout = layoutOf(shape);
                const node = layout.nodes[pick % layout.nodes.length];
                const entries = gateEntryPoints(layout, node.name);
                const planned = new Map(layout.nodes.map((n) => [n.name, n]));
                assert.deepEqual(entries[0], node);
                for (const e of entries) assert.deepEqual(e, planned.get(e.name), `${e.name} is planned, at its planned address`);
                assert.equal(new Set(entries.map((e) => e.name)).size, entries.length, "no node twice");
                const shard = layout.shards.find((s) => [s.master, ...s.replicas].includes(node.name))!;
                for (const m of [shard.master, ...shard.replicas]) assert.ok(entries.some((e) => e.name === m), `its shard's ${m}`);
                for (const n of layout.nodes.slice(0, SEED_NODES)) assert.ok(entries.some((e) => e.name === n.name), `seed ${n.name}`);
                const hosts = new Set(layout.nodes.map((n) => n.host));
                for (const h of hosts) if (h !== undefined) assert.ok(entries.some((e) => e.host === h), `one on ${h}`);
                // Bounded by the shard, the seeds and the hosts: not by the node count.
                assert.ok(entries.length <= shape.replicas + 1 + SEED_NODES + shape.hosts, `${entries.length} entries`);
            }),
            { numRuns: 60 },
        );
    });
});

describe("the cluster found from entry points (clusterAddresses)", () => {
    const line = (id: string, at: string, flags = "master") => `${id} ${at}@16379 ${flags} - 0 0 1 connected`;
    /** n nodes at 10.6.0.(1..n):6379, as one view lists them (some failed, one without an address). */
    const viewArb = fc.record({ count: fc.integer({ min: 1, max: 40 }), failed: fc.array(fc.nat()), noaddr: fc.boolean() });

    it("keeps every entry point first, as given, answering or not, and adds each node a view lists at an address once, named by it and marked unplanned", () => {
        fc.assert(
            fc.property(viewArb, viewArb, fc.integer({ min: 1, max: 5 }), (a, b, entryCount) => {
                const text = (v: typeof a, from: number) =>
                    [
                        ...Array.from({ length: v.count }, (_, i) => line(`id${i + 1}`, `10.6.0.${i + 1}:6379`, v.failed.includes(i) ? "master,fail" : i === from ? "myself,master" : "master")),
                        ...(v.noaddr ? [line("gone", ":0", "master,noaddr")] : []),
                    ].join("\n");
                const views = [ClusterView.parse(text(a, 0)), ClusterView.parse(text(b, 1))];
                // Entry points: planned names, some of them also listed, one (10.7.0.1) listed by no view.
                const entries = [...Array.from({ length: entryCount }, (_, i) => ({ name: `node-${i + 1}`, ip: "10.6.0." + (i + 1), port: 6379 })), { name: "node-x", ip: "10.7.0.1", port: 6379 }];
                // The node restarted before, known by name to the caller: listed by the views or not.
                const named = [{ name: "restarted", ip: "10.6.0.9", port: 6379 }];
                const found = clusterAddresses(entries, views, named);
                assert.deepEqual(found.slice(0, entries.length), entries);
                const listed = Math.max(a.count, b.count);
                const expected = new Set([...entries.map((e) => `${e.ip}:${e.port}`), ...Array.from({ length: listed }, (_, i) => `10.6.0.${i + 1}:6379`)]);
                assert.deepEqual(new Set(found.map((n) => `${n.ip}:${n.port}`)), expected);
                assert.equal(found.length, expected.size, "each address once");
                // Named: planned. Otherwise the cluster alone lists it: maybe a node this run removes.
                for (const n of found.slice(entries.length)) {
                    const named = n.ip === "10.6.0.9";
                    assert.equal(n.name, named ? "restarted" : `${n.ip}:${n.port}`);
                    assert.equal(n.unplanned, named ? undefined : true);
                }
                for (const n of found.slice(0, entries.length)) assert.equal(n.unplanned, undefined);
            }),
        );
    });
});
