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

/**
 * SIGKILL a process and all its descendants at once, as a machine losing
 * power would: the language host and the providers (which do the real work)
 * must not outlive the CLI and finish the job behind the test's back.
 */
export function killTree(root: number): number[] {
    const all = processes();
    const tree = [root];
    for (let i = 0; i < tree.length; i++) {
        tree.push(...all.filter((p) => p.ppid === tree[i]).map((p) => p.pid));
    }
    // Freeze first so nothing forks or reacts while the tree is being killed.
    for (const pid of tree) tryKill(pid, "SIGSTOP");
    for (const pid of tree) tryKill(pid, "SIGKILL");
    return tree;
}

function tryKill(pid: number, signal: NodeJS.Signals) {
    try {
        process.kill(pid, signal);
    } catch {
        // already gone
    }
}
