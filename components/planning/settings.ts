/**
 * The stack's settings: defaults, parsing and validation. Pure: the caller
 * reads raw values from Pulumi config and decides what to do with problems.
 */
import { Netmask, ip2long, long2ip } from "netmask";
import { HostSpec, plainTcpHosts, resolveHosts } from "./hosts";
import { CONFIG_NAMESPACE } from "./keys";
import { MIN_REDIS, formatVersion, isOlder, redisVersionOf } from "./image";
import { SLOT_COUNT } from "./slots";
import { RESTORE_MODES, RestoreMode } from "./backup";
import { UserSpec, resolveUsers } from "./users";
import { TLS_DEFAULTS, TlsSettings, resolveTls } from "./tls";
import { NodeLimits, RawLimits, neighbourTableWarning, resolveLimits } from "./limits";
import { Persistence, RawPersistence, resolvePersistence } from "./persistence";
import { Directives, resolveRedisConfig } from "./redisConfig";
import { MetricsSettings, RawMetrics, resolveMetrics } from "./metrics";
import { PrometheusSettings, RawPrometheus, resolvePrometheus } from "./prometheus";

export { CONFIG_NAMESPACE } from "./keys";

export interface ClusterSettings {
    shards: number;
    replicasPerShard: number;
    subnet: string;
    gateway: string;
    firstNodeIp: string;
    image: string;
    nodeTimeoutMs: number;
    /** Whether nodes keep the append-only file (persistence.appendonly, or the appendonly key without a mode). */
    appendonly: boolean;
    /** The AOF, snapshots and fsync policy (persistence.ts). */
    persistence: Persistence;
    /** Any other redis.conf directives (redisConfig.ts), sorted by name; empty when none. */
    redisConfig: Directives;
    hostPortBase: number;
    namePrefix: string;
    /** How often Docker checks each node's health, as Docker writes a duration ("10s", "1m"): one `docker exec` per check. */
    healthcheckInterval: string;
    /** A backup archive (npm run backup) to load into the cluster when it is new; undefined: none. */
    restoreFrom?: string;
    /** With restoreFrom: into a cluster that holds keys, merge or replace; "empty" refuses (planning/backup.ts). */
    restoreMode: RestoreMode;
    /**
     * Lets one `up` take every node down at once, for the changes that cannot roll (the network's
     * subnet or gateway, the node addresses). Off by default: such changes are refused.
     */
    allowFullRestart: boolean;
    /**
     * Lets one up go back to an older Redis minor version. Only safe when no node runs the newer one
     * yet (an earlier up failed before it rolled out): otherwise its data files may not load.
     */
    allowDowngrade: boolean;
    /**
     * With `hosts`: accept a placement where one host runs half the masters or more, so that losing
     * that host stops the cluster (see quorum.ts). Off by default: such a placement is refused.
     */
    allowHostLossOutage: boolean;
    /** The Docker hosts the nodes are spread over; undefined: one local engine. */
    hosts?: HostSpec[];
    /**
     * With `hosts`: where the deployed cluster runs, from the stack's last outputs (not config), so
     * running nodes stay with their data when hosts are added and new nodes go where shards need them.
     */
    deployed?: {
        /** node name -> host name (the `placement` output). */
        placement: Record<string, string>;
        /** The host names of each live shard's members (from `slotAssignments`). */
        shards: string[][];
    };
    /**
     * With `hosts`: each host's machine generation above 0 (planning/replacement.ts), from the last
     * applied identity and the entries marked replaced; it names the host's Docker objects.
     */
    machineGenerations?: Record<string, number>;
    /**
     * With `hosts`: the hosts that run nodes and do not answer in this run (the preflight found them;
     * planning/hostDown.ts says what the run may do without them). Absent when every host answers.
     */
    silentHosts?: string[];
    /** Undefined when the cluster runs without AUTH. */
    password?: string;
    /** Named ACL users on every node; undefined when none are configured. */
    users?: UserSpec[];
    /** Only named users may log in (the default user is off); needs `users`. */
    disableDefaultUser: boolean;
    /** TLS for clients, replication and the bus; undefined: plain TCP. */
    tls?: TlsSettings;
    /** Every node's memory and CPU limits, maxmemory and eviction policy (limits.ts). */
    limits: NodeLimits;
    /** An exporter beside every node (metrics.ts); undefined: none. */
    metrics?: MetricsSettings;
    /** A Prometheus server scraping the exporters (prometheus.ts); undefined: none. */
    prometheus?: PrometheusSettings;
}

