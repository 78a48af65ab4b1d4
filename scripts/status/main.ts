/**
 * `npm run status [-- --stack NAME]`: the live cluster for people, read from
 * every node of the stack. Exits 0 when healthy, 1 when not, 2 when the
 * stack cannot be read.
 */
import { execFileSync } from "child_process";
import { parseClusterNodes, parseInfo as info } from "../../components/planning/topology";
import { NodeSample, judge, render } from "./health";
import { DeployedStack, nodeClient, readDeployedStack } from "./stack";
import { renderWarnings, startupWarnings } from "./warnings";

async function sample(name: string, address: string, stack: DeployedStack): Promise<NodeSample> {
    const client = nodeClient(address, stack, 3000);
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

/** Each node's warnings from its last start; a log that cannot be read (its host is down) gives none. */
function nodeWarnings(names: string[], stack: DeployedStack): { node: string; warnings: string[] }[] {
    return names.map((node) => {
        try {
            const log = execFileSync("docker", ["logs", node], { env: stack.dockerEnv(node), encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], timeout: 10000, maxBuffer: 64 * 1024 * 1024 });
            return { node, warnings: startupWarnings(log) };
        } catch {
            return { node, warnings: [] };
        }
    });
}

async function main(): Promise<number> {
    const i = process.argv.indexOf("--stack");
    const name = i > 0 ? process.argv[i + 1] : process.env.PULUMI_STACK ?? "dev";
    let stack: DeployedStack;
    try {
        // What is deployed, not what the config says now: right after `pulumi config set --secret
        // password ...` the nodes still run with the old one until the next up.
        stack = readDeployedStack(name);
    } catch (err) {
        console.error(`Cannot read stack "${name}": ${(err as Error).message}`);
        console.error("Bring it up first with `npm run up`, or name another stack with `npm run status -- --stack NAME`.");
        return 2;
    }
    const seeds = stack.outputs.seedNodes ?? [];
    if (seeds.length === 0) {
        console.error(`Stack "${name}" has no cluster (no seedNodes output): run \`npm run up\` first.`);
        return 2;
    }
    const samples = await Promise.all(seeds.map((a) => sample(stack.nameOf(a), a, stack)));
    const health = judge(samples, stack.replicasPerShard);
    console.log(`stack ${name}: ${seeds.length} nodes\n`);
    console.log(render(samples, health));
    const warnings = renderWarnings(nodeWarnings(samples.map((s) => s.name), stack));
    if (warnings.length > 0) console.log(`\n${warnings.join("\n")}`);
    return health.healthy ? 0 : 1;
}

main().then((code) => process.exit(code));
