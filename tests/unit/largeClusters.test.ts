import { strict as assert } from "assert";
import fc from "fast-check";
import { GOSSIP_GRACE_MS, meetsToSend } from "../../components/planning/topology";
import { bootstrapNodeTimeoutMs } from "../../components/engine/steps/nodeTimeout";
import { lookEvery } from "../../components/engine/wait";

type Gap = { from: string; to: { name: string } };
const key = (g: Gap) => `${g.from}->${g.to.name}`;

/** Some nodes n1..nN, the hub n1, and any set of directed missing links between them. */
const gapsArb = fc.integer({ min: 2, max: 40 }).chain((n) =>
    fc.tuple(
        fc.constant(n),
        fc.uniqueArray(fc.tuple(fc.integer({ min: 1, max: n }), fc.integer({ min: 1, max: n })).filter(([a, b]) => a !== b), { selector: ([a, b]) => `${a}-${b}` }),
        fc.option(fc.integer({ min: 0, max: 3 * GOSSIP_GRACE_MS }), { nil: undefined }),
    ),
);
const asGaps = (pairs: [number, number][]): Gap[] => pairs.map(([a, b]) => ({ from: `n${a}`, to: { name: `n${b}` } }));

describe("meetsToSend (which missing links a MEET closes now)", () => {
    it("a new cluster of n nodes: n - 1 MEETs, all from the hub, where every pair took n(n - 1)", () => {
        for (const n of [3, 6, 100]) {
            const names = Array.from({ length: n }, (_, i) => `n${i + 1}`);
            const gaps = names.flatMap((from) => names.filter((to) => to !== from).map((to) => ({ from, to: { name: to } })));
            const sent = meetsToSend(gaps, "n1", undefined);
            assert.equal(sent.length, n - 1);
            assert.ok(sent.every((g) => g.from === "n1"));
        }
    });

    it("sends only links it was given, one per pair with the hub while any is open, and meets every such pair", () => {
        fc.assert(
            fc.property(gapsArb, ([, pairs, closedFor]) => {
                const gaps = asGaps(pairs);
                const sent = meetsToSend(gaps, "n1", closedFor);
                const given = new Set(gaps.map(key));
                assert.ok(sent.every((g) => given.has(key(g))));
                const hubGaps = gaps.filter((g) => g.from === "n1" || g.to.name === "n1");
                if (hubGaps.length === 0) return;
                const partner = (g: Gap) => (g.from === "n1" ? g.to.name : g.from);
                assert.ok(sent.every((g) => g.from === "n1" || g.to.name === "n1"), "only links with the hub while one is open");
                const met = sent.map(partner);
                assert.equal(new Set(met).size, met.length, "one MEET per pair");
                assert.deepEqual([...new Set(met)].sort(), [...new Set(hubGaps.map(partner))].sort(), "every node the hub and it do not both know");
            }),
        );
    });

    it("once the hub knows all and all know it, leaves the rest to gossip for the grace, then meets them directly", () => {
        fc.assert(
            fc.property(gapsArb, ([, pairs, closedFor]) => {
                const gaps = asGaps(pairs).filter((g) => g.from !== "n1" && g.to.name !== "n1");
                const sent = meetsToSend(gaps, "n1", closedFor);
                const due = closedFor !== undefined && closedFor >= GOSSIP_GRACE_MS;
                assert.deepEqual(sent.map(key), due ? gaps.map(key) : []);
            }),
        );
    });
});

describe("the bootstrap's node timeout on a cluster of any size", () => {
    it("keeps the pings Redis sends linear in the node count, never above the configured timeout, never below 500 ms or the configured one", () => {
        fc.assert(
            fc.property(fc.integer({ min: 1, max: 1000 }), fc.integer({ min: 100, max: 60000 }), (n, configured) => {
                const t = bootstrapNodeTimeoutMs(n, configured);
                assert.ok(t <= configured);
                assert.ok(t >= Math.min(500, configured));
                // Each node pings each other it has not heard from in t / 2: n * n / (t / 2) a second in all.
                // At most 100 n: n * n * 2000 <= 100 * n * t, in integers.
                if (t < configured) assert.ok(n * n * 2000 <= 100 * n * t, `${n} nodes at ${t} ms`);
                assert.ok(bootstrapNodeTimeoutMs(n + 1, configured) >= t, "no shorter for more nodes");
            }),
        );
    });

    it("gives 6 nodes the short 500 ms and 100 nodes 2 s (at 500 ms, 100 nodes on two cores never said ok)", () => {
        assert.equal(bootstrapNodeTimeoutMs(6, 5000), 500);
        assert.equal(bootstrapNodeTimeoutMs(100, 5000), 2000);
    });
});

describe("waits that look at every node", () => {
    it("look as often as asked on a small cluster and less often, linearly, on a large one", () => {
        fc.assert(
            fc.property(fc.integer({ min: 10, max: 1000 }), fc.integer({ min: 1, max: 2000 }), (ms, n) => {
                const every = lookEvery(ms, n);
                assert.ok(every >= ms && every >= 2 * n);
                assert.ok(every <= Math.max(ms, 2 * n));
            }),
        );
    });
});
