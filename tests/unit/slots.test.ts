import { strict as assert } from "assert";
import { countSlots, formatRange, mergeRanges, parseRange, splitSlots, uncoveredSlots, SLOT_COUNT } from "../../components/planning/slots";

describe("slot planning", () => {
    it("splits 3 masters exactly as redis-cli --cluster create does", () => {
        assert.deepEqual(splitSlots(3).map(formatRange), ["0-5460", "5461-10922", "10923-16383"]);
    });

    it("splits 4 and 12 masters into contiguous, balanced ranges covering every slot", () => {
        for (const masters of [4, 5, 7, 12]) {
            const ranges = splitSlots(masters);
            assert.equal(ranges.length, masters);
            assert.equal(countSlots(ranges), SLOT_COUNT);
            assert.deepEqual(uncoveredSlots(ranges), []);
            ranges.slice(1).forEach((r, i) => assert.equal(r.start, ranges[i].end + 1));
            const sizes = ranges.map((r) => r.end - r.start + 1);
            assert.ok(Math.max(...sizes) - Math.min(...sizes) <= 1, `unbalanced: ${sizes}`);
        }
        assert.deepEqual(splitSlots(4).map(formatRange), ["0-4095", "4096-8191", "8192-12287", "12288-16383"]);
    });

    it("rejects an impossible number of masters", () => {
        assert.throws(() => splitSlots(0), /0 masters/);
    });

    it("parses, merges and finds gaps", () => {
        assert.deepEqual(parseRange("7"), { start: 7, end: 7 });
        assert.deepEqual(mergeRanges([parseRange("10-20"), parseRange("0-9"), parseRange("30")]).map(formatRange), ["0-20", "30"]);
        assert.deepEqual(uncoveredSlots([parseRange("0-100"), parseRange("200-16383")]).map(formatRange), ["101-199"]);
        assert.throws(() => parseRange("a-b"), /not a slot range/);
    });
});
