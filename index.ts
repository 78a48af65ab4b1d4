// Reads the stack's config, builds one Redis Cluster, exports what users need.
import * as os from "os";
import * as pulumi from "@pulumi/pulumi";
import { RedisCluster, plannedLayout } from "./components/cluster";
import { appliedIdentity, deployedPlacement } from "./components/hosts/deployed";
import { unreachableHosts } from "./components/hosts/reachable";
import { hostsInUse } from "./components/planning/hosts";
import { CONFIG_NAMESPACE, ClusterSettings, RawSettings, resolveSettings } from "./components/planning/settings";
import { ClusterPlan, planCluster } from "./components/planning/plan";
import { hostLossProblem } from "./components/planning/quorum";
import { REDIS_CLI_TLS_ARGS } from "./components/planning/tls";

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
raw.plaintextSecrets = ["password", "users", "tlsCaKey", "alertWebhookUrl"].filter((k) => (config.get(k) ?? "") !== "" && !isConfigSecret(`${CONFIG_NAMESPACE}:${k}`));

/**
 * A refusal: shown as its message alone (Pulumi hides a RunError's stack). Without a stack, too:
 * Pulumi's handler also formats the whole error for its trace, which took 20 s of CPU in this
 * program (a preview refused by a dead host or the quorum rule ran 25 s longer than one that passed).
 */
function refusal(message: string): pulumi.RunError {
    const error = new pulumi.RunError(message);
    error.stack = undefined;
    return error;
}

// The local engine runs on this machine unless DOCKER_HOST points elsewhere: then Docker judges cpus itself.
const { settings, problems, warnings } = resolveSettings(raw, undefined, process.env.DOCKER_HOST ? {} : { cpus: os.cpus().length });
for (const warning of warnings) {
    pulumi.log.warn(warning);
}
if (problems.length > 0) {
    // Thrown before any resource is declared: preview fails and nothing is created.
    throw refusal(`Invalid configuration, nothing was created:\n - ${problems.join("\n - ")}`);
}

/** The stack: its outputs are what users and clients need. */
async function main() {
    const withDeployed: ClusterSettings = settings.hosts ? { ...settings, deployed: await deployedPlacement() } : settings;
    if (withDeployed.hosts) {
        const placed = planCluster(withDeployed);
        // Every host the cluster needs must answer before anything is declared: a lost host stops the run
        // here, by name. One that runs no node, now or before, holds nothing: it only gets a warning.
        const needed = hostsInUse(withDeployed.hosts, placed.nodes.map((n) => n.host?.name), withDeployed.deployed?.placement);
        // Asked together: a dead idle host costs its probe's timeout once, beside the others.
        const [lost, idle] = await Promise.all([unreachableHosts(needed), unreachableHosts(withDeployed.hosts.filter((h) => !needed.includes(h)))]);
        if (lost.length > 0) {
            throw refusal(
                `Cannot reach every Docker host, nothing was changed:\n - ${lost.join("\n - ")}\n` +
                    `Bring the host back (empty, or with its volumes) and run again; see "Several hosts" in the README.`,
            );
        }
        for (const silent of idle) {
            pulumi.log.warn(`${silent}; it runs no node, so nothing waits for it (its entry may be corrected or removed)`);
        }
        if (!withDeployed.allowHostLossOutage) {
            // Judged on the placement itself: deployed nodes keep their hosts, so a scale-out places new masters around them.
            const masterHosts = placed.shards.map((s) => placed.nodes.find((n) => n.name === s.master)!.host!.name);
            const problem = hostLossProblem(masterHosts, withDeployed.hosts.length, withDeployed.replicasPerShard, (k) => `${CONFIG_NAMESPACE}:${k}`);
            if (problem !== undefined) throw refusal(`Refused, nothing was changed:\n - ${problem}`);
        }
    }
    const cluster = new RedisCluster("redis-cluster", withDeployed, undefined, await appliedIdentity());
    const plan = cluster.plan;
    return {
        image: settings.image,
        networkName: plan.networkName,
        subnet: plan.subnet,
        plannedSlots: plannedLayout(plan),
        slotAssignments: cluster.slotAssignments,
        clusterState: cluster.clusterState,
        nodes: cluster.liveNodes,
        seedNodes: plan.nodes.map((n) => `${n.announce.ip}:${n.announce.port}`),
        // With hosts only (an output that is always undefined warns on every run): node -> host, known at preview.
        ...(plan.hosts ? { placement: Object.fromEntries(plan.nodes.map((n) => [n.name, n.host!.name])) } : {}),
        // For clients on the host: container address -> published loopback port (ioredis natMap).
        hostPorts: Object.fromEntries(plan.nodes.filter((n) => n.hostPort !== undefined).map((n) => [`${n.ip}:${n.port}`, `127.0.0.1:${n.hostPort}`])),
        // With TLS: the CA certificate clients verify the nodes with (public).
        ...(cluster.caCertificate ? { caCertificate: cluster.caCertificate } : {}),
        connectCommand: connectCommand(settings, plan),
        // With metrics only: every exporter's address, as a Prometheus static_configs entry takes it.
        ...(cluster.monitoring ? { metricsTargets: cluster.monitoring.targets } : {}),
        // With prometheus only: where it answers, and its scrape config and rules to copy into your own.
        ...(cluster.monitoring?.prometheus
            ? { prometheusUrl: cluster.monitoring.prometheus.url, prometheusConfig: cluster.monitoring.prometheus.scrapeConfig, alertRules: cluster.monitoring.prometheus.rules }
            : {}),
        // Recorded only when the whole up succeeded: the change guard compares the next config with it.
        appliedIdentity: cluster.appliedIdentity,
    };
}

/** A redis-cli command line that reaches the cluster as pasted (on the host that runs `pulumi`). */
function connectCommand(settings: ClusterSettings, plan: ClusterPlan): string {
    // Without the default user, log in as the first named one.
    const login = settings.disableDefaultUser ? ` --user ${settings.users![0].name} --askpass` : settings.password === undefined ? "" : " --askpass";
    const first = plan.nodes[0];
    if (settings.tls) {
        // The CA file: inside a node's container, or saved from the caCertificate output.
        return plan.hosts
            ? `pulumi stack output caCertificate > redis-ca.crt && redis-cli -c --tls --cacert redis-ca.crt -h ${first.announce.ip} -p ${first.announce.port}${login}`
            : `docker exec -it ${first.name} redis-cli -c ${REDIS_CLI_TLS_ARGS.join(" ")}${login}`;
    }
    return (plan.hosts ? `redis-cli -c -h ${first.announce.ip} -p ${first.announce.port}` : `docker run --rm -it --network ${plan.networkName} ${settings.image} redis-cli -c -h ${first.name}`) + login;
}

export = main();
