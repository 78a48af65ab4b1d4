/**
 * What an up may do while a host that runs nodes does not answer. Pure; the preflight, the change
 * guard and the bootstrap apply it.
 *
 * - The placement must stay as deployed: adding, removing or moving a node needs every member of
 *   the shards it touches (preflight: placementChanges).
 * - No node may restart: each shard with a node on the silent host already has one member down, and
 *   a restart of another would take a second one down (the first rollout gate compares the digest of
 *   every node's container with the one the last successful up recorded: nodeChangeRefusal). The
 *   monitoring's settings are in the digest too: its containers run on every host, the silent one's too.
 * - What Redis takes at run time (users, maxmemory and the other run-time directives, the node
 *   timeout) is set on the nodes that answer; the silent host's nodes get it on the first up after
 *   they answer again (the bootstrap keeps them as pending: catchUpNeeded).
 */

/** Nodes the plan adds, drops or puts on another host than the one they run on, sorted; empty when the placement stays. */
export function placementChanges(planned: Record<string, string>, deployed: Record<string, string> | undefined): string[] {
    if (deployed === undefined) return Object.keys(planned).sort();
    const names = new Set([...Object.keys(planned), ...Object.keys(deployed)]);
    return [...names].filter((n) => planned[n] !== deployed[n]).sort();
}

/** The nodes that run on each of the given hosts, by the deployed placement, in node order. */
export function nodesOnHosts(hosts: string[], placement: Record<string, string>): string[] {
    return Object.keys(placement).filter((n) => hosts.includes(placement[n]));
}

/** A digest as the guard compares them: 64 hex digits. Anything else (unknown at preview, absent) cannot be judged. */
const isDigest = (value: unknown): value is string => typeof value === "string" && /^[0-9a-f]{64}$/.test(value);

/**
 * Why this run may not go ahead while `silentHosts` do not answer, or undefined when it may: the
 * nodes' containers (`nodeDigest`) must be as the last successful up left them (`appliedNodeDigest`).
 * A digest not known yet (a preview that creates a secret) is judged by the up; a record without one
 * (written by an earlier release) cannot show that nothing restarts, so it is refused.
 */
export function nodeChangeRefusal(silentHosts: string[], nodeDigest: unknown, appliedNodeDigest: unknown): string | undefined {
    if (silentHosts.length === 0) return undefined;
    if (isDigest(nodeDigest) && nodeDigest === appliedNodeDigest) return undefined;
    if (!isDigest(nodeDigest) && nodeDigest !== undefined) return undefined;
    const hosts = silentHosts.map((h) => `"${h}"`).join(", ");
    const why = isDigest(appliedNodeDigest)
        ? "this change restarts nodes or changes their containers, or the monitoring's beside them"
        : "the last successful up was made by an earlier release, which recorded nothing to tell whether this change restarts nodes";
    return (
        `host ${hosts} does not answer, and ${why}: every shard with a node there already has one member down, and restarting another would take a second down. ` +
        `Bring the host back, or point its entry at a new machine with replaced: true (see "Several hosts" in the README), then run this change`
    );
}

/**
 * Whether the bootstrap must reconcile the whole cluster although its inputs did not change: nodes an
 * earlier up passed over because they did not answer (`pending`) answer again (are not `silent` now).
 */
export function catchUpNeeded(pending: string[] | undefined, silent: string[] | undefined): boolean {
    return (pending ?? []).some((n) => !(silent ?? []).includes(n));
}
