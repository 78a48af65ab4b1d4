/**
 * The ClusterBootstrap's provider (resources/clusterBootstrap.ts declares the resource): turns
 * running Redis containers into a Redis Cluster and reports its live slot map.
 *
 * Its inputs are the plan (addresses, shards, slots); its outputs add what
 * the cluster really looks like. Diffs compare inputs only, so a failover
 * changes the outputs on refresh without ever causing a re-bootstrap.
 */
import * as pulumi from "@pulumi/pulumi";
import { ClusterReport, ClusterSpec, NodeAddress, ensureCluster, ensureInPlace, readCluster } from "../engine/cluster";
import { liveDrift } from "../engine/drift";
import { describeRuntimeChange } from "../engine/steps/runtimeConfig";
import { StoredAccess, accessOf, isChanging } from "../planning/access";
import { catchUpNeeded } from "../planning/hostDown";
import { ShardView, endpoint } from "../planning/topology";
import { UserSpec } from "../planning/users";

export interface PlannedShard {
    master: string;
    replicas: string[];
    slots: string[];
}

/**
 * The inputs as the provider receives them (plain values). The logins are StoredAccess's fields:
 * `password`, and in ACL mode only `internal` and `defaultUserEnabled`.
 */
interface Inputs extends StoredAccess {
    clusterName: string;
    plannedNodes: NodeAddress[];
    plannedShards: PlannedShard[];
    /** Absent in state written before it was an input: then the first shard's count. */
    replicasPerShard?: number;
    nodeTimeoutMs: number;
    /** ACL mode only: the named users (absent otherwise). */
    users?: UserSpec[];
    /** With TLS only: the CA certificate the nodes' certificates are checked against. */
    tlsCa?: string;
    containerIds: string[];
    /** Directives set at run time (planning/limits.ts, runtimeDirectives); absent when none. */
    runtimeConfig?: Record<string, string>;
    /** Nodes on a host that does not answer in this run (planning/hostDown.ts); absent when every host answers. Not compared. */
    silentNodes?: string[];
}

const replicasOf = (i: Inputs): number => i.replicasPerShard ?? i.plannedShards[0]?.replicas.length ?? 0;

/** Upper bound for the waits of one bootstrap, heal or reshape (slot moves extend it by their own time). */
const TIMEOUT_MS = 180000;

interface Outputs extends Inputs {
    /** What the nodes had for each user directive the stack sets at run time, before it first set it (engine: runtimeTarget). */
    runtimeBaseline?: Record<string, string>;
    clusterState: string;
    shards: ShardView[];
    nodes: ClusterReport["nodes"];
    /** Nodes an up passed over because they did not answer: the first up after they answer brings them in line. Absent when none. */
    pendingNodes?: string[];
}

/** Input keys whose change means the running cluster must be reconciled; and the logins (changedInputs). */
const RECONCILED_INPUTS: (keyof Inputs)[] = ["plannedNodes", "plannedShards", "nodeTimeoutMs", "users", "tlsCa", "containerIds", "runtimeConfig"];

/**
 * The inputs whose change means the running cluster must be reconciled, and "access" when the logins
 * change: compared as one value (accessOf), so state that keeps the default user's setting where an
 * earlier release put it compares equal.
 */
export function changedInputs(olds: Inputs, news: Inputs): string[] {
    const changed: string[] = RECONCILED_INPUTS.filter((k) => JSON.stringify(olds[k]) !== JSON.stringify(news[k]));
    return isChanging(accessOf(news), accessOf(olds)) ? [...changed, "access"] : changed;
}

function toSpec(inputs: Inputs, previous?: Outputs): ClusterSpec {
    const planned = new Set(inputs.plannedNodes.map(endpoint));
    return {
        leaving: (previous?.plannedNodes ?? []).map(endpoint).filter((e) => !planned.has(e)),
        nodes: inputs.plannedNodes,
        shards: inputs.plannedShards,
        replicasPerShard: replicasOf(inputs),
        nodeTimeoutMs: inputs.nodeTimeoutMs,
        users: inputs.users ?? [],
        access: accessOf(inputs),
        previousAccess: previous === undefined ? undefined : accessOf(previous),
        tlsCa: inputs.tlsCa,
        runtimeConfig: inputs.runtimeConfig,
        runtimeBaseline: previous?.runtimeBaseline,
        timeoutMs: TIMEOUT_MS,
    };
}

