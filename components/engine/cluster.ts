/**
 * The engine's entry: brings the planned nodes into the planned cluster over
 * the Redis protocol. It observes the nodes, decides (planning/topology:
 * assess) whether to create, heal and reshape, or refuse, and returns the
 * live cluster once it is healthy. Every wait has a deadline.
 *
 * It runs inside Pulumi's dynamic-provider host, loaded from the project
 * (resources/dynamic.ts), so nothing secret is kept at module level.
 */
import { shapeDrift } from "../planning/drift";
import { NodeReport, assess } from "../planning/topology";
import { checkRulesWithRedis } from "./steps/access";
import { mastersBackToPlannedHosts } from "./steps/failover";
import { disableReplicaMigration, setNodeTimeout } from "./steps/nodeTimeout";
import { applyRuntimeConfig, memoryCeiling, runtimeTarget } from "./steps/runtimeConfig";
import { createCluster } from "./create";
import { waitClusterOk, waitHealthy } from "./health";
import { applyUsers, healCluster } from "./heal";
import { NodePool } from "./pool";
import { ClusterReport, summarize } from "./report";
import { reshape } from "./reshape";
import { ClusterSpec } from "./spec";
import { Deadline, Log, PermanentError, waitUntil } from "./wait";

export { ClusterReport, readCluster } from "./report";
export { NodeAddress } from "./pool";
export { ClusterSpec } from "./spec";
export { Log } from "./wait";

/**
 * Brings the planned nodes into the planned cluster: from scratch when all are
 * new, otherwise by joining new or empty nodes to the existing cluster and
 * reshaping it. Returns once every node reports cluster_state:ok, all agree on
 * the slot map and every replica's link to its master is up.
 */
export async function ensureCluster(spec: ClusterSpec, log: Log): Promise<ClusterReport & { runtimeBaseline: Record<string, string> }> {
    const started = Date.now();
    const deadline = new Deadline(spec.timeoutMs, "cluster bootstrap");
    const pool = new NodePool(spec.nodes, spec);
    try {
        await connectAll(pool, deadline, log);
        // A replica that just restarted may fall back to a full sync and load again (LOADING): ask until all
        // answer, and until no replica is receiving a full sync, which it loads next and would then refuse
        // the steps below with LOADING (a replica whose master is gone is not receiving one: no wait).
        const reports: NodeReport[] = await waitUntil(
            deadline,
            () => "every node to report its keys and its view of the cluster, with no full sync under way",
            () =>
                Promise.all(
                    spec.nodes.map(async (n) => {
                        if ((await pool.info(n.name, "replication")).master_sync_in_progress === "1") {
                            throw new Error(`${n.name} is receiving a full sync from its master`);
                        }
                        return { name: n.name, ip: n.ip, port: n.port, keys: Number(await pool.call(n.name, "DBSIZE")), view: (await pool.view(n.name)).lines };
                    }),
                ),
            200,
        );
        const verdict = assess(reports, spec.leaving);
        if (verdict.kind === "refuse") {
            throw new PermanentError(`refusing to change the cluster:\n - ${verdict.reasons.join("\n - ")}`);
        }
        await checkRulesWithRedis(pool, spec.nodes[0].name, spec.users);
        await disableReplicaMigration(pool, spec.nodes.map((n) => n.name));
        // Before any slot or replica moves: a node takes keys only within its memory ceiling.
        await applyMemoryCeiling(pool, spec);
        if (verdict.kind === "fresh") {
            log(`creating a cluster of ${spec.shards.length} shards from ${spec.nodes.length} new nodes`);
            await createCluster(pool, spec, deadline, log);
            await applyUsers(pool, spec, log);
        } else {
            if (verdict.departing.length > 0) {
                // Members neither planned nor just dropped: left by a run that failed or was killed under
                // another plan. Drained like any leaving node.
                log(`the cluster has members the plan does not (left by an earlier run of another plan): ${verdict.departing.join(", ")}; draining them before they go`);
            }
            await healCluster(pool, spec, verdict.joining, reports.some((r) => r.keys > 0), deadline, log);
            await waitHealthy(pool, spec.nodes.map((n) => n.name), deadline, log);
            // Only on a healthy cluster: every heir is then linked and in sync, so no write is lost.
            if ((await mastersBackToPlannedHosts(pool, spec, deadline, log)) > 0) {
                await waitHealthy(pool, spec.nodes.map((n) => n.name), deadline, log);
            }
            // Redis may move a replica on its own while the shape changes (replica migration: a replica of a
            // shard with two or more joins a master it saw without a working one for 5 s). The up ends only
            // with the plan's layout, as the next preview compares it.
            for (let round = 1; round <= 2; round++) {
                const drift = shapeDrift(await Promise.all(spec.nodes.map(async (n) => ({ ...n, view: (await pool.view(n.name)).lines }))), spec);
                if (drift.length === 0) break;
                log(`the cluster moved away from the plan while it changed (${drift.join("; ")}); reconciling again`);
                await reshape(pool, spec, deadline, log);
                await waitHealthy(pool, spec.nodes.map((n) => n.name), deadline, log);
            }
        }
        // The user's run-time directives last: a run that fails before then leaves them and their baseline as they
        // were. (One that fails after setting them, before its state is saved, would take their new values for
        // the baseline on the next run: a window of one last read.)
        const runtimeBaseline = await applyRuntimeSettings(pool, spec, log);
        log(`cluster ok after ${((Date.now() - started) / 1000).toFixed(1)}s`);
        const first = spec.nodes[0].name;
        const report = summarize((await pool.view(first)).lines, (await pool.info(first, "cluster")).cluster_state ?? "unknown", (ip, port) => pool.nameOf(ip, port));
        return { ...report, runtimeBaseline };
    } finally {
        pool.close();
    }
}

