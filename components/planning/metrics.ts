/**
 * Metrics: one redis_exporter next to every node. Pure: the settings, where each exporter sits and
 * is scraped, the command line it runs, and the read-only user it logs in as.
 *
 * An exporter is a container of its own on the node's network (never inside the node's container),
 * so turning metrics on or off, or changing an exporter, restarts no Redis node. The top addresses
 * of the subnet are kept for the monitoring services (Prometheus, Alertmanager); exporters take the
 * ones below them downwards while nodes take theirs from firstNodeIp upwards: a scale-out moves the
 * two ranges towards each other, and the settings refuse a meeting.
 */
import { Netmask, ip2long, long2ip } from "netmask";
import { CONFIG_NAMESPACE } from "./keys";
import { METRICS_USER, UserSpec } from "./users";

export { METRICS_USER } from "./users";

/** The official image a stack's exporters run when redis-cluster:exporterImage is not set (Pulumi.yaml says the same). */
export const DEFAULT_EXPORTER_IMAGE = "oliver006/redis_exporter:v1.45.0";
/** redis_exporter's own port, in its container. */
export const EXPORTER_PORT = 9121;
/** With `hosts`: exporter i is published on its host's address at exporterPortBase + i - 1. */
export const DEFAULT_EXPORTER_PORT_BASE = 9121;
/**
 * What redis_exporter reads, and nothing else: INFO (memory, replication, clients, keyspace...),
 * CLUSTER INFO/NODES, the slow log and latency. No CONFIG GET: it would show masterauth and
 * requirepass, and INFO already carries maxmemory. No key may be read.
 */
export const METRICS_RULES = ["resetkeys", "resetchannels", "-@all", "+info", "+ping", "+cluster|info", "+cluster|nodes", "+slowlog|len", "+slowlog|get", "+latency|latest", "+client|setname"];
/** Where the exporter finds its password: a JSON map of the node's URI to it, redis_exporter's --redis.password-file. */
export const EXPORTER_PASSWORD_FILE = "/etc/redis-exporter/passwords.json";
/** Where the exporter finds the CA that signed the node's certificate (TLS). */
export const EXPORTER_CA_FILE = "/etc/redis-exporter/ca.crt";

export interface MetricsSettings {
    exporterImage: string;
    /** With `hosts` only: the first host port exporters are published on. */
    exporterPortBase: number;
}

export interface RawMetrics {
    metrics?: string | boolean;
    exporterImage?: string;
    exporterPortBase?: string | number;
}

/** Where one node's exporter sits and is scraped. */
export interface ExporterPlan {
    /** The container's name: the node's, with "-exporter". */
    name: string;
    /** The node it exports, by container name. */
    node: string;
    /** Its address on the node's network. */
    ip: string;
    /** How it reaches the node: the node's own address on their network, redis:// or rediss://. */
    redisUri: string;
    /** With `hosts`: the port published on the host's address. */
    published?: { ip: string; external: number; internal: number };
    /** host:port a Prometheus scrapes (the exporter's address, or its host's and published port). */
    target: string;
    /** Prometheus labels for the target: node, and host with `hosts` (the shard is added from the live cluster: targetLabels). */
    labels: Record<string, string>;
}

/** The nodes as the exporter plan needs them (a subset of planning/plan's NodePlan). */
export interface ExportedNode {
    index: number;
    name: string;
    ip: string;
    port: number;
    host?: { name: string; address: string };
}

/** Addresses at the top of the subnet kept for the monitoring services: Prometheus at the last, Alertmanager below it. */
export const MONITORING_ADDRESSES = 2;

/** The k-th (0-based) monitoring service's address: from the last usable one down. */
export function monitoringIp(subnet: string, k: number): string {
    return long2ip(ip2long(new Netmask(subnet).last) - k);
}

/** Exporter i's address: the i-th usable one below the monitoring services'. */
export function exporterIp(subnet: string, index: number): string {
    return monitoringIp(subnet, MONITORING_ADDRESSES + index - 1);
}

/** Every node's exporter. */
export function planExporters(nodes: ExportedNode[], subnet: string, metrics: MetricsSettings, tls: boolean): ExporterPlan[] {
    return nodes.map((n): ExporterPlan => {
        const ip = exporterIp(subnet, n.index);
        const published = n.host ? { ip: n.host.address, external: metrics.exporterPortBase + n.index - 1, internal: EXPORTER_PORT } : undefined;
        return {
            name: `${n.name}-exporter`,
            node: n.name,
            ip,
            redisUri: `${tls ? "rediss" : "redis"}://${n.ip}:${n.port}`,
            ...(published ? { published } : {}),
            target: published ? `${published.ip}:${published.external}` : `${ip}:${EXPORTER_PORT}`,
            labels: { node: n.name, ...(n.host ? { host: n.host.name } : {}) },
        };
    });
}

/**
 * Which shard each node is in, from the live cluster's shards in slot order (the bootstrap's output):
 * shard k (1-based) is the k-th. A failover keeps a node's shard; a reshape may change it, and the
 * next up's scrape config follows.
 */
export function shardOfNodes(shards: { master: { name: string }; replicas: { name: string }[] }[]): Record<string, string> {
    return Object.fromEntries(shards.flatMap((s, k) => [s.master, ...s.replicas].map((n) => [n.name, String(k + 1)])));
}

