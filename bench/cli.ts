/**
 * Pulumi commands as a person types them: the CLI in the project directory, with no environment from
 * the project's scripts (only where the state is, its passphrase, and the toolchain on PATH). Also
 * the floor every command pays: `pulumi preview` of an empty JavaScript program on the same engine.
 */
import { execFileSync, spawn, spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { cacheDir } from "../scripts/preparedImage";
import { ROOT, seconds } from "./common";

export interface Cli {
    /** Runs `pulumi ...args`, returning how long it took; throws with its output when it fails. */
    time(...args: string[]): number;
    /** Runs `pulumi ...args` and returns what it wrote to stderr (the engine's log with --logtostderr). */
    stderr(...args: string[]): string;
    /** Like `time`, also sampling the resident memory of the CLI and every process under it (plugins, language host) for its peak. */
    timePeak(...args: string[]): Promise<{ seconds: number; peakMiB: number }>;
}

/** Resident memory (KiB) of `root` and all its descendants, from one `ps`. */
function treeRssKiB(root: number): number {
    const rows = execFileSync("ps", ["-eo", "pid=,ppid=,rss="], { encoding: "utf8" })
        .split("\n")
        .map((l) => l.trim().split(/\s+/).map(Number))
        .filter((r) => r.length === 3);
    const tree = new Set([root]);
    for (let grew = true; grew; ) {
        grew = false;
        for (const [pid, ppid] of rows) if (tree.has(ppid) && !tree.has(pid)) (tree.add(pid), (grew = true));
    }
    return rows.filter(([pid]) => tree.has(pid)).reduce((sum, [, , rss]) => sum + rss, 0);
}

function cliIn(dir: string, backend: string, stack: string): Cli {
    // Nothing of this process's environment but the basics: no PULUMI_* variable of ours leaks in.
    const env: NodeJS.ProcessEnv = {
        PATH: `${path.join(cacheDir(), "bin")}:${process.env.PATH}`,
        HOME: process.env.HOME,
        PULUMI_BACKEND_URL: backend,
        PULUMI_CONFIG_PASSPHRASE: "",
        PULUMI_SKIP_UPDATE_CHECK: "true",
    };
    const run = (args: string[]) => execFileSync("pulumi", [...args, "--stack", stack], { cwd: dir, env, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], maxBuffer: 512 * 1024 * 1024 });
    return {
        time(...args: string[]) {
            const t0 = Date.now();
            try {
                run(args);
            } catch (err) {
                const e = err as { stdout?: string; stderr?: string };
                throw new Error(`pulumi ${args.join(" ")} failed:\n${e.stdout ?? ""}${e.stderr ?? ""}`);
            }
            return seconds(t0);
        },
        timePeak(...args: string[]) {
            const t0 = Date.now();
            const child = spawn("pulumi", [...args, "--stack", stack], { cwd: dir, env, stdio: ["ignore", "pipe", "pipe"] });
            let output = "";
            child.stdout.on("data", (d: Buffer) => (output += d));
            child.stderr.on("data", (d: Buffer) => (output += d));
            let peak = 0;
            const sampler = setInterval(() => (peak = Math.max(peak, treeRssKiB(child.pid!))), 100);
            return new Promise((resolve, reject) => {
                child.on("close", (code) => {
                    clearInterval(sampler);
                    if (code === 0) resolve({ seconds: seconds(t0), peakMiB: peak / 1024 });
                    else reject(new Error(`pulumi ${args.join(" ")} failed:\n${output.slice(-4000)}`));
                });
            });
        },
        stderr(...args: string[]) {
            const run = spawnSync("pulumi", [...args, "--stack", stack], { cwd: dir, env, encoding: "utf8", stdio: ["ignore", "ignore", "pipe"], maxBuffer: 512 * 1024 * 1024 });
            if (run.status !== 0) throw new Error(`pulumi ${args.join(" ")} failed:\n${run.stderr.slice(-4000)}`);
            return run.stderr;
        },
    };
}

