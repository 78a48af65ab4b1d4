/** Renders one node's redis.conf. Pure. */
import { ClusterSettings, REDIS_PORT } from "./settings";
import { NodePlan } from "./plan";
import { ACL_FILE, NodeAccess } from "./access";
import { REPLICATION_USER } from "./users";
import { tlsConfLines } from "./tls";

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
        `appendonly ${s.appendonly ? "yes" : "no"}`,
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
    return lines.join("\n") + "\n";
}
