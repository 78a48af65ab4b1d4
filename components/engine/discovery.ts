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

/** Every node the entry points that answer now list, with the entry points; just the entry points when none answers. */
export async function findCluster(entryPoints: NodeAddress[], credentials: Credentials): Promise<NodeAddress[]> {
    const pool = new NodePool(entryPoints, credentials);
    try {
        await pool.connectPlanned();
        return clusterAddresses(entryPoints, await viewsOf(pool));
    } finally {
        pool.close();
    }
}
