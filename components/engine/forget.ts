/** Forgetting node ids everywhere: the one way the engine removes a node from the cluster's tables. */
import { NodePool } from "./pool";
import { Deadline, waitUntil } from "./wait";

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
                for (const line of (await pool.view(name)).filter((l) => ids.has(l.id))) {
                    remaining++;
                    await pool.client(name).call("CLUSTER", "FORGET", line.id);
                }
            }
            return remaining === 0 ? true : undefined;
        },
        200,
    );
}
