/**
 * Turns settings into the cluster's plan: every node's name, address, port
 * and volume, and which nodes form which shard with which slots. Pure.
 */
import { ClusterSettings, REDIS_PORT, ipAdd } from "./settings";
import { SlotRange, formatRange, splitSlots } from "./slots";

export interface NodePlan {
    /** 1-based position; node i has the i-th address and host port. */
    index: number;
    name: string;
    ip: string;
    port: number;
    /** Port on 127.0.0.1 that reaches this node, if published. */
    hostPort?: number;
    volumeName: string;
}

export interface ShardPlan {
    index: number;
    master: string;
    replicas: string[];
    slots: SlotRange[];
}

export interface ClusterPlan {
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

export function volumeName(prefix: string, index: number): string {
    return `${prefix}-${index}-data`;
}

export function networkName(prefix: string): string {
    return `${prefix}-net`;
}

/**
 * Nodes 1..shards start as masters, in slot order; the rest are replicas,
 * shard by shard. Every replica is a different node than its master, and a
 * shard's replicas are consecutive so the picture stays easy to read.
 */
export function planCluster(s: ClusterSettings): ClusterPlan {
    const count = s.shards * (s.replicasPerShard + 1);
    const nodes: NodePlan[] = [];
    for (let i = 1; i <= count; i++) {
        nodes.push({
            index: i,
            name: containerName(s.namePrefix, i),
            ip: ipAdd(s.firstNodeIp, i - 1),
            port: REDIS_PORT,
            hostPort: s.hostPortBase > 0 ? s.hostPortBase + i - 1 : undefined,
            volumeName: volumeName(s.namePrefix, i),
        });
    }
    const slots = splitSlots(s.shards);
    const shards: ShardPlan[] = slots.map((range, k) => ({
        index: k + 1,
        master: nodes[k].name,
        replicas: nodes.slice(s.shards + k * s.replicasPerShard, s.shards + (k + 1) * s.replicasPerShard).map((n) => n.name),
        slots: [range],
    }));
    return {
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
 * The cluster the engine must reach, built once from the plan: every node's address, each
 * shard's planned master, replicas and slot ranges ("a-b", as previews and outputs show them),
 * the replica count and the node timeout. Plain data: it travels through Pulumi state.
 */
export interface ClusterLayout {
    nodes: { name: string; ip: string; port: number }[];
    shards: { master: string; replicas: string[]; slots: string[] }[];
    replicasPerShard: number;
    nodeTimeoutMs: number;
}

export function clusterLayout(plan: ClusterPlan): ClusterLayout {
    return {
        nodes: plan.nodes.map((n) => ({ name: n.name, ip: n.ip, port: n.port })),
        shards: plan.shards.map((s) => ({ master: s.master, replicas: s.replicas, slots: s.slots.map(formatRange) })),
        replicasPerShard: plan.replicasPerShard,
        nodeTimeoutMs: plan.nodeTimeoutMs,
    };
}
