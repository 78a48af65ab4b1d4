import { strict as assert } from "assert";
import { Result, analysis, stats } from "../../bench/report";
import { RATIOS, SERIES } from "../../bench/series";

describe("the benchmark report", () => {
    it("finds every series and ratio it reads by the names the runs write (no NaN)", () => {
        const series = Object.values(SERIES).map((name, i) => ({ name, unit: "s", values: [i + 1], ...stats([i + 1]) }));
        const ratios = Object.values(RATIOS).map((name) => ({ name, values: [1.2], ...stats([1.2]) }));
        const r: Result = { date: "2026-12-05", machine: {}, series, ratios, noopUpBreakdown: [{ phase: "all", seconds: 1 }] };
        const text = analysis(r).join("\n");
        assert.doesNotMatch(text, /NaN/);
        assert.match(text, /target at most 1\.50x: met/);
        // A series that is missing shows as NaN: the check above can fail.
        assert.match(analysis({ ...r, series: series.slice(1) }).join("\n"), /NaN/);
    });
});
