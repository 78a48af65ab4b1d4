/**
 * Makes way for a container restart (what a RolloutGate does before Pulumi
 * recreates one node's container): waits until the node restarted before is
 * back (a new run id), synced, and the cluster ok again; during a rotation
 * makes every node accept the old and the new password; fails a restarting
 * master over to a synced replica; and writes an append-only file first when
 * the node comes back with AOF on. So the restart costs no acknowledged write.
 */
import { RestartRecord, replicaInSync } from "../planning/handover";
import { acceptBoth, isChanging } from "../planning/access";
import { NodeLine, endpoint, isFailed, isMaster, parseInfo } from "../planning/topology";
import { waitClusterOk, waitSlotAgreement } from "./health";
import { applyAccessCommands } from "./steps/access";
import { applyRuntimeConfig, memoryCeiling } from "./steps/runtimeConfig";
import { bestHeir, failOver } from "./steps/failover";
import { CONNECT_TIMEOUT_MS, Credentials, NodeAddress, NodePool, tryConnect } from "./pool";
import { findCluster, viewsOf } from "./discovery";
import { Deadline, Log, PermanentError, waitUntil } from "./wait";

export interface RestartSpec extends Credentials {
    /** Where to find the cluster (planning/entryPoints): the nodes any of them lists, with them, are the cluster as it is now. */
    entryPoints: NodeAddress[];
    /** The node whose container Pulumi recreates as soon as this returns, if any. */
    restarting?: NodeAddress;
    /** The node the previous gate let restart: it must be back and synced first. */
    after?: RestartRecord;
    /** Whether the restarting node comes back with the append-only file on. */
    appendonly?: boolean;
    /**
     * The user allowed every node to restart at once (allowFullRestart): when no node answers, restart
     * without a handover instead of stopping. Without it, a cluster that does not answer stops the run.
     */
    allowFullRestart?: boolean;
    /** Directives set at run time (planning/limits.ts): the node restarted before gets them once back. */
    runtimeConfig?: Record<string, string>;
    timeoutMs: number;
    /** How long to look for any answering node before calling the cluster unreachable (default 30 s). */
    unreachableAfterMs?: number;
}

/** Connected planned nodes that belong to a cluster: they know another node, or own slots. */
async function members(pool: NodePool): Promise<string[]> {
    const names = pool.connected().map((n) => n.name);
    const views = await viewsOf(pool);
    return names.filter((_, i) => views[i].known.length > 1 || (views[i].myself?.slots.length ?? 0) > 0);
}

/** Returns the restarting node's run id, which changes when it is back; undefined when nothing restarts. */
export async function makeWayForRestart(spec: RestartSpec, log: Log): Promise<string | undefined> {
    const node = spec.restarting;
    if (!node) {
        return undefined;
    }
    const deadline = new Deadline(spec.timeoutMs, `making way to restart ${node.name}`);
    // A node further down the rollout may not exist yet: whichever answer now are the cluster. But a
    // cluster none of whose nodes answers is unreachable, not absent: restarting every node because
    // of that would take all of them down at once.
    // None answering within the grace stops the run (connectSome), or with allowFullRestart restarts without a
    // handover. The node restarted before keeps its name: the waits below ask for it by name.
    const grace = spec.unreachableAfterMs ?? UNREACHABLE_AFTER_MS;
    const found = await findCluster(spec.entryPoints, spec, (entries) => connectSome(entries, node, spec.allowFullRestart === true, grace, log), spec.after ? [spec.after] : []);
    if (found === undefined) {
        return undefined;
    }
    // The node restarted before, if the cluster still lists it there under its name (a node removed since has no restart to wait for).
    const after = spec.after && found.some((n) => n.name === spec.after!.name && endpoint(n) === endpoint(spec.after!)) ? spec.after : undefined;
    if (after) {
        await waitUntilBack(spec, after, deadline);
    }
    const pool = new NodePool(found, spec);
    try {
        await connectSome(pool, node, spec.allowFullRestart === true, grace, log);
        if (pool.connected().length === 0) {
            return undefined;
        }
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
        const ceiling = memoryCeiling(spec.runtimeConfig ?? {});
        if (after && pool.isConnected(after) && Object.keys(ceiling).length > 0) {
            // Its live config keeps them through a restart, but not yet the first one into a live config. The
            // user's directives come from the bootstrap at the end of the run, which reads what they replace first.
            if ((await applyRuntimeConfig(pool, [after.name], ceiling)).length > 0) {
                log(`${after.name}: ${Object.entries(ceiling).map(([k, v]) => `${k} ${v}`).join(", ")} set in place after its restart`);
            }
        }
        if (after && pool.isConnected(after)) {
            await waitUntil(deadline, () => `${after.name} to sync with its master after its restart`, async () => {
                const info = await pool.info(after.name, "replication");
                return info.role === "master" || replicaInSync(info) ? true : undefined;
            }, 50);
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
        } else if (spec.appendonly === false) {
            await saveOnShutdown(pool, node, log);
        }
        const runId = (await pool.info(node.name, "server")).run_id;
        log(`${node.name}: ready to restart`);
        return runId;
    } finally {
        pool.close();
    }
}

