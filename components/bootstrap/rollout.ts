/**
 * Makes way for a container restart: waits until the node restarted before
 * has rejoined and synced, makes every node accept the old and the new
 * password during a rotation, and fails every restarting master over to a synced
 * replica, so the restart costs no availability and no acknowledged write.
 */
import type { Redis as RedisClient } from "ioredis";
import { Deadline, Log, NodeAddress, passwordCandidates, tryConnect, waitUntil } from "./engine";
import { ReplicaState, chooseHeir } from "./handover";
import { NodeLine, isHandshake, isMaster, isMyself, parseClusterNodes, parseInfo, slotOwnership } from "./topology";

export interface RolloutSpec {
    /** Every planned node; whichever answer are the cluster as it is now. */
    nodes: NodeAddress[];
    /** Nodes whose containers Pulumi recreates as soon as this returns. */
    restarting: NodeAddress[];
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

export async function makeWayForRestart(spec: RolloutSpec, log: Log): Promise<void> {
    if (spec.restarting.length === 0) {
        return;
    }
    const names = spec.restarting.map((n) => n.name).join(", ");
    const deadline = new Deadline(spec.timeoutMs, `making way to restart ${names}`);
    const live = new LiveNodes(spec);
    try {
        await live.connect();
        const members = await live.members();
        if (members.length === 0) {
            log(`${names}: no cluster to hand over from; restarting`);
            return;
        }
        if (passwordCandidates(spec).length > 1) {
            await acceptBothPasswords(live, [...live.clients.keys()], spec.password, spec.previousPassword, log);
        }
        for (const node of spec.restarting) {
            if (members.includes(node.ip)) {
                await handOver(live, node, new Set(spec.restarting.map((n) => n.ip)), deadline, log);
            }
        }
        await waitSlotAgreement(live, members, deadline);
        log(`${names}: ready to restart`);
    } finally {
        live.close();
    }
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
            states.set(r.ip, { linked: info.master_link_status === "up" && info.master_sync_in_progress === "0", offset: Number(info.slave_repl_offset ?? -1) });
        }
        return { view, states };
    };
    if ((await replicasOf()).view.every((l) => l.masterId !== self.id)) {
        log(`${node.name} has no replica: its slots are unavailable while it restarts (its data is kept)`);
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
