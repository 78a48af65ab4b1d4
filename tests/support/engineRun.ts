/**
 * Runs the engine against a FakeCluster in a child process (engineChild.js), optionally killing it
 * with SIGKILL just before its n-th step (a command that changes the cluster): that step and every
 * later one are never carried out, as when `pulumi up` dies.
 */
import { spawn } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import type { ClusterSpec } from "../../components/engine/spec";
import { FakeCluster, isStep } from "./fakeCluster";

export interface EngineRun {
    /** The run was killed before the step it was to be killed at. */
    killed: boolean;
    /** Steps carried out. */
    steps: number;
    exitCode: number | null;
    output: string;
}

export async function runEngine(cluster: FakeCluster, spec: ClusterSpec, killBeforeStep = Infinity, onCommand: (command: string[]) => void = () => undefined): Promise<EngineRun> {
    const specFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "engine-run-")), "spec.json");
    fs.writeFileSync(specFile, JSON.stringify(spec));
    const child = spawn(process.execPath, [path.join(__dirname, "engineChild.js"), specFile], { stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    child.stdout.on("data", (d) => (output += d));
    child.stderr.on("data", (d) => (output += d));
    let steps = 0;
    let killed = false;
    cluster.gate = (_node, command) => {
        if (killed) return false;
        onCommand(command);
        if (!isStep(command)) return true;
        if (steps + 1 >= killBeforeStep) {
            killed = true;
            child.kill("SIGKILL");
            return false;
        }
        steps++;
        return true;
    };
    const exitCode = await new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
    cluster.gate = () => true;
    fs.rmSync(path.dirname(specFile), { recursive: true, force: true });
    return { killed, steps, exitCode, output };
}
