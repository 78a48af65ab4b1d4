/**
 * RedisCluster, the component a program declares: checks its args (throwing every problem at once,
 * before anything is declared), runs the preflight, then declares the cluster (cluster.ts) and offers
 * what clients and operators need as typed outputs.
 */
import * as pulumi from "@pulumi/pulumi";
import { InvalidRedisClusterArgs, OptionNames, PlainArgs, RedisClusterArgs, SECRET_ARGS, isPlain, resolveArgs } from "./args";
import { DeclaredCluster, PlannedShardView, plannedLayout } from "./cluster";
import { preflight } from "./preflight";
import { thisMachine } from "./hosts/machine";
import { ClusterPlan } from "./planning/plan";
import { ClusterIdentity } from "./planning/safety";
import { CONFIG_NAMESPACE, ClusterSettings } from "./planning/settings";
import { REDIS_CLI_TLS_ARGS } from "./planning/tls";
import { ShardView } from "./planning/topology";

/** The type token every cluster is registered with (state written by earlier releases has it too). */
export const REDIS_CLUSTER_TYPE = "redis-cluster:index:RedisCluster";

/**
 * The usual component options. `protect` and `retainOnDelete` apply to the nodes' data volumes only (a
 * protected container could not be replaced by a rolling change): the data outlives a destroy or a scale-in.
 */
export interface RedisClusterOptions extends pulumi.ComponentResourceOptions {
    /** How errors and warnings name options: as args ("shards", the default) or as this project's stack config keys ("redis-cluster:shards"). */
    optionNames?: OptionNames;
}

export interface LiveNode {
    name: string;
    /** With hosts: the host it runs on. */
    host?: string;
    ip: string;
    /** With hosts: the port it is reached at on its host's address. */
    port?: number;
    role: string;
    nodeId: string;
}

/** The cluster's outputs in one object: export it from a program (`export const cache = cluster.outputs`). */
export interface RedisClusterOutputs {
    image: pulumi.Output<string>;
    networkName: pulumi.Output<string>;
    subnet: pulumi.Output<string>;
    /** The slot layout the args ask for, known at preview. */
    plannedSlots: pulumi.Output<PlannedShardView[]>;
    /** The live slot map: per shard its slot ranges, master and replicas. */
    slotAssignments: pulumi.Output<ShardView[]>;
    /** CLUSTER INFO's cluster_state after the update ("ok"). */
    clusterState: pulumi.Output<string>;
    nodes: pulumi.Output<LiveNode[]>;
    /** ip:port of every node, for a cluster client's startup nodes. */
    seedNodes: pulumi.Output<string[]>;
    /** With hosts: node -> host. */
    placement?: pulumi.Output<Record<string, string>>;
    /** For clients on the Docker host: container address -> published loopback address (ioredis natMap). */
    hostPorts: pulumi.Output<Record<string, string>>;
    /** With TLS: the CA certificate clients verify the nodes with (PEM, public). */
    caCertificate?: pulumi.Output<string>;
    /** A redis-cli command line that reaches the cluster as pasted. */
    connectCommand: pulumi.Output<string>;
    /** With metrics: every exporter's address, as Prometheus's file_sd takes it. */
    metricsTargets?: pulumi.Output<unknown>;
    /** With prometheus: where it answers, its scrape config and alert rules. */
    prometheusUrl?: pulumi.Output<string>;
    prometheusConfig?: pulumi.Output<string>;
    alertRules?: pulumi.Output<string>;
    /**
     * What this update applied, recorded only when it succeeded: the next update's change guard compares
     * with it, and with hosts, finds where nodes run. Keep it among the stack's outputs.
     */
    appliedIdentity: pulumi.Output<ClusterIdentity>;
    /** With hosts: what every node's container is made of, as a digest (secret), recorded like appliedIdentity. */
    appliedNodeDigest?: pulumi.Output<string>;
}

/** The machine the nodes run on, where this program knows it: the local engine unless told otherwise. */
export function localMachine(settingsHosts: boolean, opts: pulumi.ComponentResourceOptions | undefined) {
    const ownProvider = opts?.provider !== undefined || opts?.providers !== undefined;
    return settingsHosts || ownProvider || process.env.DOCKER_HOST ? {} : thisMachine();
}

