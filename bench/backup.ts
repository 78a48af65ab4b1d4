/**
 * Backup and restore of about 1 GB, each next to redis-cli's own way in the same run:
 * `npm run backup` against `redis-cli --cluster backup` (an RDB of every master, by SYNC), and a
 * restore (engine/restore.ts, what `restoreFrom` runs) against `redis-cli --cluster import
 * --cluster-copy` from a standalone Redis serving the same RDB files. Keys/s and MB/s are of the
 * same data for both: the archive's keys and its RDB bytes.
 */
import { spawnSync } from "child_process";
import { randomBytes } from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { Cluster } from "ioredis";
import { restoreArchive } from "../components/engine/restore";
import { readArchive } from "../components/engine/archive";
import { networkName, planCluster } from "../components/planning/plan";
import { removeStackObjects } from "../tests/support/docker";
import { IMAGE, ROOT, TRIALS, docker, fillKeys, log, seconds, settingsFor, timed } from "./common";
import { oursStack, removeOursStack } from "./ours";
import { fmt } from "./report";
import { RATIOS } from "./series";

const MEGABYTES = Number(process.env.BENCH_BACKUP_MB ?? 1024);
const VALUE_BYTES = 4096;

type Add = (name: string, value: number, unit?: string) => number;
type Ratio = (name: string, ours: number, base: number) => void;

/**
 * Seconds of `ours` and of `theirs`, run one after the other (`after` untimed after each), `theirs` first
 * when `swap`: the order rotates by trial, so that neither always runs on a warmer machine.
 */
async function paired(ours: () => unknown, theirs: () => unknown, swap: boolean, after: () => Promise<void> | void = () => undefined): Promise<{ ours: number; theirs: number }> {
    const times = new Map<() => unknown, number>();
    for (const run of swap ? [theirs, ours] : [ours, theirs]) {
        times.set(run, await timed(async () => run()));
        await after();
    }
    return { ours: times.get(ours)!, theirs: times.get(theirs)! };
}

/** VALUE_BYTES of random bytes per key (slices of one random pool), so that the RDB files, which compress each value, are as large as the data. */
function randomValues(): (i: number) => Buffer {
    const pool = randomBytes(8 * 1048576);
    return (i) => {
        const at = (i * 4099) % (pool.length - VALUE_BYTES);
        return pool.subarray(at, at + VALUE_BYTES);
    };
}

/** Every master of the cluster emptied, keys and Functions. */
async function empty(seed: string): Promise<void> {
    const client = new Cluster([{ host: seed, port: 6379 }]);
    try {
        await client.exists("any");
        await Promise.all(client.nodes("master").map((m) => m.flushall().then(() => m.call("FUNCTION", "FLUSH"))));
    } finally {
        client.disconnect();
    }
}

/**
 * redis-cli in a container on the host's network (it reaches every node and standalone by address);
 * its output (import prints a line per key) to /dev/null, as a person running it in a script would.
 */
function redisCli(...args: string[]): void {
    const r = spawnSync("docker", ["run", "--rm", "--network", "host", "--entrypoint", "redis-cli", IMAGE, ...args], { stdio: ["ignore", "ignore", "pipe"], encoding: "utf8" });
    if (r.status !== 0) throw new Error(`redis-cli ${args.join(" ")} failed: ${r.stderr}`);
}

/**
 * redis-cli --cluster import of each RDB file of `archive` from a standalone Redis serving it, into the
 * cluster at `seed`. The standalone is on the cluster's network: MIGRATE connects from it to the nodes.
 */
async function importWithRedisCli(archive: string, files: string[], seed: string, network: string): Promise<void> {
    for (const file of files) {
        const name = "bench-import-source";
        spawnSync("docker", ["rm", "-f", name]);
        docker("run", "-d", "--name", name, "--network", network, "-v", `${archive}:/archive:ro`, "--entrypoint", "redis-server", IMAGE, "--dir", "/archive", "--dbfilename", file, "--save", "", "--appendonly", "no", "--protected-mode", "no");
        try {
            const ip = docker("inspect", "-f", "{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}", name);
            // Loaded when it answers PING (it refuses with LOADING until then).
            for (let t0 = Date.now(); ; ) {
                const r = spawnSync("docker", ["exec", name, "redis-cli", "ping"], { encoding: "utf8" });
                if (r.stdout.trim() === "PONG") break;
                if (seconds(t0) > 600) throw new Error(`${file} did not load`);
            }
            redisCli("--cluster", "import", `${seed}:6379`, "--cluster-from", `${ip}:6379`, "--cluster-copy");
        } finally {
            spawnSync("docker", ["rm", "-f", name]);
        }
    }
}

