/**
 * Masters back on an even spread over the hosts. Pure.
 *
 * When a host is lost, Redis promotes the lost masters' replicas on other hosts; when it returns, its
 * nodes come back as replicas. A host then runs more masters than an even spread gives it, and losing
 * that host next may take a majority of the masters with it (planning/quorum). A coordinated
 * failover to a replica on a host that runs fewer masters puts the shard back, one shard at a time,
 * without losing a write.
 *
 * The spread is judged by counts per host, not by which node the plan names first in a shard: a
 * grown cluster leads its new shards where the reshape chose (an empty node), and handing such a
 * shard on at once would be a failover for nothing.
 */
import { NodeLine, endpoint, isFailed, isMaster } from "./topology";

/** A shard whose master hands over to `heir`, its replica on a host short of masters. */
export interface MasterMove {
    master: NodeLine;
    heir: NodeLine;
    fromHost: string;
    toHost: string;
}

/**
 * The failovers that bring every host down to at most its planned number of masters, as far as the
 * replicas allow: each moves a shard from a host over its count to a replica on a host under its
 * count (the one furthest under), so no host ever goes over. Nothing without hosts (`hostOf`
 * undefined for a serving master) or when the view already matches.
 */
export function mastersBackToPlan(view: readonly NodeLine[], hostOf: (n: NodeLine) => string | undefined, planned: Map<string, number>): MasterMove[] {
    const masters = view.filter((n) => isMaster(n) && n.slots.length > 0 && !isFailed(n)).sort((a, b) => a.slots[0].start - b.slots[0].start);
    if (masters.some((m) => hostOf(m) === undefined)) return [];
    const live = new Map<string, number>();
    for (const m of masters) live.set(hostOf(m)!, (live.get(hostOf(m)!) ?? 0) + 1);
    const spare = (host: string) => (planned.get(host) ?? 0) - (live.get(host) ?? 0);
    const moves: MasterMove[] = [];
    for (const master of masters) {
        const fromHost = hostOf(master)!;
        if (spare(fromHost) >= 0) continue;
        const heir = view
            .filter((r) => r.masterId === master.id && !isFailed(r) && hostOf(r) !== undefined && spare(hostOf(r)!) > 0)
            .sort((a, b) => spare(hostOf(b)!) - spare(hostOf(a)!))[0];
        if (heir === undefined) continue;
        const toHost = hostOf(heir)!;
        moves.push({ master, heir, fromHost, toHost });
        live.set(fromHost, live.get(fromHost)! - 1);
        live.set(toHost, (live.get(toHost) ?? 0) + 1);
    }
    return moves;
}

/** The plan as the bootstrap carries it: nodes with their hosts, and its shards (only their count matters here). */
export interface HostedPlan {
    nodes: { name: string; ip: string; port: number; host?: string }[];
    shards: readonly unknown[];
}

/**
 * How many masters each of `hosts` is to run for `shards` shards: as even as the count allows (so
 * that losing any one host takes as few as possible), the larger shares going to the hosts that run
 * the most now (`live`; ties in the order of `hosts`), so that an even layout is its own target.
 */
export function evenMasterCounts(hosts: readonly string[], live: ReadonlyMap<string, number>, shards: number): Map<string, number> {
    const counts = new Map<string, number>();
    if (hosts.length === 0) return counts;
    const base = Math.floor(shards / hosts.length);
    const larger = new Set(
        hosts
            .map((h, i) => ({ h, i, now: live.get(h) ?? 0 }))
            .sort((a, b) => b.now - a.now || a.i - b.i)
            .slice(0, shards % hosts.length)
            .map((x) => x.h),
    );
    for (const h of hosts) counts.set(h, base + (larger.has(h) ? 1 : 0));
    return counts;
}

/** mastersBackToPlan toward an even spread over the plan's hosts; nothing on one host, or for a plan without hosts. */
export function masterMovesFor(view: readonly NodeLine[], plan: HostedPlan): MasterMove[] {
    const hostByEndpoint = new Map(plan.nodes.filter((n) => n.host !== undefined).map((n) => [endpoint(n), n.host!]));
    if (hostByEndpoint.size === 0) return [];
    const hostOf = (n: NodeLine) => hostByEndpoint.get(endpoint(n));
    const live = new Map<string, number>();
    for (const m of view.filter((n) => isMaster(n) && n.slots.length > 0 && !isFailed(n))) {
        const host = hostOf(m);
        if (host !== undefined) live.set(host, (live.get(host) ?? 0) + 1);
    }
    const hosts = [...new Set(plan.nodes.map((n) => n.host).filter((h): h is string => h !== undefined))];
    return mastersBackToPlan(view, hostOf, evenMasterCounts(hosts, live, plan.shards.length));
}

/** One line per move, for previews and progress. */
export function describeMove(m: MasterMove): string {
    return `host "${m.fromHost}" runs more masters than the plan gives it: ${endpoint(m.heir)} on "${m.toHost}" takes over the shard of ${endpoint(m.master)}`;
}
