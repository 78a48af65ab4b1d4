/**
 * Directives the stack sets on running nodes (limits.ts, runtimeDirectives: maxmemory and the eviction
 * policy; redisConfig.ts, inPlaceDirectives: the user's directives Redis takes at run time): CONFIG SET
 * where a node's value differs, then CONFIG REWRITE, which saves them in the node's live config on its
 * volume (redisConf.ts, LIVE_CONFIG_PATH), so a restart keeps them. No restart.
 */
import { RUNTIME_DEFAULTS } from "../../planning/limits";
import { NodePool } from "../pool";
import { PermanentError } from "../wait";
import { judgeDirectives } from "./directives";

/**
 * What to set on a node that reports `current`: every wanted value that differs, and Redis's default for
 * every other directive the stack manages. Not only those it set last time: a live config from before the
 * stack last stopped setting any (left on the volume) may bring an old value back at a start.
 */
export function runtimeChanges(current: Record<string, string>, wanted: Record<string, string>): Record<string, string> {
    const target = { ...RUNTIME_DEFAULTS, ...wanted };
    return Object.fromEntries(Object.entries(target).filter(([name, value]) => current[name] !== value));
}

/** Of the directives set at run time, the memory ceiling alone (maxmemory and the eviction policy). */
export function memoryCeiling(runtimeConfig: Record<string, string>): Record<string, string> {
    return Object.fromEntries(Object.entries(runtimeConfig).filter(([name]) => name in RUNTIME_DEFAULTS));
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
    // The user's directives each on its own first, so a refusal names it and quotes Redis with no node
    // changed. Not the memory ceiling: the planner checked it, and a lower maxmemory tried on a node would
    // evict keys there even if another directive were then refused.
    const userChanges = changed.length > 0 ? Object.entries(changed[0].changes).filter(([name]) => !(name in RUNTIME_DEFAULTS)) : [];
    if (userChanges.length > 0) {
        const refusals = await judgeDirectives(pool, changed[0].name, userChanges, { atRunTime: true });
        if (refusals.length > 0) throw new PermanentError(`Redis refused redis-cluster:redisConfig on ${changed[0].name}, so no node was changed:\n - ${refusals.join("\n - ")}`);
    }
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

/**
 * The target for a run and the baseline to keep: the directives the stack sets now, and those it set
 * before and no longer does back at their baseline (what the nodes had before the stack first set them).
 * `current` reads a directive's value on a node now, for a directive set for the first time.
 */
export async function runtimeTarget(
    wanted: Record<string, string>,
    baseline: Record<string, string>,
    current: (directive: string) => Promise<string | undefined>,
): Promise<{ target: Record<string, string>; baseline: Record<string, string> }> {
    const dropped = Object.fromEntries(Object.entries(baseline).filter(([name]) => !(name in wanted)));
    const kept: Record<string, string> = Object.fromEntries(Object.entries(baseline).filter(([name]) => name in wanted));
    for (const name of Object.keys(wanted)) {
        if (name in kept || name in RUNTIME_DEFAULTS) continue;
        const value = await current(name);
        if (value !== undefined) kept[name] = value;
    }
    return { target: { ...dropped, ...wanted }, baseline: kept };
}

/**
 * What a change of the run-time directives does, one line per directive, for the preview: each is set in
 * place (a dropped one back to its baseline, or to Redis's default for the memory ceiling). Empty: none changes.
 */
export function describeRuntimeChange(before: Record<string, string>, after: Record<string, string>, baseline: Record<string, string>): string[] {
    const names = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort();
    return names.flatMap((name) => {
        const [was, now] = [before[name], after[name]];
        if (was === now) return [];
        const restored = baseline[name] ?? RUNTIME_DEFAULTS[name];
        if (now === undefined) return [`${name} ${was} -> ${restored ?? "the value the nodes start with"} (dropped)`];
        return [`${name} ${was ?? restored ?? "(unset)"} -> ${now}`];
    });
}
