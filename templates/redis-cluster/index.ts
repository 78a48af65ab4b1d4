// A Redis Cluster on Docker: the RedisCluster component, from this project's config.
import * as pulumi from "@pulumi/pulumi";
import { RedisCluster } from "redis-cluster";

const config = new pulumi.Config();

// Containers are named after the project (<project>-1 ...), on the network <project>-net.
const cluster = new RedisCluster(pulumi.getProject(), {
    shards: config.getNumber("shards"),
    replicasPerShard: config.getNumber("replicasPerShard"),
    subnet: config.get("subnet"),
    hostPortBase: config.getNumber("hostPortBase"),
    image: config.get("image"),
    password: config.getSecret("password"),
    // Any other option of RedisClusterArgs (the package's README lists them), e.g. memory: "512m".
});

// The cluster's outputs; the next `pulumi up` reads them back (keep this export).
export const redis = cluster.outputs;
