/**
 * Backups, pure: which node of each shard a backup reads, the archive's manifest, and whether an
 * archive is whole. The effects (BGSAVE, copying the RDB files out) are in scripts/backup.ts.
 */
import { SLOT_COUNT, SlotRange, formatRange, parseRange } from "./slots";

/** The archive's format: a restore refuses any other. */
export const BACKUP_FORMAT = "redis-cluster-backup/1";
export const MANIFEST_FILE = "manifest.json";

/**
 * The rules of a stack user that can take backups and nothing else (`npm run backup -- --user NAME`):
 * read the replication and persistence state, start a save and find its file. It reads no key; the
 * cluster commands it needs (CLUSTER NODES, PING) every named user gets anyway.
 */
export const BACKUP_RULES = "-@all +info +bgsave +config|get";

/** One member of a shard as a backup finds it. */
export interface MemberState {
    name: string;
    /** False: it did not answer (unreachable, never taken as gone). */
    answers: boolean;
    /** A replica's link to its master is up (master_link_status:up). */
    linkUp?: boolean;
    /** Its replication offset (master_repl_offset on the master, slave_repl_offset on a replica). */
    offset?: number;
}

export interface ShardMembers {
    /** 1-based, in slot order. */
    shard: number;
    slots: string[];
    master: MemberState;
    replicas: MemberState[];
}

export type SourceChoice = { node: string; role: "master" | "replica" } | { problem: string };

/**
 * The node a backup of the shard reads: the in-sync replica nearest its master (a save there costs
 * the master nothing), else the master. A replica whose link is down may be behind by any amount: it
 * is not used, and neither is a shard none of whose in-sync nodes answers (the backup fails, naming it).
 */
export function backupSource(shard: ShardMembers): SourceChoice {
    const inSync = shard.replicas.filter((r) => r.answers && r.linkUp === true).sort((a, b) => (b.offset ?? 0) - (a.offset ?? 0));
    if (inSync.length > 0) return { node: inSync[0].name, role: "replica" };
    if (shard.master.answers) return { node: shard.master.name, role: "master" };
    return { problem: `shard ${shard.shard} (slots ${shard.slots.join(",")}): its master ${shard.master.name} does not answer and no replica in sync with it does` };
}

export interface ShardArchive {
    shard: number;
    slots: string[];
    /** The node the RDB came from, and its role then. */
    node: string;
    role: "master" | "replica";
    /** DBSIZE at the instant of the save. */
    keys: number;
    file: string;
    bytes: number;
    sha256: string;
}

export interface BackupManifest {
    format: typeof BACKUP_FORMAT;
    stack: string;
    /** ISO time the backup started; each shard is saved at its own instant after it. */
    createdAt: string;
    redisVersion: string;
    shape: { shards: number; replicasPerShard: number };
    shards: ShardArchive[];
}

export interface FileFacts {
    bytes: number;
    sha256: string;
}

/** Whether `ranges` hold every slot exactly once; problems name the first gap or overlap. */
export function coverageProblems(ranges: SlotRange[]): string[] {
    const sorted = [...ranges].sort((a, b) => a.start - b.start);
    const problems: string[] = [];
    let next = 0;
    for (const r of sorted) {
        if (r.start < 0 || r.end >= SLOT_COUNT || r.end < r.start) {
            problems.push(`slot range ${formatRange(r)} is not within 0-${SLOT_COUNT - 1}`);
        } else if (r.start < next) {
            problems.push(`slots ${formatRange({ start: r.start, end: Math.min(r.end, next - 1) })} are in two shards`);
        } else if (r.start > next) {
            problems.push(`slots ${formatRange({ start: next, end: r.start - 1 })} are in no shard`);
        }
        next = Math.max(next, r.end + 1);
    }
    if (next < SLOT_COUNT) problems.push(`slots ${formatRange({ start: next, end: SLOT_COUNT - 1 })} are in no shard`);
    return problems;
}

