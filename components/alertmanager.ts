/**
 * AlertmanagerServer: receives the cluster's alerts from its Prometheus and posts them to the user's
 * webhook. On the cluster's network beside Prometheus; not published: only Prometheus talks to it.
 */
import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { DockerLabel } from "./labels";
import { ALERTMANAGER_CONFIG_FILE, alertmanagerArgs, alertmanagerConfig } from "./planning/prometheus";

export interface AlertmanagerServerArgs {
    namePrefix: string;
    image: string;
    networkName: pulumi.Input<string>;
    ip: string;
    /** A secret: it may carry a token. */
    webhookUrl: pulumi.Output<string>;
    labels: DockerLabel[];
    provider?: docker.Provider;
    after: pulumi.Resource[];
}

export class AlertmanagerServer extends pulumi.ComponentResource {
    readonly container: docker.Container;

    constructor(name: string, args: AlertmanagerServerArgs, opts?: pulumi.ComponentResourceOptions) {
        super("redis-cluster:index:AlertmanagerServer", name, {}, opts);
        this.container = new docker.Container(
            name,
            {
                name: `${args.namePrefix}-alertmanager`,
                image: args.image,
                command: alertmanagerArgs(),
                // In a file: docker inspect shows arguments and the environment.
                uploads: [{ file: ALERTMANAGER_CONFIG_FILE, content: args.webhookUrl.apply(alertmanagerConfig) }],
                networksAdvanced: [{ name: args.networkName, ipv4Address: args.ip, aliases: [`${args.namePrefix}-alertmanager`] }],
                restart: "unless-stopped",
                labels: args.labels,
                wait: false,
            },
            { parent: this, provider: args.provider, dependsOn: args.after, deleteBeforeReplace: true, ignoreChanges: ["labels"] },
        );
        this.registerOutputs({ container: this.container });
    }
}