export async function backupBench(add: Add, ratio: Ratio): Promise<void> {
    const source = settingsFor("bench-bk", "10.238.0.0/24", 3, 1);
    const target = settingsFor("bench-rs", "10.239.0.0/24", 3, 1);
    const keys = Math.round((MEGABYTES * 1048576) / VALUE_BYTES);
    const work = fs.mkdtempSync(path.join(os.tmpdir(), "redis-cluster-bench-backup-"));
    const state = `file://${ROOT}/.pulumi-state/bench`;
    const sourceStack = await oursStack("bench-bk", source);
    const targetStack = await oursStack("bench-rs", target);
    try {
        await sourceStack.up();
        await targetStack.up();
        log(`backup: writing ${keys} keys of ${VALUE_BYTES} bytes (${MEGABYTES} MB) into 3x1`);
        await fillKeys([`${source.firstNodeIp}:6379`], keys, "bk", randomValues());
        for (let i = 0; i < Math.min(TRIALS, 2); i++) {
            const ours = path.join(work, `ours-${i}`);
            const theirs = path.join(work, `redis-cli-${i}`);
            fs.mkdirSync(ours);
            fs.mkdirSync(theirs);
            const runOurs = () => {
                const r = spawnSync("npm", ["run", "--silent", "backup", "--", "--stack", "bench-bk", "--to", ours], { cwd: ROOT, env: { ...process.env, PULUMI_BACKEND_URL: state }, encoding: "utf8" });
                if (r.status !== 0) throw new Error(`npm run backup failed: ${r.stdout}${r.stderr}`);
            };
            const runTheirs = () => docker("run", "--rm", "--network", "host", "--user", `${process.getuid!()}`, "-v", `${theirs}:/backup`, "--entrypoint", "redis-cli", IMAGE, "--cluster", "backup", `${source.firstNodeIp}:6379`, "/backup");
            const backup = await paired(runOurs, runTheirs, i % 2 === 1);
            const archive = path.join(ours, fs.readdirSync(ours).find((n) => !n.startsWith("."))!);
            const { manifest } = await readArchive(archive);
            const bytes = manifest.shards.reduce((n, s) => n + s.bytes, 0);
            const archived = manifest.shards.reduce((n, s) => n + s.keys, 0);
            add(`backup of ${MEGABYTES} MB, 3x1 (npm run backup)`, backup.ours);
            add(`backup of ${MEGABYTES} MB, 3x1 (redis-cli --cluster backup)`, backup.theirs);
            add(`backup MB/s (npm run backup)`, bytes / 1048576 / backup.ours, "MB/s");
            add(`backup MB/s (redis-cli --cluster backup)`, bytes / 1048576 / backup.theirs, "MB/s");
            ratio(RATIOS.backup, backup.ours, backup.theirs);

            // Restores into the same empty 3x1, emptied again after each.
            const nodes = planCluster(target).nodes.map((n) => ({ name: n.name, ip: n.ip, port: 6379 }));
            const files = manifest.shards.map((s) => s.file);
            const runRestore = () => restoreArchive({ clusterName: "bench-rs", archive, image: IMAGE, nodes, credentials: { access: {} }, mode: "empty" }, () => undefined);
            const runImport = () => importWithRedisCli(archive, files, target.firstNodeIp, networkName(target.namePrefix));
            const restore = await paired(runRestore, runImport, i % 2 === 1, () => empty(target.firstNodeIp));
            add(`restore of ${MEGABYTES} MB into 3x1 (restoreFrom)`, restore.ours);
            add(`restore of ${MEGABYTES} MB into 3x1 (redis-cli --cluster import --cluster-copy)`, restore.theirs);
            add(`restore keys/s (restoreFrom)`, archived / restore.ours, "keys/s");
            add(`restore keys/s (redis-cli --cluster import)`, archived / restore.theirs, "keys/s");
            add(`restore MB/s (restoreFrom)`, bytes / 1048576 / restore.ours, "MB/s");
            add(`restore MB/s (redis-cli --cluster import)`, bytes / 1048576 / restore.theirs, "MB/s");
            ratio(RATIOS.restore, restore.ours, restore.theirs);
            log(`backup trial ${i + 1}: npm run backup ${fmt(backup.ours)} s, redis-cli --cluster backup ${fmt(backup.theirs)} s; restore ${fmt(restore.ours)} s, redis-cli --cluster import ${fmt(restore.theirs)} s (${archived} keys, ${fmt(bytes / 1048576)} MB)`);
        }
        await targetStack.destroy();
        await sourceStack.destroy();
    } finally {
        removeStackObjects("bench-bk");
        removeStackObjects("bench-rs");
        await removeOursStack(sourceStack);
        await removeOursStack(targetStack);
        fs.rmSync(work, { recursive: true, force: true });
    }
}
