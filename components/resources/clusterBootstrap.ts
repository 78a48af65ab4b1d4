/**
 * ClusterBootstrap: a dynamic resource that turns running Redis containers into a Redis Cluster and
 * reports its live slot map (providers/bootstrap.ts does the work). Its inputs are the plan; its
 * outputs add what the cluster really looks like.
 */
import * as pulumi from "@pulumi/pulumi";
import type { ClusterReport, NodeAddress } from "../engine/cluster";
import type { PlannedShard } from "../providers/bootstrap";
import { ShardView } from "../planning/topology";
import { LoadedDynamicResource } from "./dynamic";
import type { InternalUsers } from "../planning/access";
import type { UserSpec } from "../planning/users";

export interface ClusterBootstrapArgs {
    clusterName: pulumi.Input<string>;
    plannedNodes: pulumi.Input<NodeAddress[]>;
    plannedShards: pulumi.Input<PlannedShard[]>;
    replicasPerShard: pulumi.Input<number>;
    nodeTimeoutMs: pulumi.Input<number>;
    password?: pulumi.Input<string>;
    /** ACL mode only: the stack's own users and the named ones (secrets). */
    internal?: pulumi.Input<InternalUsers>;
    /** ACL mode only: whether the default user may log in (config, plain). */
    defaultUserEnabled?: boolean;
    /** With TLS only: the CA certificate (public). */
    tlsCa?: pulumi.Input<string>;
    users?: pulumi.Input<UserSpec[]>;
    /** The nodes' container ids: a replaced container makes the next update re-attach it. */
    containerIds: pulumi.Input<pulumi.Input<string>[]>;
    /** Directives set on every node at run time (planning/limits.ts, runtimeDirectives); absent when none. */
    runtimeConfig?: Record<string, string>;
    /** Nodes on a host that does not answer in this run (planning/hostDown.ts); absent when every host answers. */
    silentNodes?: string[];
}

export class ClusterBootstrap extends LoadedDynamicResource {
    declare readonly clusterState: pulumi.Output<string>;
    declare readonly shards: pulumi.Output<ShardView[]>;
    declare readonly nodes: pulumi.Output<ClusterReport["nodes"]>;

    constructor(name: string, args: ClusterBootstrapArgs, opts?: pulumi.CustomResourceOptions) {
        super(
            "ClusterBootstrap",
            { module: "components/providers/bootstrap", export: "bootstrapProvider" },
            name,
            { ...args, clusterState: undefined, shards: undefined, nodes: undefined },
            { ...opts, additionalSecretOutputs: ["password", "internal", "users"] },
        );
    }
}
