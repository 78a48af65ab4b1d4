/**
 * InternalUsers: the passwords of the stack's own ACL users (the engine's admin and replication's),
 * made once with a random generator and kept encrypted in state (providers/internalUsers.ts).
 * Declared only in ACL mode.
 */
import * as pulumi from "@pulumi/pulumi";
import { LoadedDynamicResource } from "./dynamic";

export class InternalUsers extends LoadedDynamicResource {
    declare readonly adminPassword: pulumi.Output<string>;
    declare readonly replicationPassword: pulumi.Output<string>;

    constructor(name: string, args: { clusterName: pulumi.Input<string> }, opts?: pulumi.CustomResourceOptions) {
        super(
            "InternalUsers",
            { module: "components/providers/internalUsers", export: "internalUsersProvider" },
            name,
            { ...args, adminPassword: undefined, replicationPassword: undefined },
            { ...opts, additionalSecretOutputs: ["adminPassword", "replicationPassword"] },
        );
    }
}
