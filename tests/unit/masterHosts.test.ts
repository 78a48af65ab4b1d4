import { strict as assert } from "assert";
import fc from "fast-check";
import { shapeDrift } from "../../components/planning/drift";
import { MasterMove, evenMasterCounts, masterMovesFor, mastersBackToPlan } from "../../components/planning/masterHosts";
import { mastersPerHost as countPerHost } from "../../components/planning/quorum";
import { formatRange, splitSlots } from "../../components/planning/slots";
import { NodeLine, endpoint, parseClusterNodes } from "../../components/planning/topology";

/**
 * A live cluster over `hosts` hosts: per shard its members' hosts (member 0 is the planned master)
 * and which member leads now. Returns the view, each node's host, and the plan's masters per host.
 */
function cluster(hosts: number, shards: { hosts: number[]; leader: number }[]) {
    const lines: string[] = [];
    const hostOfEndpoint = new Map<string, string>();
    const plannedMasterHosts: string[] = [];
    const ranges = splitSlots(shards.length);
    shards.forEach((s, k) => {
        const ids = s.hosts.map((_, j) => `s${k}n${j}`);
        const ip = (j: number) => `10.60.${k}.${j + 1}`;
        s.hosts.forEach((h, j) => hostOfEndpoint.set(`${ip(j)}:6379`, `h${(h % hosts) + 1}`));
        plannedMasterHosts.push(`h${(s.hosts[0] % hosts) + 1}`);
        const leader = s.leader % s.hosts.length;
        s.hosts.forEach((_, j) =>
            lines.push(j === leader ? `${ids[j]} ${ip(j)}:6379@16379 master - 0 0 ${k + 1} connected ${formatRange(ranges[k])}` : `${ids[j]} ${ip(j)}:6379@16379 slave ${ids[leader]} 0 0 ${k + 1} connected`),
        );
    });
    const view = parseClusterNodes(lines.join("\n"));
    const hostOf = (n: NodeLine) => hostOfEndpoint.get(endpoint(n));
    return { view, hostOf, planned: countPerHost(plannedMasterHosts) };
}

/** The view after the moves' failovers: each heir leads its shard, its old master replicates it. */
function applyMoves(view: NodeLine[], moves: MasterMove[]): NodeLine[] {
    const swap = new Map(moves.map((m) => [m.master.id, m.heir]));
    return view.map((n) => {
        const move = moves.find((m) => m.master.id === n.id || m.heir.id === n.id || m.master.id === n.masterId);
        if (move === undefined) return n;
        if (n.id === move.heir.id) return { ...n, flags: ["master"], masterId: undefined, slots: move.master.slots };
        return { ...n, flags: ["slave"], masterId: swap.get(move.master.id)!.id, slots: [] };
    });
}

const mastersPerHost = (view: NodeLine[], hostOf: (n: NodeLine) => string | undefined) => {
    const counts = new Map<string, number>();
    for (const m of view.filter((n) => n.flags.includes("master") && n.slots.length > 0)) counts.set(hostOf(m)!, (counts.get(hostOf(m)!) ?? 0) + 1);
    return counts;
};

const layouts = fc.integer({ min: 2, max: 5 }).chain((hosts) =>
    fc.record({
        hosts: fc.constant(hosts),
        shards: fc.array(fc.record({ hosts: fc.array(fc.nat({ max: hosts - 1 }), { minLength: 1, maxLength: 4 }), leader: fc.nat() }), { minLength: 1, maxLength: 12 }),
    }),
);

