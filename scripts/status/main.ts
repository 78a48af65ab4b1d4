/**
 * `npm run status [-- --stack NAME]`: the live cluster for people, read from
 * every node of the stack. Exits 0 when healthy, 1 when not, 2 when the
 * stack cannot be read.
 */
import { execFileSync } from "child_process";
import { Redis } from "ioredis";
import { Login, StoredAccess, accessOf, loginCandidates } from "../../components/planning/access";
import { parseClusterNodes, parseInfo as info } from "../../components/planning/topology";
import { NodeSample, judge, render } from "./health";
import { renderWarnings, startupWarnings } from "./warnings";

function pulumi(args: string[]): string {
    // A stack export holds every resource's state (the dynamic providers' code among it): megabytes.
    // Run from the project's directory (npm and scripts/with-env.sh start us there): this module runs
    // compiled, from under .build/.
    return execFileSync("pulumi", args, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], maxBuffer: 512 * 1024 * 1024 });
}

async function sample(name: string, address: string, login: Login, tlsCa: string | undefined): Promise<NodeSample> {
    const [host, port] = address.split(":");
    const client = new Redis({ host, port: Number(port), username: login.username, password: login.password, tls: tlsCa === undefined ? undefined : { ca: tlsCa }, lazyConnect: true, connectTimeout: 2000, commandTimeout: 3000, maxRetriesPerRequest: 0, retryStrategy: () => null, enableOfflineQueue: false });
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

/** A value from `pulumi stack export --show-secrets`: plain, or a decrypted secret envelope. */
function reveal(value: unknown): unknown {
    if (value !== null && typeof value === "object" && "plaintext" in (value as Record<string, unknown>)) {
        return JSON.parse(String((value as { plaintext: string }).plaintext));
    }
    return value;
}

type StackExport = { deployment?: { resources?: { urn?: string; type: string; provider?: string; inputs?: Record<string, unknown>; outputs?: Record<string, unknown> }[] } };
type StackOutputs = { seedNodes?: string[]; nodes?: { name: string; ip: string; port?: number }[] };

/** The stack's outputs, as `pulumi stack output` shows them, from the same export (one CLI run instead of two). */
function stackOutputs(state: StackExport): StackOutputs {
    const root = state.deployment?.resources?.find((r) => r.type === "pulumi:pulumi:Stack");
    return Object.fromEntries(Object.entries(root?.outputs ?? {}).map(([k, v]) => [k, reveal(v)])) as StackOutputs;
}

/** How the engine logs in (the stack's admin user, or the password) and the replica count, from the bootstrap's state. */
function deployedCluster(state: StackExport): { login: Login; tlsCa?: string; replicasPerShard: number } {
    const bootstrap = state.deployment?.resources?.find((r) => r.type === "pulumi-nodejs:dynamic/redis-cluster:ClusterBootstrap");
    const outputs = bootstrap?.outputs ?? {};
    const shards = reveal(outputs.plannedShards) as { replicas: string[] }[] | undefined;
    const password = reveal(outputs.password);
    // Outputs of any release: accessOf also reads the default user's setting where earlier ones kept it.
    const internal = reveal(outputs.internal) as StoredAccess["internal"] | null;
    const defaultUserEnabled = reveal(outputs.defaultUserEnabled);
    const access = accessOf({
        password: typeof password === "string" ? password : undefined,
        internal: internal ?? undefined,
        defaultUserEnabled: typeof defaultUserEnabled === "boolean" ? defaultUserEnabled : undefined,
    });
    return {
        login: loginCandidates(access)[0],
        tlsCa: typeof reveal(outputs.tlsCa) === "string" ? (reveal(outputs.tlsCa) as string) : undefined,
        replicasPerShard: Number(reveal(outputs.replicasPerShard) ?? shards?.[0]?.replicas.length ?? 1),
    };
}

/**
 * The Docker environment that reaches each node's container, by container name: its host's engine
 * (the docker provider it was created with, as `hosts` gives it), or the local one.
 */
function dockerEnvs(state: StackExport): Map<string, NodeJS.ProcessEnv> {
    const resources = state.deployment?.resources ?? [];
    const envs = new Map<string, NodeJS.ProcessEnv>();
    for (const c of resources.filter((r) => r.type === "docker:index/container:Container")) {
        const providerUrn = c.provider?.split("::").slice(0, -1).join("::");
        const provider = resources.find((r) => r.urn === providerUrn);
        const host = provider?.inputs?.host as string | undefined;
        const certPath = provider?.inputs?.certPath as string | undefined;
        const env: NodeJS.ProcessEnv = { ...process.env, ...(host ? { DOCKER_HOST: host } : {}), ...(certPath ? { DOCKER_CERT_PATH: certPath, DOCKER_TLS_VERIFY: "1" } : {}) };
        envs.set(String(c.outputs?.name ?? ""), env);
    }
    return envs;
}

/** Each node's warnings from its last start; a log that cannot be read (its host is down) gives none. */
function nodeWarnings(names: string[], envs: Map<string, NodeJS.ProcessEnv>): { node: string; warnings: string[] }[] {
    return names.map((node) => {
        try {
            const log = execFileSync("docker", ["logs", node], { env: envs.get(node) ?? process.env, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], timeout: 10000, maxBuffer: 64 * 1024 * 1024 });
            return { node, warnings: startupWarnings(log) };
        } catch {
            return { node, warnings: [] };
        }
    });
}

async function main(): Promise<number> {
    const i = process.argv.indexOf("--stack");
    const stack = i > 0 ? process.argv[i + 1] : process.env.PULUMI_STACK ?? "dev";
    let outputs: StackOutputs;
    let login: Login = {};
    let tlsCa: string | undefined;
    let replicasPerShard = 1;
    let envs = new Map<string, NodeJS.ProcessEnv>();
    try {
        // What is deployed, not what the config says now: right after `pulumi config set --secret
        // password ...` the nodes still run with the old one until the next up.
        const state: StackExport = JSON.parse(pulumi(["stack", "export", "--show-secrets", "--stack", stack]));
        outputs = stackOutputs(state);
        envs = dockerEnvs(state);
        const deployed = deployedCluster(state);
        login = deployed.login;
        tlsCa = deployed.tlsCa;
        replicasPerShard = deployed.replicasPerShard;
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
    // Nodes on several hosts share an address: match the port too (one engine: all on 6379).
    const nameOf = (address: string) => outputs.nodes?.find((n) => address === `${n.ip}:${n.port ?? 6379}`)?.name ?? address;
    const samples = await Promise.all(seeds.map((a) => sample(nameOf(a), a, login, tlsCa)));
    const health = judge(samples, replicasPerShard);
    console.log(`stack ${stack}: ${seeds.length} nodes\n`);
    console.log(render(samples, health));
    const warnings = renderWarnings(nodeWarnings(samples.map((s) => s.name), envs));
    if (warnings.length > 0) console.log(`\n${warnings.join("\n")}`);
    return health.healthy ? 0 : 1;
}

main().then((code) => process.exit(code));
