/**
 * Turns settings into the cluster's plan: every node's name, address, port
 * and volume, and which nodes form which shard with which slots. Pure.
 */
import { BUS_PORT_OFFSET, HostSpec } from "./hosts";
import { generationSuffix } from "./replacement";
import { placeNodes, shardMembers } from "./placement";
import { ClusterSettings, REDIS_PORT, ipAdd } from "./settings";
import { SlotRange, formatRange, splitSlots } from "./slots";

/** Where a node is reached, by clients and by the other nodes: what its redis.conf announces. */
export interface Announce {
    ip: string;
    port: number;
    busPort: number;
}

/** A port Docker publishes for the node: `internal` in the container on `ip:external` of its host. */
export interface PublishedPort {
    internal: number;
    external: number;
    ip: string;
}

export interface NodePlan {
    /** 1-based position; node i has the i-th address and host port. */
    index: number;
    name: string;
    ip: string;
    port: number;
    /** Port on 127.0.0.1 that reaches this node, if published (one local engine only). */
    hostPort?: number;
    volumeName: string;
    /** The host the node runs on, with `hosts`; undefined on the one local engine. */
    host?: HostSpec;
    announce: Announce;
    published: PublishedPort[];
}

export interface ShardPlan {
    index: number;
    master: string;
    replicas: string[];
    slots: SlotRange[];
}

export interface ClusterPlan {
    /** With `hosts`: the Docker hosts, each with its own network, image and nodes. */
    hosts?: HostSpec[];
    replicasPerShard: number;
    nodeTimeoutMs: number;
    networkName: string;
    subnet: string;
    gateway: string;
    nodes: NodePlan[];
    shards: ShardPlan[];
}

export function containerName(prefix: string, index: number): string {
    return `${prefix}-${index}`;
}

/** `generation`: of the node's host's machine (planning/replacement.ts); a new machine's volumes get new names. */
export function volumeName(prefix: string, index: number, generation?: number): string {
    return `${prefix}-${index}-data${generationSuffix(generation)}`;
}

export function networkName(prefix: string): string {
    return `${prefix}-net`;
}

/**
 * Nodes 1..shards start as masters, in slot order; the rest are replicas. On one engine a shard's
 * replicas are consecutive so the picture stays easy to read, and every node announces its
 * container address. With `hosts`, a deployed node stays on its host and a new one is placed
 * (planning/placement: round-robin on a new cluster); node i publishes its client port
 * hostPortBase+i-1 and bus port (+10000) on its host's address and announces those, and shards
 * are formed so that no two members share a host.
 */
export function planCluster(s: ClusterSettings): ClusterPlan {
    const count = s.shards * (s.replicasPerShard + 1);
    const nodes: NodePlan[] = [];
    const hostIndex = s.hosts ? hostPositions(s, count) : [];
    for (let i = 1; i <= count; i++) {
        const ip = ipAdd(s.firstNodeIp, i - 1);
        const host = s.hosts?.[hostIndex[i - 1]];
        const base = { index: i, name: containerName(s.namePrefix, i), ip, port: REDIS_PORT, volumeName: volumeName(s.namePrefix, i, host && s.machineGenerations?.[host.name]) };
        if (host) {
            const port = s.hostPortBase + i - 1;
            const busPort = port + BUS_PORT_OFFSET;
            nodes.push({
                ...base,
                host,
                announce: { ip: host.address, port, busPort },
                published: [
                    { internal: REDIS_PORT, external: port, ip: host.address },
                    { internal: REDIS_PORT + BUS_PORT_OFFSET, external: busPort, ip: host.address },
                ],
            });
        } else {
            const hostPort = s.hostPortBase > 0 ? s.hostPortBase + i - 1 : undefined;
            nodes.push({
                ...base,
                hostPort,
                announce: { ip, port: REDIS_PORT, busPort: REDIS_PORT + BUS_PORT_OFFSET },
                published: hostPort === undefined ? [] : [{ internal: REDIS_PORT, external: hostPort, ip: "127.0.0.1" }],
            });
        }
    }
    const slots = splitSlots(s.shards);
    const members = s.hosts
        ? shardMembers(s.shards, s.replicasPerShard, hostIndex).map((m) => m.replicas.map((i) => nodes[i - 1]))
        : slots.map((_, k) => nodes.slice(s.shards + k * s.replicasPerShard, s.shards + (k + 1) * s.replicasPerShard));
    const shards: ShardPlan[] = slots.map((range, k) => ({
        index: k + 1,
        master: nodes[k].name,
        replicas: members[k].map((n) => n.name),
        slots: [range],
    }));
    return {
        hosts: s.hosts,
        replicasPerShard: s.replicasPerShard,
        nodeTimeoutMs: s.nodeTimeoutMs,
        networkName: networkName(s.namePrefix),
        subnet: s.subnet,
        gateway: s.gateway,
        nodes,
        shards,
    };
}

/**
 * Each node's host position: deployed nodes where they run (`deployed`), new ones placed. A host being
 * drained takes no node: its nodes are placed anew on the others, as if new, where their shards lack one.
 */
function hostPositions(s: ClusterSettings, count: number): number[] {
    const hosts = s.hosts!;
    const active = hosts.flatMap((h, i) => (h.drain ? [] : [i]));
    const position = (host: string | undefined) => {
        const at = active.findIndex((i) => hosts[i].name === host);
        return at >= 0 ? at : undefined;
    };
    const deployed = s.deployed && {
        hostOf: Array.from({ length: count }, (_, i) => position(s.deployed!.placement[containerName(s.namePrefix, i + 1)])),
        shards: s.deployed.shards.map((members) => members.map(position).filter((h): h is number => h !== undefined)),
    };
    return placeNodes(count, active.length, s.replicasPerShard, deployed).map((p) => active[p]);
}

/**
 * The cluster the engine must reach, built once from the plan: every node's address, each
 * shard's planned master, replicas and slot ranges ("a-b", as previews and outputs show them),
 * the replica count and the node timeout. Plain data: it travels through Pulumi state.
 */
export interface ClusterLayout {
    /** Every node's announced endpoint; the bus port only where it is not port + 10000 by container. */
    nodes: { name: string; ip: string; port: number; busPort?: number; host?: string }[];
    shards: { master: string; replicas: string[]; slots: string[] }[];
    replicasPerShard: number;
    nodeTimeoutMs: number;
}

export function clusterLayout(plan: ClusterPlan): ClusterLayout {
    return {
        nodes: plan.nodes.map((n) =>
            n.host === undefined
                ? { name: n.name, ip: n.ip, port: n.port }
                : { name: n.name, ip: n.announce.ip, port: n.announce.port, busPort: n.announce.busPort, host: n.host.name },
        ),
        shards: plan.shards.map((s) => ({ master: s.master, replicas: s.replicas, slots: s.slots.map(formatRange) })),
        replicasPerShard: plan.replicasPerShard,
        nodeTimeoutMs: plan.nodeTimeoutMs,
    };
}
