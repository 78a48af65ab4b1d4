/**
 * RolloutGate: a dynamic resource placed before each node's container (providers/gate.ts does the
 * work). When a change recreates containers, Pulumi updates the gate first and recreates the
 * container only after the gate has failed the node over if it is a master. Gates form a chain:
 * each hands the next a record of the node it let restart, and the next waits until that node is
 * back and synced. One node at a time.
 */
import * as pulumi from "@pulumi/pulumi";
import type { NodeAddress } from "../engine/pool";
import { NodeRevision, RestartRecord } from "../planning/handover";
import { LoadedDynamicResource } from "./dynamic";
import type { InternalUsers } from "../planning/access";

export interface RolloutGateArgs {
    clusterName: pulumi.Input<string>;
    /** The node this gate guards, with the fingerprint of its container definition. */
    node: pulumi.Input<NodeRevision>;
    /** Where to find the cluster, and with it the replicas that take over (planning/entryPoints: gateEntryPoints). */
    entryPoints: pulumi.Input<NodeAddress[]>;
    /** The previous gate's `restart`: the node to wait for before this one may go. */
    previous?: pulumi.Input<RestartRecord | undefined>;
    password?: pulumi.Input<string>;
    /** ACL mode only: the stack's own users (secret). */
    internal?: pulumi.Input<InternalUsers>;
    /** ACL mode only: whether the default user may log in (config, plain). */
    defaultUserEnabled?: boolean;
    /** With TLS only: the CA certificate (public). */
    tlsCa?: pulumi.Input<string>;
    /** With TLS only: which CA (planning/safety: tlsMode); a change restarts every node at once. */
    tlsMode?: string;
    /** Only while allowFullRestart is set (absent otherwise): a cluster that does not answer may restart without a handover. */
    allowFullRestart?: boolean;
    /**
     * The first gate of the chain only, in ACL mode: the named users' rules (no passwords; secret), for
     * Redis to judge before any node restarts into them.
     */
    userRules?: pulumi.Input<{ name: string; rules: string }[]>;
    /** Directives set at run time (planning/limits.ts): a node restarted along the chain gets them once back. Absent: none. */
    runtimeConfig?: Record<string, string>;
    /**
     * The first gate of the chain only, with `memory` set: the containers' new limit, which the live nodes
     * must fit before any container's limit changes.
     */
    memoryLimitBytes?: number;
    /** The first gate only, when any is set: the user's redis.conf directives, for Redis to judge before any node restarts. */
    redisConfig?: [string, string][];
    /**
     * The first gate only, while a host that runs nodes does not answer: its name, the digest of every node's
     * container and the one the last successful up recorded (secrets). A run that would restart a node is refused.
     */
    hostDown?: pulumi.Input<{ silentHosts: string[]; nodeDigest: pulumi.Input<string>; appliedNodeDigest: pulumi.Input<string> }>;
}

/**
 * The previous gate's record as the next gate takes it. In an update, its value alone (a promise): the next
 * gate still registers only once the previous one is done (the order of the roll), but the state records no
 * dependency between gates. Pulumi deletes resources in rounds by their depth in the recorded graph: a chain
 * of gates put each container a round deeper than the one before, and a destroy (or a scale-in) stopped the
 * nodes one after another.
 *
 * In a preview, unknown: a chain there only orders nothing, and at 100 nodes it was most of a preview's time
 * (each gate waited for the one before to be diffed). A preview then shows a gate changing for its own node
 * only (gateChanges leaves an unknown record out); the update passes each restart along the chain as before.
 */
export function previousRecord(previous: RolloutGate | undefined): pulumi.Input<RestartRecord | undefined> {
    if (previous === undefined) return undefined;
    if (pulumi.runtime.isDryRun()) return pulumi.output(pulumi.unknown as unknown as RestartRecord);
    // The output's own promise (not an apply): it rejects when the previous gate failed, so the run ends there.
    return (previous.restart as unknown as { promise(): Promise<RestartRecord> }).promise();
}

export class RolloutGate extends LoadedDynamicResource {
    declare readonly restart: pulumi.Output<RestartRecord>;

    constructor(name: string, args: RolloutGateArgs, opts?: pulumi.CustomResourceOptions) {
        super("RolloutGate", { module: "components/providers/gate", export: "rolloutGateProvider" }, name, { ...args, restart: undefined }, { ...opts, additionalSecretOutputs: ["password", "internal"] });
    }
}
