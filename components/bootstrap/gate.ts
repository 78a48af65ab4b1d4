/**
 * RolloutGate: a Pulumi dynamic resource placed before each node's
 * container. When a change recreates containers (image, redis.conf,
 * password), Pulumi updates the gate first and recreates the container only
 * after the gate has failed the node over if it is a master; the next
 * node's gate waits for this one to rejoin and sync. One node at a time.
 */
import * as pulumi from "@pulumi/pulumi";
import { NodeAddress } from "./engine";
import { NodeRevision, restartingMembers } from "./handover";
import { makeWayForRestart } from "./rollout";

export interface RolloutGateArgs {
    clusterName: pulumi.Input<string>;
    /** The node this gate guards, with the fingerprint of its container definition. */
    node: pulumi.Input<NodeRevision>;
    /** Every planned node, to find the replicas that take over. */
    nodes: pulumi.Input<NodeAddress[]>;
    password?: pulumi.Input<string>;
    timeoutSeconds?: pulumi.Input<number>;
}

interface Inputs {
    clusterName: string;
    node: NodeRevision;
    nodes: NodeAddress[];
    password?: string;
    timeoutSeconds?: number;
}

export const rolloutGateProvider: pulumi.dynamic.ResourceProvider = {
    async diff(_id: string, olds: Inputs, news: Inputs): Promise<pulumi.dynamic.DiffResult> {
        const keys: (keyof Inputs)[] = ["node", "nodes", "password"];
        const changed = keys.filter((k) => JSON.stringify(olds[k]) !== JSON.stringify(news[k]));
        return { changes: changed.length > 0, replaces: [], deleteBeforeReplace: false };
    },
    async create(inputs: Inputs): Promise<pulumi.dynamic.CreateResult> {
        // New nodes have nothing to hand over.
        return { id: `${inputs.clusterName}:${inputs.node.name}`, outs: inputs };
    },
    async update(_id: string, olds: Inputs, news: Inputs): Promise<pulumi.dynamic.UpdateResult> {
        const restarting = restartingMembers([olds.node], [news.node]);
        const log = (message: string) => console.error(`[${news.clusterName}] ${message}`);
        await makeWayForRestart(
            {
                nodes: news.nodes,
                restarting: restarting.map(({ name, ip, port }) => ({ name, ip, port })),
                password: news.password,
                previousPassword: olds.password,
                timeoutMs: (news.timeoutSeconds ?? 300) * 1000,
            },
            log,
        );
        return { outs: news };
    },
    async delete(): Promise<void> {
        // Holds nothing: it only orders and prepares restarts.
    },
};

export class RolloutGate extends pulumi.dynamic.Resource {
    constructor(name: string, args: RolloutGateArgs, opts?: pulumi.CustomResourceOptions) {
        super(rolloutGateProvider, name, args, { ...opts, additionalSecretOutputs: ["password"] }, "redis-cluster", "RolloutGate");
    }
}
