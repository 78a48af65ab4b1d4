/**
 * What is deployed, read from this stack's own last outputs (a stack reference to itself), which only
 * an up that succeeded records: `placement` (node -> host) and `slotAssignments` (which hosts each
 * shard uses), so running nodes stay with their data when hosts are added and new nodes go where
 * their shard needs them; and `appliedIdentity`, what the change guard compares a new config with.
 */
import * as pulumi from "@pulumi/pulumi";
import { ClusterIdentity } from "../planning/safety";
import { ClusterSettings } from "../planning/settings";

interface Member {
    name: string;
    host?: string;
}

async function outputOf<T>(stack: pulumi.StackReference, name: string): Promise<T | undefined> {
    const details = await stack.getOutputDetails(name);
    return (details.value ?? details.secretValue) as T | undefined;
}

/** This stack's own last outputs: recorded only by an up that succeeded. */
let self: pulumi.StackReference | undefined;
const lastOutputs = () => (self ??= new pulumi.StackReference("deployed", { name: `${pulumi.getOrganization()}/${pulumi.getProject()}/${pulumi.getStack()}` }));

/** What the last successful up applied, for the change guard; undefined on a new stack or one last run by an older release. */
export async function appliedIdentity(): Promise<ClusterIdentity | undefined> {
    return outputOf<ClusterIdentity>(lastOutputs(), "appliedIdentity");
}

/** Undefined on a stack that has never run with hosts (a new cluster is placed round-robin). */
export async function deployedPlacement(): Promise<ClusterSettings["deployed"]> {
    const self = lastOutputs();
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
