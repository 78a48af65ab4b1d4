/**
 * Whether the nodes fit a new memory limit: read from the live nodes before any container's limit
 * changes (the first rollout gate asks, at preview and at up). A node whose data already takes that
 * much would be killed by the kernel, and again each time it loads its data at a restart.
 */
import { formatSize } from "../planning/limits";
import { parseInfo } from "../planning/topology";
import { Credentials, NodeAddress, tryConnect } from "./pool";

export interface MemoryUse {
    node: string;
    usedMemory: number;
    usedMemoryRss: number;
}

/** What each answering node uses now; a node that does not answer is left out (and named in `unreachable`). */
export async function memoryUse(nodes: NodeAddress[], credentials: Credentials): Promise<{ use: MemoryUse[]; unreachable: string[] }> {
    const results = await Promise.all(
        nodes.map(async (n) => {
            const client = await tryConnect(n, credentials);
            if (!client) return { node: n.name, unreachable: true as const };
            try {
                const info = parseInfo(String(await client.call("INFO", "memory")));
                return { node: n.name, usedMemory: Number(info.used_memory), usedMemoryRss: Number(info.used_memory_rss) };
            } finally {
                client.disconnect();
            }
        }),
    );
    return {
        use: results.filter((r): r is MemoryUse => !("unreachable" in r)),
        unreachable: results.filter((r) => "unreachable" in r).map((r) => r.node),
    };
}

/** One line per node that would not fit `limitBytes`, naming it and what it uses. Pure. */
export function overLimit(use: MemoryUse[], limitBytes: number): string[] {
    return use
        .filter((u) => Math.max(u.usedMemory, u.usedMemoryRss) >= limitBytes)
        .map((u) => `${u.node} uses ${formatSize(u.usedMemory)} (used_memory ${u.usedMemory}, used_memory_rss ${u.usedMemoryRss}), not below the new limit ${formatSize(limitBytes)}`);
}
