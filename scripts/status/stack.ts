/**
 * A deployed stack as the scripts that read its cluster need it (`npm run status`, `npm run backup`):
 * from one `pulumi stack export --show-secrets`, its outputs, how the engine logs in, the CA, and the
 * Docker engine each container runs on. What is deployed, not what the config says now.
 */
import { execFileSync } from "child_process";
import { Redis } from "ioredis";
import { Login, StoredAccess, accessOf, loginCandidates } from "../../components/planning/access";

export function pulumi(args: string[]): string {
    // A stack export holds every resource's state (the dynamic providers' code among it): megabytes.
    // Run from the project's directory (npm and scripts/with-env.sh start us there): this module runs
    // compiled, from under .build/.
    return execFileSync("pulumi", args, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], maxBuffer: 512 * 1024 * 1024 });
}


/** A value from `pulumi stack export --show-secrets`: plain, or a decrypted secret envelope. */
export function reveal(value: unknown): unknown {
    if (value !== null && typeof value === "object" && "plaintext" in (value as Record<string, unknown>)) {
        return JSON.parse(String((value as { plaintext: string }).plaintext));
    }
    return value;
}

export type StackExport = { deployment?: { resources?: { urn?: string; type: string; provider?: string; inputs?: Record<string, unknown>; outputs?: Record<string, unknown> }[] } };
type StackOutputs = { seedNodes?: string[]; image?: string; nodes?: { name: string; ip: string; port?: number }[] };

/** The stack's outputs, as `pulumi stack output` shows them, from the same export (one CLI run instead of two). */
export function stackOutputs(state: StackExport): StackOutputs {
    const root = state.deployment?.resources?.find((r) => r.type === "pulumi:pulumi:Stack");
    return Object.fromEntries(Object.entries(root?.outputs ?? {}).map(([k, v]) => [k, reveal(v)])) as StackOutputs;
}

/** How the engine logs in (the stack's admin user, or the password) and the replica count, from the bootstrap's state. */
export function deployedCluster(state: StackExport): { login: Login; tlsCa?: string; replicasPerShard: number } {
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
export function dockerEnvs(state: StackExport): Map<string, NodeJS.ProcessEnv> {
    const resources = state.deployment?.resources ?? [];
    const envs = new Map<string, NodeJS.ProcessEnv>();
    for (const c of resources.filter((r) => r.type === "docker:index/container:Container")) {
        envs.set(String(c.outputs?.name ?? ""), dockerEnvOf(resources, c.provider));
    }
    return envs;
}

/** The environment whose docker CLI reaches the engine of the docker provider `providerRef` ("urn::id"); the local one without. */
export function dockerEnvOf(resources: NonNullable<NonNullable<StackExport["deployment"]>["resources"]>, providerRef: string | undefined, baseEnv: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
    const providerUrn = providerRef?.split("::").slice(0, -1).join("::");
    const provider = resources.find((r) => r.urn === providerUrn);
    const host = provider?.inputs?.host as string | undefined;
    const certPath = provider?.inputs?.certPath as string | undefined;
    return { ...baseEnv, ...(host ? { DOCKER_HOST: host } : {}), ...(certPath ? { DOCKER_CERT_PATH: certPath, DOCKER_TLS_VERIFY: "1" } : {}) };
}


export type { StackOutputs };

/** What a script needs of a deployed stack. */
export interface DeployedStack {
    name: string;
    outputs: StackOutputs;
    login: Login;
    tlsCa?: string;
    replicasPerShard: number;
    /** The Redis image the nodes run. */
    image: string;
    /** A node's container name by the address it announces (ip:port); the address itself when unknown. */
    nameOf(address: string): string;
    /** The environment whose docker CLI reaches the container (its host's engine, or the local one). */
    dockerEnv(container: string): NodeJS.ProcessEnv;
}

/** The login of the stack's named ACL user `username`, as the bootstrap applied it (throws when there is none). */
export function deployedUserLogin(state: StackExport, username: string): Login {
    const bootstrap = state.deployment?.resources?.find((r) => r.type === "pulumi-nodejs:dynamic/redis-cluster:ClusterBootstrap");
    const users = (reveal(bootstrap?.outputs?.users) ?? []) as { name: string; password: string }[];
    const user = users.find((u) => u.name === username);
    if (user === undefined) {
        throw new Error(`the stack has no ACL user "${username}" (its users: ${users.map((u) => u.name).join(", ") || "none"}); add it to redis-cluster:users and run pulumi up first`);
    }
    return { username: user.name, password: user.password };
}

/**
 * Reads stack `name` (throws with the CLI's message when it cannot be read). Logged in as the engine, or
 * as the stack's named user `asUser`.
 */
export function readDeployedStack(name: string, asUser?: string): DeployedStack {
    let state: StackExport;
    try {
        state = JSON.parse(pulumi(["stack", "export", "--show-secrets", "--stack", name]));
    } catch (err) {
        throw new Error((err as { stderr?: string }).stderr?.trim() || String(err));
    }
    const outputs = stackOutputs(state);
    const envs = dockerEnvs(state);
    const deployed = deployedCluster(state);
    if (asUser !== undefined) deployed.login = deployedUserLogin(state, asUser);
    return {
        name,
        outputs,
        ...deployed,
        image: String(outputs.image ?? ""),
        // Nodes on several hosts share an address: match the port too (one engine: all on 6379).
        nameOf: (address) => outputs.nodes?.find((n) => address === `${n.ip}:${n.port ?? 6379}`)?.name ?? address,
        dockerEnv: (container) => envs.get(container) ?? process.env,
    };
}

/**
 * A connection to one node at `address` (ip:port), logged in as the engine, checked against the CA with
 * TLS; connected lazily, one try, every command bounded by `commandTimeoutMs`.
 */
export function nodeClient(address: string, stack: Pick<DeployedStack, "login" | "tlsCa">, commandTimeoutMs: number): Redis {
    const [host, port] = address.split(":");
    const { username, password } = stack.login;
    const tls = stack.tlsCa === undefined ? undefined : { ca: stack.tlsCa };
    return new Redis({ host, port: Number(port), username, password, tls, lazyConnect: true, connectTimeout: 2000, commandTimeout: commandTimeoutMs, maxRetriesPerRequest: 0, retryStrategy: () => null, enableOfflineQueue: false });
}
