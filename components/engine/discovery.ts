/**
 * Finding the whole cluster from a few of its nodes (planning/entryPoints): what a rollout gate does
 * before it judges or restarts anything, since it holds only entry points.
 */
import { ClusterView } from "../planning/clusterView";
import { clusterAddresses } from "../planning/entryPoints";
import { Credentials, NodeAddress, NodePool } from "./pool";

/** The views of the pool's connected nodes; one that fails to answer counts as knowing nobody. */
export async function viewsOf(pool: NodePool): Promise<ClusterView[]> {
    return Promise.all(pool.connected().map((n) => pool.view(n.name).catch(() => ClusterView.EMPTY)));
}

/**
 * Every node the entry points that answer list, with the entry points (planning/entryPoints: clusterAddresses),
 * or undefined when none answers. `connect` connects the entry points (default: those that answer now; a gate
 * waits for one); `named` are planned nodes the caller knows by name, kept under it where the cluster lists them.
 */
export async function findCluster(
    entryPoints: NodeAddress[],
    credentials: Credentials,
    connect: (entries: NodePool) => Promise<unknown> = (entries) => entries.connectPlanned(),
    named: NodeAddress[] = [],
): Promise<NodeAddress[] | undefined> {
    const entries = new NodePool(entryPoints, credentials);
    try {
        await connect(entries);
        if (entries.connected().length === 0) return undefined;
        return clusterAddresses(entryPoints, await viewsOf(entries), named);
    } finally {
        entries.close();
    }
}
