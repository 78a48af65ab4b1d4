/**
 * RedisCluster: the whole system in one picture: a bridge network, the
 * image, one RedisNode per planned node, then the bootstrap that forms the
 * cluster and reports its live slot map.
 */
import * as path from "path";
import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { RolloutGate, previousRecord } from "./resources/rolloutGate";
import { ChangeGuard } from "./resources/changeGuard";
import { containerDefinition, containerRevision, nodesDigest } from "./containerSpec";
import { NodeRevision } from "./planning/handover";
import { ClusterBootstrap } from "./resources/clusterBootstrap";
import { ClusterRestore } from "./resources/clusterRestore";
import { NodeRef, ShardView } from "./planning/topology";
import { clusterLabels } from "./labels";
import { RedisNode, RedisNodeArgs } from "./node";
import { HostSpec, hostsInUse } from "./planning/hosts";
import { formatGenerations, generationSuffix, replacedThisRun } from "./planning/replacement";
import { nodesOnHosts } from "./planning/hostDown";
import { ClusterPlan, NodePlan, clusterLayout, planCluster } from "./planning/plan";
import { rolloutOrder } from "./planning/rollout";
import { gateEntryPoints } from "./planning/entryPoints";
import { ClusterSettings } from "./planning/settings";
import { ClusterIdentity, tlsMode } from "./planning/safety";
import { ClusterSecurity } from "./security";
import { countSlots, formatRange } from "./planning/slots";
import { formatSize, runtimeDirectives } from "./planning/limits";
import { keepsNothing } from "./planning/persistence";
import { inPlaceDirectives, somaxconnFor } from "./planning/redisConfig";
import { ClusterMonitoring } from "./monitoring";

export interface PlannedShardView {
    shard: number;
    slots: string[];
    slotCount: number;
    replicas: number;
}

/**
 * The slot layout the plan asks for, known at preview: a PR preview of a
 * shard count change shows, shard by shard, which slot ranges move.
 */
export function plannedLayout(plan: ClusterPlan): PlannedShardView[] {
    return plan.shards.map((s) => ({ shard: s.index, slots: s.slots.map(formatRange), slotCount: countSlots(s.slots), replicas: s.replicas.length }));
}


/** The hosts as the change guard compares them: names and where they are, in order. */
function hostsIdentity(hosts: HostSpec[] | undefined): string {
    return hosts === undefined ? "" : hosts.map((h) => `${h.name}=${h.docker}@${h.address}`).join(",");
}

/** Whether a deployed node is planned on another host than it runs on (its host is drained). */
function movesHost(settings: ClusterSettings, node: NodePlan): boolean {
    const runsOn = settings.deployed?.placement[node.name];
    return runsOn !== undefined && node.host !== undefined && runsOn !== node.host.name;
}

/**
 * The resource names of a node's volume and container. With hosts they name the host and its machine
 * (`<node>-data-h1`, `<node>-h1`; `-m1` on a host's first new machine): a node that moves to another
 * host, or onto its host's new machine, gets new resources there rather than replacements, and Pulumi
 * deletes the old ones (through the provider they were made with) only at the end of an up that got
 * that far: after the bootstrap handed their roles over. A replacement would instead leave the old
 * container pending deletion if the run stopped half way, and the next run, resumed or reverted,
 * would delete it first, before anything handed its role over. Where the node stays, the names it had
 * before this naming are aliases: the volume's only on a host's first machine (its name has named the
 * machine since hosts could be replaced), the container's also on a later one (a replacement kept its
 * name until this naming) unless the host moves to a new machine in this run (`replacing`).
 */
function nodeResources(settings: ClusterSettings, node: NodePlan, replacing: string[]): { volume: { name: string; aliases: string[] }; container: { name: string; aliases: string[] } } {
    if (node.host === undefined) return { volume: { name: `${node.name}-data`, aliases: [] }, container: { name: node.name, aliases: [] } };
    const machine = generationSuffix(settings.machineGenerations?.[node.host.name]);
    const stays = !movesHost(settings, node);
    return {
        volume: { name: `${node.name}-data-${node.host.name}${machine}`, aliases: stays && machine === "" ? [`${node.name}-data`] : [] },
        container: { name: `${node.name}-${node.host.name}${machine}`, aliases: stays && !replacing.includes(node.host.name) ? [node.name] : [] },
    };
}

export interface DockerEngine {
    /** Undefined for the one local engine (no `hosts`). */
    host?: HostSpec;
    /** Appended to the names of its resources: "" for the one local engine, "-<host>" with hosts. */
    suffix: string;
    provider?: docker.Provider;
    network: docker.Network;
    image: docker.RemoteImage;
}

/**
 * Everything one cluster declares, under its component: known once the preflight ran (with hosts, the
 * placement depends on what is deployed).
 */