/**
 * While the nodes named `silent` do not answer (their host is down; planning/hostDown.ts): sets what
 * Redis takes at run time (users, the node timeout, maxmemory and the other run-time directives) on
 * every other node and reports the cluster as they see it. Moves no slot and no replica, forgets no
 * node: the silent ones are unreachable, not absent, and get the same on the first up after they answer.
 */
export async function ensureInPlace(spec: ClusterSpec, silent: string[], log: Log): Promise<ClusterReport & { runtimeBaseline: Record<string, string> }> {
    const deadline = new Deadline(spec.timeoutMs, "setting the nodes that answer");
    const answering: ClusterSpec = { ...spec, nodes: spec.nodes.filter((n) => !silent.includes(n.name)) };
    const names = answering.nodes.map((n) => n.name);
    const pool = new NodePool(answering.nodes, spec);
    try {
        log(`not answering, left as they are until they do: ${silent.join(", ")}`);
        await connectAll(pool, deadline, log);
        // Every slot must still be served by the nodes that answer (their replicas took over the silent masters' shards).
        await waitClusterOk(pool, names, deadline);
        await checkRulesWithRedis(pool, names[0], spec.users);
        await applyMemoryCeiling(pool, answering);
        await applyUsers(pool, answering, log);
        await setNodeTimeout(pool, names, spec.nodeTimeoutMs);
        const runtimeBaseline = await applyRuntimeSettings(pool, answering, log);
        const nameOf = (ip: string, port: number) => spec.nodes.find((n) => n.ip === ip && n.port === port)?.name;
        const report = summarize((await pool.view(names[0])).lines, (await pool.info(names[0], "cluster")).cluster_state ?? "unknown", nameOf);
        return { ...report, runtimeBaseline };
    } finally {
        pool.close();
    }
}

/** maxmemory and the eviction policy on every node, in place (the user's directives come last: applyRuntimeSettings). */
async function applyMemoryCeiling(pool: NodePool, spec: ClusterSpec): Promise<void> {
    const wanted = spec.runtimeConfig ?? {};
    if (Object.keys(wanted).length === 0) return;
    await applyRuntimeConfig(pool, spec.nodes.map((n) => n.name), memoryCeiling(wanted));
}

/**
 * maxmemory, the eviction policy and the user's run-time directives on every node, in place; a user
 * directive the stack no longer sets goes back to its baseline. Returns the baseline to keep. Without
 * any (a stack that sets none, or stops setting them) the containers run from the rendered redis.conf,
 * whose restart brought the defaults back: nothing to set, nothing to keep.
 */
async function applyRuntimeSettings(pool: NodePool, spec: ClusterSpec, log: Log): Promise<Record<string, string>> {
    const wanted = spec.runtimeConfig ?? {};
    if (Object.keys(wanted).length === 0) return {};
    const first = spec.nodes[0].name;
    const { target, baseline } = await runtimeTarget(wanted, spec.runtimeBaseline ?? {}, async (name) => {
        const reply = (await pool.call(first, "CONFIG", "GET", name)) as string[];
        return reply[1];
    });
    const changed = await applyRuntimeConfig(pool, spec.nodes.map((n) => n.name), target);
    if (changed.length > 0) {
        log(`${Object.entries(target).map(([k, v]) => `${k} ${v}`).join(", ")} set in place (no restart) on ${changed.length} node${changed.length === 1 ? "" : "s"}`);
    }
    return baseline;
}

/** Waits until every planned node answers PING, reporting progress. */
async function connectAll(pool: NodePool, deadline: Deadline, log: Log): Promise<void> {
    let reported = -1;
    await waitUntil(
        deadline,
        // Unreachable, not absent: the run stops at the deadline naming each node and why, having changed nothing.
        () => `nodes to answer PING (${pool.connected().length}/${pool.planned.length} reachable; not answering: ${pool.describeUnreachable().join("; ")})`,
        async () => {
            const connected = (await pool.connectPlanned()).length;
            if (connected !== reported) {
                reported = connected;
                log(`nodes reachable ${connected}/${pool.planned.length}`);
            }
            return connected === pool.planned.length ? true : undefined;
        },
        250,
    );
}
