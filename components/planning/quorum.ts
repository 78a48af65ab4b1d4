/**
 * Whether the cluster survives the loss of any one host. Pure.
 *
 * Redis promotes a replica only when a majority of the masters that serve slots vote for it. A host
 * that runs half of those masters or more takes that majority with it when it goes: the other
 * masters cannot elect replicas for the lost ones, and the cluster stops serving their slots even
 * though every slot has a copy elsewhere.
 */

export interface HostLossRisk {
    host: string;
    /** Masters on that host. */
    masters: number;
    /** Masters in all. */
    of: number;
}

/** How many masters each host runs (`masterHosts`: one host name per master). */
export function mastersPerHost(masterHosts: string[]): Map<string, number> {
    const perHost = new Map<string, number>();
    for (const h of masterHosts) perHost.set(h, (perHost.get(h) ?? 0) + 1);
    return perHost;
}

/** The host holding the most of the masters (`masterHosts`: one host name per master), if it holds half or more. */
export function hostLossRisk(masterHosts: string[]): HostLossRisk | undefined {
    let worst: HostLossRisk | undefined;
    for (const [host, masters] of mastersPerHost(masterHosts)) {
        if (worst === undefined || masters > worst.masters) worst = { host, masters, of: masterHosts.length };
    }
    // One master in all has nobody to vote: nothing to keep a majority of.
    return worst !== undefined && worst.of > 1 && worst.masters * 2 >= worst.of ? worst : undefined;
}

/**
 * Shard counts from `from` up whose masters, one per host in turn (as a new cluster places them),
 * leave no host with half or more of them; none with fewer than 3 hosts.
 */
export function safeShardCounts(hosts: number, from: number, count = 2): number[] {
    const safe: number[] = [];
    if (hosts < 3) return safe;
    for (let s = Math.max(3, from); safe.length < count; s++) {
        if (Math.ceil(s / hosts) * 2 < s) safe.push(s);
    }
    return safe;
}

/**
 * The refusal for a placement that one host's loss would stop, or undefined. Without replicas a lost
 * host takes its shards down whatever the votes, so the rule is for clusters with replicas only.
 */
export function hostLossProblem(masterHosts: string[], hostCount: number, replicasPerShard: number, key: (name: string) => string): string | undefined {
    const risk = replicasPerShard > 0 ? hostLossRisk(masterHosts) : undefined;
    if (risk === undefined) return undefined;
    const counts = safeShardCounts(hostCount, risk.of + 1);
    const way =
        counts.length === 0
            ? `use 3 hosts or more (with ${hostCount} host(s) one of them always runs half the masters or more)`
            : `use more hosts or another shard count (a new cluster puts no host at half with ${counts.join(" or ")} shards on ${hostCount} hosts)`;
    return (
        `host "${risk.host}" would run ${risk.masters} of the ${risk.of} masters: if it is lost, the other masters are not a majority, ` +
        `so Redis cannot promote the replicas of its masters and the cluster stops serving their slots. ` +
        `To survive the loss of any one host, ${way}; to accept the outage, set ${key("allowHostLossOutage")} to true`
    );
}
