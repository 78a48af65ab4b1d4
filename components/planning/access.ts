/**
 * Who may log in to a node, decided in one place: the default user's password, and with ACL users
 * the stack's own users (the engine's admin and replication's) and the named ones. Pure: it returns
 * the commands, in order, that put one node in a state.
 *
 * A change of access goes through two states. While the rolling gates restart nodes, every node
 * accepts the old and the new credentials and replicas present the new ones (acceptBoth); when
 * the bootstrap finishes, only what the config says is accepted (onlyCurrent).
 */
import { createHash } from "crypto";
import { ADMIN_RULES, ADMIN_USER, CLUSTER_CLIENT_RULES, REPLICATION_RULES, REPLICATION_USER, RESERVED_USERS, UserSpec, ruleTokens } from "./users";

/** The stack's own users, present when redis-cluster:users or disableDefaultUser is set (ACL mode). */
export interface InternalUsers {
    /** Generated once per stack (resources/internalUsers.ts), secrets. */
    adminPassword: string;
    replicationPassword: string;
}

/** What a node's redis.conf and aclfile say about logging in. */
export interface NodeAccess {
    /** The default user's password; undefined: no AUTH. */
    password?: string;
    /** Undefined: no ACL mode (no aclfile, replication as the default user). */
    internal?: InternalUsers;
    /**
     * ACL mode: whether the default user may log in (redis-cluster:disableDefaultUser false). Config,
     * not a secret. Absent: it may; without ACL mode it always may (it is the only user).
     */
    defaultUserEnabled?: boolean;
}

/**
 * The access fields of a dynamic resource's inputs or outputs as state holds them. State written
 * before defaultUserEnabled was a field of its own keeps it inside `internal`, as `defaultUser`.
 */
export interface StoredAccess {
    password?: string;
    internal?: InternalUsers & { defaultUser?: boolean };
    defaultUserEnabled?: boolean;
}

/**
 * The access a resource's inputs or outputs carry, as one value, whichever release wrote them: the
 * default user's setting from its own field, else from where earlier state kept it, else on.
 */
export function accessOf(stored: StoredAccess): NodeAccess {
    const { password, internal } = stored;
    if (internal === undefined) {
        return { password, defaultUserEnabled: true };
    }
    return {
        password,
        internal: { adminPassword: internal.adminPassword, replicationPassword: internal.replicationPassword },
        defaultUserEnabled: stored.defaultUserEnabled ?? internal.defaultUser ?? true,
    };
}

/** A username (undefined: default) and password the engine may log in with. */
export interface Login {
    username?: string;
    password?: string;
}

/** Where ACL mode keeps its users: on the data volume, so they survive restarts and replacement. */
export const ACL_FILE = "/data/users.acl";

/** Whether the default user may log in: always without ACL mode, else unless the config turns it off. */
export const defaultUserOn = (a: NodeAccess): boolean => a.internal === undefined || a.defaultUserEnabled !== false;

/** Whether going from `previous` to `next` changes how nodes log in or replicate (field by field: state may reorder keys). */
export function isChanging(next: NodeAccess, previous: NodeAccess): boolean {
    const a = next.internal;
    const b = previous.internal;
    const internalDiffers =
        (a === undefined) !== (b === undefined) || (a !== undefined && b !== undefined && (a.adminPassword !== b.adminPassword || a.replicationPassword !== b.replicationPassword));
    return next.password !== previous.password || internalDiffers || defaultUserOn(next) !== defaultUserOn(previous);
}

/** The logins that may work on a node during a change, newest first, each once. */
export function loginCandidates(next: NodeAccess, previous?: NodeAccess): Login[] {
    const all: Login[] = [];
    for (const a of previous === undefined ? [next] : [next, previous]) {
        if (a.internal) all.push({ username: ADMIN_USER, password: a.internal.adminPassword });
    }
    for (const a of previous === undefined ? [next] : [next, previous]) {
        if (defaultUserOn(a)) all.push({ password: a.password });
    }
    const seen = new Set<string>();
    return all.filter((l) => !seen.has(JSON.stringify(l)) && seen.add(JSON.stringify(l)) !== undefined);
}

/** The credentials replicas present to their master (masteruser, masterauth). */
function presented(a: NodeAccess): [string, string] {
    return a.internal ? [REPLICATION_USER, a.internal.replicationPassword] : ["default", a.password ?? ""];
}

