/**
 * How a node keeps its data on its volume: the append-only file, RDB snapshots, or both, and how often
 * the AOF is synced to disk. Pure: parsing, checking, and the redis.conf lines.
 */

/** `aof`: every write in the append-only file, no snapshots; `rdb`: snapshots only; `aof+rdb`: both. */
export const PERSISTENCE_MODES = ["aof", "rdb", "aof+rdb"] as const;
export type PersistenceMode = (typeof PERSISTENCE_MODES)[number];

export const APPENDFSYNC_POLICIES = ["everysec", "always", "no"] as const;
export type Appendfsync = (typeof APPENDFSYNC_POLICIES)[number];

/** Redis's own snapshot schedule (seconds, changes), used when a mode with snapshots has no `save`. */
export const REDIS_DEFAULT_SAVE = "3600 1 300 100 60 10000";

export interface Persistence {
    /** Whether the node writes (and at a start loads) the append-only file. */
    appendonly: boolean;
    /** The snapshot schedule; "" for none; undefined: Redis's default (no `save` line, as before modes existed). */
    save?: string;
    appendfsync: Appendfsync;
}

export interface RawPersistence {
    persistence?: string;
    save?: string;
    appendfsync?: string;
}

/**
 * Resolves the mode. Without `persistence`, `appendonly` decides as it always did (true: the AOF, beside
 * Redis's default snapshots, which is aof+rdb; false: rdb), with the redis.conf it always rendered.
 */
export function resolvePersistence(raw: RawPersistence, appendonly: boolean, key: (name: string) => string): { persistence: Persistence; problems: string[]; warnings: string[] } {
    const problems: string[] = [];
    const warnings: string[] = [];
    const given = (v: string | undefined) => (v === undefined || String(v).trim() === "" ? undefined : String(v).trim());

    const fsyncText = given(raw.appendfsync)?.toLowerCase() ?? "everysec";
    const appendfsync = (APPENDFSYNC_POLICIES as readonly string[]).includes(fsyncText) ? (fsyncText as Appendfsync) : "everysec";
    if (appendfsync !== fsyncText) problems.push(`${key("appendfsync")} "${raw.appendfsync}" is not one of ${APPENDFSYNC_POLICIES.join(", ")}`);

    let save: string | undefined;
    const saveText = given(raw.save);
    if (saveText !== undefined) {
        const numbers = saveText.split(/\s+/);
        if (numbers.length % 2 !== 0 || !numbers.every((n) => /^[1-9]\d*$/.test(n))) {
            problems.push(`${key("save")} "${saveText}" is not a snapshot schedule: pairs of "<seconds> <changes>", each a positive whole number, e.g. "${REDIS_DEFAULT_SAVE}"`);
        } else {
            save = numbers.join(" ");
        }
    }

    const modeText = given(raw.persistence)?.toLowerCase();
    if (modeText === undefined) {
        if (saveText !== undefined) problems.push(`${key("save")} needs ${key("persistence")} rdb or aof+rdb (without it, ${key("appendonly")} keeps Redis's default schedule)`);
        if (!appendonly && appendfsync !== "everysec") warnings.push(`${key("appendfsync")} ${appendfsync} does nothing while ${key("appendonly")} is false`);
        return { persistence: { appendonly, appendfsync }, problems, warnings };
    }
    if (!(PERSISTENCE_MODES as readonly string[]).includes(modeText)) {
        problems.push(`${key("persistence")} "${raw.persistence}" is not one of ${PERSISTENCE_MODES.join(", ")}`);
        return { persistence: { appendonly, appendfsync }, problems, warnings };
    }
    const mode = modeText as PersistenceMode;
    const withAof = mode !== "rdb";
    // Pulumi.yaml gives appendonly a default of true, so only a false can have been meant against the mode.
    if (!appendonly && withAof) warnings.push(`${key("appendonly")} false is ignored: ${key("persistence")} ${mode} decides (remove appendonly)`);
    if (mode === "aof" && saveText !== undefined) problems.push(`${key("save")} is set but ${key("persistence")} aof takes no snapshots: use aof+rdb`);
    if (!withAof && appendfsync !== "everysec") warnings.push(`${key("appendfsync")} ${appendfsync} does nothing with ${key("persistence")} rdb`);
    if (mode === "rdb") {
        warnings.push(`${key("persistence")} rdb: a node that crashes loses the writes since its last snapshot (a graceful stop saves one); with replicas, a failover keeps them`);
    }
    return {
        persistence: {
            appendonly: withAof,
            // Redis's default schedule is left implicit, so a stack that names its mode as it ran before renders the same file.
            save: mode === "aof" ? "" : save === undefined || save === REDIS_DEFAULT_SAVE ? undefined : save,
            appendfsync,
        },
        problems,
        warnings,
    };
}

/** The redis.conf lines: `appendonly` always, `save` and `appendfsync` only where they differ from Redis's defaults. */
export function persistenceLines(p: Persistence): string[] {
    return [
        `appendonly ${p.appendonly ? "yes" : "no"}`,
        ...(p.save === undefined ? [] : [`save "${p.save}"`]),
        ...(p.appendfsync === "everysec" ? [] : [`appendfsync ${p.appendfsync}`]),
    ];
}
