// Reads the stack's config, builds one Redis Cluster, exports what users need.
import * as pulumi from "@pulumi/pulumi";
import { RedisCluster, plannedLayout } from "./components/cluster";
import { CONFIG_NAMESPACE, RawSettings, resolveSettings } from "./components/planning/settings";

const config = new pulumi.Config(CONFIG_NAMESPACE);
const keys = [
    "shards",
    "replicasPerShard",
    "subnet",
    "gateway",
    "firstNodeIp",
    "image",
    "nodeTimeoutMs",
    "appendonly",
    "hostPortBase",
    "namePrefix",
    "allowFullRestart",
    "allowDowngrade",
] as const;
const raw: RawSettings = Object.fromEntries(keys.map((k) => [k, config.get(k)]));
// Plain text here, for validation only: RedisCluster wraps it in pulumi.secret before any resource
// sees it, so it is stored encrypted whether or not the config value was set with --secret.
raw.password = config.get("password");
raw.hosts = config.getObject<unknown>("hosts");

const { settings, problems, warnings } = resolveSettings(raw);
for (const warning of warnings) {
    pulumi.log.warn(warning);
}
if (problems.length > 0) {
    // Thrown before any resource is declared: preview fails and nothing is created.
    throw new pulumi.RunError(`Invalid configuration, nothing was created:\n - ${problems.join("\n - ")}`);
}

const cluster = new RedisCluster("redis-cluster", settings);
const plan = cluster.plan;

export const image = settings.image;
export const networkName = plan.networkName;
export const subnet = plan.subnet;
export const plannedSlots = plannedLayout(plan);
export const slotAssignments = cluster.slotAssignments;
export const clusterState = cluster.clusterState;
export const nodes = cluster.liveNodes;
export const seedNodes = plan.nodes.map((n) => `${n.announce.ip}:${n.announce.port}`);
/** With hosts only (an output that is always undefined warns on every run): node -> host, known at preview. */
if (plan.hosts) {
    module.exports.placement = Object.fromEntries(plan.nodes.map((n) => [n.name, n.host!.name]));
}
/** For clients on the host: container address -> published loopback port (ioredis natMap). */
export const hostPorts = Object.fromEntries(
    plan.nodes.filter((n) => n.hostPort !== undefined).map((n) => [`${n.ip}:${n.port}`, `127.0.0.1:${n.hostPort}`]),
);
export const connectCommand =
    (plan.hosts
        ? `redis-cli -c -h ${plan.nodes[0].announce.ip} -p ${plan.nodes[0].announce.port}`
        : `docker run --rm -it --network ${plan.networkName} ${settings.image} redis-cli -c -h ${plan.nodes[0].name}`) +
    (settings.password === undefined ? "" : " --askpass");
