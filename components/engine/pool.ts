/**
 * NodePool: the one way the engine reaches nodes. One admin connection per
 * node address (ip:port), opened with the passwords that may be in force,
 * shared by every step of a bootstrap, a heal, a reshape or a rolling gate.
 * With TLS, every connection verifies the node's certificate against the cluster's CA.
 */
import { Redis, Redis as RedisClient } from "ioredis";
import { Login, NodeAccess, loginCandidates } from "../planning/access";
import { ClusterView } from "../planning/clusterView";
import { coverageGaps, parseInfo } from "../planning/topology";
import { PermanentError } from "./wait";

export interface NodeAddress {
    name: string;
    /** The announced endpoint: the container address, or the node's host's address and published port. */
    ip: string;
    port: number;
    /** The announced cluster bus port, where it is not port + 10000. */
    busPort?: number;
    /** The host the node runs on, with several hosts. */
    host?: string;
    /** Listed by the cluster but not by the plan this engine was given (planning/entryPoints): maybe one this run removes. */
    unplanned?: true;
}

/** How nodes are logged in to now, and during a change how they were before it. */
export interface Credentials {
    access: NodeAccess;
    previousAccess?: NodeAccess;
    /** The CA certificate (PEM) when the nodes serve TLS only; undefined: plain TCP. */
    tlsCa?: string;
}

/** How Node's TLS reports a certificate it does not trust (another CA, expired, another name). */
const TLS_REFUSAL = /certificate|altnames|self[- ]signed/i;

/** Bounds every admin command but MIGRATE, which gets its own client (migrationClient). */
const ADMIN_COMMAND_TIMEOUT_MS = 5000;
/** MIGRATE's own I/O timeout (ms of inactivity on the target); its client waits a little longer for the reply. */
export const MIGRATE_TIMEOUT_MS = 60000;

/** How long a connection may take to open before the node counts as not answering. */
export const CONNECT_TIMEOUT_MS = 2000;

function adminClient(node: { ip: string; port: number }, login: Login, tlsCa: string | undefined, commandTimeout: number, connectTimeout: number): RedisClient {
    return new Redis({
        host: node.ip,
        port: node.port,
        username: login.username,
        password: login.password,
        // Node certificates name every address a node is reached at (planning/tls: certificateNames).
        tls: tlsCa === undefined ? undefined : { ca: tlsCa },
        lazyConnect: true,
        connectTimeout,
        // ioredis's ready check waits, unbounded, for a loading node to finish: PING answers LOADING instead.
        enableReadyCheck: false,
        commandTimeout,
        maxRetriesPerRequest: 1,
        enableOfflineQueue: false,
        // One try per connection: the callers decide when to try again.
        retryStrategy: () => null,
    });
}

/**
 * A connection to `node`, or undefined when it does not answer; throws when it refuses every login
 * (tried new first: during a change a node may still accept only the old ones).
 */
export async function tryConnect(
    node: NodeAddress,
    credentials: Credentials,
    commandTimeout = ADMIN_COMMAND_TIMEOUT_MS,
    /** Told why the node counts as not answering (refused connection, timeout, LOADING). */
    onUnreachable: (reason: string) => void = () => undefined,
    connectTimeout = CONNECT_TIMEOUT_MS,
): Promise<RedisClient | undefined> {
    let refusal = "";
    const logins = loginCandidates(credentials.access, credentials.previousAccess);
    for (const login of logins) {
        const client = adminClient(node, login, credentials.tlsCa, commandTimeout, connectTimeout);
        // A refused AUTH arrives as an error event; connect() then only says "Connection is closed".
        let event = "";
        client.on("error", (err: Error) => {
            event = String(err?.message ?? err);
        });
        try {
            await client.connect();
            await client.ping();
            // A node still loading its data set answers LOADING to nearly every command: not reachable yet.
            if (parseInfo(String(await client.call("INFO", "persistence"))).loading !== "0") {
                client.disconnect();
                onUnreachable("loading its data set");
                return undefined;
            }
            return client;
        } catch (err) {
            client.disconnect();
            const message = `${String((err as Error)?.message ?? err)} ${event}`;
            // A certificate this CA did not sign, or that does not name the address, will not fix itself either.
            if (credentials.tlsCa !== undefined && TLS_REFUSAL.test(message)) {
                throw new PermanentError(`${node.name} (${node.ip}:${node.port}) answers, but its TLS certificate was refused: ${message.trim()}`);
            }
            if (!/WRONGPASS|NOAUTH|invalid password/i.test(message)) {
                onUnreachable(message.trim());
                return undefined;
            }
            refusal = event || message;
        }
    }
    // A wrong password will not fix itself: say so now rather than at the deadline.
    throw new PermanentError(`${node.name} (${node.ip}:${node.port}) rejected the configured password${logins.some((l) => l.username) ? "s of the stack's own users" : ""}: ${refusal}`);
}

const keyOf = (n: { ip: string; port: number }) => `${n.ip}:${n.port}`;

/** The CLUSTER NODES of the node behind `client`, parsed once. */
export async function readView(client: RedisClient): Promise<ClusterView> {
    return ClusterView.parse(String(await client.call("CLUSTER", "NODES")));
}

export class NodePool {
    private readonly clients = new Map<string, RedisClient>();
    /** Why each planned node that is not connected did not answer the last time it was tried. */
    private readonly unreachable = new Map<string, string>();

