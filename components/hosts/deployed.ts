/**
 * What is deployed, read from this stack's own last outputs (a stack reference to itself), which only
 * an up that succeeded records: `placement` (node -> host) and `slotAssignments` (which hosts each
 * shard uses), so running nodes stay with their data when hosts are added and new nodes go where
 * their shard needs them; and `appliedIdentity`, what the change guard compares a new config with.
 *
 * A cluster's outputs sit at the top of the stack's outputs (this project's own stack) or one level
 * down, under whatever name a program exports a RedisCluster's `outputs` as: each is found by the
 * namePrefix its appliedIdentity names, so several clusters in one program each find their own.
 */
import * as pulumi from "@pulumi/pulumi";
import { ClusterIdentity } from "../planning/safety";
import { ClusterSettings } from "../planning/settings";

interface Member {
    name: string;
    host?: string;
}

/** The outputs of one cluster that a later run reads back. */
export interface DeployedRecord {
    appliedIdentity?: ClusterIdentity;
    placement?: Record<string, string>;
    slotAssignments?: { master: Member; replicas: Member[] }[];
    /** With hosts: the digest of every node's container (a secret output; planning/hostDown.ts). */
    appliedNodeDigest?: string;
}

/** This stack's own last outputs: recorded only by an up that succeeded. */
let self: pulumi.StackReference | undefined;
const lastOutputs = () => (self ??= new pulumi.StackReference("deployed", { name: `${pulumi.getOrganization()}/${pulumi.getProject()}/${pulumi.getStack()}` }));

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);
const namePrefixOf = (v: Record<string, unknown>) => (isObject(v.appliedIdentity) ? v.appliedIdentity.namePrefix : undefined);

/**
 * The record of the cluster named `namePrefix` among `outputs`, pure. The top level when its
 * appliedIdentity names the cluster, else the one output below it that does; failing both, a top
 * level that holds a cluster's outputs without naming any (written before appliedIdentity existed).
 */
export function recordIn(outputs: Record<string, unknown>, namePrefix: string): DeployedRecord | undefined {
    if (namePrefixOf(outputs) === namePrefix) return outputs as DeployedRecord;
    const nested = Object.values(outputs).find((v) => isObject(v) && namePrefixOf(v) === namePrefix);
    if (nested !== undefined) return nested as DeployedRecord;
    const anyNamed = namePrefixOf(outputs) !== undefined || Object.values(outputs).some((v) => isObject(v) && namePrefixOf(v) !== undefined);
    return !anyNamed && ("slotAssignments" in outputs || "placement" in outputs) ? (outputs as DeployedRecord) : undefined;
}

/** The last successful up's record of the cluster named `namePrefix`; undefined on a new stack. */
export async function lastRecord(namePrefix: string): Promise<DeployedRecord | undefined> {
    // Secret outputs come as their values too: only names and hosts are read.
    const outputs = await new Promise<Record<string, unknown>>((resolve) => lastOutputs().outputs.apply((o) => resolve(o ?? {})));
    return recordIn(outputs, namePrefix);
}

/** Where a recorded cluster runs; undefined for one that has never run with hosts (a new cluster is placed round-robin). */
export function deployedPlacement(record: DeployedRecord | undefined): ClusterSettings["deployed"] {
    const placement = record?.placement;
    if (placement === undefined) return undefined;
    return {
        placement,
        shards: (record?.slotAssignments ?? []).map((s) => [s.master, ...s.replicas].map((m) => m.host ?? placement[m.name]).filter((h): h is string => h !== undefined)),
    };
}
