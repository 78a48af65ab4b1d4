/**
 * Makes way for a container restart (what a RolloutGate does before Pulumi
 * recreates one node's container): waits until the node restarted before is
 * back (a new run id), synced, and the cluster ok again; during a rotation
 * makes every node accept the old and the new password; fails a restarting
 * master over to a synced replica; and writes an append-only file first when
 * the node comes back with AOF on. So the restart costs no acknowledged write.
 */
import { ReplicaState, RestartRecord, chooseHeir, replicaInSync } from "../planning/handover";
import { acceptBoth, isChanging } from "../planning/access";
import { NodeLine, endpoint, isHandshake, isMaster, isMyself, parseInfo } from "../planning/topology";
import { waitClusterOk, waitSlotAgreement } from "./health";
import { applyAccessCommands } from "./access";
import { Credentials, NodeAddress, NodePool, tryConnect } from "./pool";
import { Deadline, Log, waitUntil } from "./wait";

export interface RestartSpec extends Credentials {
    /** Every planned node; whichever answer are the cluster as it is now. */
    nodes: NodeAddress[];
    /** The node whose container Pulumi recreates as soon as this returns, if any. */
    restarting?: NodeAddress;
    /** The node the previous gate let restart: it must be back and synced first. */
    after?: RestartRecord;
    /** Whether the restarting node comes back with the append-only file on. */
    appendonly?: boolean;
    timeoutMs: number;
}

/** How long one CLUSTER FAILOVER may take before it is asked for again (Redis gives up on its own after 5 s). */
const FAILOVER_RETRY_MS = 6000;

/** Connected planned nodes that belong to a cluster: they know another node, or own slots. */
async function members(pool: NodePool): Promise<string[]> {
    const names = pool.connected().map((n) => n.name);
    const views = await Promise.all(names.map((n) => pool.view(n).catch(() => [] as NodeLine[])));
    return names.filter((_, i) => views[i].filter((l) => !isHandshake(l)).length > 1 || views[i].some((l) => isMyself(l) && l.slots.length > 0));
}

/** Returns the restarting node's run id, which changes when it is back; undefined when nothing restarts. */
export async function makeWayForRestart(spec: RestartSpec, log: Log): Promise<string | undefined> {
    const node = spec.restarting;
    if (!node) {
        return undefined;
    }
    const deadline = new Deadline(spec.timeoutMs, `making way to restart ${node.name}`);
    const after = spec.after && spec.nodes.some((n) => n.name === spec.after!.name && endpoint(n) === endpoint(spec.after!)) ? spec.after : undefined;
    if (after) {
        await waitUntilBack(spec, after, deadline);
    }
    const pool = new NodePool(spec.nodes, spec);
    try {
        // A node further down the rollout may not exist yet: whichever answer now are the cluster.
        await pool.connectPlanned();
        const cluster = await members(pool);
        if (cluster.length === 0) {
            log(`${node.name}: no cluster to hand over from; restarting`);
            return undefined;
        }
        const previous = spec.previousAccess ?? spec.access;
        if (isChanging(spec.access, previous)) {
            // Also on the node restarted just before: its replication may need the change's masteruser.
            const names = pool.connected().map((n) => n.name);
            await applyAccessCommands(pool, names, acceptBoth(spec.access, previous));
            log(`change of passwords or users: ${names.length} nodes accept the old and the new logins`);
        }
        if (after && pool.isConnected(after)) {
            await waitUntil(deadline, () => `${after.name} to sync with its master after its restart`, async () => {
                const info = await pool.info(after.name, "replication");
                return info.role === "master" || replicaInSync(info) ? true : undefined;
            }, 200);
        }
        // A shard whose only node restarted is back only when the cluster serves every slot again
        // (cluster-require-full-coverage): no second node goes before that.
        await waitClusterOk(pool, cluster, deadline);
        if (cluster.includes(node.name)) {
            await handOver(pool, node, deadline, log);
        }
        // Every member tells clients the same owners, so none is sent to a node about to stop.
        await waitSlotAgreement(pool, cluster, deadline);
        if (!pool.isConnected(node)) {
            log(`${node.name}: does not answer; nothing to hand over before it restarts`);
            return undefined;
        }
        if (spec.appendonly) {
            await writeAppendOnlyFile(pool, node, deadline, log);
        }
        const runId = (await pool.info(node.name, "server")).run_id;
        log(`${node.name}: ready to restart`);
        return runId;
    } finally {
        pool.close();
    }
}

