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
 * Members of each shard for `shards` x (1 + `replicas`) nodes, `hostOf[i-1]` being node i's host:
 * masters are nodes 1..S, replicas chosen by the placement rule (completeShards, then
 * improveShards: the engine applies the same two to a running cluster, so it keeps this layout).
 */
export function shardMembers(shards: number, replicas: number, hostOf: number[]): ShardMembers[] {
    const free = Array.from({ length: shards * replicas }, (_, i) => shards + 1 + i);
    const host = (i: number) => hostOf[i - 1];
    const open = Array.from({ length: shards }, (_, k) => ({ hosts: [hostOf[k]], missing: replicas }));
    const filled = completeShards(open, free, host);
    return improveShards(hostOf.slice(0, shards), filled, [], host).shards.map((picked, k) => ({ master: k + 1, replicas: picked }));
}

/** A shard short of replicas: the hosts its members use now, and how many it lacks. */
export interface OpenShard<H> {
    hosts: (H | undefined)[];
    missing: number;
}

/**
 * The placement rule, for the planner and the engine alike: no two members of a shard on one host.
 * Rank by rank, the free nodes are matched to the shards still short (a maximum bipartite matching,
 * by augmenting paths, nodes in the order given) so that each gets a node on a host it does not use
 * yet. Where no such node is left, a shard takes a free node on the host it uses least. A node of
 * unknown host fits anywhere. Returns the nodes picked per shard, in the shards' order.
 */
export function completeShards<N, H>(shards: OpenShard<H>[], free: N[], hostOf: (n: N) => H | undefined): N[][] {
    if (free.every((n) => hostOf(n) === undefined)) {
        // No hosts to keep apart (one Docker host): shard by shard in the order given, as the plan lays out such a cluster.
        const queue = [...free];
        return shards.map((s) => queue.splice(0, Math.max(0, s.missing)));
    }
    const picked: N[][] = shards.map(() => []);
    const uses = shards.map((s) => [...s.hosts]);
    const left = new Set(free);
    const order = new Map(free.map((n, i) => [n, i]));
    for (let rank = 0; left.size > 0 && shards.some((s) => s.missing > rank); rank++) {
        const open = shards.map((_, k) => k).filter((k) => shards[k].missing > rank);
        const nodes = [...left];
        const fits = (k: number, n: N) => hostOf(n) === undefined || !uses[k].includes(hostOf(n));
        const allowed = new Map(open.map((k) => [k, nodes.filter((n) => fits(k, n))]));
        const owner = new Map<N, number>();
        const assign = (k: number, seen: Set<N>): boolean => {
            for (const n of allowed.get(k)!) {
                if (seen.has(n)) continue;
                seen.add(n);
                const other = owner.get(n);
                if (other === undefined || assign(other, seen)) {
                    owner.set(n, k);
                    return true;
                }
            }
            return false;
        };
        open.forEach((k) => assign(k, new Set()));
        const taken = new Map([...owner.entries()].map(([n, k]) => [k, n]));
        for (const k of open) {
            let node = taken.get(k);
            if (node === undefined) {
                const busy = new Set(taken.values());
                const sameHost = (n: N) => uses[k].filter((h) => h === hostOf(n)).length;
                const rest = nodes.filter((n) => !busy.has(n)).sort((a, b) => sameHost(a) - sameHost(b) || order.get(a)! - order.get(b)!);
                node = rest[0];
                if (node === undefined) continue;
                taken.set(k, node);
            }
            picked[k].push(node);
            uses[k].push(hostOf(node));
        }
        for (const n of taken.values()) left.delete(n);
    }
    return picked;
}

/** Pairs of a shard's members that share a host (unknown hosts share with nothing): the cost the rule keeps low. */
export function sharedPairs<H>(hosts: (H | undefined)[]): number {
    const counts = new Map<H, number>();
    for (const h of hosts) if (h !== undefined) counts.set(h, (counts.get(h) ?? 0) + 1);
    return [...counts.values()].reduce((sum, c) => sum + (c * (c - 1)) / 2, 0);
}

/**
 * The rule applied to shards that already run: moves a free node in for a replica, or swaps two
 * shards' replicas, while that lowers the shards' shared pairs, first such change first, until no
 * single change does. A layout no single move improves is left exactly as it is, so repeating this
 * on its own result changes nothing. `shards[k]` are shard k's replicas, `masterHosts[k]` its
 * master's host. Returns the replicas per shard, and the nodes left free.
 */
export function improveShards<N, H>(masterHosts: (H | undefined)[], shards: N[][], free: N[], hostOf: (n: N) => H | undefined): { shards: N[][]; free: N[] } {
    const members = shards.map((r) => [...r]);
    const spare = [...free];
    const cost = (k: number, replicas: N[]) => sharedPairs([masterHosts[k], ...replicas.map(hostOf)]);
    const without = (list: N[], i: number, n: N) => list.map((x, j) => (j === i ? n : x));
    const step = (): boolean => {
        for (let a = 0; a < members.length; a++) {
            const before = cost(a, members[a]);
            if (before === 0) continue;
            for (let i = 0; i < members[a].length; i++) {
                for (let f = 0; f < spare.length; f++) {
                    if (cost(a, without(members[a], i, spare[f])) < before) {
                        [members[a][i], spare[f]] = [spare[f], members[a][i]];
                        return true;
                    }
                }
                for (let b = 0; b < members.length; b++) {
                    if (b === a) continue;
                    for (let j = 0; j < members[b].length; j++) {
                        const after = cost(a, without(members[a], i, members[b][j])) + cost(b, without(members[b], j, members[a][i]));
                        if (after < before + cost(b, members[b])) {
                            [members[a][i], members[b][j]] = [members[b][j], members[a][i]];
                            return true;
                        }
                    }
                }
            }
        }
        return false;
    };
    // Each change lowers the total shared pairs, so this ends.
    while (step());
    return { shards: members, free: spare };
}

/** True when every shard's members are on distinct hosts. */
export function antiAffine(members: ShardMembers[], hostOf: number[]): boolean {
    return members.every((m) => {
        const used = [m.master, ...m.replicas].map((i) => hostOf[i - 1]);
        return new Set(used).size === used.length;
    });
}