/** A target's labels with its node's shard, when the live cluster placed it in one. */
export function targetLabels(e: ExporterPlan, shardOf: Record<string, string>): Record<string, string> {
    return shardOf[e.node] === undefined ? e.labels : { ...e.labels, shard: shardOf[e.node] };
}

/** How the exporter logs in: a user (ACL mode) or the default user's password, or not at all. */
export interface ExporterLogin {
    username?: string;
    password?: string;
}

/** The exporter's arguments (the image's entrypoint is redis_exporter). */
export function exporterArgs(e: ExporterPlan, login: ExporterLogin, tls: boolean): string[] {
    return [
        `--redis.addr=${e.redisUri}`,
        ...(login.username ? [`--redis.user=${login.username}`] : []),
        // A file, not --redis.password: arguments show in docker inspect and ps.
        ...(login.password !== undefined ? [`--redis.password-file=${EXPORTER_PASSWORD_FILE}`] : []),
        ...(tls ? [`--tls-ca-cert-file=${EXPORTER_CA_FILE}`] : []),
        `--web.listen-address=:${EXPORTER_PORT}`,
        // Go runtime and process metrics of the exporter itself: noise next to the node's.
        "--redis-only-metrics",
    ];
}

/** The password file's content: redis_exporter's map of node URI to password. */
export function passwordFile(e: ExporterPlan, password: string): string {
    return JSON.stringify({ [e.redisUri]: password }) + "\n";
}

/** The read-only user, as the engine sets it on every node next to the named users. */
export function metricsUser(password: string): UserSpec {
    return { name: METRICS_USER, password, rules: METRICS_RULES.join(" ") };
}

/**
 * Parses and checks the metrics keys. `nodeCount` and the node addresses (firstNodeIp upwards) are
 * the settings' own; a subnet too small for an exporter beside every node is refused here, before
 * anything is created.
 */
export function resolveMetrics(
    raw: RawMetrics,
    cluster: { subnet: string; gateway: string; firstNodeIp: string; nodeCount: number; hosts: boolean; hostPortBase: number },
    defaultImage: string = DEFAULT_EXPORTER_IMAGE,
): { metrics?: MetricsSettings; problems: string[] } {
    const problems: string[] = [];
    const key = (name: string) => `${CONFIG_NAMESPACE}:${name}`;
    const on = raw.metrics === undefined || raw.metrics === "" ? false : String(raw.metrics).trim().toLowerCase();
    if (on !== false && on !== "true" && on !== "false") {
        problems.push(`${key("metrics")} must be true or false (got "${raw.metrics}")`);
        return { problems };
    }
    if (on !== "true") return { problems };
    const exporterImage = raw.exporterImage === undefined || String(raw.exporterImage).trim() === "" ? defaultImage : String(raw.exporterImage).trim();
    if (/\s/.test(exporterImage)) problems.push(`${key("exporterImage")} "${exporterImage}" is not an image reference (it contains whitespace)`);
    let exporterPortBase = DEFAULT_EXPORTER_PORT_BASE;
    if (raw.exporterPortBase !== undefined && raw.exporterPortBase !== "") {
        const n = Number(String(raw.exporterPortBase).trim());
        if (!Number.isInteger(n) || n < 1 || n + cluster.nodeCount - 1 > 65535) {
            problems.push(`${key("exporterPortBase")} must be a port from 1 to ${65536 - cluster.nodeCount} (room for ${cluster.nodeCount} exporters; got "${raw.exporterPortBase}")`);
        } else {
            exporterPortBase = n;
        }
    }
    if (cluster.hosts && problems.length === 0) {
        // Nodes publish their client ports and, 10000 above, their bus ports on the same addresses.
        const overlaps = (base: number) => exporterPortBase <= base + cluster.nodeCount - 1 && base <= exporterPortBase + cluster.nodeCount - 1;
        if (overlaps(cluster.hostPortBase) || overlaps(cluster.hostPortBase + 10000)) {
            problems.push(
                `${key("exporterPortBase")} ${exporterPortBase} publishes exporters on ports the nodes publish (${key("hostPortBase")} ${cluster.hostPortBase}, ` +
                    `and 10000 above for the bus): choose a range clear of both`,
            );
        }
    }
    let block: Netmask | undefined;
    try {
        block = new Netmask(cluster.subnet);
    } catch {
        // The subnet's own problem is reported by the settings.
    }
    if (block) {
        const lowestExporter = ip2long(block.last) - MONITORING_ADDRESSES - (cluster.nodeCount - 1);
        const lastNode = ip2long(cluster.firstNodeIp) + cluster.nodeCount - 1;
        const gateway = ip2long(cluster.gateway);
        if (lowestExporter <= lastNode || (gateway >= lowestExporter && gateway <= ip2long(block.last))) {
            problems.push(
                `${key("metrics")}: ${key("subnet")} ${cluster.subnet} has no room for an exporter beside each of the ${cluster.nodeCount} nodes ` +
                    `(exporters take addresses from ${long2ip(ip2long(block.last) - MONITORING_ADDRESSES)} down, below ${MONITORING_ADDRESSES} kept for Prometheus and Alertmanager, nodes from ${cluster.firstNodeIp} up, and neither may take the gateway ${cluster.gateway}): ` +
                    `use a larger subnet`,
            );
        }
    }
    return { metrics: { exporterImage, exporterPortBase }, problems };
}
