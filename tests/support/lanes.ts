/**
 * Runs the end-to-end suites (tests/e2e) in a few lanes side by side: each lane is one mocha process
 * running its files one after another, its output in a log file. Every suite has a stack name,
 * namePrefix and subnet of its own, so suites in different lanes do not meet; the suites that make
 * test hosts (scripts/test-hosts.sh, one set per machine) run first in one lane, never side by side.
 *
 *   ts-node --transpile-only tests/support/lanes.ts [--lanes N] [--plan] [FILE...]
 *
 * --lanes N   lanes in all, the multi-host lane included (default: one per CPU, at most 3; or E2E_LANES)
 * --plan      print which lane runs which file, and run nothing
 * FILE...     run only these files (default: every tests/e2e/**\/*.test.ts)
 *
 * Logs: .build/e2e-logs/lane-N.log (mocha's spec output) and summary.json (seconds per file and lane).
 * Exits 1 when a lane fails, 130 when interrupted (SIGINT, SIGTERM: every lane is killed, then the
 * test stacks' containers, networks and volumes are removed).
 */
import { ChildProcess, execFileSync, spawn } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { PROJECT_ROOT } from "./env";
import { lockedTestStacks, releaseStaleLocks, removeAllTestStackObjects } from "./stack";
import { killGroupTree } from "./process";
import { LaneEvent, readLaneEvents } from "./laneEvents";

/**
 * Seconds each file takes in a run of two lanes on a 2-core machine (each suite beside another);
 * only used to balance the lanes, so rough is fine. A new suite runs anyway, as DEFAULT_SECONDS;
 * add it here from .build/e2e-logs/summary.json.
 */
const EXPECTED_SECONDS: Record<string, number> = {
    "multihost.test.ts": 503,
    "hostsOverTime.test.ts": 240,
    "rolling.test.ts": 311,
    "recovery.test.ts": 284,
    "safety.test.ts": 254,
    "tls.test.ts": 240,
    "users.test.ts": 239,
    "scale.test.ts": 223,
    "persistence.test.ts": 141,
    "cluster.test.ts": 127,
    "upgrade.test.ts": 160,
    "limits.test.ts": 114,
    "metrics.test.ts": 90,
    "package.test.ts": 70,
    "template.test.ts": 50,
    "yaml.test.ts": 70,
    "backup.test.ts": 60,
    "restore.test.ts": 90,
    "password.test.ts": 42,
    "validation.test.ts": 38,
    "hosts.test.ts": 36,
    "fingerprint.test.ts": 24,
    "toolchain.test.ts": 15,
};
/** A file not in the table (a new suite): balanced as a middle-sized one, and run all the same. */
const DEFAULT_SECONDS = 180;
/** These start and stop the machine's one set of test hosts: never side by side, so all in one lane (which runs others too). */
const MULTI_HOST_FILES = new Set(["hosts.test.ts", "multihost.test.ts", "hostsOverTime.test.ts"]);
/**
 * One lane per CPU, at most 3. Measured on 2 CPUs: with the nodes' healthcheck run every second (a
 * `docker exec` each) 3 lanes took 63 min against 55 one after another; with it every 10 s, 2 lanes
 * took 31 min against 46 one after another (December 2026), each suite about 1.4 times slower beside
 * another but both lanes busy; 3 lanes then took 31 min too (each suite about 1.6 times slower, the
 * CPUs never idle): the suites are bound by CPU, not by waiting.
 */
const DEFAULT_LANES = Math.min(3, Math.max(1, os.cpus().length));
const HEARTBEAT_MS = 60 * 1000;
/**
 * How long a lane may live on after its last test: mocha without --exit waits for every timer and
 * socket, and one a failed test left open (a sampler, a client) would hold the whole run for ever.
 */
const EXIT_GRACE_MS = 60 * 1000;
const E2E_DIR = path.join(PROJECT_ROOT, "tests", "e2e");
const LOG_DIR = path.join(PROJECT_ROOT, ".build", "e2e-logs");
const MOCHA = require.resolve("mocha/bin/mocha.js");

interface Lane {
    n: number;
    files: string[];
    expectedSeconds: number;
    /** Runs the multi-host suites: if it is killed, the test hosts are taken down. */
    hosts: boolean;
    log: string;
    progress: string;
    child?: ChildProcess;
    startedAt?: number;
    endedAt?: number;
    exitCode?: number | null;
    /** Its tests ended but mocha did not exit within EXIT_GRACE_MS: stopped by the runner, and failed. */
    hung?: boolean;
}

