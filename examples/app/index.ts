// Two Redis Clusters in one program, and the application containers that use one of them: the seed
// article's custom network (containers reach the nodes by name) and its `docker network connect`
// (a container on a network of its own, attached to the cluster's network as well), declared.
import * as fs from "fs";
import * as path from "path";
import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { RedisCluster } from "redis-cluster";

const config = new pulumi.Config();
const prefix = config.get("prefix") ?? "";
const image = config.get("redisImage") ?? "redis:7.2";
// Set it with `pulumi config set --secret password ...`: the clusters and the apps get it as a secret.
const password = config.requireSecret("password");

// Each cluster's containers, network and volumes are named after it: cache-1 ... cache-6, cache-net.
const cache = new RedisCluster(
    `${prefix}cache`,
    {
        shards: 3,
        replicasPerShard: 1,
        subnet: config.get("cacheSubnet") ?? "10.39.0.0/24",
        image,
        password,
        // Only the containers below talk to it: nothing is published on the host.
        hostPortBase: 0,
    },
    // With keepData, `pulumi destroy` leaves the nodes' data volumes (cache-1-data ...) in Docker.
    { retainOnDelete: config.getBoolean("keepData") ?? false },
);
const sessions = new RedisCluster(`${prefix}sessions`, {
    shards: 3,
    replicasPerShard: 0,
    subnet: config.get("sessionsSubnet") ?? "10.40.0.0/24",
    image,
    password,
    hostPortBase: 0,
});

const appScript = fs.readFileSync(path.join(__dirname, "app.sh"), "utf8");
const labels = [{ label: "io.redis-cluster.stack", value: pulumi.getStack() }];
const redisImage = new docker.RemoteImage("app-image", { name: image, keepLocally: true });

/** A container that runs app.sh against `seed` (a node's name), on `networks`. */
function app(name: string, seed: pulumi.Input<string>, networks: pulumi.Input<string>[]): docker.Container {
    return new docker.Container(
        name,
        {
            name: `${prefix}${name}`,
            image: redisImage.imageId,
            entrypoints: ["sh", "/app/app.sh"],
            uploads: [{ file: "/app/app.sh", content: appScript }],
            envs: [pulumi.interpolate`SEED=${seed}`, `APP_NAME=${name}`, "KEYS=200", pulumi.interpolate`REDISCLI_AUTH=${password}`],
            networksAdvanced: networks.map((network) => ({ name: network })),
            labels,
        },
        // After the cluster is formed: every node, the bootstrap and its slot map.
        { dependsOn: [cache] },
    );
}

// On the cluster's own network: reaches the nodes by their container names.
const firstNode = cache.nodes.apply((nodes) => nodes[0].name);
const writer = app("writer", firstNode, [cache.networkName]);

// On a network of its own, and attached to the cluster's network too (docker network connect, declared).
const appNetwork = new docker.Network("app-network", { name: `${prefix}app-net`, ipamConfigs: [{ subnet: config.get("appSubnet") ?? "10.41.0.0/24" }], labels });
const reporter = app("reporter", firstNode, [appNetwork.name, cache.networkName]);

export const cacheCluster = cache.outputs;
export const sessionsCluster = sessions.outputs;
export const apps = [writer.name, reporter.name];
