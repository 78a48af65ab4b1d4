/**
 * A node's bounds: the container's memory and CPU limits, and Redis's own memory ceiling (maxmemory)
 * with its eviction policy. Pure: parsing, checking, and the directives the engine sets at run time.
 */

/** The settings as they come from config (strings, or numbers from YAML). */
export interface RawLimits {
    memory?: string | number;
    cpus?: string | number;
    maxmemory?: string | number;
    maxmemoryPolicy?: string;
}

export interface NodeLimits {
    /** The container's memory limit in bytes (a whole number of MiB: the docker provider takes MB). */
    memoryBytes?: number;
    /** The container's CPU quota, as Docker's --cpus takes it ("1.5"). */
    cpus?: string;
    /** Redis's maxmemory in bytes; undefined: none (Redis's default, unbounded). */
    maxmemoryBytes?: number;
    maxmemoryPolicy: MaxmemoryPolicy;
}

/** Redis's eight eviction policies; noeviction (refuse writes at the ceiling) is its default. */
export const MAXMEMORY_POLICIES = [
    "noeviction",
    "allkeys-lru",
    "allkeys-lfu",
    "allkeys-random",
    "volatile-lru",
    "volatile-lfu",
    "volatile-random",
    "volatile-ttl",
] as const;
export type MaxmemoryPolicy = (typeof MAXMEMORY_POLICIES)[number];

/**
 * maxmemory as a share of `memory` when only `memory` is set: the rest is room for what Redis uses
 * beyond its data set (a fork's copied pages during BGSAVE or an AOF rewrite, replication and client
 * buffers), so the kernel does not kill the node first.
 */
export const DEFAULT_MAXMEMORY_PERCENT = 75;

/** Below this Redis itself (code, buffers, an empty data set) does not fit. */
export const MIN_MEMORY_BYTES = 32 * 1024 * 1024;
/** Redis warns about a maxmemory below a megabyte: nothing useful fits. */
export const MIN_MAXMEMORY_BYTES = 1024 * 1024;

/** Binary units, as Docker reads them (512m = 512 MiB); also Redis's kb/mb/gb. */
const UNIT_BYTES: Record<string, number> = { "": 1, b: 1, k: 1024, kb: 1024, m: 1024 ** 2, mb: 1024 ** 2, g: 1024 ** 3, gb: 1024 ** 3 };

/** "512m", "2g", "1.5gb", "300mb" or plain bytes; undefined when it is not a size. */
export function parseSize(text: string): number | undefined {
    const m = /^(\d+(?:\.\d+)?)\s*([a-z]*)$/.exec(text.trim().toLowerCase());
    if (!m || UNIT_BYTES[m[2]] === undefined) return undefined;
    const bytes = Number(m[1]) * UNIT_BYTES[m[2]];
    return Number.isSafeInteger(Math.round(bytes)) ? Math.round(bytes) : undefined;
}

/** Bytes as a person reads them: the largest binary unit that divides them, else MiB with a fraction. */
export function formatSize(bytes: number): string {
    for (const [unit, size] of [["g", 1024 ** 3], ["m", 1024 ** 2], ["k", 1024]] as const) {
        if (bytes >= size && bytes % size === 0) return `${bytes / size}${unit}`;
    }
    return bytes >= 1024 ** 2 ? `${(bytes / 1024 ** 2).toFixed(1)}m` : `${bytes}b`;
}

/**
 * A CPU count as the docker provider writes it into state when it reads a container (its
 * nanoInt64ToDecimalString: nine decimals, then one decimal when the string has exactly nine zeros,
 * else trailing zeros cut: 1 -> "1.0", 1.5 -> "1.5", 10 -> "10.", 0.05 -> "0.1"). Declared the same way,
 * a refresh finds no difference; a value it misreads (0.05) is refused instead.
 */
export function dockerCpus(n: number): string {
    const nano = Math.round(n * 1e9);
    const nine = (nano / 1e9).toFixed(9);
    // One decimal rounded half away from zero, as big.Rat's FloatString does.
    return [...nine].filter((c) => c === "0").length === 9 ? (Math.round(nano / 1e8) / 10).toFixed(1) : nine.replace(/0+$/, "");
}