const expected = (file: string) => EXPECTED_SECONDS[path.basename(file)] ?? DEFAULT_SECONDS;

/** Every end-to-end test file, relative to the project, in a stable order. */
function allFiles(dir = E2E_DIR): string[] {
    const found: string[] = [];
    for (const entry of fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
        const abs = path.join(dir, entry.name);
        if (entry.isDirectory()) found.push(...allFiles(abs));
        else if (entry.name.endsWith(".test.ts")) found.push(path.relative(PROJECT_ROOT, abs));
    }
    return found;
}

/**
 * The multi-host files in a lane of their own (hosts.test.ts first: it checks the ground the other
 * stands on); the rest spread over the other lanes, longest first, each to the lane with the least
 * expected time so far.
 */
function planLanes(files: string[], laneCount: number): { files: string[]; expectedSeconds: number; hosts: boolean }[] {
    const multiHost = files.filter((f) => MULTI_HOST_FILES.has(path.basename(f))).sort((a, b) => expected(a) - expected(b));
    const others = files.filter((f) => !MULTI_HOST_FILES.has(path.basename(f))).sort((a, b) => expected(b) - expected(a) || a.localeCompare(b));
    const lanes = Array.from({ length: Math.max(1, laneCount) }, () => ({ files: [] as string[], expectedSeconds: 0, hosts: false }));
    // The multi-host files all in the first lane, first; that lane then takes other files like any lane.
    if (multiHost.length > 0) Object.assign(lanes[0], { files: [...multiHost], expectedSeconds: multiHost.reduce((s, f) => s + expected(f), 0), hosts: true });
    for (const file of others) {
        const lightest = lanes.reduce((a, b) => (b.expectedSeconds < a.expectedSeconds ? b : a));
        lightest.files.push(file);
        lightest.expectedSeconds += expected(file);
    }
    // Every file exactly once: a file left out would pass unnoticed.
    const planned = lanes.flatMap((l) => l.files).sort();
    if (JSON.stringify(planned) !== JSON.stringify([...files].sort())) throw new Error(`lane plan lost or repeated a file: ${planned}`);
    return lanes.filter((l) => l.files.length > 0);
}

function duration(ms: number): string {
    const s = Math.round(ms / 1000);
    return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, "0")}s`;
}

const runStartedAt = Date.now();
function say(line: string): void {
    console.log(`[${duration(Date.now() - runStartedAt).padStart(6)}] ${line}`);
}

/** Passing, failing and pending tests of a lane so far (whole files, or the run's end once written). */
function counts(events: LaneEvent[]): { passes: number; failures: number; pending: number } | undefined {
    const end = events.find((e) => e.event === "end");
    if (end && end.event === "end") return end;
    const ended = events.filter((e) => e.event === "file-end");
    if (ended.length === 0) return undefined;
    return ended.reduce((sum, e) => (e.event === "file-end" ? { passes: sum.passes + e.passes, failures: sum.failures + e.failures, pending: sum.pending + e.pending } : sum), { passes: 0, failures: 0, pending: 0 });
}

function describeCounts(c: ReturnType<typeof counts>): string {
    return c ? `${c.passes} passing, ${c.failures} failing${c.pending ? `, ${c.pending} pending` : ""}` : "no test finished";
}

/** What a lane is doing now, for the heartbeat. */
function laneNow(lane: Lane): string {
    if (lane.endedAt !== undefined) return `lane ${lane.n}: done`;
    const events = readLaneEvents(lane.progress);
    const last = events[events.length - 1];
    if (last === undefined) return `lane ${lane.n}: loading`;
    if (last.event === "file-start") return `lane ${lane.n}: ${path.basename(last.file)} (${duration(Date.now() - last.at)})`;
    return `lane ${lane.n}: finishing`;
}

/** Stops a lane whose tests all ran but whose mocha does not exit (see EXIT_GRACE_MS). */
function stopIfHung(lane: Lane): void {
    if (lane.endedAt !== undefined || lane.hung || lane.child?.pid === undefined) return;
    const end = readLaneEvents(lane.progress).find((e) => e.event === "end");
    if (!end || Date.now() - end.at < EXIT_GRACE_MS) return;
    lane.hung = true;
    const why = `mocha has not exited ${duration(Date.now() - end.at)} after its last test (a timer or connection a test left open)`;
    fs.appendFileSync(lane.log, `\n# the lane runner stopped this lane: ${why}\n`);
    say(`lane ${lane.n}: ${why}: stopping it`);
    killGroupTree(lane.child.pid);
}

