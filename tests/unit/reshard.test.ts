import { strict as assert } from "assert";
import { assignReplicas, chooseLeaders, departingNodes, orderMoves, slotMoves } from "../../components/bootstrap/reshard";
import { parseClusterNodes } from "../../components/bootstrap/topology";
import { formatRange } from "../../components/planning/slots";

// A 3x1 cluster (nodes .11-.16) plus two new empty nodes .17 and .18.
const GROWN = parseClusterNodes(`
m1 10.0.0.11:6379@16379 myself,master - 0 0 1 connected 0-5460
m2 10.0.0.12:6379@16379 master - 0 0 2 connected 5461-10922
m3 10.0.0.13:6379@16379 master - 0 0 3 connected 10923-16383
r4 10.0.0.14:6379@16379 slave m1 0 0 1 connected
r5 10.0.0.15:6379@16379 slave m2 0 0 2 connected
r6 10.0.0.16:6379@16379 slave m3 0 0 3 connected
n7 10.0.0.17:6379@16379 master - 0 0 0 connected
n8 10.0.0.18:6379@16379 master - 0 0 0 connected`);
const ips = (n: number) => new Set(Array.from({ length: n }, (_, i) => `10.0.0.${11 + i}`));

describe("reshaping a running cluster", () => {
    it("keeps the current leaders and leads a new shard with an empty node (3 -> 4)", () => {
        const choice = chooseLeaders(GROWN, ips(8), 4);
        assert.deepEqual(choice, { leaders: ["m1", "m2", "m3", "n7"], draining: [], toReset: [] });
        const moves = slotMoves(GROWN, choice.leaders);
        // The standard 4-way split: 0-4095, 4096-8191, 8192-12287, 12288-16383.
        assert.deepEqual(
            moves.map((m) => [m.from, m.to, m.slots.map(formatRange)]),
            [
                ["m1", "m2", ["4096-5460"]],
                ["m2", "m3", ["8192-10922"]],
                ["m3", "n7", ["12288-16383"]],
            ],
        );
        assert.deepEqual(assignReplicas(GROWN, choice.leaders, ips(8), 1), [{ node: "n8", masterId: "n7" }]);
    });

    it("drains the last shards when shrinking and moves their slots to the rest (4 -> 3)", () => {
        const four = parseClusterNodes(`
m1 10.0.0.11:6379@16379 myself,master - 0 0 1 connected 0-4095
m2 10.0.0.12:6379@16379 master - 0 0 2 connected 4096-8191
m3 10.0.0.13:6379@16379 master - 0 0 3 connected 8192-12287
n7 10.0.0.17:6379@16379 master - 0 0 4 connected 12288-16383
r4 10.0.0.14:6379@16379 slave m1 0 0 1 connected
r5 10.0.0.15:6379@16379 slave m2 0 0 2 connected
r6 10.0.0.16:6379@16379 slave m3 0 0 3 connected
n8 10.0.0.18:6379@16379 slave n7 0 0 4 connected`);
        const choice = chooseLeaders(four, ips(6), 3);
        assert.deepEqual(choice.leaders, ["m1", "m2", "m3"]);
        assert.deepEqual(choice.draining, ["n7"]);
        const moved = slotMoves(four, choice.leaders).flatMap((m) => m.slots.map((r) => r.end - r.start + 1));
        assert.equal(moved.reduce((a, b) => a + b, 0), 1365 + 2731 + 4096);
        assert.deepEqual(departingNodes(four, ips(6)).map((n) => n.id), ["n7", "n8"]);
    });

    it("turns a spare replica into a leader when no empty node is left", () => {
        const nine = parseClusterNodes(`
m1 10.0.0.11:6379@16379 myself,master - 0 0 1 connected 0-5460
m2 10.0.0.12:6379@16379 master - 0 0 2 connected 5461-10922
m3 10.0.0.13:6379@16379 master - 0 0 3 connected 10923-16383
a 10.0.0.14:6379@16379 slave m1 0 0 1 connected
b 10.0.0.15:6379@16379 slave m1 0 0 1 connected
c 10.0.0.16:6379@16379 slave m2 0 0 2 connected
d 10.0.0.17:6379@16379 slave m2 0 0 2 connected
e 10.0.0.18:6379@16379 slave m3 0 0 3 connected
f 10.0.0.19:6379@16379 slave m3 0 0 3 connected`);
        const choice = chooseLeaders(nine, ips(8), 4);
        assert.equal(choice.toReset.length, 1);
        assert.deepEqual(choice.leaders.slice(0, 3), ["m1", "m2", "m3"]);
    });

    it("moves surplus replicas to shards that lack one (replicas 2 -> 1 with a lost replica)", () => {
        const view = parseClusterNodes(`
m1 10.0.0.11:6379@16379 myself,master - 0 0 1 connected 0-5460
m2 10.0.0.12:6379@16379 master - 0 0 2 connected 5461-10922
m3 10.0.0.13:6379@16379 master - 0 0 3 connected 10923-16383
a 10.0.0.14:6379@16379 slave m1 0 0 1 connected
b 10.0.0.15:6379@16379 slave m1 0 0 1 connected
c 10.0.0.16:6379@16379 slave m2 0 0 2 connected`);
        assert.deepEqual(assignReplicas(view, ["m1", "m2", "m3"], ips(6), 1), [{ node: "b", masterId: "m3" }]);
    });
});

