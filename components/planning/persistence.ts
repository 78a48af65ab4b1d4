/**
 * How a node keeps its data on its volume: the append-only file, RDB snapshots, or both, and how often
 * the AOF is synced to disk. Pure: parsing, checking, and the redis.conf lines.
 */

/**
 * `aof`: every write in the append-only file, no snapshots; `rdb`: snapshots only; `aof+rdb`: both;
 * `none`: a cache, nothing on disk (a node that restarts by itself comes back empty).
 */
export const PERSISTENCE_MODES = ["aof", "rdb", "aof+rdb", "none"] as const;
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
    const withAof = mode === "aof" || mode === "aof+rdb";
    // Pulumi.yaml gives appendonly a default of true, so only a false can have been meant against the mode.
    if (!appendonly && withAof) warnings.push(`${key("appendonly")} false is ignored: ${key("persistence")} ${mode} decides (remove appendonly)`);
    if ((mode === "aof" || mode === "none") && saveText !== undefined) {
        problems.push(`${key("save")} is set but ${key("persistence")} ${mode} takes no snapshots: use ${mode === "aof" ? "aof+rdb" : "rdb"}`);
    }
    if (!withAof && appendfsync !== "everysec") warnings.push(`${key("appendfsync")} ${appendfsync} does nothing with ${key("persistence")} ${mode}`);
    if (mode === "rdb") {
        warnings.push(
            `${key("persistence")} rdb: a node that crashes comes back with its last snapshot (a graceful stop saves one), so a master ` +
                `restarted by Docker before its replica took over loses the writes since then, on its replicas too`,
        );
    }
    if (mode === "none") {
        warnings.push(
            `${key("persistence")} none: nodes keep nothing on disk. A master that crashes or is restarted outside pulumi up waits ` +
                `until its replica has taken over, then syncs from it; without a replica its keys are lost, and so is every key when ` +
                `all nodes restart at once (the Docker engine or the host restarting). pulumi up's own restarts keep every key`,
        );
    }
    return {
        persistence: {
            appendonly: withAof,
            // Redis's default schedule is left implicit, so a stack that names its mode as it ran before renders the same file.
            save: mode === "aof" || mode === "none" ? "" : save === undefined || save === REDIS_DEFAULT_SAVE ? undefined : save,
            appendfsync,
        },
        problems,
        warnings,
    };
}

/** Whether a node keeps nothing on disk (`none`): neither the AOF nor snapshots. */
export function keepsNothing(p: Persistence): boolean {
    return !p.appendonly && p.save === "";
}

/** The redis.conf lines: `appendonly` always, `save` and `appendfsync` only where they differ from Redis's defaults. */
export function persistenceLines(p: Persistence): string[] {
    return [
        `appendonly ${p.appendonly ? "yes" : "no"}`,
        ...(p.save === undefined ? [] : [`save "${p.save}"`]),
        ...(p.appendfsync === "everysec" ? [] : [`appendfsync ${p.appendfsync}`]),
        // A replica writes the data set its master sends to disk before it loads it; without persistence
        // that file is only a stale copy for the next start to load, so Redis deletes it.
        ...(keepsNothing(p) ? ["rdb-del-sync-files yes"] : []),
    ];
}

/**
 * Shell lines a node without persistence runs before Redis starts (`config`: the file it runs from).
 * Redis loads whatever dump.rdb it finds, and a stale one would bring back old keys, so only a snapshot
 * written since the last start is kept: the one the engine asks for as it restarts a node itself
 * (restart.ts, saveOnShutdown); after a crash the node starts empty. A master that still owns slots and
 * has replicas then waits two node timeouts and a bit, so that a replica takes its slots over first: on
 * its return it learns that and syncs from it, where otherwise its replicas would copy its empty data set.
 */
export function keepNothingStartScript(config: string, dataDir = "/data"): string[] {
    const [started, dump, nodes] = [`${dataDir}/.started`, `${dataDir}/dump.rdb`, `${dataDir}/nodes.conf`];
    const heldMaster = `$3 ~ /myself/ && $3 ~ /master/ && NF > 8 { me = $1 } { replicas[$4]++ } END { exit !(me != "" && replicas[me] > 0) }`;
    return [
        `if [ -e ${started} ] && [ ! ${dump} -nt ${started} ]; then rm -f ${dump}; fi`,
        `touch ${started}`,
        `if [ -f ${nodes} ] && awk '${heldMaster}' ${nodes}; then`,
        `  wait=$(awk '$1 == "cluster-node-timeout" { t = $2 } END { print int((2 * t + 2999) / 1000) }' ${config})`,
        `  echo "a master without persistence is back empty: waiting \${wait}s for a replica to take its slots over"`,
        // The shell is the container's first process while it waits: without a trap it would ignore the stop signal.
        `  trap 'exit 143' TERM INT`,
        `  sleep "$wait" & wait $!`,
        `  trap - TERM INT`,
        `fi`,
    ];
}
