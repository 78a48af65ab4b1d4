/**
 * Bootstraps, heals and reads a Redis Cluster over the Redis protocol
 * (ioredis, one admin connection per node). Pure decisions live in
 * ./topology; this module performs them and waits, always with a deadline.
 *
 * This code runs inside Pulumi's dynamic-provider host, which serializes it
 * into the state: npm modules are required inside functions (a stable
 * `require("ioredis")`), and nothing secret is captured at module level.
 */
import type { Redis as RedisClient } from "ioredis";
import {
    NodeLine,
    NodeReport,
    ShardView,
    assess,
    coverageGaps,
    describeShards,
    isFailed,
    isHandshake,
    isMaster,
    isMyself,
    parseClusterNodes,
    parseInfo,
    slotOwnership,
} from "./topology";
import { SlotRange, mergeRanges, parseRange, uncoveredSlots, formatRange } from "../planning/slots";
import { ReplicaAssignment, SlotMove, assignReplicas, chooseLeaders, currentShardLeaders, departingNodes, orderMoves, slotMoves } from "./reshard";

export interface NodeAddress {
    name: string;
    ip: string;
    port: number;
}

/** What the cluster should look like; plain data so it can travel through Pulumi state. */
export interface ClusterSpec {
    nodes: NodeAddress[];
    shards: { master: string; replicas: string[]; slots: string[] }[];
    nodeTimeoutMs: number;
    password?: string;
    /** The password before this change, tried when the new one is refused (a rotation in progress). */
    previousPassword?: string;
    /** Addresses of nodes the previous plan had and this one drops: drained, then forgotten. */
    leavingIps?: string[];
    /** Upper bound for the whole operation. */
    timeoutMs: number;
}

export interface ClusterReport {
    clusterState: string;
    shards: ShardView[];
    nodes: { name: string; ip: string; role: string; nodeId: string; health: string }[];
}

export type Log = (message: string) => void;

/** While building a new cluster, nodes use this node timeout so the first `ok` comes in well under a second. */
const BOOTSTRAP_NODE_TIMEOUT_MS = 500;

export class Deadline {
    private end: number;
    constructor(ms: number, private readonly what: string) {
        this.end = Date.now() + ms;
    }
    left(): number {
        return this.end - Date.now();
    }
    /** Gives back time spent on work that is measured by its own progress (moving keys), not by waiting. */
    extend(ms: number): void {
        this.end += ms;
    }
    check(waitingFor: string, lastError?: unknown): void {
        if (this.left() <= 0) {
            const cause = lastError === undefined ? "" : ` (last error: ${String((lastError as Error)?.message ?? lastError)})`;
            throw new Error(`${this.what} timed out while waiting for ${waitingFor}${cause}`);
        }
    }
}

/** An error that waiting cannot heal (a refused password, a node of another cluster): waits end at once. */
export class PermanentError extends Error {}

