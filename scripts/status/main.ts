/**
 * `npm run status [-- --stack NAME]`: the live cluster for people, read from
 * every node of the stack. Exits 0 when healthy, 1 when not, 2 when the
 * stack cannot be read.
 */
import { execFileSync } from "child_process";
import * as path from "path";
import { Redis } from "ioredis";
import { parseClusterNodes, parseInfo as info } from "../../components/bootstrap/topology";
import { NodeSample, judge, render } from "./health";

const root = path.resolve(__dirname, "../..");

function pulumi(args: string[]): string {
    return execFileSync("pulumi", args, { cwd: root, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
}

async function sample(name: string, address: string, password: string | undefined): Promise<NodeSample> {
    const [host, port] = address.split(":");
    const client = new Redis({ host, port: Number(port), password, lazyConnect: true, connectTimeout: 2000, commandTimeout: 3000, maxRetriesPerRequest: 0, retryStrategy: () => null, enableOfflineQueue: false });
    try {
        await client.connect();
        const cluster = info(String(await client.call("CLUSTER", "INFO")));
        const replication = info(String(await client.call("INFO", "replication")));
        const memory = info(String(await client.call("INFO", "memory")));
        return {
            name,
            address,
            clusterState: cluster.cluster_state,
            role: replication.role,
            masterLinkStatus: replication.master_link_status,
            keys: Number(await client.call("DBSIZE")),
            usedMemory: memory.used_memory_human,
            view: parseClusterNodes(String(await client.call("CLUSTER", "NODES"))),
        };
    } catch (err) {
        return { name, address, error: (err as Error).message || String(err) };
    } finally {
        client.disconnect();
    }
}

async function main(): Promise<number> {
    const i = process.argv.indexOf("--stack");
    const stack = i > 0 ? process.argv[i + 1] : process.env.PULUMI_STACK ?? "dev";
    let outputs: { seedNodes?: string[]; nodes?: { name: string; ip: string }[] };
    let password: string | undefined;
    let replicasPerShard = 1;
    try {
        outputs = JSON.parse(pulumi(["stack", "output", "--json", "--stack", stack]));
        const config = JSON.parse(pulumi(["config", "--json", "--show-secrets", "--stack", stack]));
        password = config["redis-cluster:password"]?.value;
        replicasPerShard = Number(config["redis-cluster:replicasPerShard"]?.value ?? 1);
    } catch (err) {
        console.error(`Cannot read stack "${stack}": ${(err as { stderr?: string }).stderr?.trim() || err}`);
        console.error("Bring it up first with `npm run up`, or name another stack with `npm run status -- --stack NAME`.");
        return 2;
    }
    const seeds = outputs.seedNodes ?? [];
    if (seeds.length === 0) {
        console.error(`Stack "${stack}" has no cluster (no seedNodes output): run \`npm run up\` first.`);
        return 2;
    }
    const nameOf = (address: string) => outputs.nodes?.find((n) => address.startsWith(`${n.ip}:`))?.name ?? address;
    const samples = await Promise.all(seeds.map((a) => sample(nameOf(a), a, password)));
    const health = judge(samples, replicasPerShard);
    console.log(`stack ${stack}: ${seeds.length} nodes\n`);
    console.log(render(samples, health));
    return health.healthy ? 0 : 1;
}

main().then((code) => process.exit(code));
