import { strict as assert } from "assert";
import { antiAffine, hostOf, placeNodes, shardMembers } from "../../components/planning/placement";

// Every combination the multi-host issue names: 1-6 hosts, 3-12 shards, 0-3 replicas.
const combos: [number, number, number][] = [];
for (let hosts = 1; hosts <= 6; hosts++) for (let shards = 3; shards <= 12; shards++) for (let replicas = 0; replicas <= 3; replicas++) combos.push([hosts, shards, replicas]);

describe("placing nodes on hosts (every combination of 1-6 hosts, 3-12 shards, 0-3 replicas)", () => {
    it("puts no two members of a shard on one host whenever hosts >= replicas + 1", () => {
        for (const [hosts, shards, replicas] of combos) {
            if (hosts < replicas + 1) continue;
            assert.ok(antiAffine(shardMembers(shards, replicas, hosts), hosts), `${hosts} hosts, ${shards}x${replicas}`);
        }
    });

    it("uses every node exactly once, masters being nodes 1..shards", () => {
        for (const [hosts, shards, replicas] of combos) {
            const members = shardMembers(shards, replicas, hosts);
            assert.deepEqual(members.map((m) => m.master), Array.from({ length: shards }, (_, k) => k + 1));
            const all = members.flatMap((m) => [m.master, ...m.replicas]).sort((a, b) => a - b);
            assert.deepEqual(all, Array.from({ length: shards * (replicas + 1) }, (_, i) => i + 1), `${hosts} hosts, ${shards}x${replicas}`);
            assert.ok(members.every((m) => m.replicas.length === replicas));
        }
    });

    it("spreads masters and all nodes evenly: host counts differ by at most one", () => {
        for (const [hosts, shards, replicas] of combos) {
            const count = (nodes: number[]) => {
                const c = Array(hosts).fill(0);
                for (const i of nodes) c[hostOf(i, hosts)]++;
                return Math.max(...c) - Math.min(...c);
            };
            assert.ok(count(Array.from({ length: shards }, (_, k) => k + 1)) <= 1, `masters: ${hosts} hosts, ${shards} shards`);
            assert.ok(count(Array.from({ length: shards * (replicas + 1) }, (_, i) => i + 1)) <= 1, `nodes: ${hosts} hosts, ${shards}x${replicas}`);
        }
    });

    it("moves no existing node to another host when a shard or a replica is added", () => {
        for (const [hosts, shards, replicas] of combos) {
            const before = placeNodes(shards, replicas, hosts);
            for (const after of [placeNodes(shards + 1, replicas, hosts), placeNodes(shards, replicas + 1, hosts)]) {
                assert.deepEqual(after.slice(0, before.length), before, `${hosts} hosts, ${shards}x${replicas}`);
            }
        }
    });

    it("spreads a shard over as many hosts as there are when hosts < replicas + 1", () => {
        for (const [hosts, shards, replicas] of combos) {
            if (hosts >= replicas + 1) continue;
            for (const m of shardMembers(shards, replicas, hosts)) {
                const used = new Set([m.master, ...m.replicas].map((i) => hostOf(i, hosts)));
                assert.equal(used.size, hosts, `${hosts} hosts, ${shards}x${replicas}: shard of ${m.master} uses ${used.size}`);
            }
        }
    });
});