/** Errors of the code itself, not of the cluster: retrying would only hide them until the deadline. */
function isPermanent(err: unknown): boolean {
    return err instanceof PermanentError || err instanceof TypeError || err instanceof ReferenceError || err instanceof RangeError;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Polls `probe` until it returns a value other than undefined, or the deadline passes. A probe
 * that throws counts as "not yet", and its last error is shown if the deadline passes; a
 * permanent error ends the wait at once.
 */
export async function waitUntil<T>(deadline: Deadline, waitingFor: () => string, probe: () => Promise<T | undefined>, everyMs = 100): Promise<T> {
    let lastError: unknown;
    for (;;) {
        let value: T | undefined;
        try {
            value = await probe();
            lastError = undefined;
        } catch (err) {
            if (isPermanent(err)) throw err;
            lastError = err;
        }
        if (value !== undefined) {
            return value;
        }
        deadline.check(waitingFor(), lastError);
        await sleep(everyMs);
    }
}

/** Bounds every admin command but MIGRATE, which gets its own client (migrationClient). */
const ADMIN_COMMAND_TIMEOUT_MS = 5000;

function adminClient(node: NodeAddress, password: string | undefined, commandTimeout = ADMIN_COMMAND_TIMEOUT_MS): RedisClient {
    // eslint-disable-next-line @typescript-eslint/no-var-requires
    const { Redis } = require("ioredis");
    return new Redis({
        host: node.ip,
        port: node.port,
        password,
        lazyConnect: true,
        connectTimeout: 2000,
        commandTimeout,
        maxRetriesPerRequest: 1,
        enableOfflineQueue: false,
        // One try per connection: the callers decide when to try again.
        retryStrategy: () => null,
    });
}

/** The passwords to try, new first; during a rotation a node may still accept only the old one. */
export function passwordCandidates(spec: { password?: string; previousPassword?: string }): (string | undefined)[] {
    return spec.previousPassword === spec.password ? [spec.password] : [spec.password, spec.previousPassword];
}

/** A connection to `node`, or undefined when it does not answer; throws when it refuses every password. */
export async function tryConnect(node: NodeAddress, passwords: (string | undefined)[]): Promise<RedisClient | undefined> {
    let refusal = "";
    for (const password of passwords) {
        const client = adminClient(node, password);
        // A refused AUTH arrives as an error event; connect() then only says "Connection is closed".
        let event = "";
        client.on("error", (err: Error) => {
            event = String(err?.message ?? err);
        });
        try {
            await client.connect();
            await client.ping();
            return client;
        } catch (err) {
            client.disconnect();
            const message = `${String((err as Error)?.message ?? err)} ${event}`;
            if (!/WRONGPASS|NOAUTH|invalid password/i.test(message)) {
                return undefined;
            }
            refusal = event || message;
        }
    }
    // A wrong password will not fix itself: say so now rather than at the deadline.
    throw new PermanentError(`${node.name} (${node.ip}) rejected the configured password: ${refusal}`);
}

class Nodes {
    /** Connections to nodes outside the plan (leaving the cluster), by address. */
    private readonly others = new Map<string, RedisClient>();

    constructor(readonly spec: ClusterSpec, readonly clients: Map<string, RedisClient>) {}

    /** A connection to whichever node listens at ip:port, planned or not. */
    async at(ip: string, port: number): Promise<RedisClient> {
        const name = this.nameOf(ip);
        if (name) {
            return this.client(name);
        }
        let c = this.others.get(ip);
        if (!c) {
            c = await tryConnect({ name: ip, ip, port }, passwordCandidates(this.spec));
            if (!c) {
                throw new Error(`${ip}:${port} (a node leaving the cluster) does not answer`);
            }
            this.others.set(ip, c);
        }
        return c;
    }

    /** A separate connection for MIGRATE, whose replies wait on the data moved (see MIGRATE_TIMEOUT_MS). */
    async migrationClient(node: { ip: string; port: number }): Promise<RedisClient> {
        const address = { name: this.nameOf(node.ip) ?? node.ip, ip: node.ip, port: node.port };
        for (const password of passwordCandidates(this.spec)) {
            const c = adminClient(address, password, MIGRATE_TIMEOUT_MS + 10000);
            c.on("error", () => undefined);
            try {
                await c.connect();
                await c.ping();
                return c;
            } catch {
                c.disconnect();
            }
        }
        throw new Error(`${address.name} (${node.ip}:${node.port}) does not answer for the slot migration`);
    }

    client(name: string): RedisClient {
        const c = this.clients.get(name);
        if (!c) {
            throw new Error(`no connection to ${name}`);
        }
        return c;
    }
    byName(name: string): NodeAddress {
        const n = this.spec.nodes.find((x) => x.name === name);
        if (!n) {
            throw new Error(`${name} is not a planned node`);
        }
        return n;
    }
    nameOf(ip: string): string | undefined {
        return this.spec.nodes.find((n) => n.ip === ip)?.name;
    }
    /** The most complete view any node has: fewest unassigned slots, then most nodes known. */
    async bestView(): Promise<NodeLine[]> {
        const views = await Promise.all(this.spec.nodes.map((n) => this.view(n.name)));
        const score = (v: NodeLine[]) => coverageGaps(v).reduce((k, r) => k + r.end - r.start + 1, 0) * 1000 - v.length;
        return views.reduce((best, v) => (score(v) < score(best) ? v : best));
    }
    async view(name: string): Promise<NodeLine[]> {
        return parseClusterNodes(String(await this.client(name).call("CLUSTER", "NODES")));
    }
    async info(name: string, section: string): Promise<Record<string, string>> {
        return parseInfo(String(await this.client(name).call(section === "cluster" ? "CLUSTER" : "INFO", section === "cluster" ? "INFO" : section)));
    }
    close(): void {
        for (const c of [...this.clients.values(), ...this.others.values()]) {
            c.disconnect();
        }
    }
}

function roleSignature(view: NodeLine[]): string {
    return view
        .filter((n) => !isHandshake(n))
        .map((n) => `${n.id}:${n.masterId ?? "master"}`)
        .sort()
        .join(" ");
}

async function connectAll(spec: ClusterSpec, deadline: Deadline, log: Log): Promise<Nodes> {
    const clients = new Map<string, RedisClient>();
    let reported = -1;
    try {
        await waitUntil(
            deadline,
            () => `nodes to answer PING (${clients.size}/${spec.nodes.length} reachable: missing ${spec.nodes.filter((n) => !clients.has(n.name)).map((n) => `${n.name} ${n.ip}:${n.port}`).join(", ")})`,
            async () => {
                await Promise.all(
                    spec.nodes
                        .filter((n) => !clients.has(n.name))
                        .map(async (n) => {
                            const c = await tryConnect(n, passwordCandidates(spec));
                            if (c) {
                                clients.set(n.name, c);
                            }
                        }),
                );
                if (clients.size !== reported) {
                    reported = clients.size;
                    log(`nodes reachable ${clients.size}/${spec.nodes.length}`);
                }
                return clients.size === spec.nodes.length ? true : undefined;
            },
            250,
        );
    } catch (err) {
        for (const c of clients.values()) {
            c.disconnect();
        }
        throw err;
    }
    return new Nodes(spec, clients);
}

/**
 * Brings the planned nodes into the planned cluster: from scratch when all are
 * new, otherwise by joining new or empty nodes to the existing cluster. Returns
 * once every node reports cluster_state:ok, all agree on the slot map and
 * every replica's link to its master is up.
 */
export async function ensureCluster(spec: ClusterSpec, log: Log): Promise<ClusterReport> {
    const started = Date.now();
    const deadline = new Deadline(spec.timeoutMs, "cluster bootstrap");
    const nodes = await connectAll(spec, deadline, log);
    try {
        const reports: NodeReport[] = await Promise.all(
            spec.nodes.map(async (n) => ({
                name: n.name,
                ip: n.ip,
                keys: Number(await nodes.client(n.name).call("DBSIZE")),
                view: await nodes.view(n.name),
            })),
        );
        const verdict = assess(reports, spec.leavingIps);
        if (verdict.kind === "refuse") {
            throw new PermanentError(`refusing to change the cluster:\n - ${verdict.reasons.join("\n - ")}`);
        }
        if (verdict.kind === "fresh") {
            log(`creating a cluster of ${spec.shards.length} shards from ${spec.nodes.length} new nodes`);
            // Waits until healthy itself, before it restores the configured node timeout.
            await createCluster(nodes, deadline, log);
        } else {
            await healCluster(nodes, verdict.joining, deadline, log);
            await waitHealthy(nodes, deadline, log);
        }
        log(`cluster ok after ${((Date.now() - started) / 1000).toFixed(1)}s`);
        return await report(nodes);
    } finally {
        nodes.close();
    }
}

async function createCluster(nodes: Nodes, deadline: Deadline, log: Log): Promise<void> {
    const names = nodes.spec.nodes.map((n) => n.name);
    try {
        await setNodeTimeout(nodes, names, BOOTSTRAP_NODE_TIMEOUT_MS);
        // Distinct epochs before the nodes meet, so no two masters ever tie (as redis-cli does).
        await Promise.all(
            names.map((n, i) =>
                nodes
                    .client(n)
                    .call("CLUSTER", "SET-CONFIG-EPOCH", String(i + 1))
                    .catch(() => undefined),
            ),
        );
        await assignSlots(nodes, [], log);
        await meetAll(nodes, deadline, log);
        const view = await waitSlotAgreement(nodes, deadline);
        const leaders = nodes.spec.shards.map((s) => view.find((n) => n.ip === nodes.byName(s.master).ip)!.id);
        const staying = new Set(nodes.spec.nodes.map((n) => n.ip));
        await replicate(nodes, view, assignReplicas(view, leaders, staying, nodes.spec.shards[0]?.replicas.length ?? 0), deadline, log);
        await waitHealthy(nodes, deadline, log);
    } finally {
        // Restore the configured timeout on every path, so no node keeps the bootstrap value.
        await setNodeTimeout(nodes, names, nodes.spec.nodeTimeoutMs).catch(() => undefined);
    }
}

/** CONFIG SET cluster-node-timeout on the named nodes (runtime only: redis.conf keeps the configured value). */
async function setNodeTimeout(nodes: Nodes, names: string[], ms: number): Promise<void> {
    await Promise.all(names.map((n) => nodes.client(n).call("CONFIG", "SET", "cluster-node-timeout", String(ms))));
}

async function healCluster(nodes: Nodes, joining: string[], deadline: Deadline, log: Log): Promise<void> {
    if (joining.length > 0) {
        log(`joining ${joining.join(", ")} to the existing cluster`);
    }
    // Applies a changed nodeTimeoutMs without a restart, and undoes the bootstrap's lowered value if an
    // earlier run was interrupted before restoring it. Joining nodes get the short bootstrap timeout
    // until they say cluster_state:ok (well under a second), while they own no slots and cast no votes.
    await enforcePassword(nodes);
    const members = nodes.spec.nodes.map((n) => n.name).filter((n) => !joining.includes(n));
    await setNodeTimeout(nodes, members, nodes.spec.nodeTimeoutMs);
    await setNodeTimeout(nodes, joining, BOOTSTRAP_NODE_TIMEOUT_MS);
    try {
        await forgetGhosts(nodes, log);
        await meetAll(nodes, deadline, log);
        await finishOpenSlots(nodes, await nodes.bestView(), deadline, log);
        await assignSlots(nodes, await nodes.bestView(), log);
        // A node that does not yet see the cluster as ok answers CLUSTERDOWN, also to MIGRATE.
        await waitClusterOk(nodes, deadline, log);
    } finally {
        await setNodeTimeout(nodes, joining, nodes.spec.nodeTimeoutMs).catch(() => undefined);
    }
    // From here joined nodes may own slots and vote in failovers: they run with the configured timeout.
    // Roles of a formed cluster follow what it is now, not the initial plan's numbering.
    await reshape(nodes, deadline, log);
}

/**
 * Makes the configured password the only one every node accepts, and the one
 * replicas present. Ends a rotation, during which every node accepted the old one too.
 */
async function enforcePassword(nodes: Nodes): Promise<void> {
    const pw = nodes.spec.password;
    // CONFIG SET requirepass to the value a node already has is a no-op in Redis 7: it would leave
    // the old password that a rotation added with ACL SETUSER. resetpass drops every other password.
    const only = pw === undefined ? ["nopass"] : ["resetpass", `>${pw}`];
    await Promise.all(
        nodes.spec.nodes.map(async (n) => {
            // masteruser back to redis.conf's (none), which a rotation set.
            await nodes.client(n.name).call("CONFIG", "SET", "masteruser", "", "masterauth", pw ?? "", "requirepass", pw ?? "");
            await nodes.client(n.name).call("ACL", "SETUSER", "default", "on", ...only);
        }),
    );
}

async function waitClusterOk(nodes: Nodes, deadline: Deadline, log: Log): Promise<void> {
    let notOk: string[] = [];
    await waitUntil(
        deadline,
        () => `cluster_state:ok on ${notOk.join(", ")}`,
        async () => {
            const states = await Promise.all(nodes.spec.nodes.map(async (n) => ({ name: n.name, info: await nodes.info(n.name, "cluster") })));
            notOk = states.filter((s) => s.info.cluster_state !== "ok").map((s) => s.name);
            return notOk.length === 0 ? true : undefined;
        },
        50,
    );
    log(`cluster_state ok on all ${nodes.spec.nodes.length} nodes`);
}

/**
 * Changes the cluster's shape to the plan's: shards led by the right number
 * of masters, the standard slot split among them, the planned number of
 * replicas each, and nodes outside the plan drained and forgotten. Every step
 * moves keys with MIGRATE before ownership changes, so no key is lost.
 */
async function reshape(nodes: Nodes, deadline: Deadline, log: Log): Promise<void> {
    const spec = nodes.spec;
    const staying = new Set(spec.nodes.map((n) => n.ip));
    const replicas = spec.shards[0]?.replicas.length ?? 0;

    let view = await waitSlotAgreement(nodes, deadline);
    await failOverLeavingMasters(nodes, view, staying, deadline, log);

    view = await waitSlotAgreement(nodes, deadline);
    const choice = chooseLeaders(view, staying, spec.shards.length);
    const current = new Set(currentShardLeaders(view).map((n) => n.id));
    let reset = 0;
    for (const id of choice.leaders.filter((l) => !current.has(l))) {
        const line = view.find((n) => n.id === id)!;
        const client = await nodes.at(line.ip, line.port);
        // Ask the node itself: gossip may not have told the others yet that it became a replica.
        if (choice.toReset.includes(id) || parseInfo(String(await client.call("INFO", "replication"))).role !== "master") {
            log(`turning replica ${nodes.nameOf(line.ip)} into an empty master to lead a new shard`);
            await client.call("CLUSTER", "RESET", "SOFT");
            reset++;
        }
    }
    if (reset > 0) {
        await meetAll(nodes, deadline, log);
        view = await waitSlotAgreement(nodes, deadline);
    }

    const moves = orderMoves(view, slotMoves(view, choice.leaders), choice.leaders);
    if (moves.length > 0) {
        await copyFunctions(nodes, view, choice.leaders, log);
    }
    for (const move of moves) {
        await moveSlots(nodes, view, move, deadline, log);
    }
    if (moves.length > 0) {
        view = await waitSlotAgreement(nodes, deadline);
    }

    await replicate(nodes, view, assignReplicas(view, choice.leaders, staying, replicas), deadline, log);

    const leaving = departingNodes(await waitSlotAgreement(nodes, deadline), staying);
    if (leaving.length > 0) {
        await forgetLeavingNodes(nodes, leaving, deadline, log);
    }
}

/**
 * Redis Functions live on every master, not in a slot: a new master must have them before it
 * owns keys, or FCALL fails on the slots it receives (redis-cli --cluster add-node does the same).
 */
async function copyFunctions(nodes: Nodes, view: NodeLine[], leaders: string[], log: Log): Promise<void> {
    const lines = leaders.map((id) => view.find((n) => n.id === id)!);
    const clients = await Promise.all(lines.map((l) => nodes.at(l.ip, l.port)));
    const counts = await Promise.all(clients.map(async (c) => ((await c.call("FUNCTION", "LIST")) as unknown[]).length));
    const richest = counts.indexOf(Math.max(...counts));
    if (counts[richest] === 0) {
        return;
    }
    const dump = (await clients[richest].callBuffer("FUNCTION", "DUMP")) as Buffer;
    const lacking = clients.filter((_, i) => counts[i] < counts[richest]);
    // REPLACE: a library of the same name is overwritten with the one the cluster already runs.
    await Promise.all(lacking.map((c) => c.call("FUNCTION", "RESTORE", dump, "REPLACE")));
    if (lacking.length > 0) {
        log(`copied ${counts[richest]} function librar${counts[richest] === 1 ? "y" : "ies"} to ${lacking.length} new master(s)`);
    }
}

/** A master that leaves with a synced staying replica hands over by failover: no keys move. */
async function failOverLeavingMasters(nodes: Nodes, view: NodeLine[], staying: Set<string>, deadline: Deadline, log: Log): Promise<void> {
    for (const master of view.filter((n) => isMaster(n) && n.slots.length > 0 && !staying.has(n.ip))) {
        const heir = view.find((r) => r.masterId === master.id && staying.has(r.ip) && !isFailed(r));
        if (!heir) {
            continue;
        }
        const client = await nodes.at(heir.ip, heir.port);
        if (parseInfo(String(await client.call("INFO", "replication"))).master_link_status !== "up") {
            continue;
        }
        log(`failing ${master.ip} over to ${nodes.nameOf(heir.ip)} before it leaves`);
        await client.call("CLUSTER", "FAILOVER");
        // OK only means scheduled: wait for the role to change.
        await waitUntil(deadline, () => `${nodes.nameOf(heir.ip)} to take over from ${master.ip}`, async () =>
            parseInfo(String(await client.call("INFO", "replication"))).role === "master" ? true : undefined,
        );
    }
}

/** MIGRATE's own I/O timeout (ms of inactivity on the target); the client waits a little longer for the reply. */
const MIGRATE_TIMEOUT_MS = 60000;
/** Keys per MIGRATE: big keys travel in small batches, so one reply never waits on too much data. */
const MIGRATE_BATCH_KEYS = 100;
const PROGRESS_EVERY_MS = 5000;

/**
 * Moves slots with the IMPORTING/MIGRATING protocol, keys in batches, then tells every master the
 * new owner. Its time is measured by progress (it logs slots, keys and rate), not by the
 * reshape's deadline, which is extended by the time the move took.
 */
async function moveSlots(nodes: Nodes, view: NodeLine[], move: SlotMove, deadline: Deadline, log: Log): Promise<void> {
    const started = Date.now();
    const src = view.find((n) => n.id === move.from)!;
    const dst = view.find((n) => n.id === move.to)!;
    const from = await nodes.at(src.ip, src.port);
    const to = await nodes.at(dst.ip, dst.port);
    const masters = await Promise.all(view.filter((n) => isMaster(n) && !isFailed(n)).map((n) => nodes.at(n.ip, n.port)));
    const slots = move.slots.flatMap((r) => Array.from({ length: r.end - r.start + 1 }, (_, i) => r.start + i));
    const auth = nodes.spec.password === undefined ? [] : ["AUTH", nodes.spec.password];
    // MIGRATE blocks until the target has stored the batch: the admin clients' 5 s bound would fail big keys.
    const migrator = await nodes.migrationClient(src);
    const fromName = nodes.nameOf(src.ip) ?? src.ip;
    const toName = nodes.nameOf(dst.ip) ?? dst.ip;
    let keys = 0;
    let lastProgress = Date.now();
    const progress = (done: number) => {
        if (Date.now() - lastProgress < PROGRESS_EVERY_MS) return;
        lastProgress = Date.now();
        const rate = keys / Math.max(0.001, (Date.now() - started) / 1000);
        log(`moving slots from ${fromName} to ${toName}: ${done}/${slots.length} slots, ${keys} keys (${rate.toFixed(0)} keys/s)`);
    };
    try {
        for (let i = 0; i < slots.length; i += 128) {
            const batch = slots.slice(i, i + 128);
            await Promise.all(batch.map((slot) => to.call("CLUSTER", "SETSLOT", String(slot), "IMPORTING", move.from)));
            await Promise.all(batch.map((slot) => from.call("CLUSTER", "SETSLOT", String(slot), "MIGRATING", move.to)));
            for (const [k, slot] of batch.entries()) {
                for (;;) {
                    const found = (await from.call("CLUSTER", "GETKEYSINSLOT", String(slot), String(MIGRATE_BATCH_KEYS))) as string[];
                    if (found.length === 0) break;
                    // REPLACE: a key a previous, interrupted MIGRATE already copied is overwritten by the source's.
                    await migrator.call("MIGRATE", dst.ip, String(dst.port), "", "0", String(MIGRATE_TIMEOUT_MS), "REPLACE", ...auth, "KEYS", ...found);
                    keys += found.length;
                    progress(i + k);
                }
            }
            // The new owner first, then the old one, then everybody else.
            await Promise.all(batch.map((slot) => to.call("CLUSTER", "SETSLOT", String(slot), "NODE", move.to)));
            await Promise.all(
                batch.map((slot) =>
                    from.call("CLUSTER", "SETSLOT", String(slot), "NODE", move.to).catch((err: Error) => {
                        // A source that has just lost its last slot may already have turned itself into a
                        // replica of the new owner (cluster-allow-replica-migration): it knows the owner then.
                        if (!/only with masters/.test(String(err?.message))) throw err;
                    }),
                ),
            );
            await Promise.all(
                masters
                    .filter((m) => m !== to && m !== from)
                    .flatMap((m) => batch.map((slot) => m.call("CLUSTER", "SETSLOT", String(slot), "NODE", move.to).catch(() => undefined))),
            );
        }
    } finally {
        migrator.disconnect();
        deadline.extend(Date.now() - started);
    }
    log(`moved slots ${move.slots.map(formatRange).join(",")} (${slots.length} slots, ${keys} keys) from ${fromName} to ${toName}`);
}

/**
 * Resolves slots left open by an interrupted migration: the move is finished
 * toward the node that was importing it, so keys already copied stay valid.
 */
async function finishOpenSlots(nodes: Nodes, view: NodeLine[], deadline: Deadline, log: Log): Promise<void> {
    const moves = new Map<string, SlotMove>();
    for (const n of nodes.spec.nodes) {
        const self = (await nodes.view(n.name)).find(isMyself);
        for (const marker of self?.openSlots ?? []) {
            const m = /^\[(\d+)-([<>])-([0-9a-f]+)\]$/.exec(marker);
            if (!m) continue;
            const slot = Number(m[1]);
            const owner = view.find((x) => x.slots.some((r) => r.start <= slot && slot <= r.end));
            // "->-" : this node migrates the slot to m[3]; "-<-" : this node imports it from m[3].
            const to = m[2] === ">" ? m[3] : self!.id;
            const from = owner?.id ?? (m[2] === ">" ? self!.id : m[3]);
            if (from === to) continue;
            const key = `${from}>${to}`;
            const move = moves.get(key) ?? { from, to, slots: [] };
            // Source and target both mark the slot: count it once.
            if (!move.slots.some((r) => r.start === slot)) move.slots.push({ start: slot, end: slot });
            moves.set(key, move);
        }
    }
    for (const move of moves.values()) {
        log(`finishing an interrupted migration of ${move.slots.length} slot(s)`);
        await moveSlots(nodes, view, { ...move, slots: mergeRanges(move.slots) }, deadline, log);
    }
}

/** Removes nodes outside the plan from every staying node's table, and resets them so they cannot rejoin. */
async function forgetLeavingNodes(nodes: Nodes, leaving: NodeLine[], deadline: Deadline, log: Log): Promise<void> {
    for (const n of leaving) {
        if (n.slots.length > 0) {
            throw new Error(`${n.ip} still owns slots ${n.slots.map(formatRange).join(",")}; refusing to forget it`);
        }
    }
    log(`forgetting ${leaving.length} node(s) leaving the cluster: ${leaving.map((n) => n.ip).join(", ")}`);
    await Promise.all(
        leaving.map(async (n) => {
            const c = await nodes.at(n.ip, n.port).catch(() => undefined);
            // A replica of a leaving node must not follow it out: it is reassigned before this point.
            await c?.call("CLUSTER", "RESET", "HARD").catch(() => undefined);
        }),
    );
    for (const staying of nodes.spec.nodes) {
        for (const n of leaving) {
            await nodes
                .client(staying.name)
                .call("CLUSTER", "FORGET", n.id)
                .catch(() => undefined);
        }
    }
    await waitUntil(deadline, () => "the leaving nodes to be forgotten everywhere", async () => {
        const ids = new Set(leaving.map((n) => n.id));
        for (const staying of nodes.spec.nodes) {
            if ((await nodes.view(staying.name)).some((l) => ids.has(l.id))) return undefined;
        }
        return true;
    });
}

/**
 * A node that came back with an empty volume has a new id at an old address;
 * the old id lingers as a failed node. Forget it everywhere so the cluster
 * stops waiting for it.
 */
async function forgetGhosts(nodes: Nodes, log: Log): Promise<void> {
    const views = await Promise.all(nodes.spec.nodes.map(async (n) => ({ name: n.name, view: await nodes.view(n.name) })));
    const liveIds = new Set(views.map((v) => v.view.find(isMyself)?.id).filter((id): id is string => !!id));
    const ghosts = new Set<string>();
    for (const { view } of views) {
        for (const n of view) {
            if (!liveIds.has(n.id) && (isFailed(n) || nodes.nameOf(n.ip) !== undefined) && n.slots.length === 0) {
                ghosts.add(n.id);
            }
        }
    }
    if (ghosts.size === 0) {
        return;
    }
    log(`forgetting ${ghosts.size} departed node id(s): ${[...ghosts].map((g) => g.slice(0, 8)).join(", ")}`);
    for (const { name, view } of views) {
        for (const id of ghosts) {
            if (view.some((n) => n.id === id)) {
                await nodes
                    .client(name)
                    .call("CLUSTER", "FORGET", id)
                    .catch(() => undefined);
            }
        }
    }
}

/** Makes every planned node know every other, resending MEET for handshakes Redis dropped. */
async function meetAll(nodes: Nodes, deadline: Deadline, log: Log): Promise<void> {
    const all = nodes.spec.nodes;
    const missing = async () => {
        const gaps: { from: string; to: NodeAddress }[] = [];
        for (const n of all) {
            const view = await nodes.view(n.name);
            const known = new Set(view.filter((v) => !isHandshake(v)).map((v) => v.ip));
            for (const m of all) {
                if (m.name !== n.name && !known.has(m.ip)) {
                    gaps.push({ from: n.name, to: m });
                }
            }
        }
        return gaps;
    };
    let gaps = await missing();
    if (gaps.length === 0) {
        return;
    }
    log(`meeting ${all.length} nodes`);
    let lastMeet = 0;
    await waitUntil(
        deadline,
        () => `all nodes to know each other (${gaps.length} links missing, e.g. ${gaps[0]?.from} -> ${gaps[0]?.to.name})`,
        async () => {
            gaps = await missing();
            if (gaps.length === 0) {
                return true;
            }
            // A handshake that does not finish within the node timeout is dropped silently: ask again.
            if (Date.now() - lastMeet > 1000) {
                lastMeet = Date.now();
                await Promise.all(
                    gaps.map((g) =>
                        nodes
                            .client(g.from)
                            .call("CLUSTER", "MEET", g.to.ip, String(g.to.port))
                            .catch(() => undefined),
                    ),
                );
            }
            return undefined;
        },
        50,
    );
    log(`all ${all.length} nodes know each other`);
}

/**
 * Assigns every slot nobody owns to the shard planned for it, on the node that
 * currently leads that shard. On a new cluster that is all of them.
 */
async function assignSlots(nodes: Nodes, view: NodeLine[], log: Log): Promise<void> {
    const gaps = coverageGaps(view);
    if (gaps.length === 0) {
        return;
    }
    for (const shard of nodes.spec.shards) {
        const planned = shard.slots.map(parseRange);
        const missing = intersect(planned, gaps);
        if (missing.length === 0) {
            continue;
        }
        const leader = currentLeader(view, planned, nodes) ?? shard.master;
        const args = missing.flatMap((r) => [String(r.start), String(r.end)]);
        await nodes.client(leader).call("CLUSTER", "ADDSLOTSRANGE", ...args);
        log(`slots ${missing.map(formatRange).join(",")} -> ${leader}`);
    }
}

function intersect(a: SlotRange[], b: SlotRange[]): SlotRange[] {
    const out: SlotRange[] = [];
    for (const x of a) {
        for (const y of b) {
            const start = Math.max(x.start, y.start);
            const end = Math.min(x.end, y.end);
            if (start <= end) {
                out.push({ start, end });
            }
        }
    }
    return mergeRanges(out);
}

/** The node that now owns any of a shard's planned slots (it may be a promoted replica). */
function currentLeader(view: NodeLine[], planned: SlotRange[], nodes: Nodes): string | undefined {
    // Only a confirmed FAIL disqualifies: a busy machine shows transient PFAIL ("fail?") during bootstrap.
    const owner = view.find((n) => isMaster(n) && !n.flags.includes("fail") && intersect(n.slots, planned).length > 0);
    return owner ? nodes.nameOf(owner.ip) : undefined;
}

/**
 * Waits until every node reports the same owner for every slot and no slot
 * is unassigned (what redis-cli calls waiting for the cluster to join), and
 * returns that agreed view.
 */
async function waitSlotAgreement(nodes: Nodes, deadline: Deadline): Promise<NodeLine[]> {
    let detail = "";
    return waitUntil(
        deadline,
        () => `all nodes to agree on the slot map (${detail})`,
        async () => {
            const views = await Promise.all(nodes.spec.nodes.map((n) => nodes.view(n.name)));
            const maps = new Set(views.map(slotOwnership));
            const gaps = coverageGaps(views[0]);
            detail = `${maps.size} different maps, ${gaps.length} unassigned ranges`;
            return maps.size === 1 && gaps.length === 0 ? views[0] : undefined;
        },
        50,
    );
}

/** Sends CLUSTER REPLICATE for each assignment, retrying until the replica knows its master. */
async function replicate(nodes: Nodes, view: NodeLine[], assignments: ReplicaAssignment[], deadline: Deadline, log: Log): Promise<void> {
    await Promise.all(
        assignments.map(async (a) => {
            const line = view.find((n) => n.id === a.node)!;
            const client = await nodes.at(line.ip, line.port);
            await waitUntil(deadline, () => `${nodes.nameOf(line.ip)} to accept CLUSTER REPLICATE ${a.masterId}`, async () => {
                await client.call("CLUSTER", "REPLICATE", a.masterId);
                return true;
            });
        }),
    );
    if (assignments.length > 0) {
        const name = (id: string) => {
            const l = view.find((n) => n.id === id)!;
            return nodes.nameOf(l.ip) ?? l.ip;
        };
        log(`replicas attached: ${assignments.map((a) => `${name(a.node)}->${name(a.masterId)}`).join(", ")}`);
    }
}

/** cluster_state:ok everywhere, one slot map, no open slots, every replica linked. */
async function waitHealthy(nodes: Nodes, deadline: Deadline, log: Log): Promise<void> {
    const names = nodes.spec.nodes.map((n) => n.name);
    let lastProblem = "";
    let lastLogged = "";
    await waitUntil(
        deadline,
        () => `a healthy cluster (${lastProblem})`,
        async () => {
            const states = await Promise.all(
                names.map(async (name) => ({
                    name,
                    cluster: await nodes.info(name, "cluster"),
                    replication: await nodes.info(name, "replication"),
                    view: await nodes.view(name),
                })),
            );
            const notOk = states.filter((s) => s.cluster.cluster_state !== "ok").map((s) => s.name);
            const maps = new Set(states.map((s) => slotOwnership(s.view)));
            // Every node must also agree on who replicates whom, or outputs read from one node could be stale.
            const roles = new Set(states.map((s) => roleSignature(s.view)));
            const open = states.filter((s) => s.view.some((l) => isMyself(l) && l.openSlots.length > 0)).map((s) => s.name);
            const replicas = states.filter((s) => s.replication.role === "slave");
            const linked = replicas.filter((s) => s.replication.master_link_status === "up");
            const gaps = uncoveredSlots(states[0].view.flatMap((l) => l.slots));
            const problems: string[] = [];
            if (notOk.length > 0) problems.push(`cluster_state not ok on ${notOk.join(", ")}`);
            if (maps.size > 1) problems.push(`nodes disagree on the slot map`);
            if (roles.size > 1) problems.push(`nodes disagree on which node replicates which`);
            if (gaps.length > 0) problems.push(`slots ${gaps.map(formatRange).join(",")} unassigned`);
            if (open.length > 0) problems.push(`open slots on ${open.join(", ")}`);
            if (linked.length < replicas.length) problems.push(`replicas in sync ${linked.length}/${replicas.length}`);
            lastProblem = problems.join("; ");
            const progress = `cluster_state ok ${names.length - notOk.length}/${names.length}, replicas in sync ${linked.length}/${replicas.length}`;
            if (progress !== lastLogged) {
                lastLogged = progress;
                log(progress);
            }
            return problems.length === 0 ? true : undefined;
        },
        100,
    );
}

async function report(nodes: Nodes): Promise<ClusterReport> {
    const first = nodes.spec.nodes[0].name;
    const view = await nodes.view(first);
    const info = await nodes.info(first, "cluster");
    return summarize(view, info.cluster_state ?? "unknown", (ip) => nodes.nameOf(ip));
}

function summarize(view: NodeLine[], clusterState: string, nameOf: (ip: string) => string | undefined): ClusterReport {
    return {
        clusterState,
        shards: describeShards(view, nameOf),
        nodes: view
            .map((n) => ({
                name: nameOf(n.ip) ?? n.ip,
                ip: n.ip,
                role: isMaster(n) ? "master" : "replica",
                nodeId: n.id,
                health: isFailed(n) ? "fail" : n.linkState === "connected" ? "online" : n.linkState,
            }))
            .sort((a, b) => a.name.localeCompare(b.name, undefined, { numeric: true })),
    };
}

/**
 * Reads the live topology from the first planned node that answers, without
 * changing anything. Undefined when no node answers.
 */
export async function readCluster(spec: ClusterSpec): Promise<ClusterReport | undefined> {
    for (const node of spec.nodes) {
        const client = await tryConnect(node, passwordCandidates(spec)).catch(() => undefined);
        if (!client) {
            continue;
        }
        try {
            const view = parseClusterNodes(String(await client.call("CLUSTER", "NODES")));
            const info = parseInfo(String(await client.call("CLUSTER", "INFO")));
            return summarize(view, info.cluster_state ?? "unknown", (ip) => spec.nodes.find((n) => n.ip === ip)?.name);
        } catch {
            continue;
        } finally {
            client.disconnect();
        }
    }
    return undefined;
}
