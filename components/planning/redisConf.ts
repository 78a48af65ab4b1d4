/** Renders one node's redis.conf. Pure. */
import { ClusterSettings, REDIS_PORT } from "./settings";
import { NodePlan } from "./plan";
import { ACL_FILE, NodeAccess } from "./access";
import { REPLICATION_USER } from "./users";
import { tlsConfLines } from "./tls";
import { persistenceLines } from "./persistence";
import { STACK_OWNED_DIRECTIVES, STACK_OWNED_PREFIXES, redisConfigLines } from "./redisConfig";

/** Where the rendered file is placed inside the container. */
export const CONFIG_PATH = "/usr/local/etc/redis/redis.conf";

/** `access`: the settings' password, and in ACL mode the stack's own users. */
export function renderRedisConf(node: NodePlan, s: ClusterSettings, access: NodeAccess = { password: s.password }): string {
    const lines = [
        `# ${node.name}: rendered by the redis-cluster Pulumi stack; edit the stack config, not this file.`,
        ...(s.tls ? tlsConfLines(REDIS_PORT) : [`port ${REDIS_PORT}`]),
        `bind 0.0.0.0`,
        // Access is governed by the password (if any) and the private network, not by protected mode,
        // which would also refuse replication and MIGRATE between nodes without a password.
        `protected-mode no`,
        `dir /data`,
        `cluster-enabled yes`,
        `cluster-config-file nodes.conf`,
        `cluster-node-timeout ${s.nodeTimeoutMs}`,
        // Announce where peers and clients reach the node (its static address, or its host's address and
        // published ports), so they never learn a NATed or loopback one.
        `cluster-announce-ip ${node.announce.ip}`,
        `cluster-announce-port ${node.announce.port}`,
        `cluster-announce-bus-port ${node.announce.busPort}`,
        ...persistenceLines(s.persistence),
        // A replica that never finished its first sync cannot be failed over; start that sync at once.
        `repl-diskless-sync-delay 0`,
    ];
    if (access.internal) {
        // Users live in the aclfile on the volume (Redis refuses user lines here beside one); the default
        // user's password is there too. Replicas log in as the replication user, masters included for
        // after a failover.
        lines.push(`aclfile ${ACL_FILE}`, `masteruser ${REPLICATION_USER}`, `masterauth "${access.internal.replicationPassword}"`);
    } else if (access.password !== undefined) {
        // masterauth on masters too: after a failover they become replicas and must authenticate.
        lines.push(`requirepass "${access.password}"`, `masterauth "${access.password}"`);
    }
    // Last: a user's directive cannot displace one the stack owns (resolveRedisConfig refuses those).
    lines.push(...redisConfigLines(s.redisConfig));
    return lines.join("\n") + "\n";
}

/**
 * Where a node runs its config from while the stack sets directives at run time (limits.ts,
 * runtimeDirectives): on the volume, writable by Redis, so CONFIG REWRITE keeps what the engine set
 * through a restart, and the next container finds it too. Built at each start from the rendered
 * redis.conf plus the directives a rewrite left there (liveConfigScript).
 */
export const LIVE_CONFIG_PATH = "/data/redis-live.conf";

/**
 * Shell lines that (re)build LIVE_CONFIG_PATH from `base` (the rendered redis.conf) followed by the
 * directives an earlier CONFIG REWRITE left in the live file that neither redis.conf nor the stack owns:
 * Redis takes a directive's last value, so what the engine set survives a restart, and nothing the
 * stack decides can be overridden by an old copy of it.
 */
export function liveConfigScript(base: string = CONFIG_PATH, live: string = LIVE_CONFIG_PATH): string[] {
    const owned = `^(${STACK_OWNED_DIRECTIVES.join("|")})$`;
    const families = `^(${STACK_OWNED_PREFIXES.join("|")})`;
    const program =
        `NR == FNR { if (NF && $1 !~ /^#/) base[tolower($1)] = 1; print; next } ` +
        `{ d = tolower($1) } ` +
        `NF == 0 || d ~ /^#/ || (d in base) || d ~ /${owned}/ || d ~ /${families}/ { next } ` +
        `{ print }`;
    return [`[ -f ${live} ] || : > ${live}`, `awk '${program}' ${base} ${live} > ${live}.new`, `mv ${live}.new ${live}`];
}