function startLane(lane: Lane): Promise<void> {
    const args = ["--require", "ts-node/register/transpile-only", "--require", "tests/support/sweep.ts", "--reporter", "tests/support/laneReporter.ts", ...lane.files];
    const fd = fs.openSync(lane.log, "w");
    fs.writeSync(fd, `# lane ${lane.n}: mocha ${args.join(" ")}\n`);
    lane.startedAt = Date.now();
    // Its own process group (detached): a Ctrl-C at the terminal reaches the runner only, which then
    // kills each lane's whole group and everything it started.
    lane.child = spawn(process.execPath, [MOCHA, ...args], {
        cwd: PROJECT_ROOT,
        env: { ...process.env, E2E_LANE: String(lane.n), E2E_LANE_PROGRESS: lane.progress },
        stdio: ["ignore", fd, fd],
        detached: true,
    });
    fs.closeSync(fd);
    say(`lane ${lane.n} started: ${lane.files.map((f) => path.basename(f)).join(", ")} (expected ${duration(lane.expectedSeconds * 1000)})`);
    return new Promise((resolve) => {
        lane.child!.on("error", (err) => {
            // Could not even start (no node?): a failed lane, not a runner that waits for ever.
            fs.appendFileSync(lane.log, `${err.stack ?? err}\n`);
            lane.endedAt = Date.now();
            lane.exitCode = -1;
            say(`lane ${lane.n} FAILED to start: ${err.message}`);
            resolve();
        });
        lane.child!.on("exit", (code, signal) => {
            lane.endedAt = Date.now();
            // A hung lane counts as failed even when its tests passed: the leak is a bug of a test.
            lane.exitCode = lane.hung ? -1 : code;
            const result = lane.exitCode === 0 ? "passed" : `FAILED (${lane.hung ? "did not exit after its tests" : signal ? `killed by ${signal}` : `exit code ${code}`})`;
            say(`lane ${lane.n} ${result} in ${duration(lane.endedAt - lane.startedAt!)}: ${describeCounts(counts(readLaneEvents(lane.progress)))}`);
            resolve();
        });
    });
}

function parseArgs(argv: string[]): { laneCount: number; planOnly: boolean; files: string[] } {
    let laneCount = Number(process.env.E2E_LANES ?? DEFAULT_LANES);
    let planOnly = false;
    const files: string[] = [];
    for (let i = 0; i < argv.length; i++) {
        const arg = argv[i];
        if (arg === "--lanes") laneCount = Number(argv[++i]);
        else if (arg.startsWith("--lanes=")) laneCount = Number(arg.slice("--lanes=".length));
        else if (arg === "--plan") planOnly = true;
        else if (arg.startsWith("-")) throw new Error(`unknown option ${arg}; usage: lanes.ts [--lanes N] [--plan] [FILE...]`);
        else {
            const abs = path.resolve(arg);
            if (!fs.existsSync(abs)) throw new Error(`no such test file: ${arg}`);
            files.push(path.relative(PROJECT_ROOT, abs));
        }
    }
    if (!Number.isInteger(laneCount) || laneCount < 1) throw new Error(`--lanes must be a whole number of at least 1`);
    return { laneCount, planOnly, files: files.length > 0 ? [...new Set(files)] : allFiles() };
}

/** The test stacks' Docker objects and the locks killed runs left in the test backend. */
function sweep(): void {
    removeAllTestStackObjects();
    for (const stack of lockedTestStacks()) releaseStaleLocks(stack);
}

