import { strict as assert } from "assert";
import fc from "fast-check";
import { ClusterView } from "../../components/planning/clusterView";
import { ClusterNodesLine, clusterNodesLine, formatLine } from "../support/clusterNodes";

// CLUSTER NODES as 10.38.0.12 printed it after a failover of its first master, mid-migration of slot 5461,
// with the first master recreated empty at its old address (new id ggg7, the old one failed).
const TEXT = `
aaa1 10.38.0.11:6379@16379 master,fail - 1700000000000 1700000000000 1 disconnected
bbb2 10.38.0.12:6379@16379 myself,master - 0 1700000000000 2 connected 5461-10922 [5461->-ccc3]
ccc3 10.38.0.13:6379@16379 master - 0 1700000000000 3 connected 10923-16383
ddd4 10.38.0.14:6379@16379 master,fail? - 0 1700000000000 7 connected 0-5460
eee5 10.38.0.15:6379@16379 slave bbb2 0 1700000000000 2 connected
fff6 10.38.0.16:6379@16379 slave ccc3 0 1700000000000 3 connected
ggg7 10.38.0.11:6379@16379 slave ddd4 0 1700000000000 7 connected
hhh8 10.38.0.17:6379@16379 handshake - 0 0 0 connected
`;

const ids = (lines: readonly { id: string }[]) => lines.map((l) => l.id);

describe("a parsed view of the cluster (ClusterView)", () => {
    const view = ClusterView.parse(TEXT);

    it("finds nodes by id and by endpoint, the first listed where a recreated node shares its old address", () => {
        assert.equal(view.byId("ccc3")?.port, 6379);
        assert.equal(view.byId("ccc3")?.ip, "10.38.0.13");
        assert.equal(view.byId("zzz9"), undefined);
        assert.equal(view.at({ ip: "10.38.0.15", port: 6379 })?.id, "eee5");
        assert.equal(view.at({ ip: "10.38.0.11", port: 6379 })?.id, "aaa1");
        assert.equal(view.at({ ip: "10.38.0.15", port: 6380 }), undefined);
    });

    it("never answers with a handshake's made-up id for an endpoint, even where it is listed first", () => {
        // A MEET repeated to a node already met: Redis lists it again under a random id until the handshake ends.
        const repeated = ClusterView.parse(`iii9 10.38.0.13:6379@16379 handshake - 0 0 0 connected\n${TEXT}`);
        assert.equal(repeated.at({ ip: "10.38.0.13", port: 6379 })?.id, "ccc3");
        // A node known only by a handshake has not been met.
        assert.equal(view.at({ ip: "10.38.0.17", port: 6379 }), undefined);
    });

    it("tells roles: itself, its open slots, live masters, slot owners, the replicas of each master, the nodes met", () => {
        assert.equal(view.myself?.id, "bbb2");
        assert.deepEqual(view.openSlots, [{ slot: 5461, state: "migrating", peer: "ccc3" }]);
        // Neither failed (aaa1) nor suspected (ddd4, fail?).
        assert.deepEqual(ids(view.liveMasters), ["bbb2", "ccc3"]);
        assert.deepEqual(ids(view.slotOwners), ["bbb2", "ccc3", "ddd4"]);
        assert.deepEqual(ids(view.replicasOf("ddd4")), ["ggg7"]);
        assert.deepEqual(ids(view.replicasOf("aaa1")), []);
        assert.deepEqual(ids(view.known), ["aaa1", "bbb2", "ccc3", "ddd4", "eee5", "fff6", "ggg7"]);
        assert.deepEqual(ids(view.ownersOf([{ start: 0, end: 0 }, { start: 16383, end: 16383 }])), ["ccc3", "ddd4"]);
        assert.deepEqual(ids(view.ownersOf([{ start: 5461, end: 5461 }])), ["bbb2"]);
    });

    it("of a node that knows nobody, or did not say: nothing", () => {
        for (const empty of [ClusterView.EMPTY, ClusterView.parse("")]) {
            assert.equal(empty.myself, undefined);
            assert.deepEqual([empty.lines, empty.openSlots, empty.known, empty.liveMasters, empty.slotOwners, empty.replicasOf("aaa1")], [[], [], [], [], [], []]);
        }
    });

    it("answers for any CLUSTER NODES text as a search of its lines in order would (property)", () => {
        // Few ids and addresses, so lines share them: masters' ids, migration peers, a node listed twice at one address.
        const line = clusterNodesLine({ id: fc.constantFrom("a", "b", "c", "d", "e").map((c) => c.repeat(40)), ip: fc.constantFrom("10.0.0.1", "fd00::1"), port: fc.constantFrom(6379, 6380) });
        const index = (view: ClusterView, l: unknown) => view.lines.indexOf(l as never);
        fc.assert(
            fc.property(fc.array(line, { maxLength: 10 }), fc.array(fc.tuple(fc.nat(16383), fc.nat(200)), { maxLength: 3 }), (table, cuts) => {
                const view = ClusterView.parse(table.map(formatLine).join("\n") + "\n");
                const where = (pick: (t: ClusterNodesLine) => boolean) => table.flatMap((t, i) => (pick(t) ? [i] : []));
                assert.equal(view.lines.length, table.length);
                for (const t of table) {
                    assert.equal(index(view, view.byId(t.id)), table.findIndex((x) => x.id === t.id), `by id ${t.id}`);
                    const met = (x: ClusterNodesLine) => !x.flags.includes("handshake") && !x.flags.includes("noaddr");
                    assert.equal(index(view, view.at(t)), table.findIndex((x) => x.endpoint === t.endpoint && met(x)), `at ${t.endpoint}`);
                }
                for (const m of new Set(table.flatMap((t) => [t.id, t.masterId ?? "-"]))) {
                    assert.deepEqual(view.replicasOf(m).map((l) => index(view, l)), where((t) => t.masterId === m), `replicas of ${m}`);
                }
                assert.equal(index(view, view.myself), table.findIndex((t) => t.myself));
                const self = table.find((t) => t.myself);
                assert.deepEqual(view.openSlots.length, self?.slots.filter((s) => s.startsWith("[")).length ?? 0);
                assert.deepEqual(view.liveMasters.map((l) => index(view, l)), where((t) => t.master && !t.failed));
                assert.deepEqual(view.slotOwners.map((l) => index(view, l)), where((t) => t.master && t.owned.length > 0));
                assert.deepEqual(view.known.map((l) => index(view, l)), where((t) => !t.flags.includes("handshake") && !t.flags.includes("noaddr")));
                const ranges = cuts.map(([start, length]) => ({ start, end: Math.min(16383, start + length) }));
                const owns = (t: ClusterNodesLine) => t.owned.some((o) => ranges.some((r) => o.start <= r.end && r.start <= o.end));
                assert.deepEqual(view.ownersOf(ranges).map((l) => index(view, l)), where((t) => t.master && owns(t)));
            }),
        );
    });
});
