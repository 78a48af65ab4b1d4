/**
 * Which config changes a running cluster must refuse, decided from the
 * deployed values and the new ones. Pure; the ChangeGuard resource applies it
 * before any other resource of the stack may change.
 */
import { createHash } from "crypto";
import { formatVersion, isDowngrade, redisVersionOf } from "./image";
import { CONFIG_NAMESPACE } from "./keys";

/** The settings whose change cannot roll one node at a time, or could lose data. */
export interface ClusterIdentity {
    namePrefix: string;
    subnet: string;
    gateway: string;
    firstNodeIp: string;
    image: string;
    /** The hosts, in order ("" without any); absent in state written before hosts existed. */
    hosts?: string;
    /** Names of the hosts that run nodes, comma-joined; absent in older state (then every listed host does). */
    hostsWithNodes?: string;
    /** Names of the hosts marked `replaced` (a new machine in a lost one's place), comma-joined; absent when none is. */
    replacedHosts?: string;
    /** Hosts on a machine after their first ("h2=1"; planning/replacement.ts), comma-joined; absent when none is. */
    hostGenerations?: string;
    /** With TLS: which CA signs the node certificates (tlsMode); absent: plain TCP. */
    tls?: string;
    /** Published ports: "<hostPortBase>x<node count>"; absent when nothing is published (and in older state). */
    ports?: string;
    /** The containers' memory limit ("512m"); absent without one (and in older state). */
    memory?: string;
}

/** The published ports an identity describes (node i: base + i - 1), or undefined. */
function portsOf(identity: ClusterIdentity): { base: number; count: number } | undefined {
    const m = /^(\d+)x(\d+)$/.exec(identity.ports ?? "");
    return m ? { base: Number(m[1]), count: Number(m[2]) } : undefined;
}

/**
 * Nodes whose new port is the old port of another node that still runs while they restart (one at a
 * time): `[node, its new port, the node holding it]`, 1-based. Empty when the ranges do not overlap.
 */
export function portCollisions(before: { base: number; count: number }, after: { base: number; count: number }): [number, number, number][] {
    const out: [number, number, number][] = [];
    for (let i = 1; i <= Math.min(before.count, after.count); i++) {
        const port = after.base + i - 1;
        const holder = port - before.base + 1;
        if (holder !== i && holder >= 1 && holder <= before.count) out.push([i, port, holder]);
    }
    return out;
}

/** How a cluster's nodes speak TLS, as the guard and the gates compare it: the CA's identity, or undefined for plain TCP. */
export function tlsMode(tls: { caCert?: string } | undefined): string | undefined {
    if (tls === undefined) return undefined;
    return tls.caCert === undefined ? "the stack's own CA" : `the CA ${createHash("sha256").update(tls.caCert.trim()).digest("hex").slice(0, 16)}`;
}

/** Settings that change the network or every node's address: all nodes go down together. */
const FULL_RESTART_KEYS = ["subnet", "gateway", "firstNodeIp"] as const;

const key = (name: string) => `${CONFIG_NAMESPACE}:${name}`;

/**
 * One line per refused change, each naming its key and the safe way to go on; empty when the
 * change may go ahead. `deployed` is undefined for a stack that has no cluster yet.
 */
