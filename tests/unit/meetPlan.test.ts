import { strict as assert } from "assert";
import fc from "fast-check";
import { GOSSIP_GRACE_MS, meetsToSend } from "../../components/planning/topology";

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
