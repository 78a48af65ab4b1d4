import { strict as assert } from "assert";
import fc from "fast-check";
import { DeployedPlacement, antiAffine, placeNodes, shardMembers } from "../../components/planning/placement";
import { planCluster } from "../../components/planning/plan";
import { resolveSettings } from "../../components/planning/settings";

// Every combination the multi-host issue names: 1-6 hosts, 3-12 shards, 0-3 replicas.
const combos: [number, number, number][] = [];
for (let hosts = 1; hosts <= 6; hosts++) for (let shards = 3; shards <= 12; shards++) for (let replicas = 0; replicas <= 3; replicas++) combos.push([hosts, shards, replicas]);

/** A new cluster's placement: nothing deployed. */
const fresh = (shards: number, replicas: number, hosts: number) => placeNodes(shards * (replicas + 1), hosts, replicas);
/** A deployed cluster as the stack's outputs describe it: where nodes run, and each shard's hosts. */
function deployedOf(shards: number, replicas: number, hosts: number): DeployedPlacement {
    const hostOf = fresh(shards, replicas, hosts);
    return { hostOf, shards: shardMembers(shards, replicas, hostOf).map((m) => [m.master, ...m.replicas].map((i) => hostOf[i - 1])) };
}
const nodeCount = (shards: number, replicas: number) => shards * (replicas + 1);

describe("placing nodes on hosts (every combination of 1-6 hosts, 3-12 shards, 0-3 replicas)", () => {
    it("places a new cluster round-robin: node i on host (i-1) mod H", () => {
        for (const [hosts, shards, replicas] of combos) {
            assert.deepEqual(fresh(shards, replicas, hosts), Array.from({ length: nodeCount(shards, replicas) }, (_, i) => i % hosts));
        }
    });

    it("puts no two members of a shard on one host whenever hosts >= replicas + 1", () => {
        for (const [hosts, shards, replicas] of combos) {
            if (hosts < replicas + 1) continue;
            const placed = fresh(shards, replicas, hosts);
            assert.ok(antiAffine(shardMembers(shards, replicas, placed), placed), `${hosts} hosts, ${shards}x${replicas}`);
        }
    });

    it("uses every node exactly once, masters being nodes 1..shards", () => {
        for (const [hosts, shards, replicas] of combos) {
            const members = shardMembers(shards, replicas, fresh(shards, replicas, hosts));
            assert.deepEqual(members.map((m) => m.master), Array.from({ length: shards }, (_, k) => k + 1));
            const all = members.flatMap((m) => [m.master, ...m.replicas]).sort((a, b) => a - b);
            assert.deepEqual(all, Array.from({ length: nodeCount(shards, replicas) }, (_, i) => i + 1), `${hosts} hosts, ${shards}x${replicas}`);
            assert.ok(members.every((m) => m.replicas.length === replicas));
        }
    });

    it("spreads masters and all nodes evenly: host counts differ by at most one", () => {
        for (const [hosts, shards, replicas] of combos) {
            const placed = fresh(shards, replicas, hosts);
            const spread = (nodes: number[]) => {
                const c = Array(hosts).fill(0);
                for (const i of nodes) c[placed[i - 1]]++;
                return Math.max(...c) - Math.min(...c);
            };
            assert.ok(spread(Array.from({ length: shards }, (_, k) => k + 1)) <= 1, `masters: ${hosts} hosts, ${shards} shards`);
            assert.ok(spread(Array.from({ length: nodeCount(shards, replicas) }, (_, i) => i + 1)) <= 1, `nodes: ${hosts} hosts, ${shards}x${replicas}`);
        }
    });

    it("moves no existing node to another host when a shard or a replica is added", () => {
        for (const [hosts, shards, replicas] of combos) {
            const before = fresh(shards, replicas, hosts);
            for (const [s, r] of [[shards + 1, replicas], [shards, replicas + 1]]) {
                const after = placeNodes(nodeCount(s, r), hosts, r, deployedOf(shards, replicas, hosts));
                assert.deepEqual(after.slice(0, before.length), before, `${hosts} hosts, ${shards}x${replicas}`);
            }
        }
    });

    it("spreads a shard over as many hosts as there are when hosts < replicas + 1", () => {
        for (const [hosts, shards, replicas] of combos) {
            if (hosts >= replicas + 1) continue;
            const placed = fresh(shards, replicas, hosts);
            for (const m of shardMembers(shards, replicas, placed)) {
                const used = new Set([m.master, ...m.replicas].map((i) => placed[i - 1]));
                assert.equal(used.size, hosts, `${hosts} hosts, ${shards}x${replicas}: shard of ${m.master} uses ${used.size}`);
            }
        }
    });
});

