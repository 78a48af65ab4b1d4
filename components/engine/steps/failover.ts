/**
 * Moving a master's slots to one of its replicas, the one safe way: CLUSTER FAILOVER without FORCE
 * (the master stops taking writes until the replica has caught up, so nothing acknowledged is
 * lost), asked again while it has not happened (Redis abandons a manual failover after 5 s), until
 * both nodes report their new roles.
 */
import { ReplicaState, chooseHeir, replicaInSync } from "../../planning/handover";
import { HostedPlan, describeMove, masterMovesFor } from "../../planning/masterHosts";
import { ClusterView } from "../../planning/clusterView";
import { NodeLine, endpoint, parseInfo } from "../../planning/topology";
import { NodePool } from "../pool";
import { Deadline, Log, waitUntil } from "../wait";

/** How long one CLUSTER FAILOVER may take before it is asked for again (Redis gives up on its own after 5 s). */
export const FAILOVER_RETRY_MS = 6000;

type Endpoint = { ip: string; port: number };

/** What each replica of `master` (in `view`) that answers says about its link and offset. */
export async function replicaStates(pool: NodePool, view: ClusterView, master: NodeLine): Promise<Map<string, ReplicaState>> {
    const states = new Map<string, ReplicaState>();
    for (const r of view.replicasOf(master.id)) {
        const client = await pool.at(r.ip, r.port).catch(() => undefined);
        if (!client) continue;
        const info = parseInfo(String(await client.call("INFO", "replication").catch(() => "")));
        states.set(endpoint(r), { linked: replicaInSync(info), offset: Number(info.slave_repl_offset ?? -1) });
    }
    return states;
}

/** The most up-to-date synced replica of `master` that is not in `excluded` (endpoints), if any answers now. */
export async function bestHeir(pool: NodePool, view: ClusterView, master: NodeLine, excluded: Set<string> = new Set()): Promise<NodeLine | undefined> {
    return chooseHeir(view.lines, master, excluded, await replicaStates(pool, view, master));
}

/** Fails `from` over to its replica `heir` and returns once the heir is master and `from` its replica. */
export async function failOver(pool: NodePool, heir: Endpoint, from: Endpoint, deadline: Deadline): Promise<void> {
    const heirClient = await pool.at(heir.ip, heir.port);
    const fromClient = await pool.at(from.ip, from.port);
    const role = async (c: typeof heirClient) => parseInfo(String(await c.call("INFO", "replication"))).role;
    let asked = 0;
    await waitUntil(deadline, () => `${pool.label(heir.ip, heir.port)} to take over from ${pool.label(from.ip, from.port)}`, async () => {
        // Roles first: asked again once it has happened (a resumed run), the new master would refuse.
        const [h, f] = await Promise.all([role(heirClient), role(fromClient)]);
        if (h === "master" && f === "slave") return true;
        if (Date.now() - asked > FAILOVER_RETRY_MS) {
            asked = Date.now();
            await heirClient.call("CLUSTER", "FAILOVER");
        }
        return undefined;
    }, 50);
}

/**
 * With hosts: hands shards back, one at a time, from hosts that run more masters than an even spread
 * gives them to replicas on hosts that run fewer (planning/masterHosts), so that losing any one host
 * again leaves the majority the plan was checked for. Returns how many shards moved.
 */
export async function mastersBackToPlannedHosts(pool: NodePool, plan: HostedPlan, deadline: Deadline, log: Log): Promise<number> {
    const moves = masterMovesFor((await pool.bestView()).lines, plan);
    for (const move of moves) {
        log(describeMove(move));
        await failOver(pool, move.heir, move.master, deadline);
    }
    return moves.length;
}
