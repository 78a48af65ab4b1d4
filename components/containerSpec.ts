/**
 * One node's container definition, built in one place, and the fingerprint
 * its rollout gate compares. The docker provider recreates a container when
 * any of `recreating` changes, and updates `inPlace` without a restart; the
 * fingerprint covers exactly `recreating`, so whatever input causes a
 * recreation (image, redis.conf, ports, healthcheck, network, ...) goes
 * through the gates, one node at a time.
 */
import { createHash } from "crypto";
import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { NodePlan } from "./planning/plan";
import { CONFIG_PATH, LIVE_CONFIG_PATH, liveConfigScript } from "./planning/redisConf";
import { keepNothingStartScript } from "./planning/persistence";
import { ACL_FILE } from "./planning/access";
import { RESERVED_USERS } from "./planning/users";
import { CA_CERT_PATH, NODE_CERT_PATH, NODE_KEY_PATH, REDIS_CLI_TLS_ARGS } from "./planning/tls";
import { REDIS_PORT } from "./planning/settings";
import { DockerLabel } from "./labels";

export interface ContainerInputs {
    node: NodePlan;
    /** Image reference from the config: a newer image under the same tag does not recreate anything. */
    image: string;
    networkName: pulumi.Input<string>;
    volumeName: string;
    /** The node's redis.conf; a secret when it holds the password. */
    redisConf: pulumi.Input<string>;
    /** In ACL mode: the stack's own users as aclfile lines (internalAclLines), a secret. */
    internalUsers?: pulumi.Input<string>;
    /** With TLS: the CA certificate, the node's certificate and its key (a secret), PEM. */
    tls?: { caCert: pulumi.Input<string>; cert: pulumi.Input<string>; key: pulumi.Input<string> };
    labels: DockerLabel[];
    /**
     * The engine sets directives at run time (limits.ts, runtimeDirectives): the node then runs from a
     * config on its volume that keeps them (redisConf.ts, LIVE_CONFIG_PATH). False: as before they existed.
     */
    liveConfig?: boolean;
    /** `persistence: none`: the start script drops stale snapshots and lets a replica take over first (keepNothingStartScript). */
    keepsNothing?: boolean;
    /** How often Docker checks the node's health (settings.ts); undefined: every 10 s. */
    healthcheckInterval?: string;
    /** The container's net.core.somaxconn (redisConfig.ts, somaxconnFor); undefined: the kernel's default. */
    somaxconn?: string;
    /** The container's memory limit in bytes (whole MiB) and CPU quota; undefined: none. */
    memoryBytes?: number;
    cpus?: string;
}

/**
 * Docker's view of the node, for `docker ps` and the user's own tools: alive also while loading its
 * data set from a large AOF, or when a password is set. Nothing of the stack waits on it (the
 * engine asks Redis itself), so it is checked every 10 s: every check is a `docker exec`, and at
 * 1 s a dozen nodes kept a 2-core machine's CPUs busy with them alone.
 */
export function healthcheck(tls: boolean, interval = "10s") {
    const cli = ["redis-cli", ...(tls ? REDIS_CLI_TLS_ARGS : []), "-p", String(REDIS_PORT)].join(" ");
    return {
        tests: ["CMD-SHELL", `${cli} ping | grep -qE 'PONG|NOAUTH|LOADING'`],
        interval,
        timeout: "5s",
        retries: 3,
    };
}

/**
 * Docker's stop timeout before it kills the container. Redis needs it to finish its shutdown:
 * the final AOF fsync and the RDB save that a node without AOF keeps its data in.
 */
export const STOP_GRACE_SECONDS = 60;

/** Where the stack's own users are uploaded; the start command puts them into the aclfile. */
export const INTERNAL_USERS_PATH = "/usr/local/etc/redis/internal-users.acl";

/**
 * In ACL mode the node starts from its aclfile on the volume, which must exist (Redis aborts without
 * it). The stack's own users always come from the container definition (a change rolls like any
 * other); the named users the engine saved to the file stay, so a restarted or replaced node serves
 * them from its first second. With `liveConfig`, it runs from the config on its volume that keeps
 * what the engine set at run time (liveConfigScript). Without persistence, it keeps no stale snapshot
 * and lets a replica take over first (keepNothingStartScript). The official image's entrypoint then
 * drops root; ours runs as redis.
 */
export interface StartOptions {
    acl?: boolean;
    liveConfig?: boolean;
    keepsNothing?: boolean;
}

export function startScript(o: StartOptions): string {
    const own = RESERVED_USERS.map((u) => `-e '^user ${u} '`).join(" ");
    const config = o.liveConfig ? LIVE_CONFIG_PATH : CONFIG_PATH;
    return [
        "set -e",
        ...(o.acl ? [`: >> ${ACL_FILE}`, `grep -v ${own} ${ACL_FILE} > /tmp/named-users.acl || true`, `cat ${INTERNAL_USERS_PATH} /tmp/named-users.acl > ${ACL_FILE}`] : []),
        ...(o.liveConfig ? liveConfigScript() : []),
        ...(o.keepsNothing ? keepNothingStartScript(config) : []),
        `if command -v docker-entrypoint.sh >/dev/null; then exec docker-entrypoint.sh redis-server ${config}; fi`,
        `exec redis-server ${config}`,
    ].join("\n");
}

