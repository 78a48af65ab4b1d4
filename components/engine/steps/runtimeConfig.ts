/**
 * Directives the stack sets on running nodes (limits.ts, runtimeDirectives: maxmemory and the eviction
 * policy): CONFIG SET where a node's value differs, then CONFIG REWRITE, which saves them in the node's
 * live config on its volume (redisConf.ts, LIVE_CONFIG_PATH), so a restart keeps them. No restart.
 */
import { RUNTIME_DEFAULTS } from "../../planning/limits";
import { NodePool } from "../pool";
import { PermanentError } from "../wait";

/**
 * What to set on a node that reports `current`: every wanted value that differs, and Redis's default for
 * every other directive the stack manages. Not only those it set last time: a live config from before the
 * stack last stopped setting any (left on the volume) may bring an old value back at a start.
 */
export function runtimeChanges(current: Record<string, string>, wanted: Record<string, string>): Record<string, string> {
    const target = { ...RUNTIME_DEFAULTS, ...wanted };
    return Object.fromEntries(Object.entries(target).filter(([name, value]) => current[name] !== value));
}

/** CONFIG GET of several directives, as name -> value. */
async function configGet(pool: NodePool, name: string, directives: string[]): Promise<Record<string, string>> {
    const reply = (await pool.call(name, "CONFIG", "GET", ...directives)) as string[];
    const values: Record<string, string> = {};
    for (let i = 0; i + 1 < reply.length; i += 2) values[reply[i]] = reply[i + 1];
    return values;
}

/**
 * Brings the named nodes' run-time directives to `wanted` (the other managed ones back to Redis's
 * defaults); returns the nodes it changed. A value Redis refuses stops the run, naming the directive
 * and quoting Redis, before any other node is changed.
 */
export async function applyRuntimeConfig(pool: NodePool, names: string[], wanted: Record<string, string>): Promise<string[]> {
    const directives = [...new Set([...Object.keys(RUNTIME_DEFAULTS), ...Object.keys(wanted)])];
    const plans = await Promise.all(names.map(async (name) => ({ name, changes: runtimeChanges(await configGet(pool, name, directives), wanted) })));
    const changed = plans.filter((p) => Object.keys(p.changes).length > 0);
    // One node first: a value Redis refuses is then refused once, with every other node as it was.
    for (const [i, batch] of [changed.slice(0, 1), changed.slice(1)].entries()) {
        await Promise.all(
            batch.map(async ({ name, changes }) => {
                try {
                    await pool.call(name, "CONFIG", "SET", ...Object.entries(changes).flat());
                } catch (err) {
                    const message = String((err as Error).message);
                    throw i === 0 ? new PermanentError(`Redis refused ${Object.entries(changes).map(([k, v]) => `${k} ${v}`).join(", ")}: ${message}`) : err;
                }
                await pool.call(name, "CONFIG", "REWRITE");
            }),
        );
    }
    return changed.map((p) => p.name);
}
