/** Nodes leaving the cluster: checked for keys, reset, and forgotten by every staying node. */
import { formatRange } from "../../planning/slots";
import { NodeLine, endpoint, isMaster, parseInfo } from "../../planning/topology";
import type { ClusterSpec } from "../spec";
import { forgetEverywhere } from "./forget";
import { NodePool } from "../pool";
import { Deadline, Log, PermanentError } from "../wait";

/** Removes nodes outside the plan from every staying node's table, and resets them so they cannot rejoin. */
export async function removeLeavingNodes(pool: NodePool, spec: ClusterSpec, leaving: NodeLine[], deadline: Deadline, log: Log): Promise<void> {
    for (const n of leaving) {
        if (n.slots.length > 0) {
            throw new Error(`${endpoint(n)} still owns slots ${n.slots.map(formatRange).join(",")}; refusing to forget it`);
        }
    }
    // A master that gave up all its slots holds no keys; one that still does (keys stranded in a slot
    // whose migration partner died) keeps them: it is neither reset nor forgotten, and its volume stays.
    // A leaving replica holds a copy of its master's keys, which stay with the master. Its role is asked
    // of the node itself: a master that gave away its last slot turned replica of the receiver and synced
    // from it before gossip tells the others.
    const clients = await Promise.all(leaving.map((n) => pool.at(n.ip, n.port).catch(() => undefined)));
    // A master that does not answer is unreachable, not gone: whether it holds keys cannot be asked.
    const silent = leaving.filter((n, i) => clients[i] === undefined && isMaster(n));
    if (silent.length > 0) {
        throw new Error(
            `refusing to forget leaving masters that do not answer, whose keys cannot be checked; nothing of them was reset or forgotten: ${silent.map((n) => `${pool.label(n.ip, n.port)} (${endpoint(n)})`).join(", ")}. ` +
                `Make them reachable and run up again (only one gone for good with its data: CLUSTER FORGET its id on every node)`,
        );
    }
    const holding: string[] = [];
    await Promise.all(
        leaving.map(async (n, i) => {
            const client = clients[i];
            const master = client !== undefined && parseInfo(String(await client.call("INFO", "replication"))).role === "master";
            const keys = master ? Number(await client!.call("DBSIZE")) : 0;
            if (keys > 0) holding.push(`${pool.label(n.ip, n.port)} (${endpoint(n)}) holds ${keys} key(s) in slots it does not own`);
        }),
    );
    if (holding.length > 0) {
        throw new PermanentError(
            `refusing to remove nodes that still hold keys, nothing of them was reset or forgotten:\n - ${holding.join("\n - ")}\n` +
                `Keep them in the plan (set shards/replicasPerShard back) and move the keys out (e.g. redis-cli --cluster fix), then run up again`,
        );
    }
    log(`forgetting ${leaving.length} node(s) leaving the cluster: ${leaving.map(endpoint).join(", ")}`);
    await Promise.all(
        leaving.map(async (n, i) => {
            // A replica of a leaving node must not follow it out: it is reassigned before this point.
            await clients[i]?.call("CLUSTER", "RESET", "HARD").catch(() => undefined);
        }),
    );
    await forgetEverywhere(pool, spec.nodes.map((n) => n.name), new Set(leaving.map((n) => n.id)), deadline, "the leaving nodes to be forgotten by every staying node");
}