/** ACL mode: the nodes keep users in an aclfile and the stack's own users run the cluster. */
export function aclMode(s: Pick<ClusterSettings, "users" | "disableDefaultUser">): boolean {
    return (s.users !== undefined && s.users.length > 0) || s.disableDefaultUser;
}

/**
 * Defaults for every key that has a fixed one. Pulumi.yaml declares the same
 * values for `pulumi config` users; a unit test keeps the two in step.
 */
export const DEFAULTS = {
    shards: 3,
    replicasPerShard: 1,
    // 10.x is in no default Docker address pool, so it rarely clashes.
    subnet: "10.38.0.0/24",
    nodeTimeoutMs: 5000,
    appendonly: true,
    hostPortBase: 6371,
    namePrefix: "redis",
    allowFullRestart: false,
    allowDowngrade: false,
    allowHostLossOutage: false,
    disableDefaultUser: false,
    tls: false,
    tlsCertValidityDays: TLS_DEFAULTS.validityDays,
    tlsRenewBeforeDays: TLS_DEFAULTS.renewBeforeDays,
    maxmemoryPolicy: "noeviction",
    appendfsync: "everysec",
    healthcheckInterval: "10s",
} as const;

/**
 * The image a stack runs when redis-cluster:image is not set: a constant, so every machine
 * previews the same stack the same way. Where no registry is reachable, `npm run up` records
 * the locally built image in the stack's config instead (scripts/lib.sh, pin_image).
 */
export const DEFAULT_IMAGE = "redis:7.2";

/** Redis Cluster is specified for up to 1000 nodes; beyond that gossip alone saturates the bus. */
export const MAX_NODES = 1000;

/**
 * Below a second, ordinary pauses (a fork for a save, a busy host) exceed the node timeout and
 * trigger failovers nobody asked for.
 */
export const MIN_NODE_TIMEOUT_MS = 1000;

/**
 * A health check interval from 1 s to 24 h in whole seconds, minutes or hours ("90s", "5m"), written
 * as the docker provider reads it back (Go's time.Duration: "1m30s", "5m0s"), so a stack that declares
 * it sees no change on the next preview (it would replace every container at once). Undefined: not one.
 */
export function dockerInterval(text: string): string | undefined {
    const m = /^([1-9]\d*)(s|m|h)$/.exec(text);
    if (!m) return undefined;
    const seconds = Number(m[1]) * { s: 1, m: 60, h: 3600 }[m[2] as "s" | "m" | "h"];
    if (seconds > 24 * 3600) return undefined;
    const [h, min, sec] = [Math.floor(seconds / 3600), Math.floor((seconds % 3600) / 60), seconds % 60];
    return h > 0 ? `${h}h${min}m${sec}s` : min > 0 ? `${min}m${sec}s` : `${sec}s`;
}

/** The TLS keys as they come from config (ClusterSettings holds them resolved, in `tls`). */
export interface RawTlsKeys {
    tlsCaCert?: string;
    tlsCaKey?: string;
    tlsCertValidityDays?: string | number;
    tlsRenewBeforeDays?: string | number;
}

export type RawSettings = Partial<Record<Exclude<keyof ClusterSettings, "hosts" | "users" | "tls" | "limits" | "persistence" | "redisConfig" | "metrics" | "prometheus">, string | number | boolean | undefined>> &
    RawTlsKeys &
    RawMetrics &
    RawPrometheus &
    RawLimits &
    RawPersistence & {
        hosts?: unknown;
        users?: unknown;
        redisConfig?: unknown;
        tls?: string | boolean;
        /** Keys that hold secrets but are stored in plaintext in the stack's config file (set without --secret). */
        plaintextSecrets?: string[];
    };

export interface SettingsResult {
    settings: ClusterSettings;
    /** One line per problem, each naming its key; empty when valid. */
    problems: string[];
    /** Things that work but are probably not what the user wants. */
    warnings: string[];
}

export const REDIS_PORT = 6379;

const PRIVATE_RANGES = ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"].map((c) => new Netmask(c));

function key(name: string): string {
    return `${CONFIG_NAMESPACE}:${name}`;
}

