/**
 * Decisions for a rolling restart: which nodes restart, and which replica
 * takes over from a master before it goes. Pure.
 */
import { NodeLine, endpoint, isFailed } from "./topology";

/** A node as its rollout gate sees it: its address and a fingerprint of its container definition. */
export interface NodeRevision {
    name: string;
    ip: string;
    port: number;
    /** Changes exactly when the container is recreated (a hash of its full definition). */
    revision: string;
    /** Whether the node's new redis.conf turns the append-only file on. */
    appendonly?: boolean;
    /** The cluster bus port, where it is not port + 10000 (a node on one of several hosts). */
    busPort?: number;
}

/** Nodes that exist before and after whose container definition changed: Pulumi recreates these. */
export function restartingMembers(before: NodeRevision[], after: NodeRevision[]): NodeRevision[] {
    const old = new Map(before.map((m) => [m.name, m.revision]));
    return after.filter((m) => old.has(m.name) && old.get(m.name) !== m.revision);
}

/**
 * A gate's note to the next one: the node it let restart, and the run id
 * Redis had before the restart. A different run id means the node is back.
 */
export interface RestartRecord {
    name: string;
    ip: string;
    port: number;
    runId: string;
}

/** Nothing to wait for: no planned node has an empty address. */
export const NO_RESTART: RestartRecord = { name: "", ip: "", port: 0, runId: "" };

/** A replica whose link to its master is up and not in the middle of a full sync, per INFO replication. */
export function replicaInSync(replication: Record<string, string>): boolean {
    return replication.master_link_status === "up" && replication.master_sync_in_progress === "0";
}

/** What a replica says about itself in INFO replication. */
export interface ReplicaState {
    linked: boolean;
    offset: number;
}

/**
 * The replica to fail `master` over to: one that is not restarting too, not
 * failed, linked to its master, and the furthest along in the replication
 * stream. Undefined when there is none (yet).
 */
export function chooseHeir(view: readonly NodeLine[], master: NodeLine, restarting: Set<string>, states: Map<string, ReplicaState>): NodeLine | undefined {
    return view
        .filter((r) => r.masterId === master.id && !isFailed(r) && !restarting.has(endpoint(r)) && states.get(endpoint(r))?.linked)
        .sort((a, b) => states.get(endpoint(b))!.offset - states.get(endpoint(a))!.offset)[0];
}
