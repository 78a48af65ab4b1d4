/**
 * ChangeGuard: a dynamic resource that refuses, at preview and at up, a config change that would
 * lose the cluster's data or take every node down at once (providers/guard.ts). It compares the
 * identity asked for (names, network, addresses, image) with the one the last successful up applied;
 * every other resource of the stack depends on it, so a refused change stops the run before
 * anything is touched, also under `pulumi up --skip-preview`.
 */
import * as pulumi from "@pulumi/pulumi";
import { ClusterIdentity } from "../planning/safety";
import { LoadedDynamicResource } from "./dynamic";

export interface ChangeGuardArgs {
    identity: pulumi.Input<ClusterIdentity>;
    /** The identity the last successful up applied (the stack's appliedIdentity output), where known. */
    applied?: pulumi.Input<ClusterIdentity>;
    allowFullRestart: pulumi.Input<boolean>;
    allowDowngrade: pulumi.Input<boolean>;
}

export class ChangeGuard extends LoadedDynamicResource {
    constructor(name: string, args: ChangeGuardArgs, opts?: pulumi.CustomResourceOptions) {
        super("ChangeGuard", { module: "components/providers/guard", export: "changeGuardProvider" }, name, { ...args }, opts);
    }
}