/** What the program knows of the machine whose Docker engine runs the nodes (without `hosts`). */
export interface LocalMachine {
    /** Its CPU count: a `cpus` above it would fail only when a container is created. */
    cpus?: number;
    /** Its kernel's neighbour table limit (gc_thresh3), where readable: all nodes on one engine resolve each other. */
    neighbourEntries?: number;
}

/** Parses and checks raw settings; `defaultImage` applies when no image is configured. */
export function resolveSettings(raw: RawSettings, defaultImage: string = DEFAULT_IMAGE, machine: LocalMachine = {}): SettingsResult {
    const problems: string[] = [];
    const warnings: string[] = [];

    const integer = (name: Exclude<keyof ClusterSettings, "limits" | "persistence" | "redisConfig" | "metrics" | "prometheus"> | keyof RawTlsKeys, fallback: number, min: number, why: string): number => {
        const value = raw[name];
        if (value === undefined || value === "") {
            return fallback;
        }
        const n = typeof value === "number" ? value : Number(String(value).trim());
        if (!Number.isInteger(n)) {
            problems.push(`${key(name)} must be a whole number (got "${value}")`);
            return fallback;
        }
        if (n < min) {
            problems.push(`${key(name)} must be at least ${min} (got ${n}): ${why}`);
        }
        return n;
    };
    const boolean = (name: Exclude<keyof ClusterSettings, "limits" | "persistence" | "redisConfig" | "metrics" | "prometheus"> | "tls", fallback: boolean): boolean => {
        const value = raw[name];
        if (value === undefined || value === "") {
            return fallback;
        }
        if (typeof value === "boolean") {
            return value;
        }
        const text = String(value).trim().toLowerCase();
        if (text !== "true" && text !== "false") {
            problems.push(`${key(name)} must be true or false (got "${value}")`);
            return fallback;
        }
        return text === "true";
    };
    const text = (name: Exclude<keyof ClusterSettings, "limits" | "persistence" | "redisConfig" | "metrics" | "prometheus"> | keyof RawTlsKeys): string | undefined => {
        const value = raw[name];
        return value === undefined || value === "" ? undefined : String(value).trim();
    };

    const restoreMode = (text("restoreMode") ?? "empty") as RestoreMode;
    if (!(RESTORE_MODES as readonly string[]).includes(restoreMode)) {
        problems.push(`${key("restoreMode")} must be one of ${RESTORE_MODES.join(", ")} (got "${text("restoreMode")}")`);
    }

    const shards = integer("shards", DEFAULTS.shards, 3, "Redis Cluster needs at least three masters to agree on a failover");
    const replicasPerShard = integer("replicasPerShard", DEFAULTS.replicasPerShard, 0, "use 0 for a cluster without replicas");
    const nodeTimeoutMs = integer(
        "nodeTimeoutMs",
        DEFAULTS.nodeTimeoutMs,
        MIN_NODE_TIMEOUT_MS,
        "it is how long a node may be unreachable before it is failed over, and shorter pauses happen on any busy host",
    );
    const hostPortBase = integer("hostPortBase", DEFAULTS.hostPortBase, 0, "use 0 to publish no ports");
    const kept = resolvePersistence(raw, boolean("appendonly", DEFAULTS.appendonly), key);
    problems.push(...kept.problems);
    warnings.push(...kept.warnings);
    const appendonly = kept.persistence.appendonly;
    const extra = resolveRedisConfig(raw.redisConfig, key);
    problems.push(...extra.problems);
    const allowFullRestart = boolean("allowFullRestart", DEFAULTS.allowFullRestart);
    const allowDowngrade = boolean("allowDowngrade", DEFAULTS.allowDowngrade);
    const allowHostLossOutage = boolean("allowHostLossOutage", DEFAULTS.allowHostLossOutage);
    const nodeCount = shards * (replicasPerShard + 1);

    if (shards > SLOT_COUNT) {
        problems.push(`${key("shards")} ${shards} is more than the ${SLOT_COUNT} hash slots: every shard needs at least one slot`);
    }
    if (nodeCount > MAX_NODES) {
        problems.push(
            `${key("shards")} ${shards} x (1 + ${key("replicasPerShard")} ${replicasPerShard}) = ${nodeCount} nodes, ` +
                `more than the ${MAX_NODES} Redis Cluster is specified for; use fewer shards or replicas`,
        );
    }

    const neighbours = neighbourTableWarning(nodeCount, machine.neighbourEntries);
    if (neighbours !== undefined) warnings.push(neighbours);

    if (hostPortBase > 0 && hostPortBase + nodeCount - 1 > 65535) {
        problems.push(
            `${key("hostPortBase")} ${hostPortBase} leaves no room for ${nodeCount} host ports: ` +
                `the last would be ${hostPortBase + nodeCount - 1}, above 65535; use at most ${65536 - nodeCount}, or 0 to publish none`,
        );
    } else if (hostPortBase > 0 && hostPortBase < 1024) {
        warnings.push(`${key("hostPortBase")} ${hostPortBase} publishes privileged ports (below 1024)`);
    }

    const intervalText = text("healthcheckInterval") ?? DEFAULTS.healthcheckInterval;
    const healthcheckInterval = dockerInterval(intervalText) ?? DEFAULTS.healthcheckInterval;
    if (dockerInterval(intervalText) === undefined) {
        problems.push(`${key("healthcheckInterval")} "${intervalText}" is not an interval of whole seconds, minutes or hours from 1s to 24h, e.g. 10s, 90s, 5m or 1h`);
    }

    const namePrefix = text("namePrefix") ?? DEFAULTS.namePrefix;
    if (!/^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,39}$/.test(namePrefix)) {
        problems.push(
            `${key("namePrefix")} "${namePrefix}" is not a valid Docker name prefix: ` +
                `use 1-40 letters, digits, "_", "." or "-", starting with a letter or digit`,
        );
    }

    const image = text("image") ?? defaultImage;
    if (/\s/.test(image)) {
        problems.push(`${key("image")} "${image}" is not an image reference (it contains whitespace)`);
    } else {
        const version = redisVersionOf(image);
        if (version === undefined) {
            warnings.push(
                `${key("image")} "${image}" has no version in its tag: the stack cannot check that it runs Redis ` +
                    `${formatVersion(MIN_REDIS)} or newer, or that a change does not go back to an older Redis`,
            );
        } else if (isOlder(version, MIN_REDIS)) {
            problems.push(
                `${key("image")} "${image}" runs Redis ${formatVersion(version)}; this stack needs Redis ${formatVersion(MIN_REDIS)} or newer ` +
                    `(CLUSTER ADDSLOTSRANGE, ACL passwords per user, FUNCTION)`,
            );
        }
    }

    const password = raw.password === undefined || raw.password === "" ? undefined : String(raw.password);
    if (password !== undefined && !/^[\x21-\x7e]+$/.test(password)) {
        problems.push(`${key("password")} may hold only printable ASCII characters without spaces`);
    } else if (password !== undefined && /["'\\]/.test(password)) {
        problems.push(`${key("password")} may not contain quotes or backslashes (redis.conf cannot hold them safely)`);
    }

    for (const name of raw.plaintextSecrets ?? []) {
        const how = name === "users" ? `pulumi config set --path --secret '${key("users[0].password")}' '<password>' for each user` : `pulumi config set --secret ${key(name)} '<value>'`;
        problems.push(`${key(name)} is stored in plaintext in the stack's config file (it was set without --secret): set it again with ${how}`);
    }

    const access = resolveUsers(raw.users);
    problems.push(...access.problems);
    warnings.push(...access.warnings);
    const disableDefaultUser = boolean("disableDefaultUser", DEFAULTS.disableDefaultUser);
    if (disableDefaultUser && (access.users ?? []).length === 0) {
        problems.push(`${key("disableDefaultUser")} is true but ${key("users")} lists nobody: no client could log in; add a user first`);
    }
    if (!disableDefaultUser && password === undefined && (access.users ?? []).length > 0) {
        // The default user would stay `nopass` with every right: the users' rules would restrict nobody.
        problems.push(
            `${key("users")} lists users, but the default user has no password: any client logs in as default, with every right, so the users' rules ` +
                `restrict nobody. Set a password for it (pulumi config set --secret ${key("password")} '<password>'), or turn it off ` +
                `(pulumi config set ${key("disableDefaultUser")} true)`,
        );
    }
    if (disableDefaultUser && password !== undefined) {
        warnings.push(`${key("password")} is set but ${key("disableDefaultUser")} is true: the default user is off, so the password lets nobody in`);
    }

    let tls: TlsSettings | undefined;
    if (boolean("tls", DEFAULTS.tls)) {
        const validityDays = integer("tlsCertValidityDays", DEFAULTS.tlsCertValidityDays, 1, "a node certificate must be valid for at least a day");
        const renewBeforeDays = integer("tlsRenewBeforeDays", DEFAULTS.tlsRenewBeforeDays, 0, "use 0 to renew only expired certificates");
        const resolved = resolveTls({ caCert: text("tlsCaCert"), caKey: raw.tlsCaKey === undefined || raw.tlsCaKey === "" ? undefined : String(raw.tlsCaKey), validityDays, renewBeforeDays });
        problems.push(...resolved.problems);
        tls = resolved.tls;
    } else if (text("tlsCaCert") !== undefined) {
        warnings.push(`${key("tlsCaCert")} is set but ${key("tls")} is not true: the nodes serve plain TCP`);
    }

    const placement = resolveHosts(raw.hosts, nodeCount, hostPortBase, replicasPerShard);
    problems.push(...placement.problems);
    warnings.push(...placement.warnings);
    const plainTcp = plainTcpHosts(placement.hosts).map((h) => `"${h.name}" (${h.docker})`);
    if (plainTcp.length > 0) {
        const secrets = [password !== undefined && "the password", (access.users ?? []).length > 0 && "the users' passwords", tls !== undefined && "the nodes' TLS keys"].filter(Boolean);
        const how = `give each its certPath (a directory with ca.pem, cert.pem and key.pem, as for DOCKER_CERT_PATH), or use ssh://`;
        if (secrets.length > 0) {
            problems.push(`${key("hosts")}: ${plainTcp.join(", ")} would receive ${secrets.join(", ")} unencrypted over plain tcp://: ${how}`);
        } else {
            warnings.push(`${key("hosts")}: ${plainTcp.join(", ")} ${plainTcp.length === 1 ? "is" : "are"} reached over plain tcp://, unencrypted and unauthenticated: ${how}`);
        }
    }

    // With hosts, each may have other CPUs: Docker itself judges cpus there.
    const bounds = resolveLimits(raw, key, raw.hosts === undefined ? machine.cpus : undefined);
    problems.push(...bounds.problems);
    warnings.push(...bounds.warnings);

    const addressing = resolveAddresses(text("subnet") ?? DEFAULTS.subnet, text("gateway"), text("firstNodeIp"), nodeCount);
    problems.push(...addressing.problems);
    warnings.push(...addressing.warnings);

    const exporters = resolveMetrics(raw, { ...addressing, nodeCount, hosts: placement.hosts !== undefined, hostPortBase });
    problems.push(...exporters.problems);
    const server = resolvePrometheus(raw, exporters.metrics !== undefined);
    problems.push(...server.problems);
    if (server.prometheus && placement.hosts === undefined && hostPortBase > 0 && server.prometheus.port >= hostPortBase && server.prometheus.port <= hostPortBase + nodeCount - 1) {
        problems.push(`${key("prometheusPort")} ${server.prometheus.port} is one of the nodes' published ports (${key("hostPortBase")} ${hostPortBase} to ${hostPortBase + nodeCount - 1}): choose another`);
    }

    return {
        settings: {
            shards,
            replicasPerShard,
            subnet: addressing.subnet,
            gateway: addressing.gateway,
            firstNodeIp: addressing.firstNodeIp,
            image,
            nodeTimeoutMs,
            appendonly,
            persistence: kept.persistence,
            redisConfig: extra.directives,
            hostPortBase,
            namePrefix,
            healthcheckInterval,
            ...(text("restoreFrom") !== undefined ? { restoreFrom: text("restoreFrom") } : {}),
            restoreMode,
            allowFullRestart,
            allowDowngrade,
            allowHostLossOutage,
            hosts: placement.hosts,
            password,
            users: access.users,
            disableDefaultUser,
            tls,
            limits: bounds.limits,
            ...(exporters.metrics ? { metrics: exporters.metrics } : {}),
            ...(server.prometheus ? { prometheus: server.prometheus } : {}),
        },
        problems,
        warnings,
    };
}

