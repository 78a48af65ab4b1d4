/**
 * The RolloutGate's provider (resources/rolloutGate.ts declares the resource). On an update it makes
 * way for its node's restart: waits for the node the previous gate let restart, then fails the node
 * over if it is a master. The chain runs through the gates, not the containers, so a new cluster's
 * containers are still created side by side.
 */
import * as pulumi from "@pulumi/pulumi";
import { NodeAddress } from "../engine/pool";
import { judgeRulesOnAnyNode } from "../engine/steps/access";
import { judgeDirectivesOnAnyNode } from "../engine/steps/directives";
import { Directives } from "../planning/redisConfig";
import { makeWayForRestart } from "../engine/restart";
import { memoryUse, overLimit } from "../engine/memoryFit";
import { findCluster } from "../engine/discovery";
import { StoredAccess, accessOf, isChanging } from "../planning/access";
import { NO_RESTART, NodeRevision, RestartRecord, restartingMembers } from "../planning/handover";
import { nodeChangeRefusal } from "../planning/hostDown";

/** The logins are StoredAccess's fields: `password`, and in ACL mode only `internal` and `defaultUserEnabled`. */
interface Inputs extends StoredAccess {
    clusterName: string;
    node: NodeRevision;
    /** Where to find the cluster (planning/entryPoints): a few nodes, not every one. */
    entryPoints: NodeAddress[];
    previous?: RestartRecord;
    /** With TLS only: the CA certificate the nodes' certificates are checked against. */
    tlsCa?: string;
    /** With TLS only: which CA (planning/safety: tlsMode). */
    tlsMode?: string;
    /** Present (true) only while the user allows a full restart: not compared, read at update. */
    allowFullRestart?: boolean;
    /** The first gate only, in ACL mode: the named users' rules, judged by Redis before any node restarts. */
    userRules?: { name: string; rules: string }[];
    /** Read at update only, not compared: directives set at run time (planning/limits.ts). */
    runtimeConfig?: Record<string, string>;
    /** The first gate only, with `memory` set: the new limit, checked against the live nodes when it changes. */
    memoryLimitBytes?: number;
    /** The first gate only: the user's redis.conf directives, judged by Redis before any node restarts into them. */
    redisConfig?: Directives;
    /** The first gate only, while a host does not answer (planning/hostDown.ts). Not compared. */
    hostDown?: { silentHosts: string[]; nodeDigest: string; appliedNodeDigest: string };
}

/** Upper bound for one gate's waits: the previous node back and synced, a failover, an AOF rewrite. */
const TIMEOUT_MS = 300000;

/** Its inputs but the entry points (read from the new inputs when the gate updates): outputs. */
interface Outputs extends Omit<Inputs, "entryPoints"> {
    /**
     * The last node restarted along the chain up to this gate, for the next gate to wait for.
     * Always present (NO_RESTART when none): an output that is sometimes absent did not stay stable
     * from one run to the next, and the next preview showed changes.
     */
    restart: RestartRecord;
}

/**
 * A gate's outputs: its inputs without the entry points, which each gate would otherwise store twice (an
 * earlier release stored every node's address there, twice: most of the state at 100 nodes). The inputs
 * keep them, and an update reads the new inputs.
 */
export function gateOutputs(inputs: Inputs, restart: RestartRecord): Outputs {
    const { entryPoints: _entryPoints, ...kept } = inputs;
    return { ...kept, restart };
}

/**
 * What differs between a gate's state (`olds`: its outputs) and its new inputs: input names, and "access"
 * for the logins, compared as one value (accessOf) so state that keeps the default user's setting where an
 * earlier release put it compares equal. Any difference updates the gate. Not the entry points: a gate's
 * own node is `node`, and an update reads them from the new inputs (an earlier release's list of every node
 * updated every gate, to no effect, whenever a node was added or removed).
 */
export function gateChanges(olds: Omit<Inputs, "entryPoints">, news: Inputs): string[] {
    // Not userRules: a change of users alone restarts nothing, and the bootstrap judges the rules before it
    // changes any user; an update would only reset this gate's record and ripple through the chain.
    // Not an unknown previous record: a preview leaves the chain out (resources/rolloutGate.ts, previousRecord).
    const chained = (news.previous as unknown) !== pulumi.runtime.unknownValue;
    const keys: (keyof Inputs & keyof typeof olds)[] = ["node", "tlsCa", "tlsMode", ...(chained ? (["previous"] as const) : []), "memoryLimitBytes"];
    const changed: string[] = keys.filter((k) => JSON.stringify(olds[k]) !== JSON.stringify(news[k]));
    return isChanging(accessOf(news), accessOf(olds)) ? [...changed, "access"] : changed;
}

/**
 * Refuses a memory limit (new, or lower than before) that a live node does not fit, before any container
 * changes: its data would get it killed by the kernel, again at each restart as it loads. A node that does
 * not answer cannot be judged: it is named, and not refused for.
 */