export class DeclaredCluster {
    /** The settings it was declared from (with `deployed`, where hosts are used). */
    readonly settings: ClusterSettings;
    readonly plan: ClusterPlan;
    readonly guard: ChangeGuard;
    /**
     * The identity the guard checked, known only once the cluster is reconciled: exported, it is
     * recorded only by an up that succeeded, and the next run's guard compares against it.
     */
    readonly appliedIdentity: pulumi.Output<ClusterIdentity>;
    /** With hosts: the digest of every node's container (secret), recorded like appliedIdentity (planning/hostDown.ts). */
    readonly appliedNodeDigest?: pulumi.Output<string>;
    /** One per Docker host (one in all without `hosts`): its provider, network and image. */
    readonly engines: DockerEngine[];
    readonly nodes: RedisNode[];
    readonly bootstrap: ClusterBootstrap;
    /** With TLS: the CA certificate clients trust (PEM, public). */
    readonly caCertificate?: pulumi.Output<string>;

    readonly slotAssignments: pulumi.Output<ShardView[]>;
    readonly clusterState: pulumi.Output<string>;
    readonly liveNodes: pulumi.Output<{ name: string; host?: string; ip: string; port?: number; role: string; nodeId: string }[]>;
    /** With metrics: the exporters, where each is scraped, and Prometheus and Alertmanager where asked for. */
    readonly monitoring?: ClusterMonitoring;

