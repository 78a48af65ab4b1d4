/**
 * RedisClusterArgs: what a program asks of a cluster, typed. The same options as the stack's config keys
 * (Pulumi.yaml), with the same defaults and the same checks (planning/settings.ts); only the default of
 * `namePrefix` differs: a component takes its own name, so two clusters in one program do not collide.
 */
import * as pulumi from "@pulumi/pulumi";
import { HostSpec } from "./planning/hosts";
import { UserSpec } from "./planning/users";
import { RestoreMode } from "./planning/backup";
import { CONFIG_NAMESPACE, ClusterSettings, LocalMachine, RawSettings, resolveSettings } from "./planning/settings";

export type { HostSpec } from "./planning/hosts";
export type { UserSpec } from "./planning/users";
export { RestoreMode } from "./planning/backup";

/** How nodes keep their data (persistence). */
export const PersistenceMode = { aof: "aof", rdb: "rdb", aofRdb: "aof+rdb", none: "none" } as const;
export type PersistenceMode = (typeof PersistenceMode)[keyof typeof PersistenceMode];

/** How often the append-only file is synced to disk (appendfsync). */
export const AppendFsync = { everysec: "everysec", always: "always", no: "no" } as const;
export type AppendFsync = (typeof AppendFsync)[keyof typeof AppendFsync];

/** The options of one Redis Cluster: each is a config key of this project's stack, with its default. */
export interface RedisClusterArgs {
    /** Number of shards (masters); at least 3. Default 3. */
    shards?: number;
    /** Replicas per master; 0 for none. Default 1. */
    replicasPerShard?: number;
    /** IPv4 CIDR of the cluster's Docker bridge network (a private range). Default 10.38.0.0/24. */
    subnet?: string;
    /** Gateway address of the network. Default: the subnet's first address. */
    gateway?: string;
    /** Address of node 1; nodes take consecutive addresses. Default: the subnet's .11. */
    firstNodeIp?: string;
    /** Redis image to run, 7.0 or newer. Default redis:7.2. */
    image?: string;
    /** cluster-node-timeout in milliseconds (at least 1000): how long a node may not answer before failover. Default 5000. */
    nodeTimeoutMs?: number;
    /** Without `persistence`: true keeps the append-only file beside Redis's default snapshots (aof+rdb), false snapshots only. Default true. */
    appendonly?: boolean;
    /** Node i is published on 127.0.0.1:hostPortBase+i-1; 0 publishes nothing. Default 6371. */
    hostPortBase?: number;
    /** Containers are named <prefix>-1 ... <prefix>-N, the network <prefix>-net. Default: the component's name. */
    namePrefix?: string;
    /** Let one update stop every node at once, for changes of subnet, gateway or firstNodeIp (refused otherwise). */
    allowFullRestart?: boolean;
    /** Let one update go back to an older Redis minor version; only when no node runs the newer one yet. */
    allowDowngrade?: boolean;
    /** With hosts: accept a placement where losing one host stops the cluster (refused otherwise). */
    allowHostLossOutage?: boolean;
    /** Password of the default user, for clients and replication; unset: no AUTH. Kept as a secret in state (e.g. config.requireSecret). */
    password?: pulumi.Input<string>;
    /** Named ACL users on every node, each {name, password, rules}; kept as a secret in state. */
    users?: pulumi.Input<UserSpec[]>;
    /** Turn the default user off so that only `users` log in (needs at least one). */
    disableDefaultUser?: boolean;
    /** Clients, replication and the cluster bus over TLS only; turning it on or off needs allowFullRestart. */
    tls?: boolean;
    /** Your own CA certificate (PEM) to sign the node certificates with; unset: the cluster makes its own CA. */
    tlsCaCert?: string;
    /** The private key (PEM) of tlsCaCert; kept as a secret in state. */
    tlsCaKey?: pulumi.Input<string>;
    /** How long each node certificate is valid, in days. Default 365. */
    tlsCertValidityDays?: number;
    /** An update renews (and rolls) node certificates with fewer days left than this. Default 30. */
    tlsRenewBeforeDays?: number;
    /** Memory limit of every node's container (512m, 2g); changed in place. Unset: none. */
    memory?: string;
    /** CPU limit of every node's container (1.5). Unset: none. */
    cpus?: number;
    /** Redis's maxmemory: a size (300mb) or a share of memory (75%, the default when memory is set). */
    maxmemory?: string;
    /** What Redis does at maxmemory: noeviction (the default) or one of its seven eviction policies. */
    maxmemoryPolicy?: string;
    /** aof, rdb, aof+rdb or none (a cache). Unset: as appendonly says. */
    persistence?: PersistenceMode;
    /** Snapshot schedule for rdb and aof+rdb, pairs of seconds and changes ("3600 1 300 100 60 10000"). */
    save?: string;
    /** How often the append-only file is synced to disk: everysec (the default), always or no. */
    appendfsync?: AppendFsync;
    /** How often Docker checks each node's health (10s, 1m). Default 10s. */
    healthcheckInterval?: string;
    /** A backup archive's directory (npm run backup) to load into the cluster when it is created or holds no keys; checked whole first. */
    restoreFrom?: string;
    /** With restoreFrom, into a cluster that holds keys: empty (the default) refuses, merge keeps its keys, replace overwrites those the archive also holds. */
    restoreMode?: RestoreMode;
    /** Any other redis.conf directives, by name ({hz: "20"}). Set in place where Redis takes them at run time. */
    redisConfig?: Record<string, string>;
    /** The Docker hosts the nodes are spread over; unset: the one engine of the docker provider. */
    hosts?: HostSpec[];
    /** Run a redis_exporter beside every node. */
    metrics?: boolean;
    /** redis_exporter image for metrics. Default oliver006/redis_exporter:v1.45.0. */
    exporterImage?: string;
    /** With hosts and metrics: exporter i is published on its host's address at exporterPortBase+i-1. Default 9121. */
    exporterPortBase?: number;
    /** Run a Prometheus server scraping every exporter, with the cluster's alert rules; needs metrics. */
    prometheus?: boolean;
    /** Prometheus image. Default prom/prometheus:v2.42.0. */
    prometheusImage?: string;
    /** Prometheus is published on 127.0.0.1 at this port. Default 9090. */
    prometheusPort?: number;
    /** How often Prometheus scrapes and evaluates the rules. Default 15s. */
    scrapeInterval?: string;
    /** How long a condition must hold before its alert fires. Default 1m. */
    alertFor?: string;
    /** With prometheus: run Alertmanager and post every alert to this URL; kept as a secret in state. */
    alertWebhookUrl?: pulumi.Input<string>;
    /** Alertmanager image. Default prom/alertmanager:v0.25.0. */
    alertmanagerImage?: string;
}