/**
 * Every reason `manifest` (as read from disk, unchecked) and `files` (what the archive directory holds:
 * name -> size and sha256) are not one whole archive of a cluster; empty when they are.
 */
export function archiveProblems(manifest: unknown, files: Map<string, FileFacts>): string[] {
    const m = manifest as Partial<BackupManifest> | undefined;
    if (m === null || typeof m !== "object") return ["the manifest is not a JSON object"];
    if (m.format !== BACKUP_FORMAT) return [`not an archive of this format (format ${JSON.stringify(m.format)}, expected ${BACKUP_FORMAT})`];
    if (!Array.isArray(m.shards) || m.shards.length === 0) return ["the manifest lists no shard"];
    const problems: string[] = [];
    const ranges: SlotRange[] = [];
    for (const s of m.shards) {
        for (const text of s.slots ?? []) {
            try {
                ranges.push(parseRange(text));
            } catch {
                problems.push(`shard ${s.shard}: "${text}" is not a slot range`);
            }
        }
        const facts = files.get(s.file);
        if (facts === undefined) problems.push(`shard ${s.shard}: ${s.file} is missing`);
        else if (facts.bytes !== s.bytes) problems.push(`shard ${s.shard}: ${s.file} has ${facts.bytes} bytes, the manifest says ${s.bytes} (truncated or replaced)`);
        else if (facts.sha256 !== s.sha256) problems.push(`shard ${s.shard}: ${s.file} does not match its sha256 (changed since the backup)`);
    }
    problems.push(...coverageProblems(ranges));
    return problems;
}

/**
 * Where a restore notes that it is under way (the archive it loads): a key of the cluster, written
 * before the first key is loaded and deleted after the last. Its hash tag keeps it on one slot.
 */
export const RESTORE_MARKER_KEY = "{redis-cluster}:restore-in-progress";

/**
 * Into a cluster that holds keys: `empty` (the default) refuses; `merge` loads the archive's keys that
 * the cluster lacks and keeps every key it has; `replace` loads them all, overwriting keys of the same
 * name. Keys the archive does not hold are never touched.
 */
export const RestoreMode = { empty: "empty", merge: "merge", replace: "replace" } as const;
export type RestoreMode = (typeof RestoreMode)[keyof typeof RestoreMode];
export const RESTORE_MODES: readonly RestoreMode[] = Object.values(RestoreMode);

/** How a restore writes each key: without REPLACE (an existing key is kept, or is an error in a fresh load), or with it. */
export type RestoreStart = { load: "fresh" | "resume" | "merge" | "replace" } | { refused: string };

/**
 * Whether a restore of archive `archiveId` may load into a cluster holding `keys` keys (the marker
 * among them, when present): into an empty cluster it loads; into one a restore of the same archive
 * left half-loaded (killed, failed) it goes on, replacing what it had loaded (in merge mode, keeping
 * what the cluster holds); into one that holds keys only as `mode` allows.
 */
export function restoreStart(keys: number, marker: string | null, archiveId: string, mode: RestoreMode = "empty"): RestoreStart {
    if (marker !== null && marker !== archiveId) return { refused: `a restore of another archive (${marker.slice(0, 12)}) was interrupted in this cluster: finish it with that archive, or start from a new cluster` };
    if (mode === "merge" || mode === "replace") return { load: mode };
    if (marker === archiveId) return { load: "resume" };
    if (keys > 0) return { refused: `the cluster holds ${keys} key${keys === 1 ? "" : "s"}: a restore loads only into a new or empty cluster unless restoreMode is merge or replace, so nothing was loaded` };
    return { load: "fresh" };
}

/**
 * RESTORE's TTL argument (with ABSTTL) from PEXPIRETIME's reply: the same absolute expiry as in the
 * archive; -1 (none) is 0; undefined: the key is gone (expired meanwhile), skip it.
 */
export function restoreExpiry(pexpiretime: number): number | undefined {
    if (pexpiretime === -1) return 0;
    if (pexpiretime < 0) return undefined;
    return pexpiretime;
}
