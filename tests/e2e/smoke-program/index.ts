// One network with a private subnet and one Redis container at a static
// address: enough to prove the CLI, language host and docker plugin work.
import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";

const config = new pulumi.Config();
const name = config.require("name");
const labels = [{ label: "io.redis-cluster.stack", value: pulumi.getStack() }];

const network = new docker.Network("net", {
    name: `${name}-net`,
    ipamConfigs: [{ subnet: config.require("subnet") }],
    labels,
});
const image = new docker.RemoteImage("redis", { name: config.require("image"), keepLocally: true });
const container = new docker.Container("redis", {
    name,
    image: image.imageId,
    networksAdvanced: [{ name: network.name, ipv4Address: config.require("ip") }],
    labels,
});

export const containerName = container.name;
export const networkName = network.name;