/** Parses and checks the limits; `key(name)` spells a config key in messages. */
export function resolveLimits(raw: RawLimits, key: (name: string) => string, hostCpus?: number): { limits: NodeLimits; problems: string[]; warnings: string[] } {
    const problems: string[] = [];
    const warnings: string[] = [];
    const given = (v: string | number | undefined) => (v === undefined || String(v).trim() === "" ? undefined : String(v).trim());

    let memoryBytes: number | undefined;
    const memoryText = given(raw.memory);
    if (memoryText !== undefined) {
        memoryBytes = parseSize(memoryText);
        if (memoryBytes === undefined) {
            problems.push(`${key("memory")} "${memoryText}" is not a size: use e.g. 512m or 2g`);
        } else if (memoryBytes % 1024 ** 2 !== 0) {
            problems.push(`${key("memory")} ${memoryText} is not a whole number of megabytes (Docker takes the limit in MB): use e.g. ${Math.ceil(memoryBytes / 1024 ** 2)}m`);
            memoryBytes = undefined;
        } else if (memoryBytes < MIN_MEMORY_BYTES) {
            problems.push(`${key("memory")} ${memoryText} is below ${formatSize(MIN_MEMORY_BYTES)}: Redis itself needs several megabytes before any data`);
            memoryBytes = undefined;
        }
    }

    let cpus: string | undefined;
    const cpusText = given(raw.cpus);
    if (cpusText !== undefined) {
        const n = Number(cpusText);
        if (!/^\d+(\.\d{1,2})?$/.test(cpusText) || !(n >= 0.01)) {
            problems.push(`${key("cpus")} "${cpusText}" is not a CPU count: use a number such as 0.5, 1 or 1.5 (at least 0.01, two decimals at most)`);
        } else if (hostCpus !== undefined && n > hostCpus) {
            // Docker refuses it only when it creates the container, after the old one is gone.
            problems.push(`${key("cpus")} ${cpusText} is more than the ${hostCpus} CPUs of this machine's Docker host: use at most ${hostCpus}`);
        } else if (Number(dockerCpus(n)) !== n) {
            problems.push(`${key("cpus")} ${cpusText} would be read back from Docker as ${dockerCpus(n)}, so every preview would show a change: use a value such as ${Number(n.toFixed(1)) || 0.1}`);
        } else {
            cpus = dockerCpus(n);
        }
    }

    let maxmemoryBytes: number | undefined;
    const maxText = given(raw.maxmemory);
    if (maxText !== undefined) {
        const percent = /^(\d+(?:\.\d+)?)\s*%$/.exec(maxText);
        if (percent) {
            const share = Number(percent[1]);
            if (memoryText === undefined) {
                problems.push(`${key("maxmemory")} ${maxText} is a share of ${key("memory")}, which is not set: set ${key("memory")}, or give maxmemory as a size (e.g. 300mb)`);
            } else if (!(share > 0 && share < 100)) {
                problems.push(`${key("maxmemory")} ${maxText} must be above 0% and below 100% of ${key("memory")}, leaving room for a fork and buffers`);
            } else if (memoryBytes !== undefined) {
                maxmemoryBytes = Math.floor((memoryBytes * share) / 100);
            }
        } else {
            maxmemoryBytes = parseSize(maxText);
            if (maxmemoryBytes === undefined) problems.push(`${key("maxmemory")} "${maxText}" is neither a size (e.g. 300mb) nor a share of ${key("memory")} (e.g. 75%)`);
        }
    } else if (memoryBytes !== undefined) {
        maxmemoryBytes = Math.floor((memoryBytes * DEFAULT_MAXMEMORY_PERCENT) / 100);
    }
    if (maxmemoryBytes !== undefined && maxmemoryBytes < MIN_MAXMEMORY_BYTES) {
        problems.push(`${key("maxmemory")} ${formatSize(maxmemoryBytes)} is below ${formatSize(MIN_MAXMEMORY_BYTES)}: no data set fits`);
    } else if (maxmemoryBytes !== undefined && memoryBytes !== undefined && maxmemoryBytes >= memoryBytes) {
        problems.push(
            `${key("maxmemory")} ${formatSize(maxmemoryBytes)} is not below ${key("memory")} ${formatSize(memoryBytes)}: the kernel would kill the node before Redis ` +
                `evicts or refuses a write; use at most ${DEFAULT_MAXMEMORY_PERCENT}% (a fork and buffers need the rest)`,
        );
    } else if (maxmemoryBytes !== undefined && memoryBytes !== undefined && maxmemoryBytes > memoryBytes * 0.9) {
        warnings.push(`${key("maxmemory")} ${formatSize(maxmemoryBytes)} leaves less than a tenth of ${key("memory")} ${formatSize(memoryBytes)} for a fork's copied pages and buffers: a BGSAVE under writes may get the node killed`);
    }

    const policyText = given(raw.maxmemoryPolicy)?.toLowerCase() ?? "noeviction";
    const maxmemoryPolicy = (MAXMEMORY_POLICIES as readonly string[]).includes(policyText) ? (policyText as MaxmemoryPolicy) : "noeviction";
    if (maxmemoryPolicy !== policyText) {
        problems.push(`${key("maxmemoryPolicy")} "${raw.maxmemoryPolicy}" is not one of Redis's eviction policies: ${MAXMEMORY_POLICIES.join(", ")}`);
    } else if (maxmemoryPolicy !== "noeviction" && maxmemoryBytes === undefined) {
        warnings.push(`${key("maxmemoryPolicy")} ${maxmemoryPolicy} evicts nothing without a ceiling: set ${key("memory")} or ${key("maxmemory")}`);
    }
    return { limits: { memoryBytes, cpus, maxmemoryBytes, maxmemoryPolicy }, problems, warnings };
}