/** `args` with each secret's value, which must be known (at preview too: it decides what the cluster is). */
async function knownSecrets(componentName: string, args: RedisClusterArgs): Promise<PlainArgs> {
    const values = await Promise.all(
        SECRET_ARGS.map(async (k) => {
            if (args[k] === undefined) return [k, undefined];
            const value = pulumi.output(args[k]) as unknown as { isKnown: Promise<boolean>; promise(): Promise<unknown> };
            if (!(await value.isKnown)) throw new InvalidRedisClusterArgs(componentName, [`${k} is not known before the update (it comes from a resource not created yet): give a value known at preview`]);
            return [k, await value.promise()];
        }),
    );
    return { ...args, ...Object.fromEntries(values) } as PlainArgs;
}

/** What a RedisCluster keeps beside its Outputs (not fields: see the class). */
interface Internals {
    settings: ClusterSettings;
    declared: Promise<DeclaredCluster>;
    outputs: RedisClusterOutputs;
}
const internals = new WeakMap<RedisCluster, Internals>();

/**
 * A Redis Cluster on Docker: a bridge network, one container per node with its own volume, config and
 * static address, and the bootstrap that forms the cluster, heals and reshapes it.
 */
export class RedisCluster extends pulumi.ComponentResource {
    // Only Outputs are fields: they are what programs in other languages see of the component (the plugin's
    // schema is read from them); the rest is behind getters.
    /** The Docker network the nodes are on (<namePrefix>-net): attach app containers to it. */
    readonly networkName: pulumi.Output<string>;
    /** The network's subnet. */
    readonly subnet: pulumi.Output<string>;
    /** The live slot map: per shard its slot ranges, master and replicas. */
    readonly slotAssignments: pulumi.Output<ShardView[]>;
    /** CLUSTER INFO's cluster_state after the update ("ok"). */
    readonly clusterState: pulumi.Output<string>;
    /** Every node: name, address, role and node id. */
    readonly nodes: pulumi.Output<LiveNode[]>;
    /** ip:port of every node, for a cluster client's startup nodes. */
    readonly seedNodes: pulumi.Output<string[]>;
    /** For clients on the Docker host: container address -> published loopback address. */
    readonly hostPorts: pulumi.Output<Record<string, string>>;
    /** A redis-cli command line that reaches the cluster as pasted. */
    readonly connectCommand: pulumi.Output<string>;
    /** What this update applied; keep it among the stack's outputs (the next update reads it back). */
    readonly appliedIdentity: pulumi.Output<ClusterIdentity>;

    /** The resolved settings (defaults applied; secrets given as Outputs are not in them). */
    get settings(): ClusterSettings {
        return internals.get(this)!.settings;
    }
    /** Everything declared, once the preflight ran. */
    get declared(): Promise<DeclaredCluster> {
        return internals.get(this)!.declared;
    }
    /** The cluster's outputs in one object, as this project's stack exports them: export it from a program. */
    get outputs(): RedisClusterOutputs {
        return internals.get(this)!.outputs;
    }

