import { strict as assert } from "assert";
import fc from "fast-check";
import { SlotMove, assignReplicas, chooseLeaders, departingNodes, orderMoves, planOpenSlots, slotMoves } from "../../components/planning/reshard";
import { NodeLine, endpoint, parseClusterNodes } from "../../components/planning/topology";
import { formatRange, slotsOf, splitSlots } from "../../components/planning/slots";
import { antiAffine, placeNodes, shardMembers } from "../../components/planning/placement";

interface Owners {
    /** slot -> owner id */
    slot: Map<number, string>;
    /** owner id -> slots owned */
    count: Map<string, number>;
}

/** Slot owners after applying `moves` in order to `view`; `check` runs after every move. */
function simulate(view: NodeLine[], moves: SlotMove[], check: (owners: Owners, move: SlotMove) => void = () => undefined): Owners {
    const owners: Owners = { slot: new Map(), count: new Map() };
    for (const n of view) {
        for (const s of slotsOf(n.slots)) owners.slot.set(s, n.id);
        owners.count.set(n.id, slotsOf(n.slots).length);
    }
    for (const m of moves) {
        for (const s of slotsOf(m.slots)) {
            if (owners.slot.get(s) !== m.from) assert.fail(`slot ${s} moved from ${m.from}, which does not own it`);
            owners.slot.set(s, m.to);
        }
        const size = slotsOf(m.slots).length;
        owners.count.set(m.from, (owners.count.get(m.from) ?? 0) - size);
        owners.count.set(m.to, (owners.count.get(m.to) ?? 0) + size);
        check(owners, m);
    }
    return owners;
}
const count = (owners: Owners, id: string) => owners.count.get(id) ?? 0;

/** A cluster view: masters m1..mC owning a contiguous partition of the slots at the given cuts, then empty masters. */
function viewOf(cuts: number[], empty: number, replicasOf: number[] = []): NodeLine[] {
    const bounds = [0, ...cuts, 16384];
    const lines: string[] = [];
    for (let i = 0; i + 1 < bounds.length; i++) lines.push(`m${i + 1} 10.0.1.${i + 1}:6379@16379 master - 0 0 ${i + 1} connected ${bounds[i]}-${bounds[i + 1] - 1}`);
    for (let k = 0; k < empty; k++) lines.push(`e${k + 1} 10.0.2.${k + 1}:6379@16379 master - 0 0 0 connected`);
    replicasOf.forEach((m, k) => lines.push(`r${k + 1} 10.0.3.${k + 1}:6379@16379 slave m${m} 0 0 0 connected`));
    return parseClusterNodes(lines.join("\n"));
}

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
/** The staying nodes' endpoints: the first n addresses from .11. */
const ips = (n: number) => new Set(Array.from({ length: n }, (_, i) => `10.0.0.${11 + i}:6379`));

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

