/** Puts nodes in an access state decided by planning/access, and lets Redis judge the users' rules first. */
import { NodeAccess, onlyCurrent } from "../../planning/access";
import { UserSpec, ruleTokens } from "../../planning/users";
import { Credentials, NodeAddress, NodePool } from "../pool";
import { PermanentError } from "../wait";

async function runOn(pool: NodePool, name: string, commands: string[][]): Promise<void> {
    for (const [command, ...args] of commands) {
        await pool.call(name, command, ...args);
    }
}

/** Runs the commands, in order, on each named node (nodes in parallel). */
export async function applyAccessCommands(pool: NodePool, names: string[], commands: string[][]): Promise<void> {
    await Promise.all(names.map((name) => runOn(pool, name, commands)));
}

/** Ends a change of access: each node accepts only what the config says, with exactly the listed users. */
export async function applyCurrentAccess(pool: NodePool, names: string[], access: NodeAccess, users: UserSpec[]): Promise<void> {
    await Promise.all(
        names.map(async (name) => runOn(pool, name, onlyCurrent(access, users, (await pool.call(name, "ACL", "USERS")) as string[]))),
    );
}

/** A user name no configuration can take ("/" is refused in configured names). */
const PROBE_USER = "redis-cluster/rules-check";

/**
 * Redis judges what the stack cannot (a command it does not know): each user's rules are tried on a
 * disabled probe user of one node, removed again, before any node's users change.
 */
export async function checkRulesWithRedis(pool: NodePool, name: string, users: Pick<UserSpec, "name" | "rules">[]): Promise<void> {
    if (users.length === 0) {
        return;
    }
    const client = pool.client(name);
    try {
        for (const u of users) {
            try {
                await client.call("ACL", "SETUSER", PROBE_USER, "reset", "off", ...ruleTokens(u.rules));
            } catch (err) {
                throw new PermanentError(`redis-cluster:users: Redis refused the rules of user "${u.name}", nothing was changed: ${String((err as Error)?.message ?? err)}`);
            }
        }
    } finally {
        await client.call("ACL", "DELUSER", PROBE_USER).catch(() => undefined);
    }
}

/**
 * checkRulesWithRedis on the first planned node that answers, for the first rollout gate: before any
 * node restarts into new users. Nothing to judge with when none answers (a new cluster): the
 * bootstrap judges before it sets any user.
 */
export async function judgeRulesOnAnyNode(nodes: NodeAddress[], credentials: Credentials, users: Pick<UserSpec, "name" | "rules">[]): Promise<void> {
    const pool = new NodePool(nodes, credentials);
    try {
        const [first] = await pool.connectPlanned();
        if (first !== undefined) await checkRulesWithRedis(pool, first.name, users);
    } finally {
        pool.close();
    }
}