/** Waits until `node` answers with a new run id and has loaded its data. */
async function waitUntilBack(spec: RestartSpec, node: RestartRecord, deadline: Deadline): Promise<void> {
    await waitUntil(deadline, () => `${node.name} to be back after its restart`, async () => {
        const client = await tryConnect(node, spec);
        if (!client) return undefined;
        try {
            const info = parseInfo(String(await client.call("INFO")));
            return info.run_id !== node.runId && info.loading === "0" ? true : undefined;
        } finally {
            client.disconnect();
        }
    }, 200);
}

/**
 * A node that restarts with `appendonly yes` loads only its AOF and ignores its RDB: without an
 * AOF it would come back empty. Turn AOF on at run time first and wait until the rewrite has
 * written the whole data set to it.
 */
async function writeAppendOnlyFile(pool: NodePool, node: NodeAddress, deadline: Deadline, log: Log): Promise<void> {
    if ((await pool.info(node.name, "persistence")).aof_enabled === "1") {
        return;
    }
    log(`${node.name}: writing its data to an append-only file before it restarts with appendonly yes`);
    await pool.client(node.name).call("CONFIG", "SET", "appendonly", "yes");
    await waitUntil(deadline, () => `${node.name} to finish writing its append-only file`, async () => {
        const p = await pool.info(node.name, "persistence");
        if (p.aof_last_bgrewrite_status === "err") {
            throw new Error(`${node.name} failed to write its append-only file (aof_last_bgrewrite_status:err); see its log`);
        }
        return p.aof_enabled === "1" && p.aof_rewrite_in_progress === "0" && p.aof_rewrite_scheduled === "0" ? true : undefined;
    }, 100);
}

/** A master about to restart hands its slots to its most up-to-date synced replica first. */
async function handOver(pool: NodePool, node: NodeAddress, deadline: Deadline, log: Log): Promise<void> {
    const self = (await pool.view(node.name)).find(isMyself);
    if (!self || !isMaster(self) || self.slots.length === 0) {
        return;
    }
    const replicasOf = async (): Promise<{ view: NodeLine[]; states: Map<string, ReplicaState> }> => {
        await pool.connectPlanned();
        const view = await pool.view(node.name);
        const states = new Map<string, ReplicaState>();
        for (const r of view.filter((l) => l.masterId === self.id && pool.isConnected(l))) {
            const name = pool.nameOf(r.ip, r.port)!;
            const info = await pool.info(name, "replication").catch(() => ({}) as Record<string, string>);
            states.set(endpoint(r), { linked: replicaInSync(info), offset: Number(info.slave_repl_offset ?? -1) });
        }
        return { view, states };
    };
    const first = await replicasOf();
    if (first.view.every((l) => l.masterId !== self.id)) {
        log(`${node.name} has no replica: its slots are unavailable while it restarts (its data is kept)`);
        return;
    }
    // A replica that answers nobody (stopped, or its container gone) cannot take over; this very
    // up recreates it later. One the previous gate restarted answers again by now.
    if (first.view.every((l) => l.masterId !== self.id || !pool.isConnected(l))) {
        log(`${node.name}: none of its replicas answers: its slots are unavailable while it restarts (its data is kept)`);
        return;
    }
    // A replica restarted just before may still be loading or syncing: wait for it.
    const heir = await waitUntil(deadline, () => `a synced replica of ${node.name} to take over from it`, async () => {
        const { view, states } = await replicasOf();
        return chooseHeir(view, self, new Set([endpoint(node)]), states);
    }, 200);
    const heirName = pool.nameOf(heir.ip, heir.port)!;
    log(`failing ${node.name} over to ${heirName} before it restarts`);
    let asked = 0;
    await waitUntil(deadline, () => `${heirName} to take over from ${node.name}`, async () => {
        if (Date.now() - asked > FAILOVER_RETRY_MS) {
            asked = Date.now();
            // Without FORCE: the master stops writes until the replica has caught up, so nothing acknowledged is lost.
            await pool.client(heirName).call("CLUSTER", "FAILOVER");
        }
        const [heirRole, oldRole] = await Promise.all([pool.info(heirName, "replication"), pool.info(node.name, "replication")]);
        return heirRole.role === "master" && oldRole.role === "slave" ? true : undefined;
    }, 100);
}
