/**
 * Runs the engine against a FakeCluster in a child process (engineChild.js), optionally failing its
 * n-th step (a command that changes the cluster): "kill" sends SIGKILL just before it, so that step and
 * every later one are never carried out, as when `pulumi up` dies; "error" answers it with the error
 * Redis gives a busy or failing node (IOERR for MIGRATE, LOADING otherwise) without carrying it out;
 * "drop" closes the connection instead, as a network failure does. Only that one step fails.
 */
import { spawn } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import type { ClusterSpec } from "../../components/engine/spec";
import { FakeCluster, isStep } from "./fakeCluster";

export type StepFailure = "kill" | "error" | "drop";

export interface EngineRun {
    /** The run was killed before the step it was to be killed at. */
    killed: boolean;
    /** The step to fail was reached (and failed as asked). */
    failed: boolean;
    /** Steps carried out. */
    steps: number;
    exitCode: number | null;
    output: string;
}

export async function runEngine(
    cluster: FakeCluster,
    spec: ClusterSpec,
    failStep = Infinity,
    onCommand: (command: string[]) => void = () => undefined,
    failure: StepFailure = "kill",
): Promise<EngineRun> {
    const specFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "engine-run-")), "spec.json");
    fs.writeFileSync(specFile, JSON.stringify(spec));
    const child = spawn(process.execPath, [path.join(__dirname, "engineChild.js"), specFile], { stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    child.stdout.on("data", (d) => (output += d));
    child.stderr.on("data", (d) => (output += d));
    let steps = 0;
    let killed = false;
    let failed = false;
    let answerWithError = false;
    cluster.gate = (_node, command) => {
        if (killed) return false;
        onCommand(command);
        if (!isStep(command)) return true;
        if (!failed && steps + 1 >= failStep) {
            failed = true;
            if (failure === "kill") {
                killed = true;
                child.kill("SIGKILL");
            }
            if (failure !== "error") return false;
            answerWithError = true;
            return true;
        }
        steps++;
        return true;
    };
    cluster.inject = (_node, [name]) => {
        if (!answerWithError) return undefined;
        answerWithError = false;
        return new Error(name === "MIGRATE" ? "IOERR error or timeout reading to target instance" : "LOADING Redis is loading the dataset in memory");
    };
    const exitCode = await new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
    cluster.gate = () => true;
    cluster.inject = () => undefined;
    fs.rmSync(path.dirname(specFile), { recursive: true, force: true });
    return { killed, failed, steps, exitCode, output };
}
