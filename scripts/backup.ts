/**
 * `npm run backup -- --stack NAME --to DIR`: an archive of every shard of the stack's cluster. Per
 * shard, on an in-sync replica where there is one (the master otherwise): BGSAVE, wait for it, copy
 * the RDB file out through Docker (the node's own engine, so it works with hosts), check it with
 * redis-check-rdb (which also counts its keys), then a manifest with each file's size and sha256.
 * Written under a temporary name, checked, then renamed: a directory whose name does not start with
 * a dot is a whole archive. Exits 0 and prints the archive's path last; 1 naming the shard that
 * failed, leaving no archive; 2 when the stack cannot be read. Logs in as the engine does, or with
 * `--user NAME` as the stack's ACL user NAME (planning/backup.ts BACKUP_RULES are all it needs).
 */
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { Redis } from "ioredis";
import { BACKUP_FORMAT, BackupManifest, MANIFEST_FILE, MemberState, ShardArchive, ShardMembers, backupSource } from "../components/planning/backup";
import { describeShards, parseClusterNodes, parseInfo } from "../components/planning/topology";
import { fileFacts, readArchive } from "../components/engine/archive";
import { DeployedStack, nodeClient, readDeployedStack } from "./status/stack";

/** How long one shard's BGSAVE may take before the backup gives up on it. */
const SAVE_TIMEOUT_MS = 10 * 60 * 1000;

/** A failure of one shard: the backup stops, naming it. */
class ShardFailure extends Error {}

/** `commandTimeoutMs`: short for a probe (a node that does not answer is marked so), longer for a save. */
async function withNode<T>(address: string, stack: DeployedStack, use: (c: Redis) => Promise<T>, commandTimeoutMs = 3000): Promise<T> {
    const c = nodeClient(address, stack, commandTimeoutMs);
    try {
        await c.connect();
        return await use(c);
    } finally {
        c.disconnect();
    }
}

const info = async (c: Redis, section: string) => parseInfo(String(await c.call("INFO", section)));

/** A member's replication state; one that does not answer is marked so, never dropped. */
async function memberState(name: string, address: string, stack: DeployedStack): Promise<MemberState> {
    try {
        const replication = await withNode(address, stack, (c) => info(c, "replication"));
        const offset = Number(replication.role === "master" ? replication.master_repl_offset : replication.slave_repl_offset);
        return { name, answers: true, linkUp: replication.master_link_status === "up", offset };
    } catch {
        return { name, answers: false };
    }
}

/** Waits until the node runs no fork (a save, an AOF rewrite, a full sync's): a BGSAVE would be refused or late. */
async function noChild(c: Redis, shard: number, deadline: number): Promise<void> {
    for (;;) {
        const p = await info(c, "persistence");
        if (p.rdb_bgsave_in_progress === "0" && p.aof_rewrite_in_progress !== "1") return;
        if (Date.now() > deadline) throw new ShardFailure(`shard ${shard}: the node kept a save or rewrite running for ${SAVE_TIMEOUT_MS / 60000} minutes`);
        await new Promise((r) => setTimeout(r, 200));
    }
}

/** BGSAVE on the node; resolves with the file's path on the node once the save ended well. */
async function save(c: Redis, shard: number): Promise<string> {
    const deadline = Date.now() + SAVE_TIMEOUT_MS;
    await noChild(c, shard, deadline);
    const before = Number((await info(c, "persistence")).rdb_saves);
    try {
        await c.call("BGSAVE");
    } catch (err) {
        throw new ShardFailure(`shard ${shard}: BGSAVE was refused: ${(err as Error).message}`);
    }
    for (;;) {
        const p = await info(c, "persistence");
        if (p.rdb_bgsave_in_progress === "0") {
            if (Number(p.rdb_saves) > before) break;
            if (p.rdb_last_bgsave_status !== "ok") throw new ShardFailure(`shard ${shard}: BGSAVE failed (rdb_last_bgsave_status ${p.rdb_last_bgsave_status}; the node's log says why)`);
        }
        if (Date.now() > deadline) throw new ShardFailure(`shard ${shard}: BGSAVE did not end within ${SAVE_TIMEOUT_MS / 60000} minutes`);
        await new Promise((r) => setTimeout(r, 100));
    }
    const [, dir] = (await c.call("CONFIG", "GET", "dir")) as string[];
    const [, file] = (await c.call("CONFIG", "GET", "dbfilename")) as string[];
    return path.posix.join(dir, file);
}

/**
 * Checks an RDB file with Redis's own redis-check-rdb (the image's redis-server under that name),
 * on the local engine: its checksum and the keys it holds.
 */
function checkRdb(image: string, dir: string, file: string, shard: number): { keys: number; redisVersion: string } {
    let out: string;
    try {
        out = execFileSync(
            "docker",
            ["run", "--rm", "--network", "none", "-v", `${dir}:/backup:ro`, "--entrypoint", "sh", image, "-c", `ln -s "$(command -v redis-server)" /tmp/redis-check-rdb && /tmp/redis-check-rdb /backup/${file}`],
            { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] },
        );
    } catch (err) {
        throw new ShardFailure(`shard ${shard}: redis-check-rdb refused ${file}: ${String((err as { stdout?: string }).stdout ?? err).trim().split("\n").slice(-3).join(" / ")}`);
    }
    const keys = /\[info\] (\d+) keys read/.exec(out)?.[1];
    if (!/Checksum OK/.test(out) || keys === undefined) throw new ShardFailure(`shard ${shard}: redis-check-rdb did not confirm ${file}: ${out.trim().split("\n").slice(-3).join(" / ")}`);
    return { keys: Number(keys), redisVersion: /redis-ver = '([^']+)'/.exec(out)?.[1] ?? "" };
}

