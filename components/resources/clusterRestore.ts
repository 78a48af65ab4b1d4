/**
 * ClusterRestore: loads a backup archive (npm run backup) into the cluster once, when it is new or
 * holds no keys (providers/restore.ts; the work is engine/restore.ts). Declared only with restoreFrom.
 */
import * as pulumi from "@pulumi/pulumi";
import type { NodeAddress } from "../engine/pool";
import type { InternalUsers } from "../planning/access";
import { LoadedDynamicResource } from "./dynamic";

export interface ClusterRestoreArgs {
    clusterName: pulumi.Input<string>;
    /** The archive's directory, absolute. */
    archive: pulumi.Input<string>;
    /** The image of the temporary standalone nodes that open the archive's files: the cluster's own. */
    image: pulumi.Input<string>;
    plannedNodes: pulumi.Input<NodeAddress[]>;
    password?: pulumi.Input<string>;
    internal?: pulumi.Input<InternalUsers>;
    defaultUserEnabled?: boolean;
    tlsCa?: pulumi.Input<string>;
    /** Into a cluster that holds keys: merge or replace; absent: refused. */
    mode?: "merge" | "replace";
}

export class ClusterRestore extends LoadedDynamicResource {
    /** How many keys the restore loaded. */
    declare readonly restoredKeys: pulumi.Output<number>;
    /** The sha256 of the archive's manifest. */
    declare readonly archiveId: pulumi.Output<string>;

    constructor(name: string, args: ClusterRestoreArgs, opts?: pulumi.CustomResourceOptions) {
        super(
            "ClusterRestore",
            { module: "components/providers/restore", export: "restoreProvider" },
            name,
            { ...args, restoredKeys: undefined, archiveId: undefined },
            { ...opts, additionalSecretOutputs: ["password", "internal"] },
        );
    }
}
