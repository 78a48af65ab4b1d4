/**
 * The redis-cluster package: a Redis Cluster on Docker as one Pulumi component, for any program.
 *
 *     import { RedisCluster } from "redis-cluster";
 *     const cache = new RedisCluster("cache", { shards: 3, replicasPerShard: 1, subnet: "10.39.0.0/24" });
 *     export const cacheCluster = cache.outputs;
 */
export { RedisCluster, REDIS_CLUSTER_TYPE } from "./redisCluster";
export type { LiveNode, RedisClusterOptions, RedisClusterOutputs } from "./redisCluster";
export { ARG_NAMES, InvalidRedisClusterArgs, SECRET_ARGS, checkRedisClusterArgs } from "./args";
export type { HostSpec, PlainArgs, RedisClusterArgs, UserSpec } from "./args";
export type { PlannedShardView } from "./cluster";
export type { NodeRef, ShardView } from "./planning/topology";
export type { ClusterIdentity } from "./planning/safety";