describe("ordering slot moves", () => {
    it("lets a leader receive before it gives away its last slot (3 -> 5)", () => {
        const view = parseClusterNodes(`
m1 10.0.0.11:6379@16379 myself,master - 0 0 1 connected 0-5460
m2 10.0.0.12:6379@16379 master - 0 0 2 connected 5461-10922
m3 10.0.0.13:6379@16379 master - 0 0 3 connected 10923-16383
n4 10.0.0.14:6379@16379 master - 0 0 0 connected
n5 10.0.0.15:6379@16379 master - 0 0 0 connected`);
        const leaders = ["m1", "m2", "m3", "n4", "n5"];
        const ordered = orderMoves(view, slotMoves(view, leaders), leaders);
        const owned = new Map(view.map((n) => [n.id, n.slots.reduce((k, r) => k + r.end - r.start + 1, 0)]));
        for (const m of ordered) {
            const size = m.slots.reduce((k, r) => k + r.end - r.start + 1, 0);
            owned.set(m.from, owned.get(m.from)! - size);
            owned.set(m.to, owned.get(m.to)! + size);
            assert.ok(owned.get(m.from)! > 0, `${m.from} emptied by ${JSON.stringify(m)}`);
        }
        assert.deepEqual([...owned.values()], [3277, 3277, 3276, 3277, 3277]);
    });

    it("drains leaving shards first when shrinking (5 -> 3)", () => {
        const view = parseClusterNodes(`
m1 10.0.0.11:6379@16379 myself,master - 0 0 1 connected 0-3276
m2 10.0.0.12:6379@16379 master - 0 0 2 connected 3277-6553
m3 10.0.0.13:6379@16379 master - 0 0 3 connected 6554-9829
m4 10.0.0.14:6379@16379 master - 0 0 4 connected 9830-13106
m5 10.0.0.15:6379@16379 master - 0 0 5 connected 13107-16383`);
        const leaders = ["m1", "m2", "m3"];
        const ordered = orderMoves(view, slotMoves(view, leaders), leaders);
        const firstLeaderMove = ordered.findIndex((m) => leaders.includes(m.from));
        assert.ok(ordered.slice(firstLeaderMove).every((m) => leaders.includes(m.from) || m.slots.length === 1));
        assert.ok(ordered.findIndex((m) => m.from === "m3") > ordered.findIndex((m) => m.to === "m3"));
    });
});