describe("placing nodes after hosts were added (property)", () => {
    // A deployed cluster on h0 hosts grows to h0 + added hosts and to at least its shards and replicas.
    const growth = fc.record({
        hosts: fc.integer({ min: 1, max: 6 }),
        added: fc.integer({ min: 1, max: 3 }),
        shards: fc.integer({ min: 3, max: 12 }),
        replicas: fc.integer({ min: 0, max: 3 }),
        moreShards: fc.integer({ min: 0, max: 4 }),
        moreReplicas: fc.integer({ min: 0, max: 1 }),
    });

    it("keeps every deployed node on its host and puts the first new node on an empty host", () => {
        fc.assert(
            fc.property(growth, ({ hosts, added, shards, replicas, moreShards, moreReplicas }) => {
                const deployed = fresh(shards, replicas, hosts);
                const r = replicas + moreReplicas;
                const count = nodeCount(shards + moreShards, r);
                const after = placeNodes(count, hosts + added, r, deployedOf(shards, replicas, hosts));
                assert.deepEqual(after.slice(0, deployed.length), deployed);
                assert.ok(after.every((h) => h >= 0 && h < hosts + added));
                // The first new node goes to a host holding the fewest nodes: an added host, or an empty one.
                if (count > deployed.length) assert.ok(after[deployed.length] >= hosts || !deployed.includes(after[deployed.length]), String(after));
            }),
        );
    });

    it("gives each shard short of replicas new nodes on hosts it does not use, and each new shard distinct hosts", () => {
        fc.assert(
            fc.property(growth, ({ hosts, added, shards, replicas, moreShards, moreReplicas }) => {
                const r = replicas + moreReplicas;
                fc.pre(hosts >= replicas + 1);
                const deployed = deployedOf(shards, replicas, hosts);
                const after = placeNodes(nodeCount(shards + moreShards, r), hosts + added, r, deployed);
                const fresh = after.slice(deployed.hostOf.length);
                // Rank by rank, the shards that are short take the first new nodes, in shard order.
                const used = deployed.shards.map((h) => [...h]);
                for (let rank = 0; rank < moreReplicas; rank++) {
                    for (const hostsOfShard of used) {
                        const h = fresh.shift()!;
                        assert.ok(!hostsOfShard.includes(h), `a new replica on host ${h}, which its shard uses: ${after}`);
                        hostsOfShard.push(h);
                    }
                }
                for (let k = 0; k < moreShards; k++) {
                    const members = fresh.splice(0, r + 1);
                    assert.equal(new Set(members).size, Math.min(r + 1, hosts + added), `a new shard on ${members}: ${after}`);
                }
                assert.deepEqual(fresh, []);
            }),
        );
    });
});

describe("draining a host (property, through the plan)", () => {
    const hostsOf = (count: number, drained?: number) =>
        Array.from({ length: count }, (_, i) => ({ name: `h${i + 1}`, docker: `unix:///run/rch-${i + 1}.sock`, address: `10.77.0.${11 + i}`, ...(i === drained ? { drain: true } : {}) }));
    const settingsOf = (count: number, shards: number, replicas: number, drained?: number) => {
        const r = resolveSettings({ namePrefix: "d", subnet: "10.9.0.0/24", shards, replicasPerShard: replicas, hostPortBase: 7001, hosts: hostsOf(count, drained) }, "redis:7.2");
        return r;
    };

    it("moves every node off the drained host and no other node, keeping no two members of a shard on one host", () => {
        fc.assert(
            fc.property(fc.integer({ min: 2, max: 6 }), fc.integer({ min: 3, max: 8 }), fc.integer({ min: 0, max: 2 }), fc.nat(), (count, shards, replicas, pick) => {
                fc.pre(count - 1 >= replicas + 1);
                const drained = pick % count;
                const before = planCluster(settingsOf(count, shards, replicas).settings);
                const placement = Object.fromEntries(before.nodes.map((n) => [n.name, n.host!.name]));
                const deployed = { placement, shards: before.shards.map((s) => [s.master, ...s.replicas].map((m) => placement[m])) };
                const r = settingsOf(count, shards, replicas, drained);
                assert.deepEqual(r.problems, []);
                const after = planCluster({ ...r.settings, deployed });
                for (const n of after.nodes) {
                    assert.notEqual(n.host!.name, `h${drained + 1}`, `${n.name} stays on the drained host`);
                    if (placement[n.name] !== `h${drained + 1}`) assert.equal(n.host!.name, placement[n.name], `${n.name} moved although its host stays`);
                }
                const hostOfName = new Map(after.nodes.map((n) => [n.name, n.host!.name]));
                for (const s of after.shards) {
                    const hosts = [s.master, ...s.replicas].map((m) => hostOfName.get(m));
                    assert.equal(new Set(hosts).size, hosts.length, `shard ${s.index} shares a host: ${hosts}`);
                }
            }),
        );
    });

    it("refuses at validation a drain that leaves fewer hosts than a shard has nodes, and a host both replaced and drained", () => {
        assert.match(settingsOf(3, 3, 2, 2).problems.join("\n"), /draining "h3" would leave 2 host\(s\), and each shard's 3 nodes need 3 hosts apart/);
        assert.deepEqual(settingsOf(3, 3, 1, 2).problems, []);
        const both = resolveSettings({ namePrefix: "d", subnet: "10.9.0.0/24", shards: 3, replicasPerShard: 1, hostPortBase: 7001, hosts: hostsOf(3).map((h, i) => (i === 1 ? { ...h, drain: true, replaced: true } : h)) }, "redis:7.2");
        assert.match(both.problems.join("\n"), /hosts\[1\] is marked both replaced and drain/);
    });
});