/** During a change: every node accepts the old and the new logins; replicas present the new ones. */
export function acceptBoth(next: NodeAccess, previous: NodeAccess): string[][] {
    const commands: string[][] = [];
    const sides = [next, previous].filter(defaultUserOn);
    if (sides.length === 0) {
        commands.push(["ACL", "SETUSER", "default", "off"]);
    } else {
        // A side without a password lets in clients that send none: no password check at all.
        const passwords = [...new Set(sides.map((s) => s.password))];
        const accept = passwords.includes(undefined) ? ["nopass"] : passwords.map((p) => `>${p}`);
        commands.push(["ACL", "SETUSER", "default", "on", ...accept]);
    }
    if (next.internal) {
        const both = (pick: (u: InternalUsers) => string) => [...new Set([next.internal!, previous.internal].filter((u) => u !== undefined).map((u) => `>${pick(u!)}`))];
        commands.push(["ACL", "SETUSER", ADMIN_USER, "on", ...both((u) => u.adminPassword), ...ADMIN_RULES]);
        commands.push(["ACL", "SETUSER", REPLICATION_USER, "on", ...both((u) => u.replicationPassword), ...REPLICATION_RULES]);
    }
    // masteruser is named even for the default user: a master still without a password (nopass)
    // refuses the one-argument AUTH that masterauth alone sends, but accepts AUTH default <password>.
    const [user, auth] = presented(next);
    commands.push(["CONFIG", "SET", "masteruser", user, "masterauth", auth]);
    return commands;
}

/** The ACL SETUSER for one named user, from scratch: its password and rules replace whatever it had. */
export function setUser(u: UserSpec): string[] {
    return ["ACL", "SETUSER", u.name, "reset", "on", `>${u.password}`, ...ruleTokens(u.rules), ...CLUSTER_CLIENT_RULES];
}

/**
 * Only what the config says: the default user, the stack's own users and the named `users`; users a
 * node has (`existing`, from ACL USERS) that the config no longer lists are deleted. In ACL mode the
 * result is saved to the node's aclfile.
 */
export function onlyCurrent(next: NodeAccess, users: UserSpec[], existing: string[]): string[][] {
    const wanted = new Set([...(next.internal ? RESERVED_USERS : ["default"]), ...users.map((u) => u.name)]);
    const deletions = existing.filter((name) => !wanted.has(name)).map((name) => ["ACL", "DELUSER", name]);
    if (!next.internal) {
        const password = next.password;
        return [
            // masteruser back to redis.conf's (none), which a rotation set.
            ["CONFIG", "SET", "masteruser", "", "masterauth", password ?? "", "requirepass", password ?? ""],
            // CONFIG SET requirepass to the value a node already has is a no-op in Redis 7: it would leave the
            // old password that a rotation added with ACL SETUSER. resetpass drops every other password.
            ["ACL", "SETUSER", "default", "on", ...(password === undefined ? ["nopass"] : ["resetpass", `>${password}`])],
            ...deletions,
        ];
    }
    const u = next.internal;
    const [user, auth] = presented(next);
    return [
        ["ACL", "SETUSER", ADMIN_USER, "on", "resetpass", `>${u.adminPassword}`, ...ADMIN_RULES],
        ["ACL", "SETUSER", REPLICATION_USER, "on", "resetpass", `>${u.replicationPassword}`, ...REPLICATION_RULES],
        ["CONFIG", "SET", "masteruser", user, "masterauth", auth],
        defaultUserOn(next)
            ? ["ACL", "SETUSER", "default", "on", "resetpass", ...(next.password === undefined ? ["nopass"] : [`>${next.password}`])]
            : ["ACL", "SETUSER", "default", "off", "resetpass"],
        ...users.map(setUser),
        ...deletions,
        ["ACL", "SAVE"],
    ];
}

const hashed = (password: string) => `#${createHash("sha256").update(password).digest("hex")}`;

/**
 * The stack's own users as aclfile lines, passwords hashed as Redis stores them. A node starts with
 * these whatever its aclfile on the volume says about them (containerSpec's start command), and
 * with the named users that file holds.
 */
export function internalAclLines(next: NodeAccess): string[] {
    const u = next.internal!;
    const defaultLine = defaultUserOn(next) ? ["on", next.password === undefined ? "nopass" : hashed(next.password)] : ["off", "resetpass"];
    return [
        ["user", "default", ...defaultLine, "~*", "&*", "+@all"],
        ["user", ADMIN_USER, "on", hashed(u.adminPassword), ...ADMIN_RULES],
        ["user", REPLICATION_USER, "on", hashed(u.replicationPassword), ...REPLICATION_RULES],
    ].map((l) => l.join(" "));
}
