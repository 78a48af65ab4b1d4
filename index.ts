// This project's own stack: reads its config into a RedisCluster's args, exports the cluster's outputs.
import * as pulumi from "@pulumi/pulumi";
import { PlainArgs, resolveArgs } from "./components/args";
import { refusal } from "./components/preflight";
import { RedisCluster, localMachine } from "./components/redisCluster";
import { CONFIG_NAMESPACE, DEFAULTS, RawSettings } from "./components/planning/settings";

/** The component's name: its resources' names derive from it, so it never changes. */
const COMPONENT_NAME = "redis-cluster";

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
    "allowHostLossOutage",
    "disableDefaultUser",
    "tls",
    "tlsCaCert",
    "tlsCertValidityDays",
    "tlsRenewBeforeDays",
    "memory",
    "cpus",
    "maxmemory",
    "maxmemoryPolicy",
    "persistence",
    "save",
    "appendfsync",
    "healthcheckInterval",
    "restoreFrom",
    "restoreMode",
    "metrics",
    "exporterImage",
    "exporterPortBase",
    "prometheus",
    "prometheusImage",
    "prometheusPort",
    "scrapeInterval",
    "alertFor",
    "alertmanagerImage",
] as const;
const raw: RawSettings = Object.fromEntries(keys.map((k) => [k, config.get(k)]));
// The component would default to its own name; this stack's containers have always been redis-N.
raw.namePrefix ??= DEFAULTS.namePrefix;
// Plain text here, for validation only: RedisCluster wraps it in pulumi.secret before any resource
// sees it, so it is stored encrypted whether or not the config value was set with --secret.
raw.password = config.get("password");
// The user's CA key, if any: only NodeCertificate resources see it, as a secret.
raw.tlsCaKey = config.get("tlsCaKey");
// Where alerts are posted: may carry a token, so only resources that hold it as a secret see it.
raw.alertWebhookUrl = config.get("alertWebhookUrl");
raw.hosts = config.getObject<unknown>("hosts");
// Passwords inside (set with --secret --path): RedisCluster keeps the whole list a secret.
raw.users = config.getObject<unknown>("users");
// Any other redis.conf directives: a map (pulumi config set --path 'redis-cluster:redisConfig.hz' 20).
raw.redisConfig = config.getObject<unknown>("redisConfig");

// A secret set without --secret sits in plaintext in Pulumi.<stack>.yaml, committed with it: refused.
// Pulumi tells the program which keys are secrets (isConfigSecret: in the SDK, not in its typings).
const isConfigSecret = (pulumi.runtime as unknown as { isConfigSecret(key: string): boolean }).isConfigSecret;
const plaintextSecrets = ["password", "users", "tlsCaKey", "alertWebhookUrl"].filter((k) => (config.get(k) ?? "") !== "" && !isConfigSecret(`${CONFIG_NAMESPACE}:${k}`));

// The local engine runs on this machine unless DOCKER_HOST points elsewhere: then Docker judges cpus itself.
const machine = localMachine(raw.hosts !== undefined, undefined);
// Config values arrive as text: the args are checked as the config keys always were, text parsed.
const args = raw as PlainArgs;
const { problems } = resolveArgs(args, { componentName: COMPONENT_NAME, names: "config", machine, plaintextSecrets });
if (problems.length > 0) {
    // Thrown before any resource is declared: preview fails and nothing is created.
    throw refusal(`Invalid configuration, nothing was created:\n - ${problems.join("\n - ")}`);
}

/** The stack: its outputs are what users and clients need (the component's, at the top level). */
async function main() {
    const cluster = new RedisCluster(COMPONENT_NAME, args, { optionNames: "config" });
    // A refusal of the preflight (a lost host, the quorum rule) ends the program as its own message.
    await cluster.declared;
    return cluster.outputs;
}

export = main();
