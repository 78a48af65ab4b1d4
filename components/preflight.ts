/**
 * What a cluster needs to know before it declares anything: what the last successful up applied, and
 * with `hosts`, where the deployed nodes run, which hosts the cluster needs do not answer (a run goes on
 * without them only if it places no node anew: planning/hostDown.ts), and that the placement survives
 * the loss of any one host. A refusal here stops the run before any resource of the cluster is declared.
 */
import * as pulumi from "@pulumi/pulumi";
import { deployedPlacement, lastRecord } from "./hosts/deployed";
import { unreachableHosts } from "./hosts/reachable";
import { HostSpec, hostsInUse } from "./planning/hosts";
import { deployedEntries, machineGenerations, replacedThisRun, replacementSteps, shardsWithoutCopy } from "./planning/replacement";
import { nodesOnHosts, placementChanges } from "./planning/hostDown";
import { planCluster } from "./planning/plan";
import { hostLossProblem } from "./planning/quorum";
import { ClusterIdentity } from "./planning/safety";
import { ClusterSettings } from "./planning/settings";

export interface Preflight {
    /** The settings, with `deployed` where the cluster runs on hosts. */
    settings: ClusterSettings;
    /** What the last successful up applied; undefined on a new cluster. */
    applied?: ClusterIdentity;
    /** The digest of the nodes' containers the last successful up recorded (with hosts; planning/hostDown.ts). */
    appliedNodeDigest?: string;
}

/**
 * A refusal: shown as its message alone (Pulumi hides a RunError's stack). Without a stack, too:
 * Pulumi's handler also formats the whole error for its trace, which took 20 s of CPU in this
 * program (a preview refused by a dead host or the quorum rule ran 25 s longer than one that passed).
 */
export function refusal(message: string): pulumi.RunError {
    const error = new pulumi.RunError(message);
    error.stack = undefined;
    return error;
}

/**
 * A host marked replaced moves to its new machine only when its old one is gone (its data would be
 * abandoned otherwise) and every shard keeps a copy on another host.
 */
async function refuseUnsafeReplacement(replacing: HostSpec[], applied: ClusterIdentity | undefined, settings: ClusterSettings, optionName: (name: string) => string): Promise<void> {
    if (replacing.length === 0) return;
    const before = deployedEntries(applied);
    const old = replacing.map((h) => ({ ...h, docker: before.get(h.name)!.docker, address: before.get(h.name)!.address, replaced: undefined }));
    const silent = new Set((await unreachableHosts(old)).map((u) => u.host));
    const problems = old.filter((h) => !silent.has(h)).map(
        (h) =>
            `host "${h.name}" is marked replaced, but its old machine (${h.docker}) still answers: its nodes and their data are there. ` +
            `Set ${optionName("hosts")}[${settings.hosts!.findIndex((x) => x.name === h.name)}] back to it, or stop that machine for good first`,
    );
    for (const shard of shardsWithoutCopy(replacing.map((h) => h.name), settings.deployed?.shards ?? [])) {
        problems.push(`shard ${shard} has every node on ${replacing.map((h) => `"${h.name}"`).join(", ")}: its data is gone with the machine, and a new one would come back without its keys`);
    }
    if (problems.length > 0) throw refusal(`Refused, nothing was changed:\n - ${problems.join("\n - ")}`);
}

/** `optionName` names an option in a message (as a config key or as an argument). */
export async function preflight(settings: ClusterSettings, optionName: (name: string) => string): Promise<Preflight> {
    const record = await lastRecord(settings.namePrefix);
    const applied = record?.appliedIdentity;
    if (!settings.hosts) return { settings, applied };
    const replacing = replacedThisRun(applied, settings.hosts);
    const withDeployed: ClusterSettings = { ...settings, deployed: deployedPlacement(record), machineGenerations: machineGenerations(applied, settings.hosts) };
    const placed = planCluster(withDeployed);
    // A host the cluster needs that does not answer stops a run that places nodes anew, here, by name; any
    // other run goes on without it. One that runs no node, now or before, holds nothing: it only gets a warning.
    const hosts = settings.hosts;
    const needed = hostsInUse(hosts, placed.nodes.map((n) => n.host?.name), withDeployed.deployed?.placement);
    // First: a replacement that would abandon data is refused whatever else is wrong.
    await refuseUnsafeReplacement(replacing, applied, withDeployed, optionName);
    // Asked together: a dead idle host costs its probe's timeout once, beside the others.
    const [lost, idle] = await Promise.all([unreachableHosts(needed), unreachableHosts(hosts.filter((h) => !needed.includes(h)))]);
    const placementNow = withDeployed.deployed?.placement;
    const moving = placementChanges(Object.fromEntries(placed.nodes.map((n) => [n.name, n.host!.name])), placementNow);
    if (lost.length > 0 && (moving.length > 0 || hosts.some((h) => h.drain))) {
        const option = optionName("hosts");
        throw refusal(
            `Cannot reach every Docker host, nothing was changed:\n - ${lost.map((u) => u.message).join("\n - ")}\n` +
                (moving.length > 0 ? `This change places nodes anew (${moving.join(", ")}), which needs every member of the shards it touches.\n` : "") +
                `Bring the host back (empty, or with its volumes) and run again. If its machine is gone for good, point its entry at a new ` +
                `machine, which gets its nodes back, empty, as replicas:\n${replacementSteps(hosts, lost.map((u) => u.host.name), option, option.includes(":"))}\n` +
                `then run pulumi up again; see "Several hosts" in the README.`,
        );
    }
    const silentHosts = lost.map((u) => u.host.name);
    for (const silent of lost) {
        // The run goes on without the host: its resources are left as they are, the first gate refuses any restart, and
        // what Redis takes at run time is set on the nodes that answer (planning/hostDown.ts).
        const nodes = nodesOnHosts([silent.host.name], placementNow!);
        const option = optionName("hosts");
        pulumi.log.warn(
            `${silent.message}; its nodes (${nodes.join(", ")}) are left as they are: this run goes on only if it restarts no node, ` +
                `and what the nodes take at run time is set on the others now and on these when they answer again. ` +
                `If its machine is gone for good, point its entry at a new machine, which gets its nodes back, empty, as replicas:\n` +
                `${replacementSteps(hosts, [silent.host.name], option, option.includes(":"))}\nthen run pulumi up again; see "Several hosts" in the README`,
        );
    }
    for (const kept of hosts.filter((h) => h.replaced && !replacing.includes(h))) {
        pulumi.log.info(`host "${kept.name}" is marked replaced and runs on the machine its entry names: nothing to replace (${optionName("hosts")}[${hosts.indexOf(kept)}].replaced may be removed)`);
    }
    for (const silent of idle) {
        pulumi.log.warn(`${silent.message}; it runs no node, so nothing waits for it (its entry may be corrected or removed)`);
    }
    if (!withDeployed.allowHostLossOutage) {
        // Judged on the placement itself: deployed nodes keep their hosts, so a scale-out places new masters around them.
        const masterHosts = placed.shards.map((s) => placed.nodes.find((n) => n.name === s.master)!.host!.name);
        const problem = hostLossProblem(masterHosts, hosts.filter((h) => !h.drain).length, withDeployed.replicasPerShard, optionName);
        if (problem !== undefined) throw refusal(`Refused, nothing was changed:\n - ${problem}`);
    }
    return {
        settings: silentHosts.length > 0 ? { ...withDeployed, silentHosts } : withDeployed,
        applied,
        ...(record?.appliedNodeDigest !== undefined ? { appliedNodeDigest: record.appliedNodeDigest } : {}),
    };
}
