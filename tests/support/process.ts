/** Finding and killing the `pulumi up` a test started, with everything it spawned. */
import { execFileSync } from "child_process";

interface Proc {
    pid: number;
    ppid: number;
    args: string;
}

function processes(): Proc[] {
    return execFileSync("ps", ["-eo", "pid=,ppid=,args="], { encoding: "utf8" })
        .split("\n")
        .map((l) => /^\s*(\d+)\s+(\d+)\s+(.*)$/.exec(l))
        .filter((m): m is RegExpExecArray => m !== null)
        .map((m) => ({ pid: Number(m[1]), ppid: Number(m[2]), args: m[3] }));
}

/** The pid of the running `pulumi up` for `stack`, if any. */
export function pulumiUpPid(stack: string): number | undefined {
    return processes().find((p) => /^pulumi up\b/.test(p.args) && p.args.includes(`--stack ${stack} `))?.pid;
}

/** A process and all its descendants, stopped (SIGSTOP) so nothing forks or acts until killed or thawed. */
export function freezeTree(root: number): number[] {
    const all = processes();
    const tree = [root];
    for (let i = 0; i < tree.length; i++) {
        tree.push(...all.filter((p) => p.ppid === tree[i]).map((p) => p.pid));
    }
    for (const pid of tree) tryKill(pid, "SIGSTOP");
    return tree;
}

export function thaw(pids: number[]): void {
    for (const pid of pids) tryKill(pid, "SIGCONT");
}

/**
 * SIGKILL frozen processes at once, as a machine losing power would: the language host and the
 * providers (which do the real work) must not outlive the CLI and finish the job behind the test's back.
 */
export function killFrozen(pids: number[]): number[] {
    for (const pid of pids) tryKill(pid, "SIGKILL");
    return pids;
}

function tryKill(pid: number, signal: NodeJS.Signals) {
    try {
        process.kill(pid, signal);
    } catch {
        // already gone
    }
}
