/**
 * MetricsLogin: the password of the stack's read-only metrics user (planning/metrics: METRICS_USER),
 * made once with a random generator and kept encrypted in state (providers/metricsLogin.ts).
 * Declared only in ACL mode with metrics on; its own resource, so that turning metrics on changes
 * nothing the nodes' containers are made from.
 */
import * as pulumi from "@pulumi/pulumi";
import { LoadedDynamicResource } from "./dynamic";

export class MetricsLogin extends LoadedDynamicResource {
    declare readonly password: pulumi.Output<string>;

    constructor(name: string, args: { clusterName: pulumi.Input<string> }, opts?: pulumi.CustomResourceOptions) {
        super(
            "MetricsLogin",
            { module: "components/providers/metricsLogin", export: "metricsLoginProvider" },
            name,
            { ...args, password: undefined },
            { ...opts, additionalSecretOutputs: ["password"] },
        );
    }
}