function withReport(inputs: Inputs, report: ClusterReport, runtimeBaseline?: Record<string, string>): Outputs {
    return {
        ...inputs,
        // Absent while empty, so state from before it existed compares equal.
        ...(runtimeBaseline !== undefined && Object.keys(runtimeBaseline).length > 0 ? { runtimeBaseline } : {}),
        clusterState: report.clusterState,
        shards: report.shards,
        nodes: report.nodes,
    };
}


async function reconcile(inputs: Inputs, previous?: Outputs): Promise<Outputs> {
    // The dynamic-provider host forwards our stderr to the CLI, which shows it as progress.
    const log = (message: string) => console.error(`[${inputs.clusterName}] ${message}`);
    const silent = inputs.silentNodes ?? [];
    if (previous !== undefined && silent.length > 0) {
        // The placement is as deployed and no node restarted (the preflight and the first gate saw to that).
        const report = await ensureInPlace(toSpec(inputs, previous), silent, log);
        return { ...withReport(inputs, report, report.runtimeBaseline), pendingNodes: silent };
    }
    const report = await ensureCluster(toSpec(inputs, previous), log);
    return withReport(inputs, report, report.runtimeBaseline);
}

export const bootstrapProvider: pulumi.dynamic.ResourceProvider = {
    async diff(_id: string, olds: Outputs, news: Inputs): Promise<pulumi.dynamic.DiffResult> {
        const changed = changedInputs(olds, news);
        const silent = news.silentNodes ?? [];
        if (changed.length === 0 && catchUpNeeded(olds.pendingNodes, silent)) {
            console.error(`[${news.clusterName}] nodes an earlier up passed over while they did not answer do now; up brings them in line: ${olds.pendingNodes!.filter((n) => !silent.includes(n)).join(", ")}`);
            return { changes: true, replaces: [], deleteBeforeReplace: false };
        }
        if (changed.length === 0 && silent.length > 0) {
            console.error(`[${news.clusterName}] ${silent.join(", ")} do not answer (their host is down): the live cluster was not compared with the plan`);
        } else if (changed.length === 0) {
            // Unchanged inputs say only what the last successful run was asked for. A run that failed or was
            // killed half way leaves a shape no input shows (keys moved to a node the reverted plan drops):
            // then the cluster itself is the change, and the up reconciles it before Pulumi deletes anything.
            const drift = await liveDrift(news.plannedNodes, { shards: news.plannedShards, replicasPerShard: replicasOf(news) }, { access: accessOf(news), tlsCa: news.tlsCa });
            if (drift === undefined) {
                console.error(`[${news.clusterName}] no node answers from this machine: the live cluster was not compared with the plan`);
            } else if (drift.length > 0) {
                console.error(`[${news.clusterName}] the live cluster differs from the plan; up reconciles it first:\n - ${drift.join("\n - ")}`);
                return { changes: true, replaces: [], deleteBeforeReplace: false };
            }
        }
        const inPlace = describeRuntimeChange(olds.runtimeConfig ?? {}, news.runtimeConfig ?? {}, olds.runtimeBaseline ?? {});
        if (inPlace.length > 0) console.error(`[${news.clusterName}] set on the running nodes, no restart: ${inPlace.join("; ")}`);
        // Never a replacement: a new shape is reached by moving slots and nodes in place.
        return { changes: changed.length > 0, replaces: [], deleteBeforeReplace: false };
    },
    async create(inputs: Inputs): Promise<pulumi.dynamic.CreateResult> {
        return { id: inputs.clusterName, outs: await reconcile(inputs) };
    },
    async update(_id: string, olds: Outputs, news: Inputs): Promise<pulumi.dynamic.UpdateResult> {
        return { outs: await reconcile(news, olds) };
    },
    async read(id: string, props: Outputs): Promise<pulumi.dynamic.ReadResult> {
        const report = await readCluster(props.plannedNodes, { access: accessOf(props), tlsCa: props.tlsCa });
        return { id, props: report ? withReport(props, report, props.runtimeBaseline) : { ...props, clusterState: "unreachable" } };
    },
    async delete(): Promise<void> {
        // Nothing to undo: the cluster lives in the containers and volumes, which Pulumi deletes itself.
    },
};
