/** A throwaway stack of this project, driven through the Automation API. */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { LocalWorkspace, Stack, UpResult } from "@pulumi/pulumi/automation";
import { PROJECT_ROOT, TEST_STATE_DIR, pulumiEnv } from "./env";
import { labelledTestStacks, removeStackObjects } from "./docker";
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
    // What an interrupted run left of this stack, here rather than in a global sweep: suites running
    // side by side (tests/support/lanes.ts) sweep nothing but their own stacks.
    removeStackObjects(name);
    // A stack an interrupted run left behind describes containers that are gone now: start over.
    // A `pulumi up` killed outright leaves its lock, and `stack rm` refuses a locked stack.
    releaseStaleLocks(name);
    await workspace.removeStack(name, { force: true }).catch(() => undefined);
    // Its config file too: its encryptionsalt may be of another passphrase.
    fs.rmSync(path.join(PROJECT_ROOT, `Pulumi.${name}.yaml`), { force: true });
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

/** Removes the containers, networks and volumes of every test stack, whichever run left them. */
export function removeAllTestStackObjects(): void {
    for (const stack of labelledTestStacks(TEST_STACK_PREFIX)) {
        removeStackObjects(stack);
    }
}

/**
 * Removes the file backend's locks on `stackName` taken on this machine by processes that no longer
 * exist (what `pulumi cancel` does, without needing the stack to be selectable); a live run keeps its lock.
 */
export function releaseStaleLocks(stackName: string): void {
    const dir = path.join(TEST_STATE_DIR, ".pulumi", "locks", "organization", "redis-cluster", stackName);
    const files = fs.existsSync(dir) ? fs.readdirSync(dir).filter((f) => f.endsWith(".json")) : [];
    for (const file of files) {
        let lock: { hostname?: string; pid?: number };
        try {
            lock = JSON.parse(fs.readFileSync(path.join(dir, file), "utf8"));
        } catch {
            continue; // being written or removed by its owner right now
        }
        if (lock.hostname === os.hostname() && typeof lock.pid === "number" && !processAlive(lock.pid)) {
            // With the metadata file the backend's blob store writes beside it.
            for (const f of [file, `${file}.attrs`]) fs.rmSync(path.join(dir, f), { force: true });
        }
    }
}

/** Every test stack the file backend holds a lock directory for. */
export function lockedTestStacks(): string[] {
    const dir = path.join(TEST_STATE_DIR, ".pulumi", "locks", "organization", "redis-cluster");
    return fs.existsSync(dir) ? fs.readdirSync(dir).filter((n) => n.startsWith(TEST_STACK_PREFIX)) : [];
}

function processAlive(pid: number): boolean {
    try {
        process.kill(pid, 0);
        return true;
    } catch (err) {
        // EPERM: alive, but another user's.
        return (err as NodeJS.ErrnoException).code === "EPERM";
    }
}

/** The stack's state file as stored by the file backend. */
export function stateFile(stackName: string): string {
    return path.join(TEST_STATE_DIR, ".pulumi", "stacks", "redis-cluster", `${stackName}.json`);
}
