/** Redis Functions copied to masters that lack them. */
import { ClusterView } from "../../planning/clusterView";
import { NodePool } from "../pool";
import { Log } from "../wait";

/**
 * Redis Functions live on every master, not in a slot: a new master must have them before it
 * owns keys, or FCALL fails on the slots it receives (redis-cli --cluster add-node does the same).
 */
export async function copyFunctions(pool: NodePool, view: ClusterView, leaders: string[], log: Log): Promise<void> {
    const lines = leaders.map((id) => view.byId(id)!);
    const clients = await Promise.all(lines.map((l) => pool.at(l.ip, l.port)));
    const counts = await Promise.all(clients.map(async (c) => ((await c.call("FUNCTION", "LIST")) as unknown[]).length));
    const richest = counts.indexOf(Math.max(...counts));
    if (counts[richest] === 0) {
        return;
    }
    const dump = (await clients[richest].callBuffer("FUNCTION", "DUMP")) as Buffer;
    const lacking = clients.filter((_, i) => counts[i] < counts[richest]);
    // REPLACE: a library of the same name is overwritten with the one the cluster already runs.
    await Promise.all(lacking.map((c) => c.call("FUNCTION", "RESTORE", dump, "REPLACE")));
    if (lacking.length > 0) {
        log(`copied ${counts[richest]} function librar${counts[richest] === 1 ? "y" : "ies"} to ${lacking.length} new master(s)`);
    }
}
