/**
 * What the engine is asked to bring about: the plan as plain data (it travels through Pulumi state
 * as the bootstrap's inputs), and how to reach the nodes. Every engine script reads it; it imports
 * nothing of the engine's scripts, so none of them imports another through it.
 */
import { UserSpec } from "../planning/users";
import { Credentials, NodeAddress } from "./pool";

/** What the cluster should look like, and how to reach it; plain data so it can travel through Pulumi state. */
export interface ClusterSpec extends Credentials {
    nodes: NodeAddress[];
    /** Per shard, in slot order: its planned first master, replicas and slot ranges ("a-b"). */
    shards: { master: string; replicas: string[]; slots: string[] }[];
    replicasPerShard: number;
    nodeTimeoutMs: number;
    /** Named ACL users every node must have (ACL mode), exactly these. */
    users: UserSpec[];
    /** Endpoints (ip:port) of nodes the previous plan had and this one drops: drained, then forgotten. */
    leaving?: string[];
    /** Directives set on every node at run time (limits.ts runtimeDirectives, redisConfig.ts inPlaceDirectives); absent: none. */
    runtimeConfig?: Record<string, string>;
    /** What the nodes had for each user directive before the stack first set it: where it goes back when dropped. */
    runtimeBaseline?: Record<string, string>;
    /** Upper bound for the waits of the whole operation (slot moves extend it by their own time). */
    timeoutMs: number;
}