async function memoryLimitFailures(olds: Partial<Inputs>, news: Inputs): Promise<pulumi.dynamic.CheckFailure[]> {
    const limit = news.memoryLimitBytes;
    // A gate being created belongs to a new stack (or one that gains nodes): nothing runs there yet.
    if (limit === undefined || olds.node === undefined || (olds.memoryLimitBytes !== undefined && olds.memoryLimitBytes <= limit)) return [];
    let measured: Awaited<ReturnType<typeof memoryUse>>;
    try {
        // Either login: a password rotation in the same run has not reached the nodes yet. Every node the cluster
        // lists is measured; when no entry point answers, they are named as not answering.
        const credentials = { access: accessOf(news), previousAccess: accessOf(olds as Inputs), tlsCa: news.tlsCa };
        measured = await memoryUse((await findCluster(news.entryPoints, credentials)) ?? news.entryPoints, credentials);
    } catch (err) {
        console.error(`[${news.clusterName}] could not read the nodes' memory use to check the new memory limit: ${(err as Error).message}`);
        return [];
    }
    const { use, unreachable } = measured;
    if (unreachable.length > 0) console.error(`[${news.clusterName}] not answering, so not checked against the new memory limit: ${unreachable.join(", ")}`);
    const over = overLimit(use, limit);
    if (over.length === 0) return [];
    return [{ property: "memoryLimitBytes", reason: `redis-cluster:memory is below what nodes use now (the kernel would kill them), nothing was changed:\n - ${over.join("\n - ")}` }];
}

export const rolloutGateProvider: pulumi.dynamic.ResourceProvider = {
    async check(olds: Partial<Inputs>, news: Inputs): Promise<pulumi.dynamic.CheckResult> {
        // Before any node restarts: while a host does not answer, none may.
        const down = news.hostDown && nodeChangeRefusal(news.hostDown.silentHosts, news.hostDown.nodeDigest, news.hostDown.appliedNodeDigest || undefined);
        // No property named: the engine would print its value, the digests with it.
        if (down) return { inputs: news, failures: [{ property: "", reason: `${down}; nothing was changed` }] };
        // A new stack's first gate has no nodes to ask yet (olds empty and nothing answers: no failure).
        return { inputs: news, failures: await memoryLimitFailures(olds, news) };
    },
    async diff(_id: string, olds: Outputs, news: Inputs): Promise<pulumi.dynamic.DiffResult> {
        return { changes: gateChanges(olds, news).length > 0, replaces: [], deleteBeforeReplace: false };
    },
    async create(inputs: Inputs): Promise<pulumi.dynamic.CreateResult> {
        // A new node has nothing to hand over.
        const outs = gateOutputs(inputs, inputs.previous ?? NO_RESTART);
        return { id: `${inputs.clusterName}:${inputs.node.name}`, outs };
    },
    async update(_id: string, olds: Outputs, news: Inputs): Promise<pulumi.dynamic.UpdateResult> {
        const [restarting] = restartingMembers([olds.node], [news.node]);
        const log = (message: string) => console.error(`[${news.clusterName}] ${message}`);
        if (olds.tlsMode !== news.tlsMode) {
            // TLS turned on or off, or another CA: old and new nodes cannot talk, so there is nothing to hand
            // over to. The guard let this through only with allowFullRestart: every node restarts at once,
            // stopped gracefully (its data saved), and the bootstrap waits for the cluster to form again.
            log(`${news.node.name}: TLS changes on every node at once (allowFullRestart); restarting without a handover`);
            return { outs: gateOutputs(news, NO_RESTART) };
        }
        if (olds.node.ip !== news.node.ip || olds.node.port !== news.node.port) {
            // Its announced address changes: every node at once (subnet, first address, or published ports
            // with hosts; the guard let that through only with allowFullRestart), or this node alone, on
            // another host (a drain: the old node runs on until the bootstrap handed its role over) or on its
            // host's new machine (the old one is gone). Nothing to hand over before the container changes.
            log(`${news.node.name}: its address changes (${olds.node.ip}:${olds.node.port} -> ${news.node.ip}:${news.node.port}); nothing to hand over before, the bootstrap joins it there`);
            return { outs: gateOutputs(news, NO_RESTART) };
        }
        if (news.userRules !== undefined && JSON.stringify(news.userRules) !== JSON.stringify(olds.userRules)) {
            // Before any container of this up restarts into the new users: a refusal now changes nothing.
            await judgeRulesOnAnyNode(news.entryPoints, { access: accessOf(news), previousAccess: accessOf(olds), tlsCa: news.tlsCa }, news.userRules);
        }
        if (news.redisConfig !== undefined && JSON.stringify(news.redisConfig) !== JSON.stringify(olds.redisConfig)) {
            // Likewise before any container restarts into the new redis.conf.
            await judgeDirectivesOnAnyNode(news.entryPoints, { access: accessOf(news), previousAccess: accessOf(olds), tlsCa: news.tlsCa }, news.redisConfig);
        }
        const runId = await makeWayForRestart(
            {
                entryPoints: news.entryPoints,
                restarting: restarting && { name: restarting.name, ip: restarting.ip, port: restarting.port },
                appendonly: restarting?.appendonly,
                allowFullRestart: news.allowFullRestart === true,
                runtimeConfig: news.runtimeConfig,
                after: news.previous,
                access: accessOf(news),
                previousAccess: accessOf(olds),
                tlsCa: news.tlsCa,
                timeoutMs: TIMEOUT_MS,
            },
            log,
        );
        const restart = restarting && runId !== undefined ? { name: restarting.name, ip: restarting.ip, port: restarting.port, runId } : (news.previous ?? NO_RESTART);
        const outs = gateOutputs(news, restart);
        return { outs };
    },
    async delete(): Promise<void> {
        // Holds nothing: it only orders and prepares restarts.
    },
};
