/**
 * The MetricsLogin's provider (resources/metricsLogin.ts declares the resource): makes the metrics
 * user's password once, when metrics are turned on in ACL mode. It never changes after.
 */
import { randomBytes } from "crypto";
import * as pulumi from "@pulumi/pulumi";

interface Inputs {
    clusterName: string;
}

export const metricsLoginProvider: pulumi.dynamic.ResourceProvider = {
    async diff(): Promise<pulumi.dynamic.DiffResult> {
        return { changes: false, replaces: [], deleteBeforeReplace: false };
    },
    async create(inputs: Inputs): Promise<pulumi.dynamic.CreateResult> {
        return { id: inputs.clusterName, outs: { ...inputs, password: randomBytes(24).toString("hex") } };
    },
};
