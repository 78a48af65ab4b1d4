/**
 * Named ACL users (redis-cluster:users): parsing and the checks that need no server. Pure.
 * What only Redis can judge (a command name it does not know) is checked by the engine on one
 * node before it changes any (engine/steps/access.ts).
 */
import { CONFIG_NAMESPACE } from "./keys";

export interface UserSpec {
    name: string;
    /** A secret: kept encrypted in state, sent to Redis only, stored there hashed. */
    password: string;
    /** Redis ACL rule text, e.g. "~app:* +@read +@write -@dangerous". */
    rules: string;
}

/** The engine's own user: the bootstrap, heals, reshapes and rolling gates log in with it. */
export const ADMIN_USER = "cluster-admin";
/** What replicas present to their master (masteruser): only the commands replication needs. */
export const REPLICATION_USER = "cluster-replication";
/** The exporters' read-only user (redis-cluster:metrics in ACL mode; planning/metrics.ts gives its rules). */
export const METRICS_USER = "cluster-metrics";
/** Users the stack manages itself; redis-cluster:users may not name them (nor METRICS_USER). */
export const RESERVED_USERS = ["default", ADMIN_USER, REPLICATION_USER];

export const ADMIN_RULES = ["~*", "&*", "+@all"];
export const REPLICATION_RULES = ["+psync", "+replconf", "+ping"];
/**
 * Added after every named user's own rules: what any cluster client needs to find the slots' owners
 * (CLUSTER SLOTS/SHARDS/NODES), follow a slot being moved (ASKING) and read from replicas (READONLY).
 * Redis files these under @admin/@dangerous, so rules such as "+@read -@dangerous" would otherwise
 * leave a user unable to use the cluster at all.
 */
export const CLUSTER_CLIENT_RULES = ["+cluster|slots", "+cluster|shards", "+cluster|nodes", "+cluster|info", "+cluster|myid", "+asking", "+readonly", "+readwrite", "+ping"];

const KEYWORDS = new Set(["allkeys", "resetkeys", "allchannels", "resetchannels", "allcommands", "nocommands", "clearselectors", "sanitize-payload", "skip-sanitize-payload"]);
/** Rules the stack sets itself: a user is on while listed, and its password comes from `password`. */
const MANAGED = /^(on|off|nopass|resetpass|reset|[<>#!].*)$/;

/** The rule text as ACL SETUSER arguments: whitespace separates rules, except inside a (selector). */
export function ruleTokens(rules: string): string[] {
    return rules.match(/\([^)]*\)?|[^\s(]+/g) ?? [];
}

/**
 * Rule text as problems show it: a password rule (>pass, <pass, #hash, !hash) only by its sign, since
 * problems are printed by previews, which CI posts to pull requests.
 */
function shown(rule: string): string {
    return rule.replace(/(^|[\s(])([<>#!])[^\s)]*/g, "$1$2...");
}

/** Why one rule would be refused, or undefined when it is well formed. */
export function ruleProblem(rule: string, inSelector = false): string | undefined {
    if (MANAGED.test(rule)) {
        const what = /^[<>#!]/.test(rule) ? `a password rule (${shown(rule)})` : `"${rule}"`;
        return `${what} is set by the stack (a listed user is on; its password comes from "password")`;
    }
    if (rule.startsWith("(")) {
        if (inSelector) return `"${shown(rule)}": selectors do not nest`;
        if (!rule.endsWith(")")) return `"${shown(rule)}" opens a selector that is not closed`;
        const inner = ruleTokens(rule.slice(1, -1));
        if (inner.length === 0) return `"${rule}" is an empty selector`;
        return inner.map((r) => ruleProblem(r, true)).find((p) => p !== undefined);
    }
    if (KEYWORDS.has(rule.toLowerCase())) {
        return undefined;
    }
    // Key patterns with R and W in any order and case, as Redis reads them.
    if (/^(~|%[RW]{1,2}~|&)\S+$/i.test(rule)) {
        return undefined;
    }
    // Whether a command or category exists depends on the image (modules add both, e.g. +json.get,
    // +@search): Redis judges that on one node before any node changes (engine/steps/access.ts).
    if (/^[+-]@[a-z][a-z0-9_.-]*$/i.test(rule) || /^[+-][a-z][a-z0-9_.-]*(\|[a-z0-9_.-]+)?$/i.test(rule)) {
        return undefined;
    }
    return `"${rule}" is not an ACL rule (use ~pattern, %R~pattern, &channel, +command, -command, +@category, -@category, allkeys, ...)`;
}

export interface UsersResult {
    /** Undefined when redis-cluster:users is not set. */
    users?: UserSpec[];
    problems: string[];
    warnings: string[];
}

/** Parses redis-cluster:users (structured config: a list of {name, password, rules}). */
export function resolveUsers(raw: unknown): UsersResult {
    const problems: string[] = [];
    const warnings: string[] = [];
    const key = `${CONFIG_NAMESPACE}:users`;
    if (raw === undefined || raw === null) {
        return { problems, warnings };
    }
    if (!Array.isArray(raw)) {
        return { problems: [`${key} must be a list of {name, password, rules}`], warnings };
    }
    const users: UserSpec[] = [];
    const seen = new Set<string>();
    raw.forEach((entry, i) => {
        const at = `${key}[${i}]`;
        if (entry === null || typeof entry !== "object" || Array.isArray(entry)) {
            problems.push(`${at} must be an object with name, password and rules`);
            return;
        }
        const { name: rawName, password, rules, ...rest } = entry as Record<string, unknown>;
        const name = typeof rawName === "string" ? rawName : "";
        const validName = /^[A-Za-z0-9][A-Za-z0-9_.@:-]{0,63}$/.test(name);
        // Every problem of the entry at once, named by the user where it has a name.
        const label = name !== "" ? `${at} (${name})` : at;
        for (const extra of Object.keys(rest)) problems.push(`${label}.${extra} is not a user setting (name, password, rules)`);
        if (!validName) {
            problems.push(`${at}.name ${JSON.stringify(rawName)} is not a user name: use 1-64 letters, digits, "_", ".", "@", ":" or "-", starting with a letter or digit`);
        } else if (RESERVED_USERS.includes(name) || name === METRICS_USER) {
            const whose = name === "default" ? "see redis-cluster:password and redis-cluster:disableDefaultUser" : name === METRICS_USER ? "the exporters' own user, with redis-cluster:metrics" : "the engine's and replication's own user";
            problems.push(`${label}: "${name}" is managed by the stack (${whose}); choose another name`);
        } else if (seen.has(name)) {
            problems.push(`${label}: the name is listed twice`);
        }
        if (validName) seen.add(name);
        if (typeof password !== "string" || password === "") {
            problems.push(`${label}.password is missing: every user needs one (pulumi config set --secret --path '${key}[${i}].password' ...)`);
        } else if (!/^[\x21-\x7e]+$/.test(password)) {
            problems.push(`${label}.password may hold only printable ASCII characters without spaces`);
        }
        if (rules !== undefined && typeof rules !== "string") {
            problems.push(`${label}.rules must be ACL rule text, such as "~app:* +@read"`);
            return;
        }
        const tokens = ruleTokens(rules ?? "");
        for (const rule of tokens) {
            const problem = ruleProblem(rule);
            if (problem) problems.push(`${label}.rules: ${problem}`);
        }
        if (tokens.length === 0) {
            warnings.push(`${label} has no rules: it can log in but run no command and reach no key`);
        }
        if (validName) users.push({ name, password: typeof password === "string" ? password : "", rules: rules ?? "" });
    });
    return { users, problems, warnings };
}