/** How long a gate waits for any node to answer before it calls the cluster unreachable. */
const UNREACHABLE_AFTER_MS = 30000;

/**
 * Connects the planned nodes that answer; when none does within UNREACHABLE_AFTER_MS, stops the run
 * with every endpoint and why it did not answer, or, with allowFullRestart, lets the node restart
 * without a handover (a cluster whose nodes all changed address, or never formed).
 */
async function connectSome(pool: NodePool, node: NodeAddress, allowFullRestart: boolean, graceMs: number, log: Log): Promise<void> {
    const deadline = new Deadline(graceMs, `finding the cluster before ${node.name} restarts`);
    try {
        await waitUntil(deadline, () => `any node of the cluster to answer`, async () => ((await pool.connectPlanned()).length > 0 ? true : undefined), 500);
    } catch {
        if (allowFullRestart) {
            log(`${node.name}: no node of the cluster answers; restarting without a handover (allowFullRestart)`);
            return;
        }
        throw new PermanentError(
            `${node.name} cannot be handed over: no node of the cluster answers, so nothing was restarted:\n - ${pool.describeUnreachable().join("\n - ")}\n` +
                `Make the nodes reachable from this machine and run up again. Only if they hold nothing worth a careful restart (a first up ` +
                `that never formed the cluster) may they all restart at once: pulumi config set redis-cluster:allowFullRestart true`,
        );
    }
}

/**
 * Short tries at connecting to a restarting node, with a long one every LONG_TRY_EVERY-th (a far host). A try
 * made while its old container is gone gets no answer at all, and the kernel sends it again only a second later:
 * with the usual timeout the wait would find the new container that late.
 */
const SHORT_CONNECT_MS = 300;
const LONG_TRY_EVERY = 5;

/** Waits until `node` answers with a new run id and has loaded its data. */
async function waitUntilBack(spec: RestartSpec, node: RestartRecord, deadline: Deadline): Promise<void> {
    let tries = 0;
    await waitUntil(deadline, () => `${node.name} to be back after its restart`, async () => {
        const connectTimeout = ++tries % LONG_TRY_EVERY === 0 ? CONNECT_TIMEOUT_MS : SHORT_CONNECT_MS;
        const client = await tryConnect(node, spec, undefined, undefined, connectTimeout);
        if (!client) return undefined;
        try {
            const info = parseInfo(String(await client.call("INFO")));
            return info.run_id !== node.runId && info.loading === "0" ? true : undefined;
        } finally {
            client.disconnect();
        }
    }, 50);
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
    await pool.call(node.name, "CONFIG", "SET", "appendonly", "yes");
    await waitUntil(deadline, () => `${node.name} to finish writing its append-only file`, async () => {
        const p = await pool.info(node.name, "persistence");
        // Right after the CONFIG SET the rewrite runs or is scheduled: once it is neither, an error status is
        // its own, and Redis's retries of it would fail the same way (no disk space, no memory to fork).
        if (p.aof_last_bgrewrite_status === "err" && p.aof_rewrite_in_progress === "0" && p.aof_rewrite_scheduled === "0") {
            throw new PermanentError(
                `${node.name} failed to write its append-only file before its restart (aof_last_bgrewrite_status:err), so it was not restarted; ` +
                    `its log says why (often disk space on its volume, or memory for the fork: vm.overcommit_memory=1 on the host)`,
            );
        }
        return p.aof_enabled === "1" && p.aof_rewrite_in_progress === "0" && p.aof_rewrite_scheduled === "0" ? true : undefined;
    }, 100);
}