export function refusedChanges(deployed: ClusterIdentity | undefined, next: ClusterIdentity, allowFullRestart: boolean, allowDowngrade = false): string[] {
    if (deployed === undefined) {
        return [];
    }
    const refused: string[] = [];
    if (deployed.namePrefix !== next.namePrefix) {
        refused.push(
            `${key("namePrefix")} changed from "${deployed.namePrefix}" to "${next.namePrefix}": that would delete every container, ` +
                `data volume and the network of the running cluster and start an empty one under the new names. ` +
                `Set it back (pulumi config set ${key("namePrefix")} ${deployed.namePrefix}); for an empty cluster under the new name, ` +
                `run pulumi destroy first (it deletes the data)`,
        );
    }
    const moved = FULL_RESTART_KEYS.filter((k) => deployed[k] !== next[k]);
    if (moved.length > 0 && !allowFullRestart) {
        refused.push(
            `${moved.map((k) => `${key(k)} changed from ${deployed[k]} to ${next[k]}`).join(", ")}: that replaces ` +
                (moved.includes("firstNodeIp") && moved.length === 1 ? "every node's address" : "the network") +
                `, so every node stops at the same time (the data stays on the volumes). ` +
                `Set it back, or allow the outage for this change with pulumi config set ${key("allowFullRestart")} true`,
        );
    }
    if ((deployed.tls ?? "off") !== (next.tls ?? "off") && !allowFullRestart) {
        const toggled = deployed.tls === undefined || next.tls === undefined;
        refused.push(
            (toggled
                ? `${key("tls")} changed from ${deployed.tls === undefined ? "false" : "true"} to ${next.tls === undefined ? "false" : "true"}: ` +
                  `a node with TLS on its cluster bus and one without cannot talk to each other, so TLS cannot be turned on or off one node at a time`
                : `${key("tlsCaCert")} changed from ${deployed.tls} to ${next.tls}: nodes that trust only the old CA refuse certificates the new one signed, ` +
                  `so the certificates cannot be replaced one node at a time`) +
                `. Set it back, or allow every node to restart at once for this change (the data stays on the volumes; clients must switch ` +
                `with it) with pulumi config set ${key("allowFullRestart")} true`,
        );
    }
    const hostsProblem = hostListProblem(deployed, next);
    if (hostsProblem !== undefined) refused.push(hostsProblem);
    const portsBefore = portsOf(deployed);
    const portsAfter = portsOf(next);
    if (portsBefore && portsAfter && portsBefore.base !== portsAfter.base) {
        const collisions = portCollisions(portsBefore, portsAfter);
        const clear = portsBefore.base + Math.max(portsBefore.count, portsAfter.count);
        if (collisions.length > 0) {
            const [node, port, holder] = collisions[0];
            refused.push(
                `${key("hostPortBase")} changed from ${portsBefore.base} to ${portsAfter.base}: the ranges overlap, so node ${node}'s new port ${port} ` +
                    `is held by node ${holder}, which keeps running while node ${node} restarts (${collisions.length} node(s) collide), and node ${node} could not start. ` +
                    `Set it back, or move to a range clear of the current one (${key("hostPortBase")} ${clear} or above, or ` +
                    `${Math.max(1, portsBefore.base - Math.max(portsBefore.count, portsAfter.count))} or below) in one up and from there to ${portsAfter.base} in another`,
            );
        } else if ((next.hosts ?? "") !== "" && !allowFullRestart) {
            refused.push(
                `${key("hostPortBase")} changed from ${portsBefore.base} to ${portsAfter.base}: with hosts, nodes announce and are reached at their ` +
                    `published ports, so every node's address changes and they cannot move one at a time. Set it back, or allow every node to ` +
                    `restart at once for this change (the data stays on the volumes) with pulumi config set ${key("allowFullRestart")} true`,
            );
        }
    }
    if (deployed.memory !== undefined && next.memory === undefined) {
        refused.push(
            `${key("memory")} removed (it was ${deployed.memory}): Docker cannot lift a running container's memory limit, and keeps the old one ` +
                `without saying so. Set it back, or to as much as the host can give (pulumi config set ${key("memory")} <size>)`,
        );
    }
    const from = redisVersionOf(deployed.image);
    const to = redisVersionOf(next.image);
    if (from !== undefined && to !== undefined && isDowngrade(from, to) && !allowDowngrade) {
        refused.push(
            `${key("image")} changed from ${deployed.image} (Redis ${formatVersion(from)}) to ${next.image} (Redis ${formatVersion(to)}): ` +
                `an older Redis may not load the data files the newer one wrote. Set it back, or use an image of ` +
                `Redis ${from[0]}.${from[1]} or newer. Only if no node runs ${deployed.image} (an up that failed before ` +
                `it rolled out): pulumi config set ${key("allowDowngrade")} true for this up`,
        );
    }
    return refused;
}

/**
 * Hosts that run nodes keep their entries (name, docker endpoint, address) and their order: their nodes'
 * data stays on them. Entries of hosts that run none may be corrected or removed, and hosts added. An
 * entry marked replaced may point at a new machine (same name, same place in the list): its nodes are
 * made again there.
 */
function hostListProblem(deployed: ClusterIdentity, next: ClusterIdentity): string | undefined {
    const entries = (list: string | undefined) => (list ?? "").split(",").filter(Boolean);
    const before = entries(deployed.hosts);
    const after = entries(next.hosts);
    const nameOf = (entry: string) => entry.split("=")[0];
    const replaced = new Set(entries(next.replacedHosts));
    const withNodes = deployed.hostsWithNodes === undefined ? new Set(before.map(nameOf)) : new Set(entries(deployed.hostsWithNodes));
    // A replaced host's entry is compared by its name alone: its endpoint and address may change.
    const comparable = (e: string) => (replaced.has(nameOf(e)) ? nameOf(e) : e);
    const kept = before.filter((e) => withNodes.has(nameOf(e))).map(comparable);
    // From one local engine to hosts (or back) would recreate every node elsewhere.
    const engineChange = (before.length === 0) !== (after.length === 0);
    const afterComparable = after.map(comparable);
    if (!engineChange && afterComparable.filter((e) => kept.includes(e)).join(",") === kept.join(",")) return undefined;
    const changed = kept.filter((e) => !afterComparable.includes(e)).map(nameOf);
    return (
        `${key("hosts")} changed ${engineChange ? "between one local engine and several hosts" : `a host that runs nodes (${changed.join(", ") || "their order"})`}: ` +
        `removing, reordering or changing such a host (its docker endpoint or address) would move or re-address running nodes, whose data stays on their host. ` +
        `Set those entries back; entries of hosts that run no node may be corrected or removed, and new hosts added. A host whose machine is gone for ` +
        `good may point at a new machine under the same name when its entry says so (${key("hosts")}[i].replaced true). To spread the cluster ` +
        `differently, run pulumi destroy and up (it deletes the data)`
    );
}