async function main(): Promise<number> {
    const { laneCount, planOnly, files } = parseArgs(process.argv.slice(2));
    const lanes: Lane[] = planLanes(files, laneCount).map((l, i) => ({
        ...l,
        n: i + 1,
        log: path.join(LOG_DIR, `lane-${i + 1}.log`),
        progress: path.join(LOG_DIR, `lane-${i + 1}.progress.jsonl`),
    }));
    if (planOnly) {
        for (const l of lanes) console.log(`lane ${l.n} (expected ${duration(l.expectedSeconds * 1000)}): ${l.files.join(" ")}`);
        return 0;
    }

    fs.rmSync(LOG_DIR, { recursive: true, force: true });
    fs.mkdirSync(LOG_DIR, { recursive: true });
    say(`${files.length} files in ${lanes.length} lane${lanes.length === 1 ? "" : "s"}; logs in ${path.relative(process.cwd(), LOG_DIR) || "."}`);
    sweep();
    // Compile the stack's program once here, not in every lane's first `pulumi up` at the same time.
    require(path.join(PROJECT_ROOT, "scripts", "compiled.js")).buildDir();

    let interrupted: NodeJS.Signals | undefined;
    const stop = (signal: NodeJS.Signals) => {
        if (interrupted) return;
        interrupted = signal;
        say(`${signal}: stopping every lane, then removing the test stacks' containers, networks and volumes`);
        for (const lane of lanes) {
            if (lane.child?.pid !== undefined && lane.endedAt === undefined) killGroupTree(lane.child.pid);
        }
    };
    process.on("SIGINT", stop);
    process.on("SIGTERM", stop);

    const heartbeat = setInterval(() => say(lanes.map(laneNow).join(" | ")), HEARTBEAT_MS);
    const watchdog = setInterval(() => lanes.forEach(stopIfHung), 5000);
    await Promise.all(lanes.map(startLane));
    clearInterval(heartbeat);
    clearInterval(watchdog);
    const endedAt = Date.now();

    // A container the daemon was still creating for a killed lane shows up a moment later.
    if (interrupted) await new Promise((r) => setTimeout(r, 2000));
    if (interrupted && lanes.some((l) => l.hosts)) {
        // The multi-host lane's own `after` never ran: its hosts and their clusters are still up.
        try {
            execFileSync("bash", [path.join(PROJECT_ROOT, "scripts", "test-hosts.sh"), "down"], { stdio: "inherit" });
        } catch {
            say("scripts/test-hosts.sh down failed: run it by hand");
        }
    }
    sweep();

    const perFile = lanes.flatMap((lane) =>
        readLaneEvents(lane.progress)
            .filter((e) => e.event === "file-end")
            .map((e) => ({ lane: lane.n, ...(e as Extract<LaneEvent, { event: "file-end" }>) })),
    );
    const summary = {
        wallSeconds: Math.round((endedAt - runStartedAt) / 1000),
        lanes: lanes.map((l) => ({ lane: l.n, files: l.files, expectedSeconds: l.expectedSeconds, seconds: Math.round(((l.endedAt ?? endedAt) - (l.startedAt ?? endedAt)) / 1000), exitCode: l.exitCode ?? null })),
        files: Object.fromEntries(perFile.map((f) => [path.basename(f.file), { lane: f.lane, seconds: f.seconds, passes: f.passes, failures: f.failures, pending: f.pending }])),
    };
    fs.writeFileSync(path.join(LOG_DIR, "summary.json"), `${JSON.stringify(summary, null, 2)}\n`);
    console.log("");
    for (const f of perFile) console.log(`  lane ${f.lane}  ${f.file.padEnd(32)} ${duration(f.seconds * 1000).padStart(7)}  ${describeCounts(f)}`);
    for (const l of summary.lanes) console.log(`  lane ${l.lane}  ${"(all its files)".padEnd(32)} ${duration(l.seconds * 1000).padStart(7)}  expected ${duration(l.expectedSeconds * 1000)}`);
    console.log(`  end-to-end tests: ${duration(summary.wallSeconds * 1000)} in all\n`);

    if (interrupted) {
        say(`interrupted (${interrupted}); logs of the lanes in ${LOG_DIR}`);
        return 130;
    }
    const failed = lanes.filter((l) => l.exitCode !== 0);
    for (const lane of failed) {
        console.log(`\n======== lane ${lane.n} failed: its whole log (${lane.log}) ========\n`);
        console.log(fs.readFileSync(lane.log, "utf8"));
        console.log(`======== end of lane ${lane.n}'s log ========`);
    }
    if (failed.length > 0) say(`lanes failed: ${failed.map((l) => l.n).join(", ")}`);
    return failed.length > 0 ? 1 : 0;
}

// exitCode, not exit(): the summary and logs must reach a piped stdout in full first.
main().then(
    (code) => (process.exitCode = code),
    (err) => {
        console.error(err instanceof Error ? err.message : err);
        process.exit(1);
    },
);