    constructor(name: string, args: RedisClusterArgs, opts?: RedisClusterOptions) {
        const names = opts?.optionNames ?? "args";
        const resolve = (plain: PlainArgs) => resolveArgs(plain, { componentName: name, names, machine: localMachine(plain?.hosts !== undefined, opts) });
        // Secrets given as values are checked with the rest, before the component is registered: invalid
        // args leave nothing, not even the component, in state. Secrets given as Outputs are checked as
        // soon as their values are known, still before any resource of the cluster is declared.
        const now = isPlain(args) ? resolve(args) : undefined;
        if (now && now.problems.length > 0) throw new InvalidRedisClusterArgs(name, now.problems);
        // protect and retainOnDelete go to the data volumes alone: a protected container could not roll.
        const { optionNames: _, protect, retainOnDelete, ...componentOpts } = opts ?? {};
        const volumeOptions = { ...(protect !== undefined ? { protect } : {}), ...(retainOnDelete !== undefined ? { retainOnDelete } : {}) };
        // Pulumi waits for a component's initialize() before it reads the children a dependsOn on it means:
        // it returns this promise, settled once everything is declared (after the preflight).
        let constructed!: (done: Promise<void>) => void;
        const declaredAll = new Promise<void>((resolve) => (constructed = (done) => done.then(resolve, () => resolve())));
        super(REDIS_CLUSTER_TYPE, name, { declaredAll }, componentOpts);
        const checked: Promise<ClusterSettings> = (now ? Promise.resolve(now) : knownSecrets(name, args).then(resolve)).then(({ settings, problems, warnings }) => {
            if (problems.length > 0) throw new InvalidRedisClusterArgs(name, problems);
            for (const warning of warnings) pulumi.log.warn(warning, this);
            return settings;
        });
        // Which outputs exist depends on options that hold no secret: known now either way.
        const settings = now?.settings ?? resolve({ ...args, ...Object.fromEntries(SECRET_ARGS.map((k) => [k, undefined])) } as PlainArgs).settings;

        const optionName = (k: string) => (names === "config" ? `${CONFIG_NAMESPACE}:${k}` : k);
        const declared = checked.then((s) => preflight(s, optionName)).then((p) => new DeclaredCluster(this, name, p.settings, p.applied, volumeOptions, p.appliedNodeDigest));
        constructed(declared.then(() => undefined));
        const from = <T>(pick: (d: DeclaredCluster) => pulumi.Input<T>): pulumi.Output<T> => pulumi.output(declared.then(pick)) as pulumi.Output<T>;
        const plan = <T>(pick: (p: ClusterPlan) => T) => from((d) => pick(d.plan));

        this.networkName = plan((p) => p.networkName);
        this.slotAssignments = from((d) => d.slotAssignments);
        this.clusterState = from((d) => d.clusterState);
        this.nodes = from((d) => d.liveNodes);
        this.seedNodes = plan((p) => p.nodes.map((n) => `${n.announce.ip}:${n.announce.port}`));
        this.connectCommand = from((d) => connectCommand(d.settings, d.plan));
        this.subnet = plan((p) => p.subnet);
        this.hostPorts = plan((p) => Object.fromEntries(p.nodes.filter((n) => n.hostPort !== undefined).map((n) => [`${n.ip}:${n.port}`, `127.0.0.1:${n.hostPort}`])));
        // Recorded only when the whole up succeeded: the change guard compares the next config with it.
        this.appliedIdentity = from((d) => d.appliedIdentity);
        const metrics = settings.metrics !== undefined;
        const prometheus = settings.prometheus !== undefined;
        const outputs: RedisClusterOutputs = {
            image: pulumi.output(settings.image),
            networkName: this.networkName,
            subnet: this.subnet,
            plannedSlots: plan(plannedLayout),
            slotAssignments: this.slotAssignments,
            clusterState: this.clusterState,
            nodes: this.nodes,
            seedNodes: this.seedNodes,
            // With hosts only (an output that is always undefined warns on every run): node -> host, known at preview.
            ...(settings.hosts ? { placement: plan((p) => Object.fromEntries(p.nodes.map((n) => [n.name, n.host!.name]))) } : {}),
            hostPorts: this.hostPorts,
            ...(settings.tls ? { caCertificate: from((d) => d.caCertificate!) } : {}),
            connectCommand: this.connectCommand,
            ...(metrics ? { metricsTargets: from((d) => d.monitoring!.targets) } : {}),
            ...(prometheus
                ? {
                      prometheusUrl: from((d) => d.monitoring!.prometheus!.url),
                      prometheusConfig: from((d) => d.monitoring!.prometheus!.scrapeConfig),
                      alertRules: from((d) => d.monitoring!.prometheus!.rules),
                  }
                : {}),
            appliedIdentity: this.appliedIdentity,
            ...(settings.hosts ? { appliedNodeDigest: from((d) => d.appliedNodeDigest!) } : {}),
        };
        internals.set(this, { settings, declared, outputs });
        // Keeps the program running until the preflight has declared everything.
        this.registerOutputs(declared.then((d) => ({ slotAssignments: d.slotAssignments, clusterState: d.clusterState, nodes: d.liveNodes })));
    }

    /** Called by the base constructor: settles when every child is declared (a refusal settles it too; it fails the run elsewhere). */
    protected async initialize(args: pulumi.Inputs): Promise<void> {
        await (args as { declaredAll: Promise<void> }).declaredAll;
    }
}

/** A redis-cli command line that reaches the cluster as pasted (on the host that runs `pulumi`). */
function connectCommand(settings: ClusterSettings, plan: ClusterPlan): string {
    // Without the default user, log in as the first named one.
    const login = settings.disableDefaultUser ? ` --user ${settings.users![0].name} --askpass` : settings.password === undefined ? "" : " --askpass";
    const first = plan.nodes[0];
    if (settings.tls) {
        // The CA file: inside a node's container, or saved from the caCertificate output.
        return plan.hosts
            ? `pulumi stack output caCertificate > redis-ca.crt && redis-cli -c --tls --cacert redis-ca.crt -h ${first.announce.ip} -p ${first.announce.port}${login}`
            : `docker exec -it ${first.name} redis-cli -c ${REDIS_CLI_TLS_ARGS.join(" ")}${login}`;
    }
    return (plan.hosts ? `redis-cli -c -h ${first.announce.ip} -p ${first.announce.port}` : `docker run --rm -it --network ${plan.networkName} ${settings.image} redis-cli -c -h ${first.name}`) + login;
}
