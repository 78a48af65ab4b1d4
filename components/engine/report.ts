/** The live cluster as the stack's outputs show it. */
import { NodeLine, ShardView, describeShards, isFailed, isMaster, parseInfo } from "../planning/topology";
import { NodeAddress, tryConnect, Credentials, readView } from "./pool";

export interface ClusterReport {
    clusterState: string;
    shards: ShardView[];
    nodes: { name: string; ip: string; port: number; role: string; nodeId: string; health: string }[];
}

export function summarize(view: readonly NodeLine[], clusterState: string, nameOf: (ip: string, port: number) => string | undefined): ClusterReport {
    return {
        clusterState,
        shards: describeShards(view, nameOf),
        nodes: view
            .map((n) => ({
                name: nameOf(n.ip, n.port) ?? n.ip,
                ip: n.ip,
                port: n.port,
                role: isMaster(n) ? "master" : "replica",
                nodeId: n.id,
                health: isFailed(n) ? "fail" : n.linkState === "connected" ? "online" : n.linkState,
            }))
            .sort((a, b) => a.name.localeCompare(b.name, undefined, { numeric: true })),
    };
}

/**
 * Reads the live topology from the first planned node that answers, without
 * changing anything. Undefined when no node answers.
 */
export async function readCluster(nodes: NodeAddress[], credentials: Credentials): Promise<ClusterReport | undefined> {
    const nameOf = (ip: string, port: number) => nodes.find((n) => n.ip === ip && n.port === port)?.name;
    for (const node of nodes) {
        const client = await tryConnect(node, credentials).catch(() => undefined);
        if (!client) {
            continue;
        }
        try {
            const view = (await readView(client)).lines;
            const info = parseInfo(String(await client.call("CLUSTER", "INFO")));
            return summarize(view, info.cluster_state ?? "unknown", nameOf);
        } catch {
            continue;
        } finally {
            client.disconnect();
        }
    }
    return undefined;
}