function stateDir(name: string): string {
    const dir = path.join(ROOT, ".pulumi-state", "bench", name);
    fs.mkdirSync(dir, { recursive: true });
    return `file://${dir}`;
}

/** This project's stack `stack`, created afresh with `config` (redis-cluster keys without the namespace). */
export function oursCli(stack: string, config: Record<string, string>): Cli & { remove(): void; config(key: string, value: string): void; npmRun(script: string): number } {
    const backend = stateDir("cli");
    const cli = cliIn(ROOT, backend, stack);
    const plain = (args: string[]) => execFileSync("pulumi", args, { cwd: ROOT, env: { ...process.env, PULUMI_BACKEND_URL: backend, PULUMI_CONFIG_PASSPHRASE: "" }, stdio: "ignore" });
    try {
        plain(["stack", "rm", "--yes", "--force", stack]);
    } catch {
        // none left from an earlier run
    }
    plain(["stack", "init", stack]);
    for (const [k, v] of Object.entries(config)) plain(["config", "set", "--stack", stack, `redis-cluster:${k}`, v]);
    return {
        ...cli,
        config(key: string, value: string) {
            plain(["config", "set", "--stack", stack, `redis-cluster:${key}`, value]);
        },
        /** `npm run <script> -- --stack <stack>` (status, backup), timed; throws with its output when it fails. */
        npmRun(script: string) {
            const t0 = Date.now();
            try {
                execFileSync("npm", ["run", "--silent", script, "--", "--stack", stack], { cwd: ROOT, env: { ...process.env, PULUMI_BACKEND_URL: backend, PULUMI_CONFIG_PASSPHRASE: "" }, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
            } catch (err) {
                const e = err as { stdout?: string; stderr?: string };
                throw new Error(`npm run ${script} failed:\n${e.stdout ?? ""}${e.stderr ?? ""}`);
            }
            return seconds(t0);
        },
        remove() {
            plain(["stack", "rm", "--yes", "--force", stack]);
            fs.rmSync(path.join(ROOT, `Pulumi.${stack}.yaml`), { force: true });
        },
    };
}

/** An empty JavaScript program (one require of @pulumi/pulumi, no resources), deployed once: the floor. */
export function emptyProgram(): Cli & { remove(): void } {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "bench-floor-"));
    fs.writeFileSync(path.join(dir, "Pulumi.yaml"), "name: floor\nruntime: nodejs\n");
    fs.writeFileSync(path.join(dir, "package.json"), JSON.stringify({ name: "floor", main: "index.js" }));
    fs.writeFileSync(path.join(dir, "index.js"), 'require("@pulumi/pulumi");\n');
    fs.symlinkSync(path.join(ROOT, "node_modules"), path.join(dir, "node_modules"));
    fs.mkdirSync(path.join(dir, "state"));
    const backend = `file://${path.join(dir, "state")}`;
    execFileSync("pulumi", ["stack", "init", "floor"], { cwd: dir, env: { ...process.env, PULUMI_BACKEND_URL: backend, PULUMI_CONFIG_PASSPHRASE: "" }, stdio: "ignore" });
    const cli = cliIn(dir, backend, "floor");
    cli.time("up", "--yes");
    return { ...cli, remove: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

interface LogLine {
    at: number;
    msg: string;
}

/** The engine's log lines (--logtostderr -v=7 writes one JSON object per line), in seconds from the first. */
function parseLog(text: string): LogLine[] {
    const lines: LogLine[] = [];
    for (const raw of text.split("\n")) {
        if (!raw.startsWith("{")) continue;
        try {
            const { time, msg } = JSON.parse(raw) as { time: string; msg: string };
            // Millisecond precision is plenty for phases of tenths of a second.
            lines.push({ at: Date.parse(time) / 1000, msg });
        } catch {
            // not a log line
        }
    }
    const t0 = lines[0]?.at ?? 0;
    return lines.map((l) => ({ ...l, at: l.at - t0 }));
}

export interface Phase {
    phase: string;
    seconds: number;
}

/**
 * Where a `pulumi up` spends its time, from the engine's log of that run. Each pass (the preview,
 * then the update) runs the program once: program start, program loaded (first component
 * registered), the change guard checked (its dynamic provider process started), every resource
 * registered, program done; the rest is the CLI before and after. Phases follow each other in time;
 * in the preview the other resources do not wait for the guard, so part of them overlaps it.
 */
export function breakdown(log: string): Phase[] {
    const lines = parseLog(log);
    const first = (re: RegExp, from = 0) => lines.find((l) => l.at >= from && re.test(l.msg))?.at;
    const last = (re: RegExp, until: number) => [...lines].reverse().find((l) => l.at <= until && re.test(l.msg))?.at;
    const phases: Phase[] = [];
    let cursor = 0;
    const add = (phase: string, at: number | undefined) => {
        if (at === undefined) return;
        phases.push({ phase, seconds: at - cursor });
        cursor = at;
    };
    for (const pass of ["preview", "update"]) {
        const dry = pass === "preview" ? "dryrun=true" : "dryrun=false";
        const start = first(new RegExp(`langhost\\[nodejs\\]\\.Run\\(.*${dry}.*executing`), cursor);
        const done = first(new RegExp(`langhost\\[nodejs\\]\\.Run\\(.*${dry}.*success`), start ?? cursor);
        if (start === undefined || done === undefined) continue;
        add(`${pass}: CLI before the program (state, config, plugins)`, start);
        add(`${pass}: node and the Pulumi SDK start, program loads`, first(/RegisterResource received: t=redis-cluster:index:RedisCluster/, start));
        add(`${pass}: change guard checked (the dynamic provider process starts first)`, first(/(Planner decided|applying step).*dynamic\/redis-cluster:ChangeGuard/, start));
        add(`${pass}: the other resources registered and diffed (gates, containers, bootstrap)`, last(/RegisterResource received/, done));
        add(`${pass}: program finishes`, done);
    }
    add("CLI after the program (snapshot, summary)", lines[lines.length - 1]?.at);
    return phases;
}

/**
 * Where a `pulumi destroy --yes` spends its time, from the engine's log of that run: the CLI before the
 * engine, the preview pass `destroy` runs first, the plugins started again for the deletion, then the
 * containers, the volumes (after the containers that use them), the network and image, and the rest.
 */
export function destroyBreakdown(log: string): Phase[] {
    const lines = parseLog(log);
    const first = (re: RegExp) => lines.find((l) => re.test(l.msg))?.at;
    const last = (re: RegExp) => [...lines].reverse().find((l) => re.test(l.msg))?.at;
    // The step executor's own line for a finished step (logged from -v=4 on).
    const done = (type: string) => last(new RegExp(`step delete on \\S*${type}::\\S* retired`));
    const marks: [string, number | undefined][] = [
        ["CLI before the engine (state, config)", first(/\*\*\* Starting Destroy\(preview=true\)/)],
        ["preview pass (destroy previews first)", first(/\*\*\* Starting Destroy\(preview=false\)/)],
        ["plugins started again, up to the first deletion", first(/Provider\[[^\]]*\]\.Delete\(/)],
        ["containers stopped and removed (side by side)", done("container:Container")],
        ["volumes removed", done("volume:Volume")],
        ["network and image removed", Math.max(done("network:Network") ?? 0, done("remoteImage:RemoteImage") ?? 0) || undefined],
        ["the rest (components, providers, state)", lines[lines.length - 1]?.at],
    ];
    const phases: Phase[] = [];
    let cursor = 0;
    for (const [phase, at] of marks) {
        if (at === undefined || at < cursor) continue;
        phases.push({ phase, seconds: at - cursor });
        cursor = at;
    }
    return phases;
}