    constructor(readonly planned: NodeAddress[], readonly credentials: Credentials) {}

    /** MIGRATE's AUTH arguments: how the target accepts the engine once a change has ended. */
    migrateAuth(): string[] {
        const [login] = loginCandidates(this.credentials.access);
        if (login?.username) return ["AUTH2", login.username, login.password ?? ""];
        return login?.password === undefined ? [] : ["AUTH", login.password];
    }

    /** Connects every planned node that answers now and is not connected yet; returns the connected ones. */
    async connectPlanned(): Promise<NodeAddress[]> {
        await Promise.all(
            this.planned
                .filter((n) => !this.clients.has(keyOf(n)))
                .map(async (n) => {
                    const c = await tryConnect(n, this.credentials, undefined, (reason) => this.unreachable.set(keyOf(n), reason));
                    if (c) {
                        this.clients.set(keyOf(n), c);
                        this.unreachable.delete(keyOf(n));
                    }
                }),
        );
        return this.connected();
    }

    /** Planned nodes that are not connected, each with its address and why it did not answer: for messages. */
    describeUnreachable(): string[] {
        return this.planned.filter((n) => !this.clients.has(keyOf(n))).map((n) => `${n.name} (${keyOf(n)}): ${this.unreachable.get(keyOf(n)) ?? "not tried"}`);
    }

    /** Planned nodes with an open connection. */
    connected(): NodeAddress[] {
        return this.planned.filter((n) => this.clients.has(keyOf(n)));
    }

    isConnected(node: { ip: string; port: number }): boolean {
        return this.clients.has(keyOf(node));
    }

    /** The connection to a connected planned node, by name. */
    client(name: string): RedisClient {
        const c = this.clients.get(keyOf(this.byName(name)));
        if (!c) {
            throw new Error(`no connection to ${name}`);
        }
        return c;
    }

    /** A connection to whichever node listens at ip:port, planned or not (a node leaving the cluster). */
    async at(ip: string, port: number): Promise<RedisClient> {
        let c = this.clients.get(keyOf({ ip, port }));
        if (!c) {
            c = await tryConnect({ name: this.label(ip, port), ip, port }, this.credentials);
            if (!c) {
                throw new Error(`${this.label(ip, port)} (${ip}:${port}) does not answer`);
            }
            this.clients.set(keyOf({ ip, port }), c);
        }
        return c;
    }

    /** A separate connection for MIGRATE, whose replies wait on the data moved; the caller closes it. */
    async migrationClient(node: { ip: string; port: number }): Promise<RedisClient> {
        const address = { name: this.label(node.ip, node.port), ip: node.ip, port: node.port };
        const c = await tryConnect(address, this.credentials, MIGRATE_TIMEOUT_MS + 10000);
        if (!c) {
            throw new Error(`${address.name} (${node.ip}:${node.port}) does not answer for the slot migration`);
        }
        return c;
    }

    byName(name: string): NodeAddress {
        const n = this.planned.find((x) => x.name === name);
        if (!n) {
            // Not a node that may answer later: a wait that asked for it would only run out its deadline.
            throw new PermanentError(`${name} is not a node the engine knows of (${this.planned.length} known)`);
        }
        return n;
    }

    /** The planned name of the node at ip (and port, when given). */
    nameOf(ip: string, port?: number): string | undefined {
        return this.planned.find((n) => n.ip === ip && (port === undefined || n.port === port))?.name;
    }

    /** A name for messages: the planned one, else the address. */
    label(ip: string, port?: number): string {
        return this.nameOf(ip, port) ?? (port === undefined ? ip : `${ip}:${port}`);
    }

    /**
     * A command on a connected planned node. Its error names the node and the command (ioredis says only
     * "Connection is closed." of a node that went away, and LOADING or a refusal without saying whose).
     */
    async call(name: string, command: string, ...args: (string | Buffer)[]): Promise<unknown> {
        try {
            return await this.client(name).call(command, ...args);
        } catch (err) {
            // Only the subcommand: an argument may be a password (ACL SETUSER, CONFIG SET requirepass).
            const what = ["CLUSTER", "CONFIG", "ACL", "FUNCTION"].includes(command) ? `${command} ${args[0]}` : command;
            throw new Error(`${name} (${keyOf(this.byName(name))}): ${what}: ${String((err as Error)?.message ?? err)}`);
        }
    }

    async view(name: string): Promise<ClusterView> {
        return ClusterView.parse(String(await this.call(name, "CLUSTER", "NODES")));
    }

    /** INFO <section>, or CLUSTER INFO for "cluster", as key -> value. */
    async info(name: string, section: string): Promise<Record<string, string>> {
        return parseInfo(String(section === "cluster" ? await this.call(name, "CLUSTER", "INFO") : await this.call(name, "INFO", section)));
    }

    /** The most complete view any planned node has: fewest unassigned slots, then most nodes known. */
    async bestView(): Promise<ClusterView> {
        const views = await Promise.all(this.connected().map((n) => this.view(n.name)));
        const score = (v: ClusterView) => coverageGaps(v.lines).reduce((k, r) => k + r.end - r.start + 1, 0) * 1000 - v.lines.length;
        return views.reduce((best, v) => (score(v) < score(best) ? v : best));
    }

    close(): void {
        for (const c of this.clients.values()) c.disconnect();
        this.clients.clear();
    }
}
