/** Forgetting node ids everywhere: the one way the engine removes a node from the cluster's tables. */
import { isFailed } from "../../planning/topology";
import type { ClusterSpec } from "../spec";
import { NodePool } from "../pool";
import { Deadline, Log, waitUntil } from "../wait";

/**
 * Makes every named node forget `ids`, asking again until none knows one: a node that has not
 * forgotten an id within 60 s of another learns it back by gossip, and a loading replica answers
 * LOADING. Never swallowed: at the deadline the last refusal is shown.
 */
export async function forgetEverywhere(pool: NodePool, names: string[], ids: Set<string>, deadline: Deadline, what: string): Promise<void> {
    await waitUntil(
        deadline,
        () => what,
        async () => {
            let remaining = 0;
            for (const name of names) {
                const view = await pool.view(name);
                for (const id of [...ids].filter((i) => view.byId(i) !== undefined)) {
                    remaining++;
                    await pool.call(name, "CLUSTER", "FORGET", id);
                }
            }
            return remaining === 0 ? true : undefined;
        },
        200,
    );
}

/**
 * A node that came back with an empty volume has a new id at an old address;
 * the old id lingers as a failed node. Forget it everywhere so the cluster
 * stops waiting for it.
 */
export async function forgetGhosts(pool: NodePool, spec: ClusterSpec, deadline: Deadline, log: Log): Promise<void> {
    const views = await Promise.all(spec.nodes.map((n) => n.name).map(async (name) => ({ name, view: await pool.view(name) })));
    const liveIds = new Set(views.map((v) => v.view.myself?.id).filter((id): id is string => !!id));
    const ghosts = new Set<string>();
    for (const { view } of views) {
        for (const n of view.lines) {
            if (!liveIds.has(n.id) && (isFailed(n) || pool.nameOf(n.ip, n.port) !== undefined) && n.slots.length === 0) {
                ghosts.add(n.id);
            }
        }
    }
    if (ghosts.size === 0) {
        return;
    }
    log(`forgetting ${ghosts.size} departed node id(s): ${[...ghosts].map((g) => g.slice(0, 8)).join(", ")}`);
    await forgetEverywhere(pool, spec.nodes.map((n) => n.name), ghosts, deadline, "every node to forget the departed ids");
}
