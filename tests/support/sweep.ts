/**
 * Mocha root hooks for the end-to-end suites: remove what earlier runs left
 * (found by label), and clean up when a run is interrupted.
 */
import { labelledTestStacks, removeStackObjects } from "./docker";
import { TEST_STACK_PREFIX } from "./stack";

function sweep(): void {
    for (const stack of labelledTestStacks(TEST_STACK_PREFIX)) {
        removeStackObjects(stack);
    }
}

for (const signal of ["SIGINT", "SIGTERM"] as const) {
    process.once(signal, () => {
        console.error(`\n${signal}: removing the test stacks' containers, networks and volumes`);
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
