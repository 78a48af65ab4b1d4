/**
 * Mocha root hooks for the end-to-end suites: remove what earlier runs left
 * (found by label), and clean up when a run is interrupted.
 *
 * Under the lane runner (tests/support/lanes.ts sets E2E_LANE) other lanes'
 * clusters are running on the same engine: a lane sweeps nothing, the runner
 * sweeps once before the lanes start and once after they all end, and each
 * suite removes the leftovers of its own stack (createTestStack).
 */
import { removeAllTestStackObjects } from "./stack";

const inLane = process.env.E2E_LANE !== undefined;

function sweep(): void {
    if (!inLane) removeAllTestStackObjects();
}

for (const signal of ["SIGINT", "SIGTERM"] as const) {
    process.once(signal, () => {
        console.error(inLane ? `\n${signal}: stopping this lane (the lane runner removes the test stacks)` : `\n${signal}: removing the test stacks' containers, networks and volumes`);
        sweep();
        process.exit(130);
    });
}

export const mochaHooks = {
    beforeAll(): void {
        sweep();
    },
    afterAll(): void {
        sweep();
    },
};
