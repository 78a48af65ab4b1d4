/**
 * PrometheusServer: one Prometheus for the cluster, on the cluster's network (the first host's, with
 * hosts), scraping every exporter with the stack's alert rules; its series on a volume of its own.
 */
import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { DockerLabel } from "./labels";
import { PROMETHEUS_CONFIG_FILE, PROMETHEUS_DATA_DIR, PROMETHEUS_PORT, PROMETHEUS_RULES_FILE, prometheusArgs } from "./planning/prometheus";

export interface PrometheusServerArgs {
    /** Container and volume names start with it. */
    namePrefix: string;
    image: string;
    networkName: pulumi.Input<string>;
    ip: string;
    /** Published on 127.0.0.1 at this port. */
    port: number;
    scrapeConfig: pulumi.Input<string>;
    rules: pulumi.Input<string>;
    labels: DockerLabel[];
    provider?: docker.Provider;
    after: pulumi.Resource[];
}

export class PrometheusServer extends pulumi.ComponentResource {
    readonly volume: docker.Volume;
    readonly container: docker.Container;
    readonly url: string;

    constructor(name: string, args: PrometheusServerArgs, opts?: pulumi.ComponentResourceOptions) {
        super("redis-cluster:index:PrometheusServer", name, {}, opts);
        this.url = `http://127.0.0.1:${args.port}`;
        // Outlives the container: a new scrape config or rule (a scale-out, a renewed certificate) replaces it.
        this.volume = new docker.Volume(`${name}-data`, { name: `${args.namePrefix}-prometheus-data`, labels: args.labels }, { parent: this, provider: args.provider, ignoreChanges: ["labels"] });
        this.container = new docker.Container(
            name,
            {
                name: `${args.namePrefix}-prometheus`,
                image: args.image,
                command: prometheusArgs(),
                uploads: [
                    { file: PROMETHEUS_CONFIG_FILE, content: args.scrapeConfig },
                    { file: PROMETHEUS_RULES_FILE, content: args.rules },
                ],
                volumes: [{ volumeName: this.volume.name, containerPath: PROMETHEUS_DATA_DIR }],
                networksAdvanced: [{ name: args.networkName, ipv4Address: args.ip, aliases: [`${args.namePrefix}-prometheus`] }],
                ports: [{ internal: PROMETHEUS_PORT, external: args.port, ip: "127.0.0.1", protocol: "tcp" }],
                restart: "unless-stopped",
                // A stop lets it write its head block: history is kept.
                destroyGraceSeconds: 30,
                labels: args.labels,
                wait: false,
            },
            { parent: this, provider: args.provider, dependsOn: [...args.after, this.volume], deleteBeforeReplace: true, ignoreChanges: ["labels"] },
        );
        this.registerOutputs({ volume: this.volume, container: this.container });
    }
}
