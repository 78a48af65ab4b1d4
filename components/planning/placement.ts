/**
 * Placing nodes on Docker hosts, and choosing which nodes form each shard so
 * that no two members of a shard share a host. Pure.
 *
 * A node's host depends on its number only (node i on host (i-1) mod H): a
 * node never moves when shards or replicas are added, since its volume cannot
 * follow it to another machine. Shard membership is then chosen around the
 * hosts: masters are nodes 1..S (spread round-robin, so evenly), and every
 * replica comes from a host its shard does not use yet.
 */

export interface ShardMembers {
    /** 1-based node numbers. */
    master: number;
    replicas: number[];
}

/** Host position (0-based) of node `i` (1-based) among `hosts` hosts. */
export function hostOf(i: number, hosts: number): number {
    return (i - 1) % hosts;
}

/** Host position of every node, in node order: what a pull request preview shows as `placement`. */
export function placeNodes(shards: number, replicas: number, hosts: number): number[] {
    return Array.from({ length: shards * (replicas + 1) }, (_, i) => hostOf(i + 1, hosts));
}

/**
 * Members of each shard for `shards` x (1 + `replicas`) nodes on `hosts` hosts. Rank by rank, the
 * free replica nodes are matched to the shards (a maximum bipartite matching, by augmenting
 * paths) so that each shard gets a node on a host it does not use yet. When hosts < replicas + 1
 * some shard has no such node: it takes a free node on the host it uses least.
 */
export function shardMembers(shards: number, replicas: number, hosts: number): ShardMembers[] {
    const members: ShardMembers[] = Array.from({ length: shards }, (_, k) => ({ master: k + 1, replicas: [] }));
    const free = new Set<number>();
    for (let i = shards + 1; i <= shards * (replicas + 1); i++) free.add(i);
    const hostsOf = (m: ShardMembers) => [m.master, ...m.replicas].map((i) => hostOf(i, hosts));
    for (let rank = 0; rank < replicas; rank++) {
        const nodes = [...free];
        const allowed = members.map((m) => nodes.filter((i) => !hostsOf(m).includes(hostOf(i, hosts))));
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
                left.sort((a, b) => used.filter((h) => h === hostOf(a, hosts)).length - used.filter((h) => h === hostOf(b, hosts)).length || a - b);
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
export function antiAffine(members: ShardMembers[], hosts: number): boolean {
    return members.every((m) => {
        const used = [m.master, ...m.replicas].map((i) => hostOf(i, hosts));
        return new Set(used).size === used.length;
    });
}
