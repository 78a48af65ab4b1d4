/** A throwaway stack of this project, driven through the Automation API. */
import * as fs from "fs";
import * as path from "path";
import { LocalWorkspace, Stack, UpResult } from "@pulumi/pulumi/automation";
import { PROJECT_ROOT, TEST_STATE_DIR, pulumiEnv } from "./env";
import { removeStackObjects } from "./docker";
import { preparedImage } from "../../scripts/preparedImage";

export const TEST_STACK_PREFIX = "e2e-";

export interface TestStack {
    name: string;
    stack: Stack;
    /** Everything the engine printed, to search for leaked secrets. */
    log: string[];
    up(): Promise<UpResult>;
    destroyAndRemove(): Promise<void>;
}

/** `name` must start with TEST_STACK_PREFIX so the sweep can find what it leaves behind. */
export async function createTestStack(name: string, config: Record<string, string>, secrets: Record<string, string> = {}): Promise<TestStack> {
    if (!name.startsWith(TEST_STACK_PREFIX)) {
        throw new Error(`test stack names start with ${TEST_STACK_PREFIX}: ${name}`);
    }
    const workspace = await LocalWorkspace.create({ workDir: PROJECT_ROOT, envVars: pulumiEnv() });
    // A stack an interrupted run left behind describes containers that the sweep removed: start over.
    await workspace.removeStack(name, { force: true }).catch(() => undefined);
    const stack = await Stack.create(name, workspace);
    // The image this machine has, unless the test chooses one (the stack's default is the official one).
    const values: Record<string, { value: string; secret?: boolean }> = { "redis-cluster:image": { value: preparedImage() } };
    for (const [k, v] of Object.entries(config)) values[`redis-cluster:${k}`] = { value: v };
    for (const [k, v] of Object.entries(secrets)) values[`redis-cluster:${k}`] = { value: v, secret: true };
    await stack.setAllConfig(values);
    const log: string[] = [];
    const onOutput = (out: string) => {
        log.push(out);
        if (process.env.E2E_VERBOSE) process.stdout.write(out);
    };
    return {
        name,
        stack,
        log,
        up: () => stack.up({ onOutput }),
        async destroyAndRemove() {
            try {
                await stack.destroy({ onOutput });
            } finally {
                // Whatever destroy could not remove, and the stack's own files.
                removeStackObjects(name);
                await stack.workspace.removeStack(name, { force: true }).catch(() => undefined);
                fs.rmSync(path.join(PROJECT_ROOT, `Pulumi.${name}.yaml`), { force: true });
            }
        },
    };
}

/** The stack's state file as stored by the file backend. */
export function stateFile(stackName: string): string {
    return path.join(TEST_STATE_DIR, ".pulumi", "stacks", "redis-cluster", `${stackName}.json`);
}
