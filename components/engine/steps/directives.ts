/**
 * Redis judges the user's redis.conf directives (planning/redisConfig.ts) on one live node before any
 * node restarts into them: an unknown directive, or a value Redis refuses, stops the run with every node
 * as it was. Directives Redis takes only at a start (io-threads, databases, ...) are checked by name.
 */
import { Directives } from "../../planning/redisConfig";
import { Credentials, NodeAddress, NodePool } from "../pool";
import { PermanentError } from "../wait";

/**
 * Refusals naming each directive, quoting Redis; empty when Redis takes them all. Leaves the node as it
 * was. `atRunTime`: the directives are to be set on running nodes, so one Redis takes only at a start is
 * refused too (otherwise the restarted node judges it).
 */
export async function judgeDirectives(pool: NodePool, node: string, directives: Directives, o: { atRunTime?: boolean } = {}): Promise<string[]> {
    const refusals: string[] = [];
    for (const [name, value] of directives) {
        const current = (await pool.call(node, "CONFIG", "GET", name)) as string[];
        if (current.length === 0) {
            refusals.push(`${name}: Redis has no such directive (CONFIG GET ${name} returns nothing)`);
            continue;
        }
        try {
            await pool.call(node, "CONFIG", "SET", name, value);
        } catch (err) {
            const message = String((err as Error).message);
            // Taken only at a start: judged by the restarted node itself, unless it was to be set at run time.
            if (!/immutable/i.test(message)) refusals.push(`${name} ${value}: ${message.replace(/^.*?CONFIG SET: /, "")}`);
            else if (o.atRunTime) refusals.push(`${name}: this Redis takes it only at a start, and the stack does not know that of it (planning/redisConfig.ts, START_ONLY_DIRECTIVES)`);
            continue;
        }
        // Only a probe: the node gets the value with its restart, like every other node.
        await pool.call(node, "CONFIG", "SET", name, current[1]);
    }
    return refusals;
}

/** judgeDirectives on the first planned node that answers; throws the refusals. */
export async function judgeDirectivesOnAnyNode(nodes: NodeAddress[], credentials: Credentials, directives: Directives): Promise<void> {
    const pool = new NodePool(nodes, credentials);
    try {
        const [first] = await pool.connectPlanned();
        if (first === undefined || directives.length === 0) return;
        const refusals = await judgeDirectives(pool, first.name, directives);
        if (refusals.length > 0) {
            throw new PermanentError(`Redis refused redis-cluster:redisConfig on ${first.name}, so no node was restarted:\n - ${refusals.join("\n - ")}`);
        }
    } finally {
        pool.close();
    }
}