    /** `applied`: what the last successful up applied (its appliedIdentity output); undefined on a new stack or an older one. */
    /** `volumeOptions`: the program's protect and retainOnDelete, for the nodes' data volumes only. */
    /** `appliedNodeDigest`: the nodes' digest the last successful up recorded (with hosts; planning/hostDown.ts). */
    constructor(parent: pulumi.ComponentResource, name: string, settings: ClusterSettings, applied?: ClusterIdentity, volumeOptions?: RedisNodeArgs["volumeOptions"], appliedNodeDigest?: string) {
        this.settings = settings;
        const plan = (this.plan = planCluster(settings));
        const labels = clusterLabels(pulumi.getStack(), settings.namePrefix);

        // First, and everything waits for it: a change that would lose data stops the run here.
        const identity: ClusterIdentity = {
            namePrefix: settings.namePrefix,
            subnet: settings.subnet,
            gateway: settings.gateway,
            firstNodeIp: settings.firstNodeIp,
            image: settings.image,
            hosts: hostsIdentity(plan.hosts),
            // Which hosts run nodes after this up: entries of the others may be corrected or removed later.
            ...(plan.hosts ? { hostsWithNodes: [...new Set(plan.nodes.map((n) => n.host!.name))].sort().join(",") } : {}),
            // Present only while an entry says its machine was replaced, and once a host ran on a second machine.
            ...(plan.hosts?.some((h) => h.replaced) ? { replacedHosts: plan.hosts.filter((h) => h.replaced).map((h) => h.name).join(",") } : {}),
            ...(formatGenerations(settings.machineGenerations ?? {}) ? { hostGenerations: formatGenerations(settings.machineGenerations ?? {}) } : {}),
            // Present only with TLS, so that state written before TLS existed compares equal.
            ...(settings.tls ? { tls: tlsMode(settings.tls) } : {}),
            // Present only where ports are published: node i at hostPortBase + i - 1 (a shift must not collide).
            ...(settings.hostPortBase > 0 ? { ports: `${settings.hostPortBase}x${plan.nodes.length}` } : {}),
            // Present only with a limit: Docker cannot remove one from a running container.
            ...(settings.limits.memoryBytes !== undefined ? { memory: formatSize(settings.limits.memoryBytes) } : {}),
        };
        this.guard = new ChangeGuard(
            `${name}-guard`,
            {
                identity,
                ...(applied === undefined ? {} : { applied }),
                allowFullRestart: settings.allowFullRestart,
                allowDowngrade: settings.allowDowngrade,
            },
            { parent },
        );

        // Waiting for the guard matters only where something changes. A preview changes nothing and fails
        // on the guard's refusal all the same, without waiting for the guard's provider process to start.
        const guarded: pulumi.Resource[] = pulumi.runtime.isDryRun() ? [] : [this.guard];

        // One engine, or one per host with its own provider: every resource of a node goes to its host. A
        // listed host the plan places no node on gets nothing: a scale-in that empties a host deletes its
        // network and image with its last containers (Pulumi deletes them through the provider in state).
        const engineHosts = plan.hosts ? hostsInUse(plan.hosts, plan.nodes.map((n) => n.host?.name)) : [undefined];
        this.engines = engineHosts.map((host) => {
            const suffix = host === undefined ? "" : `-${host.name}`;
            // On a host's new machine its network and image are new resources: the old ones' state describes the lost machine.
            const machine = generationSuffix(host && settings.machineGenerations?.[host.name]);
            const provider = host === undefined ? undefined : new docker.Provider(`${name}-docker${suffix}`, { host: host.docker, ...(host.certPath ? { certPath: host.certPath } : {}) }, { parent });
            const network = new docker.Network(
                `${name}-network${suffix}${machine}`,
                {
                    name: plan.networkName,
                    driver: "bridge",
                    ipamConfigs: [{ subnet: plan.subnet, gateway: plan.gateway }],
                    labels,
                },
                // Labels name the stack; a stack rename must not replace the network under running nodes.
                { parent, provider, deleteBeforeReplace: true, dependsOn: guarded, ignoreChanges: ["labels"] },
            );
            // Uses the local image when present and never deletes it: other stacks may run it too.
            const image = new docker.RemoteImage(`${name}-image${suffix}${machine}`, { name: settings.image, keepLocally: true }, { parent, provider, dependsOn: guarded });
            return { host, suffix, provider, network, image };
        });
        const engineOf = (node: NodePlan) => this.engines.find((e) => e.host?.name === node.host?.name)!;

        // Passwords, users and TLS: the resources that hold the secrets, and what nodes and engine need of them.
        const security = new ClusterSecurity(name, settings, { parent, dependsOn: guarded });
        const { password, internal, defaultUserEnabled, users, authority } = security;
        this.caCertificate = authority?.certPem;
        const layout = clusterLayout(plan);
        const nodesByName = new Map<string, RedisNode>();
        // With TLS: when each node's certificate expires, for the alert rules.
        const certificateExpiry = new Map<string, pulumi.Output<string>>();
        // maxmemory, the eviction policy and the user's directives Redis takes at run time: set on running
        // nodes, kept in each node's live config (no restart).
        const runtimeConfig = { ...inPlaceDirectives(settings.redisConfig), ...runtimeDirectives(settings.limits) };
        const liveConfig = Object.keys(runtimeConfig).length > 0;
        const { memoryBytes, cpus } = settings.limits;
        // Each container waits for its rollout gate, and each gate for the node the previous gate let
        // restart: a change that recreates containers restarts one node at a time, a master only after
        // it was failed over. A new cluster's gates have nothing to wait for: its containers start together.
        const order = rolloutOrder(plan);
        const definitions = new Map(
            order.map((node) => {
                const engine = engineOf(node);
                const tls = security.nodeTls(node);
                if (tls) certificateExpiry.set(node.name, tls.notAfter);
                const definition = containerDefinition({
                    node,
                    image: settings.image,
                    networkName: engine.network.name,
                    volumeName: node.volumeName,
                    redisConf: security.redisConf(node),
                    internalUsers: security.internalAcl,
                    tls,
                    labels,
                    liveConfig,
                    keepsNothing: keepsNothing(settings.persistence),
                    somaxconn: somaxconnFor(settings.redisConfig),
                    healthcheckInterval: settings.healthcheckInterval,
                    memoryBytes,
                    cpus,
                });
                return [node.name, definition];
            }),
        );
        // With hosts: what every node's container is made of, as one digest (secret: redis.conf holds passwords). Recorded
        // by a successful up; while a host does not answer, the first gate refuses a run whose digest differs (a restart).
        // The monitoring's settings too: its containers run on every host, the silent one's among them.
        const nodeDigest = plan.hosts
            ? pulumi.secret(nodesDigest(order.map((n) => ({ name: n.name, ...definitions.get(n.name)! })), { metrics: settings.metrics, prometheus: settings.prometheus }))
            : undefined;
        const silentHosts = settings.silentHosts ?? [];
        // Hosts whose entry points at a new machine in this run: their nodes' resources are made anew there.
        const replacing = plan.hosts ? replacedThisRun(applied, plan.hosts).map((h) => h.name) : [];
        let previous: RolloutGate | undefined;
        for (const node of order) {
            const engine = engineOf(node);
            const definition = definitions.get(node.name)!;
            const gate: RolloutGate = new RolloutGate(
                `${node.name}-rollout`,
                {
                    clusterName: settings.namePrefix,
                    // The node as the engine reaches it: its container address, or its host's address and port.
                    node: containerRevision(definition.recreating).apply((revision) => ({
                        ...layout.nodes[node.index - 1],
                        revision,
                        appendonly: settings.appendonly,
                    })),
                    entryPoints: gateEntryPoints(layout, node.name),
                    previous: previousRecord(previous),
                    password,
                    internal,
                    defaultUserEnabled,
                    tlsCa: authority?.certPem,
                    tlsMode: security.tlsMode,
                    // Absent unless set, so existing state compares equal.
                    ...(settings.allowFullRestart ? { allowFullRestart: true } : {}),
                    // Rules only Redis can judge are judged before the first node restarts, not after the last.
                    ...(previous === undefined && settings.users?.length ? { userRules: pulumi.secret(settings.users.map(({ name, rules }) => ({ name, rules }))) } : {}),
                    // Absent unless set, so existing state compares equal.
                    ...(liveConfig ? { runtimeConfig } : {}),
                    // Checked against the live nodes before the first container's limit changes.
                    ...(previous === undefined && memoryBytes !== undefined ? { memoryLimitBytes: memoryBytes } : {}),
                    ...(previous === undefined && settings.redisConfig.length > 0 ? { redisConfig: settings.redisConfig } : {}),
                    // Absent unless a host does not answer: the first gate then refuses any restart before the first one.
                    ...(previous === undefined && silentHosts.length > 0 ? { hostDown: { silentHosts, nodeDigest: nodeDigest!, appliedNodeDigest: pulumi.secret(appliedNodeDigest ?? "") } } : {}),
                },
                { parent, dependsOn: guarded },
            );
            nodesByName.set(
                node.name,
                new RedisNode(
                    node.name,
                    {
                        volumeName: node.volumeName,
                        ...(({ volume, container }) => ({ volumeResource: volume, containerResource: container }))(nodeResources(settings, node, replacing)),
                        labels,
                        definition,
                        provider: engine.provider,
                        guarded,
                        after: [engine.image, gate],
                        volumeOptions,
                    },
                    // Not even registered before the guard passed: a refused run leaves nothing in state.
                    { parent, dependsOn: guarded },
                ),
            );
            previous = gate;
        }
        this.nodes = plan.nodes.map((n) => nodesByName.get(n.name)!);

        this.bootstrap = new ClusterBootstrap(
            `${name}-bootstrap`,
            {
                clusterName: settings.namePrefix,
                plannedNodes: layout.nodes,
                plannedShards: layout.shards,
                replicasPerShard: layout.replicasPerShard,
                nodeTimeoutMs: layout.nodeTimeoutMs,
                password,
                internal,
                defaultUserEnabled,
                users,
                tlsCa: authority?.certPem,
                containerIds: this.nodes.map((n) => n.container.id),
                ...(liveConfig ? { runtimeConfig } : {}),
                ...(silentHosts.length > 0 ? { silentNodes: nodesOnHosts(silentHosts, settings.deployed!.placement) } : {}),
            },
            { parent, dependsOn: this.nodes.map((n) => n.container) },
        );

        if (settings.restoreFrom !== undefined) {
            // After the bootstrap: the cluster is formed, every slot has its owner in the new shape.
            new ClusterRestore(
                `${name}-restore`,
                {
                    clusterName: settings.namePrefix,
                    archive: path.resolve(settings.restoreFrom),
                    image: settings.image,
                    plannedNodes: layout.nodes,
                    password,
                    internal,
                    defaultUserEnabled,
                    tlsCa: authority?.certPem,
                    // Absent for the default, which refuses a cluster that holds keys.
                    ...(settings.restoreMode === "empty" ? {} : { mode: settings.restoreMode }),
                },
                { parent, dependsOn: [this.bootstrap] },
            );
        }

        if (settings.metrics) {
            this.monitoring = new ClusterMonitoring(
                name,
                {
                    settings,
                    nodes: plan.nodes,
                    subnet: plan.subnet,
                    engines: this.engines,
                    engineOf,
                    labels,
                    login: security.exporterLogin!,
                    tlsCa: authority?.certPem,
                    certificateExpiry,
                    shards: this.bootstrap.shards,
                    bootstrap: this.bootstrap,
                },
                { parent, dependsOn: guarded },
            );
        }

        // With hosts, each node also says where it runs and the port it is reached at.
        const hostOfNode = new Map(plan.nodes.map((n) => [n.name, n.host?.name]));
        const withHost = (r: NodeRef): NodeRef => ({ ...r, host: hostOfNode.get(r.name) ?? "" });
        this.slotAssignments = plan.hosts
            ? this.bootstrap.shards.apply((shards) => (shards ?? []).map((s) => ({ ...s, master: withHost(s.master), replicas: s.replicas.map(withHost) })))
            : this.bootstrap.shards;
        this.clusterState = this.bootstrap.clusterState;
        this.appliedIdentity = this.bootstrap.clusterState.apply(() => identity);
        if (nodeDigest) this.appliedNodeDigest = pulumi.all([this.bootstrap.clusterState, nodeDigest]).apply(([, digest]) => digest);
        this.liveNodes = this.bootstrap.nodes.apply((nodes) =>
            (nodes ?? []).map(({ name, ip, port, role, nodeId }) =>
                plan.hosts ? { name, host: hostOfNode.get(name) ?? "", ip, port, role, nodeId } : { name, ip, role, nodeId },
            ),
        );
    }
}