describe("masters back on their planned hosts (after a host was lost and came back)", () => {
    it("moves only from hosts over their planned count to replicas on hosts under it, never past it, each shard once", () => {
        fc.assert(
            fc.property(layouts, ({ hosts, shards }) => {
                const c = cluster(hosts, shards);
                const before = mastersPerHost(c.view, c.hostOf);
                const moves = mastersBackToPlan(c.view, c.hostOf, c.planned);
                assert.equal(new Set(moves.map((m) => m.master.id)).size, moves.length, "a shard moved twice");
                for (const m of moves) {
                    assert.equal(m.heir.masterId, m.master.id, "the heir is not the master's replica");
                    assert.ok((before.get(m.fromHost) ?? 0) > (c.planned.get(m.fromHost) ?? 0), `${m.fromHost} was not over its count`);
                    assert.ok((before.get(m.toHost) ?? 0) < (c.planned.get(m.toHost) ?? 0), `${m.toHost} was not under its count`);
                }
                const after = mastersPerHost(applyMoves(c.view, moves), c.hostOf);
                for (const host of new Set([...before.keys(), ...after.keys()])) {
                    const [b, a, p] = [before.get(host) ?? 0, after.get(host) ?? 0, c.planned.get(host) ?? 0];
                    assert.ok(a <= Math.max(b, p), `${host}: ${b} -> ${a} masters, planned ${p}`);
                    if (b > p) assert.ok(a >= p, `${host} went below its planned count`);
                }
            }),
        );
    });

    it("leaves no move undone: afterwards no master on a host over its count has a replica on a host under it", () => {
        fc.assert(
            fc.property(layouts, ({ hosts, shards }) => {
                const c = cluster(hosts, shards);
                const after = applyMoves(c.view, mastersBackToPlan(c.view, c.hostOf, c.planned));
                // What the drift check and the engine see after the failovers: nothing more to do, so the preview is clean.
                assert.deepEqual(mastersBackToPlan(after, c.hostOf, c.planned), []);
                const counts = mastersPerHost(after, c.hostOf);
                const spare = (h: string) => (c.planned.get(h) ?? 0) - (counts.get(h) ?? 0);
                for (const m of after.filter((n) => n.flags.includes("master") && n.slots.length > 0 && spare(c.hostOf(n)!) < 0)) {
                    const stuck = after.filter((r) => r.masterId === m.id && spare(c.hostOf(r)!) > 0);
                    assert.deepEqual(stuck.map((r) => r.id), [], `${m.id} could move`);
                }
            }),
        );
    });

    it("moves nothing while every planned master leads its shard, or on one host", () => {
        fc.assert(
            fc.property(layouts, ({ hosts, shards }) => {
                const c = cluster(hosts, shards.map((s) => ({ ...s, leader: 0 })));
                assert.deepEqual(mastersBackToPlan(c.view, c.hostOf, c.planned), []);
                const mixed = cluster(hosts, shards);
                assert.deepEqual(mastersBackToPlan(mixed.view, () => undefined, mixed.planned), []);
            }),
        );
    });

    it("a 3x1 over three hosts after h2 was lost and came back: the preview names the move, and none after it", () => {
        // Shard 2's master (on h2) failed over to its replica on h3; h2's node came back as a replica.
        const nodes = [1, 2, 3, 4, 5, 6].map((i) => ({ name: `n-${i}`, ip: `10.77.0.1${[1, 2, 3, 2, 3, 1][i - 1]}`, port: 7100 + i, host: `h${[1, 2, 3, 2, 3, 1][i - 1]}` }));
        const ranges = splitSlots(3).map(formatRange);
        const lines = [
            `a 10.77.0.11:7101@17101 master - 0 0 1 connected ${ranges[0]}`,
            `b 10.77.0.12:7102@17102 slave e 0 0 4 connected`,
            `c 10.77.0.13:7103@17103 master - 0 0 3 connected ${ranges[2]}`,
            `d 10.77.0.12:7104@17104 slave a 0 0 1 connected`,
            `e 10.77.0.13:7105@17105 master - 0 0 4 connected ${ranges[1]}`,
            `f 10.77.0.11:7106@17106 slave c 0 0 3 connected`,
        ];
        const plan = { nodes, shards: ranges.map((r, k) => ({ slots: [r], master: `n-${k + 1}` })), replicasPerShard: 1 };
        const observe = (text: string[]) => nodes.map((n) => ({ ...n, view: parseClusterNodes(text.join("\n")) }));
        const moves = masterMovesFor(parseClusterNodes(lines.join("\n")), plan);
        assert.deepEqual(moves.map((m) => [m.master.id, m.heir.id, m.fromHost, m.toHost]), [["e", "b", "h3", "h2"]]);
        assert.deepEqual(shapeDrift(observe(lines), plan), ['host "h3" runs more masters than the plan gives it: 10.77.0.12:7102 on "h2" takes over the shard of 10.77.0.13:7105']);
        const back = lines.map((l) => l.replace(/^b (\S+) slave e 0 0 4 connected$/, `b $1 master - 0 0 5 connected ${ranges[1]}`).replace(/^e (\S+) master - 0 0 4 connected .*$/, "e $1 slave b 0 0 5 connected"));
        assert.deepEqual(shapeDrift(observe(back), plan), []);
    });
    it("spreads masters as evenly as the count allows, the larger shares on the hosts that run the most now, an even layout its own target (property)", () => {
        fc.assert(
            fc.property(fc.integer({ min: 1, max: 6 }), fc.integer({ min: 1, max: 30 }), fc.array(fc.nat({ max: 8 }), { minLength: 6, maxLength: 6 }), (hostCount, shards, now) => {
                const hosts = Array.from({ length: hostCount }, (_, i) => `h${i + 1}`);
                const live = new Map(hosts.map((h, i) => [h, now[i]]));
                const counts = evenMasterCounts(hosts, live, shards);
                const values = hosts.map((h) => counts.get(h)!);
                assert.equal(values.reduce((a, b) => a + b, 0), shards);
                assert.ok(Math.max(...values) - Math.min(...values) <= 1, `uneven: ${values}`);
                // A host running more now never gets a smaller share than one running fewer.
                for (const a of hosts) for (const b of hosts) if (live.get(a)! > live.get(b)!) assert.ok(counts.get(a)! >= counts.get(b)!);
                // Already even (and complete): nothing to change.
                const even = evenMasterCounts(hosts, new Map(hosts.map((h) => [h, counts.get(h)!])), shards);
                assert.deepEqual(even, counts);
            }),
        );
        assert.deepEqual(evenMasterCounts([], new Map(), 3), new Map());
    });

    it("a 3x1 over three hosts grown to 4 shards, the new shard led by the empty node the reshape chose: no move, though the plan names another", () => {
        // Nodes 1-3 lead on h1-h3; node 4 (a replica in 3x1, on h2) is the plan's first member of shard 4,
        // but the reshape made node 7 (new, empty, on h1) its leader. Counts 2-1-1 are as even as 4 on 3 allows.
        const hostOf = [1, 2, 3, 2, 3, 1, 1, 3].map((h) => `h${h}`);
        const nodes = hostOf.map((host, i) => ({ name: `n-${i + 1}`, ip: `10.78.0.${11 + i}`, port: 7101 + i, host }));
        const ranges = splitSlots(4).map(formatRange);
        const lines = [
            `a 10.78.0.11:7101@17101 master - 0 0 1 connected ${ranges[0]}`,
            `b 10.78.0.12:7102@17102 master - 0 0 2 connected ${ranges[1]}`,
            `c 10.78.0.13:7103@17103 master - 0 0 3 connected ${ranges[2]}`,
            `d 10.78.0.14:7104@17104 slave c 0 0 3 connected`,
            `e 10.78.0.15:7105@17105 slave a 0 0 1 connected`,
            `f 10.78.0.16:7106@17106 slave b 0 0 2 connected`,
            `g 10.78.0.17:7107@17107 master - 0 0 4 connected ${ranges[3]}`,
            `h 10.78.0.18:7108@17108 slave g 0 0 4 connected`,
        ];
        const plan = { nodes, shards: ranges.map((r, k) => ({ slots: [r], master: `n-${k + 1}` })), replicasPerShard: 1 };
        assert.deepEqual(masterMovesFor(parseClusterNodes(lines.join("\n")), plan), []);
        const observe = (text: string[]) => nodes.map((n) => ({ ...n, view: parseClusterNodes(text.join("\n")) }));
        assert.deepEqual(shapeDrift(observe(lines), plan), []);
        // Had h1 been lost with both its masters (to their replicas e and h, both on h3), h3 would run three and
        // h1 none: one goes back to h1 (the first in slot order), and h3 keeps two (4 on 3 hosts allow one host two).
        const lost = lines
            .map((l) => l.replace(/^a (\S+) master - 0 0 1 connected .*$/, "a $1 slave e 0 0 5 connected").replace(/^e (\S+) slave a 0 0 1 connected$/, `e $1 master - 0 0 5 connected ${ranges[0]}`))
            .map((l) => l.replace(/^g (\S+) master - 0 0 4 connected .*$/, "g $1 slave h 0 0 6 connected").replace(/^h (\S+) slave g 0 0 4 connected$/, `h $1 master - 0 0 6 connected ${ranges[3]}`));
        assert.deepEqual(masterMovesFor(parseClusterNodes(lost.join("\n")), plan).map((m) => [m.master.id, m.heir.id, m.fromHost, m.toHost]), [["e", "a", "h3", "h1"]]);
    });
});