function parseBlock(cidr: string): Netmask | undefined {
    if (!/^\d{1,3}(\.\d{1,3}){3}\/\d{1,2}$/.test(cidr)) {
        return undefined;
    }
    try {
        return new Netmask(cidr);
    } catch {
        return undefined;
    }
}

function isIpv4(ip: string): boolean {
    return /^\d{1,3}(\.\d{1,3}){3}$/.test(ip) && ip.split(".").every((o) => Number(o) <= 255);
}

function resolveAddresses(subnetText: string, gatewayText: string | undefined, firstText: string | undefined, nodeCount: number) {
    const problems: string[] = [];
    const warnings: string[] = [];
    const block = parseBlock(subnetText);
    if (!block) {
        problems.push(`${key("subnet")} "${subnetText}" is not an IPv4 CIDR block such as ${DEFAULTS.subnet}`);
        return { subnet: subnetText, gateway: gatewayText ?? "", firstNodeIp: firstText ?? "", problems, warnings };
    }
    const subnet = `${block.base}/${block.bitmask}`;
    if (subnet !== subnetText) {
        problems.push(`${key("subnet")} "${subnetText}" has host bits set; the network is ${subnet}`);
    }
    // Docker bridge networks need a gateway plus at least one container address.
    if (block.bitmask > 29) {
        problems.push(`${key("subnet")} ${subnet} is too small for a bridge network: use a /29 or larger`);
        return { subnet, gateway: gatewayText ?? "", firstNodeIp: firstText ?? "", problems, warnings };
    }
    if (!PRIVATE_RANGES.some((r) => r.contains(block))) {
        warnings.push(
            `${key("subnet")} ${subnet} is outside the private ranges (10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16): ` +
                `hosts on the internet with those addresses become unreachable from this machine`,
        );
    }

    const first = block.first;
    const gateway = gatewayText ?? first;
    // .11 when the nodes fit from there (where hand-made clusters, such as the one this project began from, start); in a smaller block, right after the gateway.
    const fitsFrom = (ip: string) => ipToInt(ip) + nodeCount - 1 <= ipToInt(block.last);
    const firstNodeIp = firstText ?? (block.size > 12 && fitsFrom(ipAdd(block.base, 11)) ? ipAdd(block.base, 11) : ipAdd(first, 1));

    const usable = (ip: string) => block.contains(ip) && ip !== block.base && ip !== block.broadcast;
    if (!isIpv4(gateway)) {
        problems.push(`${key("gateway")} "${gateway}" is not an IPv4 address`);
    } else if (!usable(gateway)) {
        problems.push(`${key("gateway")} ${gateway} is not a usable address in ${key("subnet")} ${subnet} (${block.first}-${block.last})`);
    }
    if (!isIpv4(firstNodeIp)) {
        problems.push(`${key("firstNodeIp")} "${firstNodeIp}" is not an IPv4 address`);
        return { subnet, gateway, firstNodeIp, problems, warnings };
    }
    if (!usable(firstNodeIp)) {
        problems.push(
            `${key("firstNodeIp")} ${firstNodeIp} is not a usable address in ${key("subnet")} ${subnet} (${block.first}-${block.last})`,
        );
        return { subnet, gateway, firstNodeIp, problems, warnings };
    }
    const lastNodeIp = ipAdd(firstNodeIp, nodeCount - 1);
    if (!usable(lastNodeIp) || ipToInt(lastNodeIp) < ipToInt(firstNodeIp)) {
        const room = ipToInt(block.last) - ipToInt(firstNodeIp) + 1;
        problems.push(
            `${key("subnet")} ${subnet} is too small: ${nodeCount} nodes starting at ${key("firstNodeIp")} ${firstNodeIp} ` +
                `need addresses up to ${lastNodeIp}, but only ${room} fit before ${block.last}; use a larger subnet or an earlier firstNodeIp`,
        );
    } else if (isIpv4(gateway) && ipToInt(gateway) >= ipToInt(firstNodeIp) && ipToInt(gateway) <= ipToInt(lastNodeIp)) {
        problems.push(
            `${key("gateway")} ${gateway} collides with the node addresses ${firstNodeIp}-${lastNodeIp}; ` +
                `move the gateway or ${key("firstNodeIp")}`,
        );
    }
    return { subnet, gateway, firstNodeIp, problems, warnings };
}

export function ipToInt(ip: string): number {
    return ip2long(ip);
}

export function ipAdd(ip: string, offset: number): string {
    return long2ip(ip2long(ip) + offset);
}
