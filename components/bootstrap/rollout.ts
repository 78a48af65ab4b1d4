/**
 * Makes way for a container restart: waits until the node restarted before
 * is back (a new run id) and synced, makes every node accept the old and the new
 * password during a rotation, and fails every restarting master over to a synced
 * replica, so the restart costs no availability and no acknowledged write.
 */
import type { Redis as RedisClient } from "ioredis";
import { Deadline, Log, NodeAddress, passwordCandidates, tryConnect, waitUntil } from "./engine";
import { ReplicaState, RestartRecord, chooseHeir, replicaInSync } from "./handover";
import { NodeLine, isHandshake, isMaster, isMyself, parseClusterNodes, parseInfo, slotOwnership } from "./topology";

export interface RolloutSpec {
    /** Every planned node; whichever answer are the cluster as it is now. */
    nodes: NodeAddress[];
    /** The node whose container Pulumi recreates as soon as this returns, if any. */
    restarting?: NodeAddress;
    /** The node the previous gate let restart: it must be back and synced first. */
    after?: RestartRecord;
    /** Whether the restarting node comes back with the append-only file on. */
    appendonly?: boolean;
    password?: string;
    previousPassword?: string;
    timeoutMs: number;
}

/** How long one CLUSTER FAILOVER may take before it is asked for again (Redis gives up on its own after 5 s). */
const FAILOVER_RETRY_MS = 6000;

class LiveNodes {
    readonly clients = new Map<string, RedisClient>();
    constructor(private readonly spec: RolloutSpec) {}

    /** Connects to every planned node that answers now; a node further down the rollout may not exist yet. */
    async connect(): Promise<void> {
        await Promise.all(
            this.spec.nodes
                .filter((n) => !this.clients.has(n.ip))
                .map(async (n) => {
                    const c = await tryConnect(n, passwordCandidates(this.spec));
                    if (c) this.clients.set(n.ip, c);
                }),
        );
    }
    nameOf(ip: string): string {
        return this.spec.nodes.find((n) => n.ip === ip)?.name ?? ip;
    }
    async view(ip: string): Promise<NodeLine[]> {
        return parseClusterNodes(String(await this.clients.get(ip)!.call("CLUSTER", "NODES")));
    }
    async replication(ip: string): Promise<Record<string, string>> {
        return parseInfo(String(await this.clients.get(ip)!.call("INFO", "replication")));
    }
    /** Nodes that belong to a cluster: they know another node, or own slots. */
    async members(): Promise<string[]> {
        const ips = [...this.clients.keys()];
        const views = await Promise.all(ips.map((ip) => this.view(ip).catch(() => [] as NodeLine[])));
        return ips.filter((_, i) => views[i].filter((l) => !isHandshake(l)).length > 1 || views[i].some((l) => isMyself(l) && l.slots.length > 0));
    }
    close(): void {
        for (const c of this.clients.values()) c.disconnect();
    }
}

/** Returns the restarting node's run id, which changes when it is back; undefined when nothing restarts. */
export async function makeWayForRestart(spec: RolloutSpec, log: Log): Promise<string | undefined> {
    const node = spec.restarting;
    if (!node) {
        return undefined;
    }
    const deadline = new Deadline(spec.timeoutMs, `making way to restart ${node.name}`);
    const after = spec.after && spec.nodes.some((n) => n.ip === spec.after!.ip) ? spec.after : undefined;
    if (after) {
        await waitUntilBack(spec, after, deadline);
    }
    const live = new LiveNodes(spec);
    try {
        await live.connect();
        const members = await live.members();
        if (members.length === 0) {
            log(`${node.name}: no cluster to hand over from; restarting`);
            return undefined;
        }
        if (passwordCandidates(spec).length > 1) {
            // Also on the node restarted just before: its replication may need the rotation's masteruser.
            await acceptBothPasswords(live, [...live.clients.keys()], spec.password, spec.previousPassword, log);
        }
        if (after && live.clients.has(after.ip)) {
            await waitUntil(deadline, () => `${after.name} to sync with its master after its restart`, async () => {
                const info = await live.replication(after.ip);
                return info.role === "master" || replicaInSync(info) ? true : undefined;
            }, 200);
        }
        // A shard whose only node restarted is back only when the cluster serves every slot again
        // (cluster-require-full-coverage): no second node goes before that.
        await waitClusterOk(live, members, deadline);
        if (members.includes(node.ip)) {
            await handOver(live, node, new Set([node.ip]), deadline, log);
        }
        await waitSlotAgreement(live, members, deadline);
        if (spec.appendonly && live.clients.has(node.ip)) {
            await writeAppendOnlyFile(live, node, deadline, log);
        }
        const runId = live.clients.has(node.ip) ? parseInfo(String(await live.clients.get(node.ip)!.call("INFO", "server"))).run_id : undefined;
        log(`${node.name}: ready to restart`);
        return runId;
    } finally {
        live.close();
    }
}

/** Waits until `node` answers with a new run id and has loaded its data. */
async function waitUntilBack(spec: RolloutSpec, node: RestartRecord, deadline: Deadline): Promise<void> {
    await waitUntil(deadline, () => `${node.name} to be back after its restart`, async () => {
        const client = await tryConnect(node, passwordCandidates(spec));
        if (!client) return undefined;
        try {
            const info = parseInfo(String(await client.call("INFO")));
            return info.run_id !== node.runId && info.loading === "0" ? true : undefined;
        } finally {
            client.disconnect();
        }
    }, 200);
}

/**
 * Every node accepts both passwords, and replicas present the new one:
 * restarted nodes and the others can then replicate from each other, and
 * clients of either keep working. Every gate of the rotation does this again,
 * so nodes restarted since (their redis.conf knows only the new password)
 * take the old one back. The final reconcile drops the old password.
 */
