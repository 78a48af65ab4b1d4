/**
 * Any other redis.conf directive, from the `redisConfig` map (io-threads, hz, lazyfree-*, slowlog-*, ...).
 * Pure: which names a user may set (not those a setting of the stack owns), the values redis.conf can
 * hold, which Redis reads only at a start, and the lines. Whether Redis itself takes a value is judged
 * on a live node (engine/steps/directives.ts).
 */

/**
 * Directives the stack alone decides: rendered into redis.conf, or changed by the engine for a while
 * (the node timeout while a cluster forms, passwords during a rotation). A rewritten config's value for
 * them is stale by the next start, so it is never carried over; nor is any directive redis.conf sets.
 */
export const STACK_OWNED_DIRECTIVES = [
    "port", "bind", "protected-mode", "dir", "daemonize", "pidfile", "logfile", "supervised", "unixsocket", "unixsocketperm",
    "include", "loadmodule", "rename-command", "replicaof", "slaveof",
    "requirepass", "masterauth", "masteruser", "aclfile", "user",
    "appendonly", "appendfsync", "appendfilename", "appenddirname", "save", "dbfilename", "repl-diskless-sync-delay",
] as const;
/** Prefixes of whole families the stack owns: cluster-* and tls-*. */
export const STACK_OWNED_PREFIXES = ["cluster-", "tls-"] as const;


/** Directive -> the stack's setting that decides it, for the refusal's message. */
const OWNER: Record<string, string> = {
    maxmemory: "redis-cluster:maxmemory",
    "maxmemory-policy": "redis-cluster:maxmemoryPolicy",
    appendonly: "redis-cluster:persistence",
    save: "redis-cluster:save",
    appendfsync: "redis-cluster:appendfsync",
    "rdb-del-sync-files": "redis-cluster:persistence",
    requirepass: "redis-cluster:password",
    masterauth: "redis-cluster:password (and users)",
    masteruser: "redis-cluster:users",
    aclfile: "redis-cluster:users",
    user: "redis-cluster:users",
    "cluster-node-timeout": "redis-cluster:nodeTimeoutMs",
    "cluster-announce-ip": "the node's address (subnet, firstNodeIp, hosts)",
};

export function ownerOf(directive: string): string | undefined {
    if (OWNER[directive] !== undefined) return OWNER[directive];
    if ((STACK_OWNED_DIRECTIVES as readonly string[]).includes(directive)) return "the stack itself (every node needs it as it is)";
    if (directive.startsWith("tls-")) return "redis-cluster:tls";
    if (STACK_OWNED_PREFIXES.some((p) => directive.startsWith(p))) return "the stack itself (the cluster's own settings)";
    return undefined;
}

/** The user's directives, lowercased and sorted by name, as [name, value]. */
export type Directives = [string, string][];

export function resolveRedisConfig(raw: unknown, key: (name: string) => string): { directives: Directives; problems: string[] } {
    const problems: string[] = [];
    if (raw === undefined || raw === null || raw === "") return { directives: [], problems };
    if (typeof raw !== "object" || Array.isArray(raw)) {
        problems.push(`${key("redisConfig")} must be a map of redis.conf directives to values (pulumi config set --path '${key("redisConfig")}.hz' 20)`);
        return { directives: [], problems };
    }
    const directives: Directives = [];
    for (const [name, value] of Object.entries(raw as Record<string, unknown>)) {
        const directive = name.trim().toLowerCase();
        const text = typeof value === "boolean" ? (value ? "yes" : "no") : String(value ?? "").trim();
        const owner = ownerOf(directive);
        if (!/^[a-z][a-z0-9_-]*$/.test(directive)) {
            problems.push(`${key(`redisConfig.${name}`)}: "${name}" is not a redis.conf directive name`);
        } else if (owner !== undefined) {
            problems.push(`${key(`redisConfig.${name}`)}: ${directive} is decided by ${owner}, not set through redisConfig`);
        } else if (text === "" || !/^[\x20-\x7e]+$/.test(text) || /["'\\#]/.test(text)) {
            problems.push(`${key(`redisConfig.${name}`)}: "${text}" cannot be written to redis.conf: use printable characters without quotes, backslashes or "#", and no empty value`);
        } else if (directive === "tcp-backlog" && !(/^\d+$/.test(text) && Number(text) >= 1 && Number(text) <= 65535)) {
            // Redis reads it only at a start, so no node can judge it first; the container's somaxconn follows it.
            problems.push(`${key(`redisConfig.${name}`)}: "${text}" is not a backlog length: a whole number from 1 to 65535`);
        } else {
            directives.push([directive, text.replace(/\s+/g, " ")]);
        }
    }
    directives.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return { directives, problems };
}

/**
 * The kernel's cap on a listening socket's backlog (net.core.somaxconn, one per network namespace, so per
 * container) for a `tcp-backlog` the user set: Redis cannot use a longer queue than the kernel allows,
 * and warns at its start when it is shorter. Undefined: the kernel's default.
 */
export function somaxconnFor(directives: Directives): string | undefined {
    return directives.find(([name]) => name === "tcp-backlog")?.[1];
}

/**
 * Directives Redis reads only at a start (CONFIG SET refuses them as immutable), besides those the stack
 * owns: asked of Redis 7.0's CONFIG SET for every directive CONFIG GET lists. They go into redis.conf, so
 * a change recreates the containers one at a time; every other directive is set on the running nodes.
 * A newer Redis's own start-only directive that is missing here is refused at `up`, naming it.
 */
export const START_ONLY_DIRECTIVES = [
    "always-show-logo", "aof_rewrite_cpulist", "bgsave_cpulist", "bio_cpulist", "server_cpulist", "databases", "disable-thp",
    "enable-debug-command", "enable-module-command", "enable-protected-configs", "io-threads", "io-threads-do-reads",
    "rdbchecksum", "set-proc-title", "socket-mark-id", "syslog-enabled", "syslog-facility", "syslog-ident", "tcp-backlog",
] as const;

/** Whether Redis takes the directive only at a start. */
export function startOnly([name]: [string, string]): boolean {
    return (START_ONLY_DIRECTIVES as readonly string[]).includes(name);
}

/** The directives set on running nodes (CONFIG SET, no restart), as name -> value. */
export function inPlaceDirectives(directives: Directives): Record<string, string> {
    return Object.fromEntries(directives.filter((d) => !startOnly(d)));
}

/** The redis.conf lines, after everything the stack renders (Redis takes a directive's last value). */
export function redisConfigLines(directives: Directives): string[] {
    const lines = directives.filter(startOnly).map(([name, value]) => `${name} ${value}`);
    return lines.length === 0 ? [] : ["# redisConfig", ...lines];
}
