/**
 * ClusterMonitoring, for RedisCluster: an exporter beside every node (metrics), and on the first
 * engine Prometheus with the alert rules and, with a webhook, Alertmanager. Nothing of the nodes
 * depends on any of it: turning it on, off or changing it restarts no Redis node.
 */
import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { AlertmanagerServer } from "./alertmanager";
import { NodeExporter } from "./exporter";
import { DockerLabel } from "./labels";
import { ExporterLogin, monitoringIp, planExporters, shardOfNodes, targetLabels } from "./planning/metrics";
import { NodePlan } from "./planning/plan";
import { ALERTMANAGER_PORT, alertRules, scrapeConfig } from "./planning/prometheus";
import { ClusterSettings } from "./planning/settings";
import { ShardView } from "./planning/topology";
import { PrometheusServer } from "./prometheus";

/**
 * Where a Prometheus scrapes one node's exporter, with the labels that name the node (and its host):
 * an entry of Prometheus's file_sd format, so the output saved as JSON is a service discovery file.
 */
export interface MetricsTarget {
    targets: [string];
    labels: Record<string, string>;
}

/** A Docker engine the cluster runs on, as monitoring needs it. */
export interface MonitoredEngine {
    /** Appended to resource names ("" for the one local engine, "-<host>" with hosts). */
    suffix: string;
    provider?: docker.Provider;
    network: docker.Network;
}

export interface ClusterMonitoringArgs {
    settings: ClusterSettings;
    nodes: NodePlan[];
    subnet: string;
    /** The engines in use, the first one running Prometheus and Alertmanager. */
    engines: MonitoredEngine[];
    /** The engine a node runs on: one of `engines`. */
    engineOf(node: NodePlan): MonitoredEngine;
    labels: DockerLabel[];
    /** How the exporters log in (ClusterSecurity). */
    login: pulumi.Output<ExporterLogin>;
    tlsCa?: pulumi.Output<string>;
    /** With TLS: each node's certificate's expiry, for the alert rules. */
    certificateExpiry: Map<string, pulumi.Output<string>>;
    /** The live shards (the bootstrap's output): each node's shard label. */
    shards: pulumi.Output<ShardView[]>;
    /** The exporters start after it (the metrics user exists on every node then). */
    bootstrap: pulumi.Resource;
}

export class ClusterMonitoring {
    readonly exporters: NodeExporter[];
    readonly targets: pulumi.Output<MetricsTarget[]>;
    /** With prometheus: where it answers, its scrape config and its alert rules. */
    readonly prometheus?: { url: string; scrapeConfig: pulumi.Output<string>; rules: pulumi.Output<string> };

    /** `opts`: where the resources go (the cluster), and what they wait for (the change guard). */
    constructor(name: string, args: ClusterMonitoringArgs, opts: { parent: pulumi.Resource; dependsOn: pulumi.Resource[] }) {
        const { settings, labels } = args;
        const metrics = settings.metrics!;
        // Uses the local image when present and never deletes it, like the Redis image.
        const image = (kind: string, e: MonitoredEngine, ref: string) =>
            new docker.RemoteImage(`${name}-${kind}-image${e.suffix}`, { name: ref, keepLocally: true }, { ...opts, provider: e.provider });
        const exporterImages = new Map(args.engines.map((e) => [e, image("exporter", e, metrics.exporterImage)]));

        const exporters = planExporters(args.nodes, args.subnet, metrics, settings.tls !== undefined);
        this.exporters = exporters.map((exporter, k) => {
            const engine = args.engineOf(args.nodes[k]);
            return new NodeExporter(
                exporter.name,
                {
                    exporter,
                    image: metrics.exporterImage,
                    networkName: engine.network.name,
                    labels,
                    login: args.login,
                    tlsCa: args.tlsCa,
                    provider: engine.provider,
                    after: [exporterImages.get(engine)!, args.bootstrap],
                },
                opts,
            );
        });
        // Each node's shard as the live cluster has it (known after the bootstrap): alerts name it.
        const shardOf = args.shards.apply((shards) => shardOfNodes(shards ?? []));
        this.targets = shardOf.apply((of) => exporters.map((e): MetricsTarget => ({ targets: [e.target], labels: targetLabels(e, of) })));

        const p = settings.prometheus;
        if (!p) return;
        const first = args.engines[0];
        const expiries = [...args.certificateExpiry.entries()];
        const rules = pulumi.all([shardOf, pulumi.all(expiries.map(([, at]) => at))]).apply(([of, ats]) =>
            alertRules({
                alertFor: p.alertFor,
                replicasPerShard: settings.replicasPerShard,
                maxmemory: settings.limits.maxmemoryBytes !== undefined,
                ...(settings.tls ? { certificates: expiries.map(([node], k) => ({ node, shard: of[node], notAfter: ats[k] })), renewBeforeDays: settings.tls.renewBeforeDays } : {}),
            }),
        );
        let alertmanagerAddress: string | undefined;
        if (p.alertmanager) {
            const ip = monitoringIp(args.subnet, 1);
            new AlertmanagerServer(
                `${name}-alertmanager`,
                {
                    namePrefix: settings.namePrefix,
                    image: p.alertmanager.image,
                    networkName: first.network.name,
                    ip,
                    webhookUrl: pulumi.secret(p.alertmanager.webhookUrl),
                    labels,
                    provider: first.provider,
                    after: [image("alertmanager", first, p.alertmanager.image)],
                },
                opts,
            );
            alertmanagerAddress = `${ip}:${ALERTMANAGER_PORT}`;
        }
        const config = shardOf.apply((of) => scrapeConfig(exporters, of, p, alertmanagerAddress));
        const server = new PrometheusServer(
            `${name}-prometheus`,
            {
                namePrefix: settings.namePrefix,
                image: p.image,
                networkName: first.network.name,
                ip: monitoringIp(args.subnet, 0),
                port: p.port,
                scrapeConfig: config,
                rules,
                labels,
                provider: first.provider,
                after: [image("prometheus", first, p.image)],
            },
            opts,
        );
        this.prometheus = { url: server.url, scrapeConfig: config, rules };
    }
}