async function acceptBothPasswords(live: LiveNodes, ips: string[], password: string | undefined, previous: string | undefined, log: Log): Promise<void> {
    // Without a password on one side, clients that send none must get in: no password check at all.
    const accept = password === undefined || previous === undefined ? ["nopass"] : [`>${password}`, `>${previous}`];
    await Promise.all(ips.map((ip) => live.clients.get(ip)!.call("ACL", "SETUSER", "default", "on", ...accept)));
    // masteruser makes replicas send AUTH default <password>: a master still without a password
    // (nopass) refuses the one-argument AUTH that masterauth alone sends, but accepts this form.
    await Promise.all(ips.map((ip) => live.clients.get(ip)!.call("CONFIG", "SET", "masteruser", "default", "masterauth", password ?? "")));
    log(`password rotation: ${ips.length} nodes accept the old and the new password`);
}

/**
 * A node that restarts with `appendonly yes` loads only its AOF and ignores its RDB: without an
 * AOF it would come back empty. Turn AOF on at run time first and wait until the rewrite has
 * written the whole data set to it.
 */
async function writeAppendOnlyFile(live: LiveNodes, node: NodeAddress, deadline: Deadline, log: Log): Promise<void> {
    const client = live.clients.get(node.ip)!;
    const persistence = async () => parseInfo(String(await client.call("INFO", "persistence")));
    if ((await persistence()).aof_enabled === "1") {
        return;
    }
    log(`${node.name}: writing its data to an append-only file before it restarts with appendonly yes`);
    await client.call("CONFIG", "SET", "appendonly", "yes");
    await waitUntil(deadline, () => `${node.name} to finish writing its append-only file`, async () => {
        const p = await persistence();
        if (p.aof_last_bgrewrite_status === "err") {
            throw new Error(`${node.name} failed to write its append-only file (aof_last_bgrewrite_status:err); see its log`);
        }
        return p.aof_enabled === "1" && p.aof_rewrite_in_progress === "0" && p.aof_rewrite_scheduled === "0" ? true : undefined;
    }, 100);
}

/** Every member says cluster_state:ok. */
async function waitClusterOk(live: LiveNodes, ips: string[], deadline: Deadline): Promise<void> {
    let notOk: string[] = [];
    await waitUntil(deadline, () => `cluster_state:ok on ${notOk.map((ip) => live.nameOf(ip)).join(", ")}`, async () => {
        const states = await Promise.all(ips.map(async (ip) => parseInfo(String(await live.clients.get(ip)!.call("CLUSTER", "INFO"))).cluster_state));
        notOk = ips.filter((_, i) => states[i] !== "ok");
        return notOk.length === 0 ? true : undefined;
    }, 100);
}

/** A master about to restart hands its slots to its most up-to-date synced replica first. */
async function handOver(live: LiveNodes, node: NodeAddress, restarting: Set<string>, deadline: Deadline, log: Log): Promise<void> {
    const self = (await live.view(node.ip)).find(isMyself);
    if (!self || !isMaster(self) || self.slots.length === 0) {
        return;
    }
    const replicasOf = async (): Promise<{ view: NodeLine[]; states: Map<string, ReplicaState> }> => {
        await live.connect();
        const view = await live.view(node.ip);
        const states = new Map<string, ReplicaState>();
        for (const r of view.filter((l) => l.masterId === self.id && live.clients.has(l.ip))) {
            const info = await live.replication(r.ip).catch(() => ({}) as Record<string, string>);
            states.set(r.ip, { linked: replicaInSync(info), offset: Number(info.slave_repl_offset ?? -1) });
        }
        return { view, states };
    };
    const first = await replicasOf();
    if (first.view.every((l) => l.masterId !== self.id)) {
        log(`${node.name} has no replica: its slots are unavailable while it restarts (its data is kept)`);
        return;
    }
    // A replica that answers nobody (stopped, or its container gone) cannot take over; this very
    // up recreates it later. One the previous gate restarted answers again by now.
    if (first.view.every((l) => l.masterId !== self.id || !live.clients.has(l.ip))) {
        log(`${node.name}: none of its replicas answers: its slots are unavailable while it restarts (its data is kept)`);
        return;
    }
    // A replica restarted just before may still be loading or syncing: wait for it.
    const heir = await waitUntil(deadline, () => `a synced replica of ${node.name} to take over from it`, async () => {
        const { view, states } = await replicasOf();
        return chooseHeir(view, self, restarting, states);
    }, 200);
    const heirClient = live.clients.get(heir.ip)!;
    log(`failing ${node.name} over to ${live.nameOf(heir.ip)} before it restarts`);
    let asked = 0;
    await waitUntil(deadline, () => `${live.nameOf(heir.ip)} to take over from ${node.name}`, async () => {
        if (Date.now() - asked > FAILOVER_RETRY_MS) {
            asked = Date.now();
            // Without FORCE: the master stops writes until the replica has caught up, so nothing acknowledged is lost.
            await heirClient.call("CLUSTER", "FAILOVER");
        }
        const [heirRole, oldRole] = await Promise.all([live.replication(heir.ip), live.replication(node.ip)]);
        return heirRole.role === "master" && oldRole.role === "slave" ? true : undefined;
    }, 100);
}

/** Every member tells clients the same owners, so none is sent to a node about to stop. */
async function waitSlotAgreement(live: LiveNodes, ips: string[], deadline: Deadline): Promise<void> {
    await waitUntil(deadline, () => "all nodes to agree on the new masters", async () => {
        const maps = new Set((await Promise.all(ips.map((ip) => live.view(ip)))).map(slotOwnership));
        return maps.size === 1 ? true : undefined;
    }, 100);
}