async function backup(stack: DeployedStack, to: string): Promise<string> {
    const createdAt = new Date();
    const name = `${stack.name}-${createdAt.toISOString().replace(/[-:]/g, "").replace(/\.\d+Z$/, "Z")}`;
    const final = path.join(to, name);
    const partial = path.join(to, `.${name}.partial`);
    fs.mkdirSync(partial, { recursive: true });
    try {
        // The live shards, as a node that answers sees them.
        const seeds = stack.outputs.seedNodes ?? [];
        let view;
        for (const seed of seeds) {
            view = await withNode(seed, stack, async (c) => parseClusterNodes(String(await c.call("CLUSTER", "NODES")))).catch(() => undefined);
            if (view) break;
        }
        if (!view) throw new Error(`no node of stack ${stack.name} answers (${seeds.join(", ")})`);
        const shards = describeShards(view, (ip, port) => stack.nameOf(`${ip}:${port}`));
        // Every member asked at once: one that does not answer costs its timeout once, beside the others.
        const members: ShardMembers[] = await Promise.all(
            shards.map(async (s, i) => {
                const [master, ...replicas] = await Promise.all([s.master, ...s.replicas].map((n) => memberState(n.name, `${n.ip}:${n.port}`, stack)));
                return { shard: i + 1, slots: s.slots, master, replicas };
            }),
        );
        const archived: ShardArchive[] = [];
        let redisVersion = "";
        // One shard at a time: each save forks its node, and the copies share this machine's disk.
        for (const m of members) {
            const source = backupSource(m);
            if ("problem" in source) throw new ShardFailure(source.problem);
            const address = source.role === "master" ? shards[m.shard - 1].master : shards[m.shard - 1].replicas.find((r) => r.name === source.node)!;
            process.stdout.write(`shard ${m.shard}/${members.length} (slots ${m.slots.join(",")}): BGSAVE on ${source.node} (${source.role}) ... `);
            const started = Date.now();
            const onNode = await withNode(`${address.ip}:${address.port}`, stack, (c) => save(c, m.shard), 10000).catch((err) => {
                throw err instanceof ShardFailure ? err : new ShardFailure(`shard ${m.shard}: ${source.node} stopped answering: ${(err as Error).message}`);
            });
            const file = `shard-${m.shard}.rdb`;
            try {
                execFileSync("docker", ["cp", `${source.node}:${onNode}`, path.join(partial, file)], { env: stack.dockerEnv(source.node), stdio: ["ignore", "pipe", "pipe"] });
            } catch (err) {
                throw new ShardFailure(`shard ${m.shard}: copying ${onNode} out of ${source.node} failed: ${String((err as { stderr?: Buffer }).stderr ?? err).trim()}`);
            }
            const checked = checkRdb(stack.image, partial, file, m.shard);
            redisVersion ||= checked.redisVersion;
            const facts = await fileFacts(path.join(partial, file));
            archived.push({ shard: m.shard, slots: m.slots, node: source.node, role: source.role, keys: checked.keys, file, ...facts });
            console.log(`${checked.keys} keys, ${(facts.bytes / 1048576).toFixed(1)} MB in ${((Date.now() - started) / 1000).toFixed(1)} s`);
        }
        const manifest: BackupManifest = {
            format: BACKUP_FORMAT,
            stack: stack.name,
            createdAt: createdAt.toISOString(),
            redisVersion,
            shape: { shards: archived.length, replicasPerShard: stack.replicasPerShard },
            shards: archived,
        };
        fs.writeFileSync(path.join(partial, MANIFEST_FILE), `${JSON.stringify(manifest, null, 2)}\n`);
        // Read back as a restore will read it, before it gets a name that says it is whole.
        await readArchive(partial);
        fs.renameSync(partial, final);
        return final;
    } catch (err) {
        fs.rmSync(partial, { recursive: true, force: true });
        throw err;
    }
}

async function main(): Promise<number> {
    const arg = (flag: string) => {
        const i = process.argv.indexOf(flag);
        return i > 0 ? process.argv[i + 1] : undefined;
    };
    const stackName = arg("--stack") ?? process.env.PULUMI_STACK ?? "dev";
    const to = arg("--to");
    if (to === undefined) {
        console.error("Usage: npm run backup -- --stack NAME --to DIR [--user NAME]");
        return 2;
    }
    let stack: DeployedStack;
    try {
        stack = readDeployedStack(stackName, arg("--user"));
    } catch (err) {
        console.error(`Cannot read stack "${stackName}": ${(err as Error).message}`);
        return 2;
    }
    try {
        const archive = await backup(stack, path.resolve(to));
        console.log(`backup of stack ${stackName} complete:\n${archive}`);
        return 0;
    } catch (err) {
        console.error(`\nbackup of stack ${stackName} FAILED, no archive written: ${(err as Error).message}`);
        return 1;
    }
}

main().then((code) => process.exit(code));