describe("replicas on several hosts", () => {
    it("gives a shard a new replica on a host it does not use yet, even when another free node comes first", () => {
        // Two hosts: .11 and .12, several nodes each (ports tell them apart).
        const view = parseClusterNodes(`
m1 10.0.0.11:7101@17101 myself,master - 0 0 1 connected 0-5460
m2 10.0.0.12:7102@17102 master - 0 0 2 connected 5461-10922
m3 10.0.0.11:7103@17103 master - 0 0 3 connected 10923-16383
a 10.0.0.11:7104@17104 master - 0 0 0 connected
b 10.0.0.11:7105@17105 master - 0 0 0 connected
c 10.0.0.12:7106@17106 master - 0 0 0 connected
d 10.0.0.12:7107@17107 master - 0 0 0 connected`);
        const hostOf = (n: NodeLine) => n.ip;
        const assignments = assignReplicas(view, ["m1", "m2", "m3"], new Set(view.map(endpoint)), 1, hostOf);
        const line = (id: string) => view.find((n) => n.id === id)!;
        for (const a of assignments) assert.notEqual(line(a.node).ip, line(a.masterId).ip, `${a.node} shares a host with ${a.masterId}`);
        assert.equal(assignments.length, 3);
        // Without hosts, address order alone decides (a on the same host as m1).
        assert.deepEqual(assignReplicas(view, ["m1", "m2", "m3"], new Set(view.map(endpoint)), 1)[0], { node: "a", masterId: "m1" });
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

    it("never leaves a staying leader without slots when shrinking (5 -> 3), and ends at the planned split", () => {
        const view = parseClusterNodes(`
m1 10.0.0.11:6379@16379 myself,master - 0 0 1 connected 0-3276
m2 10.0.0.12:6379@16379 master - 0 0 2 connected 3277-6553
m3 10.0.0.13:6379@16379 master - 0 0 3 connected 6554-9829
m4 10.0.0.14:6379@16379 master - 0 0 4 connected 9830-13106
m5 10.0.0.15:6379@16379 master - 0 0 5 connected 13107-16383`);
        const leaders = ["m1", "m2", "m3"];
        const ordered = orderMoves(view, slotMoves(view, leaders), leaders);
        // m3 gives all it owns (6554-9829) to m2: it must receive from m4 and m5 first.
        assert.ok(ordered.findIndex((m) => m.to === "m3") < ordered.findIndex((m) => m.from === "m3" && m.to === "m2"));
        const owners = simulate(view, ordered, (owner, move) => {
            for (const id of leaders) assert.ok(count(owner, id) > 0, `${id} owns no slot after ${JSON.stringify(move)}`);
        });
        assert.deepEqual(leaders.map((id) => count(owners, id)), [5461, 5462, 5461]);
        assert.equal(count(owners, "m4") + count(owners, "m5"), 0);
    });
});

describe("reshaping, over the whole valid range (properties)", function () {
    this.timeout(30000);
    // 3-12 shards now, any contiguous slot layout, 0-9 empty nodes, 3-12 shards wanted.
    const layout = fc.integer({ min: 3, max: 12 }).chain((now) =>
        fc.record({
            cuts: fc.uniqueArray(fc.integer({ min: 1, max: 16383 }), { minLength: now - 1, maxLength: now - 1 }).map((c) => c.sort((a, b) => a - b)),
            empty: fc.integer({ min: 0, max: 9 }),
            wanted: fc.integer({ min: 3, max: 12 }),
        }),
    );

    it("leads new shards from the hosts that run the fewest leaders, the plan's earliest node among equals (property)", () => {
        const shape = fc.record({
            cuts: fc.uniqueArray(fc.integer({ min: 1, max: 16383 }), { minLength: 2, maxLength: 8 }).map((c) => c.sort((a, b) => a - b)),
            empty: fc.integer({ min: 1, max: 8 }),
            hosts: fc.integer({ min: 1, max: 5 }),
            seed: fc.array(fc.nat(), { minLength: 20, maxLength: 20 }),
            extra: fc.integer({ min: 1, max: 8 }),
        });
        fc.assert(
            fc.property(shape, ({ cuts, empty, hosts, seed, extra }) => {
                const view = viewOf(cuts, empty);
                const wanted = cuts.length + 1 + Math.min(extra, empty);
                const host = new Map(view.map((n, i) => [n.id, `h${seed[i % seed.length] % hosts}`]));
                const hostOf = (n: NodeLine) => host.get(n.id);
                // The plan lists the nodes in another order than CLUSTER NODES does.
                const planned = [...view].reverse().map(endpoint);
                const { leaders } = chooseLeaders(view, new Set(planned), wanted, hostOf);
                const kept = cuts.length + 1;
                leaders.slice(kept).forEach((id, k) => {
                    const before = leaders.slice(0, kept + k);
                    const load = (h: string | undefined) => before.filter((l) => host.get(l) === h).length;
                    const chosen = view.find((n) => n.id === id)!;
                    const others = view.filter((n) => n.slots.length === 0 && !before.includes(n.id) && n.id !== id);
                    for (const o of others) {
                        const worse = load(hostOf(o)) < load(hostOf(chosen));
                        const tiedEarlier = load(hostOf(o)) === load(hostOf(chosen)) && planned.indexOf(endpoint(o)) < planned.indexOf(endpoint(chosen));
                        assert.ok(!worse && !tiedEarlier, `${id} on ${hostOf(chosen)} chosen over ${o.id} on ${hostOf(o)}`);
                    }
                });
            }),
            { numRuns: 300 },
        );
    });

    it("leads a fifth shard with the new node on the new host, not with the one on a host that already runs two (as the multi-host suite grows)", () => {
        const view = parseClusterNodes(`
a 10.0.0.1:7101@17101 master - 0 0 1 connected 0-4095
b 10.0.0.2:7102@17102 master - 0 0 2 connected 4096-8191
c 10.0.0.3:7103@17103 master - 0 0 3 connected 8192-12287
d 10.0.0.1:7104@17104 master - 0 0 4 connected 12288-16383
n14 10.0.0.1:7114@17114 master - 0 0 0 connected
n13 10.0.0.4:7113@17113 master - 0 0 0 connected
n15 10.0.0.2:7115@17115 master - 0 0 0 connected`);
        const hostOf = (n: NodeLine) => `h${n.ip.split(".")[3]}`;
        const planned = new Set(["10.0.0.1:7101", "10.0.0.2:7102", "10.0.0.3:7103", "10.0.0.1:7104", "10.0.0.4:7113", "10.0.0.1:7114", "10.0.0.2:7115"]);
        assert.deepEqual(chooseLeaders(view, planned, 5, hostOf).leaders, ["a", "b", "c", "d", "n13"]);
        // Without hosts: the plan's earliest empty node, whatever order CLUSTER NODES lists them in.
        assert.deepEqual(chooseLeaders(view, planned, 5).leaders, ["a", "b", "c", "d", "n13"]);
    });

    it("ends every reshape at the planned split, never leaving a staying leader without slots on the way", () => {
        fc.assert(
            fc.property(layout, ({ cuts, empty, wanted }) => {
                const view = viewOf(cuts, empty);
                const nowShards = cuts.length + 1;
                fc.pre(wanted <= nowShards + empty);
                const staying = new Set(view.map(endpoint));
                const { leaders } = chooseLeaders(view, staying, wanted);
                const kept = leaders.filter((id) => view.find((n) => n.id === id)!.slots.length > 0);
                const owner = simulate(view, orderMoves(view, slotMoves(view, leaders), leaders), (o, move) => {
                    for (const id of kept) assert.ok(count(o, id) > 0, `${id} emptied by ${JSON.stringify(move)}`);
                });
                splitSlots(wanted).forEach((r, i) => {
                    for (const s of [r.start, r.end]) assert.equal(owner.slot.get(s), leaders[i]);
                    assert.equal(count(owner, leaders[i]), r.end - r.start + 1);
                });
            }),
            { numRuns: 300 },
        );
    // About 6 s of CPU alone; several times that beside the end-to-end lanes (npm test runs them together).
    }).timeout(120000);

    it("never assigns a replica to itself or to a node that leads nothing, and fills every shard it can", () => {
        const shape = fc.record({
            shards: fc.integer({ min: 3, max: 12 }),
            empty: fc.integer({ min: 0, max: 12 }),
            replicasOf: fc.array(fc.integer({ min: 1, max: 12 }), { maxLength: 24 }),
            wanted: fc.integer({ min: 0, max: 3 }),
        });
        fc.assert(
            fc.property(shape, ({ shards, empty, replicasOf, wanted }) => {
                const cuts = splitSlots(shards).slice(1).map((r) => r.start);
                const view = viewOf(cuts, empty, replicasOf.map((m) => ((m - 1) % shards) + 1));
                const leaders = view.filter((n) => n.slots.length > 0).map((n) => n.id);
                const assignments = assignReplicas(view, leaders, new Set(view.map(endpoint)), wanted);
                const final = new Map(view.filter((n) => n.masterId).map((n) => [n.id, n.masterId!]));
                for (const a of assignments) {
                    assert.notEqual(a.node, a.masterId);
                    assert.ok(leaders.includes(a.masterId), `${a.node} assigned to ${a.masterId}, which leads nothing`);
                    assert.ok(!leaders.includes(a.node), `leader ${a.node} assigned as a replica`);
                    final.set(a.node, a.masterId);
                }
                assert.equal(new Set(assignments.map((a) => a.node)).size, assignments.length, "a node assigned twice");
                const spare = view.length - leaders.length;
                if (spare >= leaders.length * wanted) {
                    for (const id of leaders) assert.ok([...final.values()].filter((m) => m === id).length >= wanted, `${id} short of replicas`);
                }
            }),
            { numRuns: 300 },
        );
    });
});

describe("replicas by the placement rule at run time (the planner's rule)", () => {
    /** S leaders owning slots and S*R other nodes, each node on a host; a non-leader is an empty master (0) or a replica of leader k. */
    const cluster = fc
        .record({ hosts: fc.integer({ min: 1, max: 5 }), shards: fc.integer({ min: 1, max: 6 }), replicas: fc.integer({ min: 0, max: 3 }) })
        .chain((c) =>
            fc.record({
                ...Object.fromEntries(Object.entries(c).map(([k, v]) => [k, fc.constant(v)])),
                hostOf: fc.array(fc.integer({ min: 0, max: c.hosts - 1 }), { minLength: c.shards * (c.replicas + 1), maxLength: c.shards * (c.replicas + 1) }),
                serves: fc.array(fc.integer({ min: 0, max: c.shards }), { minLength: c.shards * c.replicas, maxLength: c.shards * c.replicas }),
            }),
        ) as fc.Arbitrary<{ hosts: number; shards: number; replicas: number; hostOf: number[]; serves: number[] }>;
    const viewFor = (c: { shards: number; hostOf: number[] }, serves: (i: number) => number) => {
        const cuts = splitSlots(c.shards);
        return parseClusterNodes(
            c.hostOf
                .map((h, i) => {
                    const at = `n${i + 1} 10.0.${h}.${i + 1}:6379@16379`;
                    if (i < c.shards) return `${at} master - 0 0 ${i + 1} connected ${formatRange(cuts[i])}`;
                    const m = serves(i);
                    return m === 0 ? `${at} master - 0 0 0 connected` : `${at} slave n${m} 0 0 0 connected`;
                })
                .join("\n"),
        );
    };
    const hostOf = (n: NodeLine) => n.ip.split(".")[2];
    const leadersOf = (c: { shards: number }) => Array.from({ length: c.shards }, (_, k) => `n${k + 1}`);
    const apply = (view: NodeLine[], assignments: { node: string; masterId: string }[]) =>
        view.map((n) => {
            const a = assignments.find((x) => x.node === n.id);
            return a ? { ...n, flags: ["slave"], masterId: a.masterId } : n;
        });
    const membersOf = (view: NodeLine[], id: string) => view.filter((n) => n.masterId === id);

    it("leaves every shard with its replica count, in one pass: run again, it changes nothing", () => {
        fc.assert(
            fc.property(cluster, (c) => {
                const view = viewFor(c, (i) => c.serves[i - c.shards]);
                const staying = new Set(view.map(endpoint));
                const after = apply(view, assignReplicas(view, leadersOf(c), staying, c.replicas, hostOf));
                for (const id of leadersOf(c)) assert.equal(membersOf(after, id).length, c.replicas, `${id}'s replicas`);
                assert.deepEqual(assignReplicas(after, leadersOf(c), staying, c.replicas, hostOf), []);
            }),
            { numRuns: 500 },
        );
    });

    it("leaves the planner's own layout as it is, on any placement of the nodes (no drift on a new cluster)", () => {
        fc.assert(
            fc.property(cluster, (c) => {
                const members = shardMembers(c.shards, c.replicas, c.hostOf);
                const masterOf = new Map(members.flatMap((m) => m.replicas.map((r) => [r, m.master])));
                const view = viewFor(c, (i) => masterOf.get(i + 1)!);
                assert.deepEqual(assignReplicas(view, leadersOf(c), new Set(view.map(endpoint)), c.replicas, hostOf), []);
            }),
            { numRuns: 500 },
        );
    });

    it("on the planner's own placement, fills new replicas exactly as anti-affine as the planner's layout", () => {
        fc.assert(
            fc.property(fc.integer({ min: 1, max: 5 }), fc.integer({ min: 1, max: 8 }), fc.integer({ min: 0, max: 3 }), (hosts, shards, replicas) => {
                const placed = placeNodes(shards * (replicas + 1), hosts, replicas);
                const c = { shards, hostOf: placed };
                const view = viewFor(c, () => 0);
                const after = apply(view, assignReplicas(view, leadersOf(c), new Set(view.map(endpoint)), replicas, hostOf));
                const members = leadersOf(c).map((id, k) => ({ master: k + 1, replicas: membersOf(after, id).map((n) => Number(n.id.slice(1))) }));
                assert.equal(antiAffine(members, placed), antiAffine(shardMembers(shards, replicas, placed), placed));
            }),
            { numRuns: 300 },
        );
    });
});

describe("slots left open by an interrupted migration", () => {
    const view = parseClusterNodes(`
a 10.0.0.11:6379@16379 myself,master - 0 0 1 connected 0-8191 [100->-b]
b 10.0.0.12:6379@16379 master - 0 0 2 connected 8192-16383 [100-<-a]`);
    it("finishes a move marked on both ends once, toward the importing node", () => {
        const selves = [view[0], { ...view[1], flags: ["myself", "master"] }];
        assert.deepEqual(planOpenSlots(selves, view), { moves: [{ from: "a", to: "b", slots: [{ start: 100, end: 100 }] }], stabilize: [] });
    });
    it("closes a slot whose partner was forgotten (recreated empty) instead of failing", () => {
        const alone = parseClusterNodes(`
a 10.0.0.11:6379@16379 myself,master - 0 0 1 connected 0-16383 [100->-dead] [200-<-dead]`);
        assert.deepEqual(planOpenSlots(alone, alone), { moves: [], stabilize: [{ node: "a", slots: [100, 200] }] });
    });
    it("closes a slot whose move is already done (the importing node owns it)", () => {
        const done = parseClusterNodes(`
b 10.0.0.12:6379@16379 myself,master - 0 0 2 connected 0-16383 [100-<-a]
a 10.0.0.11:6379@16379 master - 0 0 1 connected`);
        assert.deepEqual(planOpenSlots([done[0]], done), { moves: [], stabilize: [{ node: "b", slots: [100] }] });
    });
});
