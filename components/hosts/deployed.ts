/**
 * Where the deployed cluster runs, read from this stack's own last outputs (a stack reference to
 * itself): `placement` (node -> host) and `slotAssignments` (which hosts each shard uses). Running
 * nodes stay with their data when hosts are added, and new nodes go where their shard needs them.
 */
import * as pulumi from "@pulumi/pulumi";
import { ClusterSettings } from "../planning/settings";

interface Member {
    name: string;
    host?: string;
}

async function outputOf<T>(stack: pulumi.StackReference, name: string): Promise<T | undefined> {
    const details = await stack.getOutputDetails(name);
    return (details.value ?? details.secretValue) as T | undefined;
}

/** Undefined on a stack that has never run with hosts (a new cluster is placed round-robin). */
export async function deployedPlacement(): Promise<ClusterSettings["deployed"]> {
    const self = new pulumi.StackReference("deployed", { name: `${pulumi.getOrganization()}/${pulumi.getProject()}/${pulumi.getStack()}` });
    const [placement, shards] = await Promise.all([
        outputOf<Record<string, string>>(self, "placement"),
        outputOf<{ master: Member; replicas: Member[] }[]>(self, "slotAssignments"),
    ]);
    if (placement === undefined) return undefined;
    return {
        placement,
        shards: (shards ?? []).map((s) => [s.master, ...s.replicas].map((m) => m.host ?? placement[m.name]).filter((h): h is string => h !== undefined)),
    };
}
