/**
 * Judges a cluster's health from what each node reported, and renders it for
 * people. Pure: the data is gathered by ./main.ts.
 */
import { NodeLine, coverageGaps, describeShards, formatOpenSlot, isFailed, isMyself } from "../../components/planning/topology";
import { formatRange } from "../../components/planning/slots";

export interface NodeSample {
    name: string;
    address: string;
    /** Undefined when the node did not answer. */
    error?: string;
    clusterState?: string;
    role?: string;
    masterLinkStatus?: string;
    keys?: number;
    usedMemory?: string;
    view?: NodeLine[];
}

export interface Health {
    healthy: boolean;
    problems: string[];
}

export function judge(samples: NodeSample[], replicasPerShard: number): Health {
    const problems: string[] = [];
    const answering = samples.filter((s) => s.error === undefined);
    for (const s of samples.filter((s) => s.error !== undefined)) {
        problems.push(`${s.name} (${s.address}) does not answer: ${s.error}`);
    }
    if (answering.length === 0) {
        return { healthy: false, problems };
    }
    for (const s of answering) {
        if (s.clusterState !== "ok") problems.push(`${s.name} reports cluster_state:${s.clusterState}`);
        if (s.role === "slave" && s.masterLinkStatus !== "up") problems.push(`${s.name} is a replica whose link to its master is ${s.masterLinkStatus}`);
        const self = s.view?.find(isMyself);
        if (self && self.openSlots.length > 0) problems.push(`${s.name} has open (migrating/importing) slots ${self.openSlots.map(formatOpenSlot).join(" ")}`);
    }
    for (const s of answering) {
        const gaps = coverageGaps(s.view ?? []);
        if (gaps.length > 0) problems.push(`${s.name} sees slots ${gaps.map(formatRange).join(",")} without a master (keyed commands fail with CLUSTERDOWN)`);
    }
    const view = answering[0].view ?? [];
    for (const n of view.filter(isFailed)) {
        problems.push(`${n.ip}:${n.port} (${n.id.slice(0, 8)}) is marked ${n.flags.filter((f) => f.startsWith("fail")).join(",")} by the cluster`);
    }
    for (const shard of describeShards(view, () => undefined)) {
        const live = shard.replicas.filter((r) => !view.find((n) => n.id === r.nodeId && isFailed(n)));
        if (live.length < replicasPerShard) {
            problems.push(`shard ${shard.slots.join(",")} has ${live.length} of ${replicasPerShard} replicas`);
        }
    }
    return { healthy: problems.length === 0, problems: [...new Set(problems)] };
}

/** A table per shard, then unanswered nodes, then the verdict. */
export function render(samples: NodeSample[], health: Health): string {
    const byAddress = new Map(samples.map((s) => [s.address, s]));
    const answering = samples.find((s) => s.view);
    const out: string[] = [];
    if (answering?.view) {
        // By endpoint: nodes on several hosts share an address.
        const nameOf = (ip: string, port: number) => samples.find((s) => s.address === `${ip}:${port}`)?.name;
        const shards = describeShards(answering.view, nameOf);
        shards.forEach((shard, i) => {
            out.push(`shard ${i + 1}  slots ${shard.slots.join(",")} (${shard.slotCount})`);
            for (const ref of [shard.master, ...shard.replicas]) {
                const s = byAddress.get(`${ref.ip}:${ref.port}`);
                const role = ref === shard.master ? "master " : "replica";
                const link = ref === shard.master ? "" : ` link ${s?.masterLinkStatus ?? "?"}`;
                const state = s?.error ? "DOWN" : `keys ${s?.keys ?? "?"}, mem ${s?.usedMemory ?? "?"}${link}`;
                out.push(`  ${role} ${ref.name.padEnd(12)} ${`${ref.ip}:${ref.port}`.padEnd(21)} ${ref.nodeId.slice(0, 8)}  ${state}`);
            }
        });
    }
    const listed = new Set(out.join("\n").match(/\d+\.\d+\.\d+\.\d+:\d+/g) ?? []);
    for (const s of samples.filter((s) => !listed.has(s.address))) {
        out.push(`  ${s.error ? "DOWN   " : "spare  "} ${s.name.padEnd(12)} ${s.address.padEnd(21)} ${s.error ?? `role ${s.role}`}`);
    }
    out.push("");
    out.push(health.healthy ? "HEALTHY: all slots served, every node ok, every replica in sync" : "UNHEALTHY:");
    for (const p of health.problems) out.push(`  - ${p}`);
    return out.join("\n");
}