/**
 * A node that restarts with `appendonly no` loads only its RDB snapshot. Redis writes a final one when
 * it is stopped only if it has a snapshot schedule: one running with the AOF alone (`save ""`) would come
 * back with an old snapshot or none. Give it a schedule at run time, for this one stop.
 */
async function saveOnShutdown(pool: NodePool, node: NodeAddress, log: Log): Promise<void> {
    const [, save] = (await pool.call(node.name, "CONFIG", "GET", "save")) as string[];
    if (save !== undefined && save.trim() !== "") return;
    log(`${node.name}: restarts without its append-only file: it saves a snapshot as it stops`);
    await pool.call(node.name, "CONFIG", "SET", "save", "3600 1");
}

/** A master about to restart hands its slots to its most up-to-date synced replica first. */
async function handOver(pool: NodePool, node: NodeAddress, deadline: Deadline, log: Log): Promise<void> {
    const self = (await pool.view(node.name)).myself;
    if (!self || !isMaster(self) || self.slots.length === 0) {
        return;
    }
    const first = await pool.connectPlanned().then(() => pool.view(node.name));
    if (first.replicasOf(self.id).length === 0) {
        log(`${node.name} has no replica: its slots are unavailable while it restarts (its data is kept)`);
        return;
    }
    // A replica that is down (stopped, or its container gone: the cluster itself marks it failed or
    // disconnected, and it does not answer us) cannot take over; this very up recreates it later. One
    // that the cluster still sees connected is only slow to answer us (a loaded machine): wait for it,
    // for restarting the master without a failover would leave its slots unserved.
    const alive = (l: NodeLine) => pool.isConnected(l) || (!isFailed(l) && l.linkState === "connected");
    // A replica restarted just before may still be loading or syncing: wait for it, and look again
    // each time whether any replica is still alive.
    // A replica the new plan drops (a scale-in in the same up) only as a last resort: it would lead the
    // shard until the bootstrap hands it on again, one more failover. The gate knows its shard's planned
    // nodes; a replica only the cluster names (unplanned) may be one that leaves.
    const planned = new Set(pool.planned.filter((n) => !n.unplanned).map(endpoint));
    const heir = await waitUntil(deadline, () => `a synced replica of ${node.name} to take over from it`, async () => {
        await pool.connectPlanned();
        const view = await pool.view(node.name);
        const mine = view.replicasOf(self.id);
        if (!mine.some(alive)) return "none" as const;
        const stayingAlive = mine.some((l) => planned.has(endpoint(l)) && alive(l));
        const leaving = stayingAlive ? mine.filter((l) => !planned.has(endpoint(l))).map(endpoint) : [];
        return bestHeir(pool, view, self, new Set([endpoint(node), ...leaving]));
    }, 50);
    if (heir === "none") {
        log(`${node.name}: none of its replicas answers: its slots are unavailable while it restarts (its data is kept)`);
        return;
    }
    log(`failing ${node.name} over to ${pool.label(heir.ip, heir.port)} before it restarts`);
    await failOver(pool, heir, node, deadline);
}
