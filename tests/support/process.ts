/** Finding and killing the `pulumi up` a test started, or a whole lane of tests, with everything it spawned. */
import { execFileSync } from "child_process";

interface Proc {
    pid: number;
    ppid: number;
    pgid: number;
    args: string;
}

function processes(): Proc[] {
    return execFileSync("ps", ["-eo", "pid=,ppid=,pgid=,args="], { encoding: "utf8" })
        .split("\n")
        .map((l) => /^\s*(\d+)\s+(\d+)\s+(\d+)\s+(.*)$/.exec(l))
        .filter((m): m is RegExpExecArray => m !== null)
        .map((m) => ({ pid: Number(m[1]), ppid: Number(m[2]), pgid: Number(m[3]), args: m[4] }));
}

/** The pid of the running `pulumi up` for `stack`, if any. */
export function pulumiUpPid(stack: string): number | undefined {
    return processes().find((p) => /^pulumi up\b/.test(p.args) && ` ${p.args} `.includes(` --stack ${stack} `))?.pid;
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

/**
 * SIGKILLs process group `pgid` and every descendant of its members, also those in process groups
 * of their own (Pulumi starts its plugins that way) and members whose parent already exited. Frozen
 * first, scanning again until no new process shows up (a stopped process cannot fork), so nothing
 * escapes to act on Docker after the kill. Returns the pids killed.
 */
export function killGroupTree(pgid: number): number[] {
    const frozen = new Set<number>();
    for (;;) {
        const all = processes();
        const tree = all.filter((p) => p.pgid === pgid || frozen.has(p.pid)).map((p) => p.pid);
        for (let i = 0; i < tree.length; i++) {
            tree.push(...all.filter((p) => p.ppid === tree[i] && !tree.includes(p.pid)).map((p) => p.pid));
        }
        const fresh = tree.filter((pid) => !frozen.has(pid));
        if (fresh.length === 0) break;
        for (const pid of fresh) {
            tryKill(pid, "SIGSTOP");
            frozen.add(pid);
        }
    }
    return killFrozen([...frozen]);
}

function tryKill(pid: number, signal: NodeJS.Signals) {
    try {
        process.kill(pid, signal);
    } catch {
        // already gone
    }
}
