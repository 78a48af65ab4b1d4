/**
 * The InternalUsers' provider (resources/internalUsers.ts declares the resource): makes the
 * passwords of the stack's own users once, when ACL mode is turned on. They never change after:
 * every node keeps accepting them across restarts.
 */
import { randomBytes } from "crypto";
import * as pulumi from "@pulumi/pulumi";

interface Inputs {
    clusterName: string;
}

const newPassword = () => randomBytes(24).toString("hex");

export const internalUsersProvider: pulumi.dynamic.ResourceProvider = {
    async diff(): Promise<pulumi.dynamic.DiffResult> {
        return { changes: false, replaces: [], deleteBeforeReplace: false };
    },
    async create(inputs: Inputs): Promise<pulumi.dynamic.CreateResult> {
        return { id: inputs.clusterName, outs: { ...inputs, adminPassword: newPassword(), replicationPassword: newPassword() } };
    },
};
