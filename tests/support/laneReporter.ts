/**
 * Mocha reporter for one lane of tests/support/lanes.ts: the usual spec output (into the lane's
 * log), and a line of JSON per event in the file E2E_LANE_PROGRESS names, from which the runner
 * tells which file a lane is on, how long each file took and how many tests passed and failed.
 */
import * as path from "path";
import Mocha from "mocha";
import { PROJECT_ROOT } from "./env";
import { LaneEvent, writeLaneEvent } from "./laneEvents";

const { EVENT_SUITE_BEGIN, EVENT_TEST_PASS, EVENT_TEST_FAIL, EVENT_TEST_PENDING, EVENT_RUN_END } = Mocha.Runner.constants;

class LaneReporter extends Mocha.reporters.Spec {
    constructor(runner: Mocha.Runner, options?: Mocha.MochaOptions) {
        super(runner, options);
        const out = process.env.E2E_LANE_PROGRESS;
        if (!out) return;
        const write = (e: LaneEvent) => writeLaneEvent(out, e);

        // A file's top-level suites run one after another; the file ends when the next begins, or the run ends.
        let current: { file: string; startedAt: number; passes: number; failures: number; pending: number } | undefined;
        const finish = () => {
            if (!current) return;
            const at = Date.now();
            const { file, startedAt, passes, failures, pending } = current;
            write({ event: "file-end", file, at, seconds: Math.round((at - startedAt) / 1000), passes, failures, pending });
            current = undefined;
        };
        runner.on(EVENT_SUITE_BEGIN, (suite: Mocha.Suite) => {
            if (!suite.parent?.root || !suite.file) return;
            const file = path.relative(PROJECT_ROOT, suite.file);
            if (current?.file === file) return;
            finish();
            current = { file, startedAt: Date.now(), passes: 0, failures: 0, pending: 0 };
            write({ event: "file-start", file, at: current.startedAt });
        });
        runner.on(EVENT_TEST_PASS, () => current && current.passes++);
        // A failing hook counts too: the tests after it do not run.
        runner.on(EVENT_TEST_FAIL, () => current && current.failures++);
        runner.on(EVENT_TEST_PENDING, () => current && current.pending++);
        runner.once(EVENT_RUN_END, () => {
            finish();
            const stats = this.stats;
            write({ event: "end", at: Date.now(), passes: stats.passes, failures: stats.failures, pending: stats.pending });
        });
    }
}

export = LaneReporter;
