/** A throwaway stack of this project, driven through the Automation API. */
import { spawn, spawnSync } from "child_process";
import { strict as assert } from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { EngineEvent, LocalWorkspace, OutputMap, Stack, UpResult, UpdateSummary } from "@pulumi/pulumi/automation";
import { PROJECT_ROOT, TEST_STATE_DIR, pulumiEnv } from "./env";
import { labelledTestStacks, removeStackObjects } from "./docker";
import { preparedAlertmanagerImage, preparedExporterImage, preparedImage, preparedPrometheusImage } from "../../scripts/preparedImage";

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
/** The test stacks' health check interval unless a suite sets its own. */
export const TEST_HEALTHCHECK_INTERVAL = "5m";

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
    // Docker's health checks (a `docker exec` per node every 10 s by default) spend CPU no suite reads but the
    // one that checks them (cluster.test.ts, at the default): a tenth of a run's on a 2-core machine.
    const values: Record<string, { value: string; secret?: boolean }> = {
        "redis-cluster:image": { value: preparedImage() },
        // Used only by stacks that turn metrics, Prometheus or alerts on.
        "redis-cluster:exporterImage": { value: preparedExporterImage() },
        "redis-cluster:prometheusImage": { value: preparedPrometheusImage() },
        "redis-cluster:alertmanagerImage": { value: preparedAlertmanagerImage() },
        "redis-cluster:healthcheckInterval": { value: TEST_HEALTHCHECK_INTERVAL },
    };
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
        up: () => upFromEvents(stack, workspace, onOutput),
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

/**
 * `npm run up` on `stackName` as a person runs it after an up that was killed: it must release the dead
 * process's lock and succeed. Returns what it printed.
 */
export function npmRunUpAfterKill(stackName: string): string {
    const again = spawnSync("npm", ["run", "up"], { cwd: PROJECT_ROOT, env: { ...process.env, ...pulumiEnv(), PULUMI_STACK: stackName }, encoding: "utf8" });
    const output = `${again.stdout}${again.stderr}`;
    if (process.env.E2E_VERBOSE) console.log(output);
    assert.equal(again.status, 0, output);
    assert.match(output, /was killed and left the stack locked: releasing it/);
    return output;
}

/** The stack's state file as stored by the file backend. */
export function stateFile(stackName: string): string {
    return path.join(TEST_STATE_DIR, ".pulumi", "stacks", "redis-cluster", `${stackName}.json`);
}

/**
 * `pulumi up` as the Automation API runs it, without the two CLI runs it adds after every up for the
 * outputs and the summary (about 3 s on a busy 2-core machine, for each of the suites' many ups):
 * both are read from the run's own event log. A failed up throws with its output, as the Automation API does.
 */
async function upFromEvents(stack: Stack, workspace: LocalWorkspace, onOutput: (out: string) => void): Promise<UpResult> {
    const eventLog = path.join(os.tmpdir(), `${stack.name}-up-${process.pid}-${Date.now()}.jsonl`);
    try {
        const args = ["up", "--yes", "--skip-preview", "--event-log", eventLog, "--stack", stack.name, "--non-interactive"];
        // --event-log is one of the CLI's hidden flags, which PULUMI_DEBUG_COMMANDS shows (as the Automation API sets it).
        const run = await runPulumi(args, { ...workspace.envVars, PULUMI_DEBUG_COMMANDS: "true" }, onOutput);
        const events: EngineEvent[] = fs
            .readFileSync(eventLog, "utf8")
            .split("\n")
            .filter((l) => l.trim())
            .map((l) => JSON.parse(l));
        const root = events.map((e) => e.resOutputsEvent?.metadata).filter((m) => m?.type === "pulumi:pulumi:Stack").pop();
        // The event log masks secret outputs, as `pulumi stack output` without --show-secrets does.
        const outputs: OutputMap = Object.fromEntries(Object.entries(root?.new?.outputs ?? {}).map(([k, value]) => [k, { value, secret: value === "[secret]" }]));
        const summaryEvent = events.find((e) => e.summaryEvent)?.summaryEvent;
        const summary = { kind: "update", result: "succeeded", resourceChanges: summaryEvent?.resourceChanges } as unknown as UpdateSummary;
        return { stdout: run.stdout, stderr: run.stderr, outputs, summary };
    } finally {
        fs.rmSync(eventLog, { force: true });
    }
}

function runPulumi(args: string[], env: Record<string, string>, onOutput: (out: string) => void): Promise<{ stdout: string; stderr: string }> {
    return new Promise((resolve, reject) => {
        const child = spawn("pulumi", args, { cwd: PROJECT_ROOT, env: { ...process.env, ...env } });
        let stdout = "";
        let stderr = "";
        child.stdout.on("data", (d: Buffer) => {
            stdout += d;
            onOutput(String(d));
        });
        child.stderr.on("data", (d: Buffer) => (stderr += d));
        child.on("error", reject);
        child.on("close", (code) => (code === 0 ? resolve({ stdout, stderr }) : reject(new Error(`pulumi ${args[0]} exited with ${code}\nstdout: ${stdout}\nstderr: ${stderr}`))));
    });
}
