/** RedisNode: one cluster node, its data volume and its container. */
import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { NodePlan } from "./planning/plan";
import { CONFIG_PATH } from "./planning/redisConf";
import { REDIS_PORT } from "./planning/settings";
import { DockerLabel } from "./labels";

export interface RedisNodeArgs {
    node: NodePlan;
    /** Image id to run (from a RemoteImage, so a new image replaces the container). */
    imageId: pulumi.Input<string>;
    networkName: pulumi.Input<string>;
    /** The node's redis.conf; a secret when it holds the password. */
    redisConf: pulumi.Input<string>;
    labels: DockerLabel[];
    /** Resources the container waits for: the rollout gate that lets it restart. */
    after?: pulumi.Resource[];
}

// The server answers PING (or NOAUTH when a password is set): alive either way.
export const HEALTHCHECK = {
    tests: ["CMD-SHELL", `redis-cli -p ${REDIS_PORT} ping | grep -qE 'PONG|NOAUTH'`],
    interval: "1s",
    timeout: "3s",
    retries: 30,
};

export class RedisNode extends pulumi.ComponentResource {
    readonly volume: docker.Volume;
    readonly container: docker.Container;

    constructor(name: string, args: RedisNodeArgs, opts?: pulumi.ComponentResourceOptions) {
        super("redis-cluster:index:RedisNode", name, {}, opts);
        const { node } = args;

        // Outlives container replacement: nodes.conf (the node's identity) and the AOF stay.
        this.volume = new docker.Volume(
            `${name}-data`,
            { name: node.volumeName, labels: args.labels },
            { parent: this },
        );

        this.container = new docker.Container(
            name,
            {
                name: node.name,
                hostname: node.name,
                image: args.imageId,
                command: ["redis-server", CONFIG_PATH],
                uploads: [{ file: CONFIG_PATH, content: args.redisConf }],
                volumes: [{ volumeName: this.volume.name, containerPath: "/data" }],
                networksAdvanced: [{ name: args.networkName, ipv4Address: node.ip, aliases: [node.name] }],
                ports:
                    node.hostPort === undefined
                        ? []
                        : [{ internal: REDIS_PORT, external: node.hostPort, ip: "127.0.0.1", protocol: "tcp" }],
                restart: "unless-stopped",
                healthcheck: HEALTHCHECK,
                wait: true,
                waitTimeout: 60,
                labels: args.labels,
            },
            {
                parent: this,
                dependsOn: args.after,
                // Fixed name, address and host port: the old container must go before its successor starts.
                deleteBeforeReplace: true,
                // Docker ignores healthcheck edits on an existing container.
                replaceOnChanges: ["healthcheck"],
            },
        );

        this.registerOutputs({ volume: this.volume, container: this.container });
    }
}
