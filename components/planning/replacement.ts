/**
 * Replacing a host whose machine is gone for good, pure: which entries point at a new machine this
 * run, each host's machine generation (which names its Docker objects), whether every shard keeps a
 * copy, and the commands that say how to replace a host that does not answer.
 *
 * A host's Docker objects on a new machine get names of their own (the generation), so Pulumi creates
 * them there and drops the old ones, which are gone with the old machine, instead of reusing state
 * that describes that machine.
 */
import { HostSpec } from "./hosts";
import { ClusterIdentity } from "./safety";

/** Where a host was, as the change guard's identity records it ("name=docker@address", comma-joined). */
export function deployedEntries(identity: ClusterIdentity | undefined): Map<string, { docker: string; address: string }> {
    const out = new Map<string, { docker: string; address: string }>();
    for (const entry of (identity?.hosts ?? "").split(",").filter(Boolean)) {
        const eq = entry.indexOf("=");
        // The endpoint may hold an "@" itself (ssh://user@host): the address follows the last one.
        const at = entry.lastIndexOf("@");
        out.set(entry.slice(0, eq), { docker: entry.slice(eq + 1, at), address: entry.slice(at + 1) });
    }
    return out;
}

const parseGenerations = (recorded: string | undefined): Map<string, number> =>
    new Map(
        (recorded ?? "")
            .split(",")
            .filter(Boolean)
            .map((p) => [p.split("=")[0], Number(p.split("=")[1])] as [string, number]),
    );

/** The recorded form of machineGenerations (absent when every host runs on its first machine). */
export function formatGenerations(generations: Record<string, number>): string | undefined {
    const parts = Object.entries(generations)
        .filter(([, n]) => n > 0)
        .map(([h, n]) => `${h}=${n}`);
    return parts.length > 0 ? parts.join(",") : undefined;
}

/** Whether the deployed cluster ran nodes on `name` (older identities do not say: every listed host did). */
function ranNodes(applied: ClusterIdentity, name: string): boolean {
    return applied.hostsWithNodes === undefined || applied.hostsWithNodes.split(",").includes(name);
}

/**
 * The hosts that move to a new machine in this run: marked replaced, ran nodes, and their endpoint or
 * address differs from what the last successful up applied.
 */
export function replacedThisRun(applied: ClusterIdentity | undefined, hosts: HostSpec[]): HostSpec[] {
    if (applied === undefined) return [];
    const before = deployedEntries(applied);
    return hosts.filter((h) => {
        const was = before.get(h.name);
        return h.replaced === true && was !== undefined && ranNodes(applied, h.name) && (was.docker !== h.docker || was.address !== h.address);
    });
}

/**
 * Each host's machine generation: 0 on the machine it was first deployed on, one more for each
 * replacement. Only hosts above 0 are listed. A run that fails before it is recorded gets the same
 * numbers again, so it reuses what it created.
 */
export function machineGenerations(applied: ClusterIdentity | undefined, hosts: HostSpec[]): Record<string, number> {
    const recorded = parseGenerations(applied?.hostGenerations);
    const moving = new Set(replacedThisRun(applied, hosts).map((h) => h.name));
    const out: Record<string, number> = {};
    for (const h of hosts) {
        const n = (recorded.get(h.name) ?? 0) + (moving.has(h.name) ? 1 : 0);
        if (n > 0) out[h.name] = n;
    }
    return out;
}

/** The suffix of a host's Docker object names on its n-th machine ("" on the first). */
export const generationSuffix = (generation: number | undefined): string => (generation ? `-m${generation}` : "");

/**
 * Shards that would have no copy left: every member on a host being replaced (its data is gone with
 * the machine). `deployedShards` holds the host of each member of each shard, as last deployed.
 */
export function shardsWithoutCopy(replacing: string[], deployedShards: string[][]): number[] {
    const gone = new Set(replacing);
    return deployedShards.flatMap((members, i) => (members.length > 0 && members.every((h) => gone.has(h)) ? [i + 1] : []));
}

/**
 * How to replace each of `lost` (host names) by a new machine, as commands a person can paste:
 * `option` names the hosts option (a config key, or the component's argument).
 */
export function replacementSteps(hosts: HostSpec[], lost: string[], option: string, asConfig: boolean): string {
    const lines: string[] = [];
    for (const name of lost) {
        const i = hosts.findIndex((h) => h.name === name);
        if (i < 0) continue;
        const at = `${option}[${i}]`;
        lines.push(
            ...(asConfig
                ? [
                      `pulumi config set --path '${at}.docker' <the new machine's Docker endpoint>`,
                      `pulumi config set --path '${at}.address' <the new machine's address>`,
                      `pulumi config set --path '${at}.replaced' true`,
                  ]
                : [`set ${at}.docker and ${at}.address to the new machine's, and ${at}.replaced to true`]),
        );
    }
    return lines.map((l) => `   ${l}`).join("\n");
}