/**
 * The directives the engine sets on running nodes (CONFIG SET, no restart), by name, as Redis reports
 * them in CONFIG GET. Only those that differ from Redis's defaults: a stack that sets none keeps the
 * containers it had.
 */
export function runtimeDirectives(limits: NodeLimits): Record<string, string> {
    return {
        ...(limits.maxmemoryBytes === undefined ? {} : { maxmemory: String(limits.maxmemoryBytes) }),
        ...(limits.maxmemoryPolicy === "noeviction" ? {} : { "maxmemory-policy": limits.maxmemoryPolicy }),
    };
}

/** Redis's own values of the run-time directives: what a node goes back to when the stack stops setting one. */
export const RUNTIME_DEFAULTS: Record<string, string> = { maxmemory: "0", "maxmemory-policy": "noeviction" };

/**
 * The kernel's neighbour (ARP) table is one for the whole machine, every network namespace counted in it:
 * the nodes of a cluster on one engine talk to each other all to all, so each container resolves every
 * other one, about n * (n - 1) entries. Above the table's hard limit (net.ipv4.neigh.default.gc_thresh3,
 * 1024 by default: 33 nodes) new peers fail to resolve, and nodes mark each other failed (seen here at 50).
 * A warning naming the sysctls to raise, or undefined when the nodes fit.
 */
export function neighbourTableWarning(nodes: number, limit: number | undefined): string | undefined {
    const needed = nodes * (nodes - 1);
    if (limit === undefined || needed <= limit) return undefined;
    return (
        `${nodes} nodes on this machine's Docker engine need about ${needed} entries in the kernel's neighbour (ARP) table, above its ` +
        `limit of ${limit} (net.ipv4.neigh.default.gc_thresh3): nodes would fail to reach each other and mark each other failed. Raise it ` +
        `before the up, as root: sysctl -w ${neighbourTableSysctls(nodes).join(" ")}`
    );
}

/** The `sysctl -w` settings that give `nodes` nodes on one machine room in the neighbour table, twice what they need. */
export function neighbourTableSysctls(nodes: number): string[] {
    const raised = 2 ** Math.ceil(Math.log2(nodes * (nodes - 1) * 2));
    return [`net.ipv4.neigh.default.gc_thresh3=${raised}`, `net.ipv4.neigh.default.gc_thresh2=${raised / 2}`, `net.ipv4.neigh.default.gc_thresh1=${raised / 8}`];
}
