import { strict as assert } from "assert";
import fc from "fast-check";
import { Observation, mostDownTogether } from "../support/sampler";

/**
 * Probes until `untilMs`, `gapMs` after each answer, the i-th taking `durations[i]` (cycling); each is
 * down where `isDown` says so at a moment inside it (`where[i]` of the way through).
 */
function probe(isDown: (at: number) => boolean, firstAt: number, durations: number[], where: number[], untilMs = 30000, gapMs = 50): Observation[] {
    const seen: Observation[] = [];
    for (let at = firstAt, i = 0; at < untilMs; i++) {
        const d = durations[i % durations.length];
        seen.push({ sentAt: at, answeredAt: at + d, up: !isDown(at + Math.floor(d * where[i % where.length])) });
        at += d + gapMs;
    }
    return seen;
}

describe("nodes down together, as the sampler judges them", () => {
    it("does not count a node as down after it came back because its last probe was slow", () => {
        // a's second probe timed out (sent while it was down) and was answered long after it was back; b went down then.
        const a: Observation[] = [
            { sentAt: 0, answeredAt: 1000, up: false },
            { sentAt: 1050, answeredAt: 2050, up: false },
            { sentAt: 2100, answeredAt: 2110, up: true },
        ];
        const b: Observation[] = [
            { sentAt: 1400, answeredAt: 1410, up: true },
            { sentAt: 1500, answeredAt: 1510, up: false },
            { sentAt: 1560, answeredAt: 1570, up: false },
            { sentAt: 1620, answeredAt: 1630, up: true },
        ];
        assert.equal(mostDownTogether({ a, b }).length, 1);
    });

    it("counts two nodes seen down over the same span", () => {
        const down = (from: number): Observation[] => [0, 1, 2, 3].map((i) => ({ sentAt: from + i * 100, answeredAt: from + i * 100 + 10, up: false }));
        assert.deepEqual(mostDownTogether({ a: down(0), b: down(150), c: down(1000) }), ["a", "b"]);
    });

    it("counts nothing when every node answered, or went down for one probe only", () => {
        assert.deepEqual(mostDownTogether({}), []);
        assert.deepEqual(mostDownTogether({ a: [{ sentAt: 0, answeredAt: 5, up: true }], b: [{ sentAt: 0, answeredAt: 5, up: false }] }), []);
    });

    const outage = fc.record({ start: fc.integer({ min: 0, max: 20000 }), length: fc.integer({ min: 0, max: 8000 }) });
    const probing = fc.record({
        firstAt: fc.integer({ min: 0, max: 400 }),
        durations: fc.array(fc.integer({ min: 1, max: 300 }), { minLength: 1, maxLength: 50 }),
        where: fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: 1, maxLength: 50 }),
    });
    const nodes = fc.array(fc.record({ outage, probing }), { minLength: 1, maxLength: 6 });

    function observe(ns: { outage: { start: number; length: number }; probing: { firstAt: number; durations: number[]; where: number[] } }[]): Record<string, Observation[]> {
        return Object.fromEntries(
            ns.map((n, i) => [`n${i}`, probe((at) => at >= n.outage.start && at < n.outage.start + n.outage.length, n.probing.firstAt, n.probing.durations, n.probing.where)]),
        );
    }

    it("never names nodes whose outages did not share a moment", () => {
        fc.assert(
            fc.property(nodes, (ns) => {
                const named = mostDownTogether(observe(ns)).map((n) => ns[Number(n.slice(1))].outage);
                if (named.length === 0) return;
                const latestStart = Math.max(...named.map((o) => o.start));
                const earliestEnd = Math.min(...named.map((o) => o.start + o.length));
                assert.ok(latestStart < earliestEnd, JSON.stringify(named));
            }),
        );
    });

    it("names every node when all of them were down together for a second or more", () => {
        fc.assert(
            fc.property(nodes, fc.integer({ min: 1000, max: 5000 }), (ns, shared) => {
                // Every outage covers [10000, 10000 + shared), well inside the probes' reach.
                const together = ns.map((n) => ({ ...n, outage: { start: Math.min(n.outage.start, 10000), length: 0 } }));
                together.forEach((n, i) => (n.outage.length = Math.max(10000 + shared, ns[i].outage.start + ns[i].outage.length) - n.outage.start));
                assert.equal(mostDownTogether(observe(together)).length, ns.length);
            }),
        );
    });
});
