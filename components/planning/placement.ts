/**
 * Placing nodes on Docker hosts, and choosing which nodes form each shard so
 * that no two members of a shard share a host. Pure.
 *
 * A node never moves once it runs: its volume cannot follow it to another
 * machine. So deployed nodes keep their host, and only new nodes are placed,
 * each where the shard it is for has no member yet, on the least loaded such
 * host: after hosts were appended, new nodes fill the new hosts first. A new
 * cluster is plain round-robin. Shard membership is then chosen around
 * the hosts: masters are nodes 1..S, and every replica comes from a host its
 * shard does not use yet.
 */

export interface ShardMembers {
    /** 1-based node numbers. */
    master: number;
    replicas: number[];
}

/** The deployed cluster, as the last run left it: where each node runs and which hosts each shard uses. */
export interface DeployedPlacement {
    /** `hostOf[i-1]`: the host position of deployed node i (undefined: its host is gone). */
    hostOf: (number | undefined)[];
    /** The host positions of each live shard's members (master and replicas). */
    shards: number[][];
}

/**
 * Host position (0-based) of nodes 1..`count` on `hosts` hosts, `replicas` being the replicas
 * each shard should have. Without a deployed cluster: round-robin, node i on host (i-1) mod H.
 * Otherwise deployed nodes stay, and new nodes fill what the shards lack: first the replicas
 * existing shards are short of, each on the least loaded host its shard does not use; then new
 * shards, each on distinct hosts, least loaded first. Ties go to the first host.
 */
export function placeNodes(count: number, hosts: number, replicas: number, deployed?: DeployedPlacement): number[] {
    const pinned = Array.from({ length: count }, (_, i) => deployed?.hostOf[i]).map((h) => (h !== undefined && h >= 0 && h < hosts ? h : undefined));
    if (pinned.every((h) => h === undefined)) {
        return Array.from({ length: count }, (_, i) => i % hosts);
    }
    const load = Array(hosts).fill(0);
    for (const h of pinned) if (h !== undefined) load[h]++;
    // What each new node is for: the hosts its shard already uses (it should avoid them).
    const shortOf = (deployed?.shards ?? []).map((used) => ({ used: [...used], missing: Math.max(0, replicas + 1 - used.length) }));
    const wants: number[][] = [];
    for (let rank = 0; shortOf.some((s) => s.missing > rank); rank++) {
        for (const s of shortOf) if (s.missing > rank) wants.push(s.used);
    }
    let group: number[] = [];
    return pinned.map((h) => {
        if (h !== undefined) return h;
        let avoid = wants.shift();
        if (avoid === undefined) {
            // A new shard: its nodes come in groups of replicas + 1, each on another host.
            if (group.length >= Math.min(replicas + 1, hosts)) group = [];
            avoid = group;
        }
        let best = -1;
        for (let c = 0; c < hosts; c++) {
            if (!avoid.includes(c) && (best < 0 || load[c] < load[best])) best = c;
        }
        if (best < 0) best = load.indexOf(Math.min(...load));
        load[best]++;
        avoid.push(best);
        return best;
    });
}

/**
 * Members of each shard for `shards` x (1 + `replicas`) nodes, `hostOf[i-1]` being node i's host.
 * Rank by rank, the free replica nodes are matched to the shards (a maximum bipartite matching, by
 * augmenting paths) so that each shard gets a node on a host it does not use yet. Where no such
 * node is left, a shard takes a free node on the host it uses least.
 */
export function shardMembers(shards: number, replicas: number, hostOf: number[]): ShardMembers[] {
    const members: ShardMembers[] = Array.from({ length: shards }, (_, k) => ({ master: k + 1, replicas: [] }));
    const host = (i: number) => hostOf[i - 1];
    const free = new Set<number>();
    for (let i = shards + 1; i <= shards * (replicas + 1); i++) free.add(i);
    const hostsOf = (m: ShardMembers) => [m.master, ...m.replicas].map(host);
    for (let rank = 0; rank < replicas; rank++) {
        const nodes = [...free];
        const allowed = members.map((m) => nodes.filter((i) => !hostsOf(m).includes(host(i))));
        const owner = new Map<number, number>(); // node -> shard
        const assign = (k: number, seen: Set<number>): boolean => {
            for (const i of allowed[k]) {
                if (seen.has(i)) continue;
                seen.add(i);
                const other = owner.get(i);
                if (other === undefined || assign(other, seen)) {
                    owner.set(i, k);
                    return true;
                }
            }
            return false;
        };
        members.forEach((_, k) => assign(k, new Set()));
        const taken = new Map([...owner.entries()].map(([i, k]) => [k, i]));
        members.forEach((m, k) => {
            let node = taken.get(k);
            if (node === undefined) {
                // No free node on a new host: the one on the host this shard uses least.
                const used = hostsOf(m);
                const left = [...free].filter((i) => ![...taken.values()].includes(i));
                left.sort((a, b) => used.filter((h) => h === host(a)).length - used.filter((h) => h === host(b)).length || a - b);
                node = left[0];
                taken.set(k, node);
            }
            m.replicas.push(node);
        });
        for (const i of taken.values()) free.delete(i);
    }
    return members;
}

/** True when every shard's members are on distinct hosts. */
export function antiAffine(members: ShardMembers[], hostOf: number[]): boolean {
    return members.every((m) => {
        const used = [m.master, ...m.replicas].map((i) => hostOf[i - 1]);
        return new Set(used).size === used.length;
    });
}