/** The options that hold secrets: a program may pass them as Outputs (config.requireSecret, a generated password). */
export const SECRET_ARGS = ["password", "users", "tlsCaKey", "alertWebhookUrl"] as const;
type SecretArg = (typeof SECRET_ARGS)[number];

/** The args with every secret's value at hand, as they are checked. */
export type PlainArgs = Omit<RedisClusterArgs, SecretArg> & {
    password?: string;
    users?: UserSpec[];
    tlsCaKey?: string;
    alertWebhookUrl?: string;
};

/** Whether every secret of `args` is a value already (not an Output or a promise): they can be checked at once. */
export function isPlain(args: RedisClusterArgs): args is PlainArgs {
    return SECRET_ARGS.every((k) => args?.[k] === undefined || (!pulumi.Output.isInstance(args[k]) && !(args[k] instanceof Promise)));
}

/** Every option's name, in the order Pulumi.yaml lists the config keys. */
export const ARG_NAMES = [
    "shards", "replicasPerShard", "subnet", "gateway", "firstNodeIp", "image", "nodeTimeoutMs", "appendonly", "hostPortBase",
    "namePrefix", "allowFullRestart", "allowDowngrade", "allowHostLossOutage", "password", "users", "disableDefaultUser", "tls",
    "tlsCaCert", "tlsCaKey", "tlsCertValidityDays", "tlsRenewBeforeDays", "memory", "cpus", "maxmemory", "maxmemoryPolicy",
    "persistence", "save", "appendfsync", "healthcheckInterval", "restoreFrom", "restoreMode", "redisConfig", "hosts", "metrics", "exporterImage",
    "exporterPortBase", "prometheus", "prometheusImage", "prometheusPort", "scrapeInterval", "alertFor", "alertWebhookUrl",
    "alertmanagerImage",
] as const satisfies readonly (keyof RedisClusterArgs)[];

/** How problems name an option: as the stack's config key (redis-cluster:shards) or as the argument (shards). */
export type OptionNames = "config" | "args";

export interface ResolvedArgs {
    settings: ClusterSettings;
    /** One line per problem, each naming its option; empty when the args are valid. */
    problems: string[];
    warnings: string[];
}

export interface ResolveOptions {
    /** The component's name: the default namePrefix. */
    componentName: string;
    names?: OptionNames;
    /** The machine the nodes run on, where known (its CPU count bounds `cpus`). */
    machine?: LocalMachine;
    /** Options set in plaintext where they should be secrets (the stack's config file). */
    plaintextSecrets?: string[];
}

const NAMESPACED = new RegExp(`${CONFIG_NAMESPACE}:(?=[A-Za-z])`, "g");

/** Checks and resolves args; nothing is thrown: the caller decides what problems mean. */
export function resolveArgs(args: PlainArgs, options: ResolveOptions): ResolvedArgs {
    const unknown = Object.keys(args ?? {}).filter((k) => !(ARG_NAMES as readonly string[]).includes(k) && (args as Record<string, unknown>)[k] !== undefined);
    const raw: RawSettings = { ...args, namePrefix: args?.namePrefix ?? options.componentName, plaintextSecrets: options.plaintextSecrets };
    for (const k of unknown) delete (raw as Record<string, unknown>)[k];
    const { settings, problems, warnings } = resolveSettings(raw, undefined, options.machine);
    const named = (line: string) => (options.names === "config" ? line : line.replace(NAMESPACED, ""));
    const unknownProblems = unknown.map((k) => `${options.names === "config" ? `${CONFIG_NAMESPACE}:${k}` : k} is not an option of RedisCluster`);
    return { settings, problems: [...unknownProblems, ...problems].map(named), warnings: warnings.map(named) };
}

/** Every problem of `args`, one line each; empty when valid (what `new RedisCluster` would refuse). */
export function checkRedisClusterArgs(args: PlainArgs, componentName = "redis"): string[] {
    return resolveArgs(args, { componentName, names: "args" }).problems;
}

/** Thrown by `new RedisCluster` for invalid args, before any resource is declared: lists every problem. */
export class InvalidRedisClusterArgs extends Error {
    constructor(readonly componentName: string, readonly problems: string[]) {
        super(`Invalid RedisCluster "${componentName}", nothing was created:\n - ${problems.join("\n - ")}`);
        this.name = "InvalidRedisClusterArgs";
    }
}
