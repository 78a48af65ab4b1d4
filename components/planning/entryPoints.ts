/**
 * Where a rollout gate starts looking for the cluster, and the cluster it finds from there. A gate
 * used to hold every planned node's address: n gates of n addresses each, state that grew with the
 * square of the node count, and Pulumi writes the whole state before and after every step. A gate
 * now holds a few entry points and reads the rest from the cluster's own node table. Pure.
 */
import type { ClusterLayout } from "./plan";
import type { ClusterView } from "./clusterView";
import { endpoint } from "./topology";

export type Address = ClusterLayout["nodes"][number];
/** An address found in the cluster; `unplanned` when only the cluster named it (see clusterAddresses). */
export type Found = Address & { unplanned?: true };

/** Planned nodes a gate always starts from beside its own shard: any of them answering finds the cluster. */
export const SEED_NODES = 3;

/**
 * A gate's entry points: the members of its node's planned shard (the node itself first), the first
 * SEED_NODES planned nodes, and the first planned node on each host, so a whole host that does not
 * answer still leaves one to ask. At most shard size + SEED_NODES + hosts addresses, whatever the
 * node count.
 */
export function gateEntryPoints(layout: Pick<ClusterLayout, "nodes" | "shards">, name: string): Address[] {
    const shard = layout.shards.find((s) => s.master === name || s.replicas.includes(name));
    const members = [name, ...(shard ? [shard.master, ...shard.replicas].filter((m) => m !== name) : [])];
    const byName = new Map(layout.nodes.map((n) => [n.name, n]));
    const firstOnEachHost = new Map<string, Address>();
    for (const n of layout.nodes) if (n.host !== undefined && !firstOnEachHost.has(n.host)) firstOnEachHost.set(n.host, n);
    const picked = [...members.map((m) => byName.get(m)), ...layout.nodes.slice(0, SEED_NODES), ...firstOnEachHost.values()].filter((n): n is Address => n !== undefined);
    return [...new Map(picked.map((n) => [n.name, n])).values()];
}

/**
 * The cluster as the entry points' views show it: the entry points (planned, so kept whether they
 * answer or not), then every other node any view lists at an address, under its name in `named` (planned
 * nodes the caller knows by name, such as the one restarted before) or else its address and marked
 * `unplanned` (the gate cannot tell a node the plan keeps from one this run removes). A node the cluster
 * still lists but that does not answer is in it: unreachable, never absent.
 */
export function clusterAddresses(entryPoints: Address[], views: readonly Pick<ClusterView, "known">[], named: readonly Address[] = []): Found[] {
    const names = new Map(named.map((n) => [endpoint(n), n.name]));
    const found = new Map<string, Found>(entryPoints.map((n) => [endpoint(n), n]));
    for (const view of views) {
        for (const line of view.known) {
            const at = endpoint(line);
            // A node that has lost its address (noaddr) prints none: nothing to reach it at.
            if (line.ip === "" || line.port === 0 || found.has(at)) continue;
            const name = names.get(at);
            found.set(at, name === undefined ? { name: at, ip: line.ip, port: line.port, unplanned: true } : { name, ip: line.ip, port: line.port });
        }
    }
    return [...found.values()];
}
