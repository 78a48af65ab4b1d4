import { strict as assert } from "assert";
import fc from "fast-check";
import { FakeCluster, isStep } from "../support/fakeCluster";
import { assertWhole, clusterOf, planOf, specFor } from "../support/fakePlans";
import { StepFailure, runEngine } from "../support/engineRun";

describe("the engine failed at any step of a reshape (killed, refused, cut off), then run again (fake cluster)", function () {
    this.timeout(600000);

    before(function () {
        // The children load the engine compiled ahead of time: build it once here, not in the first child.
        this.timeout(300000);
        require("../../runtime/compiled").buildDir();
    });

    /** A scale-out (3 -> 4 shards) or a scale-in (4 -> 3), first run and, after the kill, the run that resumes it or reverts it. */
    interface Scenario {
        replicas: number;
        direction: "out" | "in";
        then: "resume" | "revert";
    }
    const leavingOf = (replicas: number) => (replicas === 0 ? ["m4"] : ["m4", "r4"]);
    const firstSpec = (c: FakeCluster, s: Scenario) => (s.direction === "out" ? specFor(c, planOf(4, s.replicas)) : specFor(c, planOf(3, s.replicas), leavingOf(s.replicas)));
    /** What Pulumi asks of the bootstrap next: the same inputs again, or the last successful ones (no node leaving then). */
    const finalPlan = (s: Scenario) => planOf((s.direction === "out") === (s.then === "resume") ? 4 : 3, s.replicas);
    const finalSpec = (c: FakeCluster, s: Scenario) => (s.then === "resume" ? firstSpec(c, s) : specFor(c, finalPlan(s)));

    /** MIGRATE, CLUSTER SETSLOT IMPORTING, CLUSTER FORGET, ...: a step without its arguments. */
    const stepKind = ([name, sub, ...args]: string[]) => (name === "CLUSTER" ? `CLUSTER ${sub} ${sub.toUpperCase() === "SETSLOT" ? args[1] : ""}` : name);

    /** The kinds of step an uninterrupted first run takes, runs of one kind merged: [first index, count]. */
    const segments = new Map<string, [number, number][]>();
    async function segmentsOf(s: Scenario): Promise<[number, number][]> {
        const key = `${s.direction}${s.replicas}`;
        if (!segments.has(key)) {
            const cluster = await clusterOf(s.direction === "out" ? 3 : 4, s.replicas);
            const kinds: string[] = [];
            const run = await runEngine(cluster, firstSpec(cluster, s), Infinity, (command) => isStep(command) && kinds.push(stepKind(command)));
            try {
                // Uninterrupted, the first run alone reaches its plan.
                assert.equal(run.exitCode, 0, run.output);
                assertWhole(cluster, s.direction === "out" ? planOf(4, s.replicas) : planOf(3, s.replicas), run.output);
            } finally {
                await cluster.close();
            }
            const merged: [number, number][] = [];
            kinds.forEach((k, i) => (i > 0 && kinds[i - 1] === k ? merged[merged.length - 1][1]++ : merged.push([i, 1])));
            segments.set(key, merged);
        }
        return segments.get(key)!;
    }

    const scenario = fc.record({
        replicas: fc.constantFrom(0, 1),
        direction: fc.constantFrom("out" as const, "in" as const),
        then: fc.constantFrom("resume" as const, "revert" as const),
    });

    it("ends healthy with every key on its owner whatever step of the first run was killed, refused or cut off (property)", async () => {
        await fc.assert(
            fc.asyncProperty(scenario, fc.nat(), fc.constantFrom("first", "second", "last"), fc.constantFrom<StepFailure>("kill", "error", "drop"), async (s, segment, where, failure) => {
                const segs = await segmentsOf(s);
                const [start, count] = segs[segment % segs.length];
                const failStep = start + 1 + (where === "first" ? 0 : where === "second" ? Math.min(1, count - 1) : count - 1);
                const cluster = await clusterOf(s.direction === "out" ? 3 : 4, s.replicas);
                try {
                    const first = await runEngine(cluster, firstSpec(cluster, s), failStep, undefined, failure);
                    const story0 = `${JSON.stringify(s)}: step ${failStep} failed by ${failure} (${first.failed}), exit ${first.exitCode}:\n${first.output}`;
                    assert.ok(first.failed, `the first run never reached step ${failStep}: ${story0}`);
                    // A step refused or cut off once may be asked again: a run that says it succeeded must have reached its plan.
                    if (first.exitCode === 0) assertWhole(cluster, s.direction === "out" ? planOf(4, s.replicas) : planOf(3, s.replicas), story0);
                    const after = await runEngine(cluster, finalSpec(cluster, s));
                    const story = `${story0}\n-- then --\n${after.output}`;
                    assert.equal(after.exitCode, 0, story);
                    assertWhole(cluster, finalPlan(s), story);
                } finally {
                    await cluster.close();
                }
            }),
            // Each case is two engine processes: a few here, more on demand (FAULT_RUNS=100 npm run test:unit). No
            // shrinking: a failing case waits out the engine's deadline, and its log already tells the story.
            { numRuns: Number(process.env.FAULT_RUNS ?? 8), endOnFailure: true },
        );
    });

    it("stops within its deadline when a node does not answer, naming it, having changed nothing (property)", async () => {
        await fc.assert(
            fc.asyncProperty(scenario, fc.nat(), async (s, pick) => {
                const cluster = await clusterOf(s.direction === "out" ? 3 : 4, s.replicas);
                try {
                    const spec = s.direction === "out" ? specFor(cluster, planOf(4, s.replicas), [], 1500) : specFor(cluster, planOf(3, s.replicas), leavingOf(s.replicas), 1500);
                    const silent = cluster.nodes.find((n) => n.name === spec.nodes[pick % spec.nodes.length].name)!;
                    silent.down = true;
                    const started = Date.now();
                    const run = await runEngine(cluster, spec);
                    assert.equal(run.exitCode, 1, run.output);
                    assert.match(run.output, new RegExp(`not answering: ${silent.name} \\(127\\.0\\.0\\.1:${silent.server.port}\\)`), run.output);
                    assert.equal(run.steps, 0, `a step was taken:\n${run.output}`);
                    assert.ok(Date.now() - started < 10000, `took ${Date.now() - started} ms`);
                } finally {
                    await cluster.close();
                }
            }),
            { numRuns: 3, endOnFailure: true },
        );
    });

    it("waits for a node that is loading its data, and stops at the deadline naming it when the loading outlasts it", async () => {
        const cluster = await clusterOf(3, 1);
        try {
            const loader = cluster.nodes.find((n) => n.name === "m2")!;
            loader.loadingUntil = Date.now() + 60000;
            const started = Date.now();
            const stopped = await runEngine(cluster, specFor(cluster, planOf(4, 1), [], 1500));
            assert.equal(stopped.exitCode, 1, stopped.output);
            assert.match(stopped.output, /not answering: m2 \(127\.0\.0\.1:\d+\): LOADING/, stopped.output);
            assert.equal(stopped.steps, 0, stopped.output);
            assert.ok(Date.now() - started < 10000, `took ${Date.now() - started} ms: the wait ignored its deadline`);

            loader.loadingUntil = Date.now() + 1500;
            const waited = await runEngine(cluster, specFor(cluster, planOf(4, 1)));
            assert.equal(waited.exitCode, 0, waited.output);
            assertWhole(cluster, planOf(4, 1), waited.output);
        } finally {
            await cluster.close();
        }
    });
});