/** The ACL mode's start script as it has been since ACL mode exists (existing containers keep it). */
export const aclStartScript = () => startScript({ acl: true });

/** Redis straight from the rendered redis.conf where nothing needs a script: the command stacks had from the start. */
function startCommand(o: StartOptions): string[] {
    return o.acl || o.liveConfig || o.keepsNothing ? ["sh", "-c", startScript(o)] : ["redis-server", CONFIG_PATH];
}

export interface ContainerDefinition {
    /** Inputs the docker provider can only apply by recreating the container. */
    recreating: docker.ContainerArgs;
    /** Inputs it updates in place (or ignores on existing containers). */
    inPlace: Partial<docker.ContainerArgs>;
}

export function containerDefinition(i: ContainerInputs): ContainerDefinition {
    const { node } = i;
    return {
        recreating: {
            name: node.name,
            hostname: node.name,
            image: i.image,
            command: startCommand({ acl: i.internalUsers !== undefined, liveConfig: i.liveConfig, keepsNothing: i.keepsNothing }),
            uploads: [
                { file: CONFIG_PATH, content: i.redisConf },
                ...(i.internalUsers === undefined ? [] : [{ file: INTERNAL_USERS_PATH, content: i.internalUsers }]),
                // Uploaded, not on the volume: a renewed certificate comes with the container that uses it.
                ...(i.tls === undefined
                    ? []
                    : [
                          { file: CA_CERT_PATH, content: i.tls.caCert },
                          { file: NODE_CERT_PATH, content: i.tls.cert },
                          { file: NODE_KEY_PATH, content: i.tls.key },
                      ]),
            ],
            volumes: [{ volumeName: i.volumeName, containerPath: "/data" }],
            networksAdvanced: [{ name: i.networkName, ipv4Address: node.ip, aliases: [node.name] }],
            ports: node.published.map((p) => ({ internal: p.internal, external: p.external, ip: p.ip, protocol: "tcp" })),
            healthcheck: healthcheck(i.tls !== undefined, i.healthcheckInterval),
            // Docker applies a new CPU quota only to a new container: a change rolls.
            ...(i.cpus === undefined ? {} : { cpus: i.cpus }),
            // Docker sets a namespaced sysctl only as it creates the container: a change rolls.
            ...(i.somaxconn === undefined ? {} : { sysctls: { "net.core.somaxconn": i.somaxconn } }),
        },
        inPlace: {
            restart: "unless-stopped",
            destroyGraceSeconds: STOP_GRACE_SECONDS,
            // The gates and the bootstrap wait for the node themselves (PING, data loaded), with
            // deadlines that fit a large data set; Docker's healthcheck window would not.
            wait: false,
            // Ignored on existing containers (see RedisNode): they are found by these, never recreated for them.
            labels: i.labels,
            // Updated on the running container (docker update). No swap beyond it: a Redis that swaps
            // answers too slowly to stay in the cluster, so it is better stopped at the limit.
            ...(i.memoryBytes === undefined ? {} : { memory: i.memoryBytes / 1024 ** 2, memorySwap: i.memoryBytes / 1024 ** 2 }),
        },
    };
}

/**
 * A hash of everything that recreates the container. Secret inputs (the password in redis.conf)
 * keep the result secret, so it is stored encrypted like them.
 */
export function containerRevision(recreating: docker.ContainerArgs): pulumi.Output<string> {
    return pulumi.output(recreating).apply((plain) => createHash("sha256").update(stableJson(plain)).digest("hex"));
}

/**
 * One digest of every node's container, both parts, in the order given, and of `also` (settings of other
 * containers beside the nodes): it changes with anything that restarts a node or changes its container in
 * place (planning/hostDown.ts).
 */
export function nodesDigest(nodes: { name: string; recreating: docker.ContainerArgs; inPlace: Partial<docker.ContainerArgs> }[], also: unknown = {}): pulumi.Output<string> {
    return pulumi.output({ nodes, also }).apply((plain) => createHash("sha256").update(stableJson(plain)).digest("hex"));
}

/** JSON with object keys sorted, so equal definitions hash equally whatever order built them. */
export function stableJson(value: unknown): string {
    if (Array.isArray(value)) {
        return `[${value.map(stableJson).join(",")}]`;
    }
    if (value !== null && typeof value === "object") {
        const entries = Object.entries(value as Record<string, unknown>)
            .filter(([, v]) => v !== undefined)
            .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
        return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${stableJson(v)}`).join(",")}}`;
    }
    return JSON.stringify(value);
}
