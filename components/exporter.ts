/**
 * NodeExporter: one node's redis_exporter, a container of its own on the node's network and host.
 * Nothing of the node's container depends on it: adding, changing or removing an exporter restarts
 * no Redis node.
 */
import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { DockerLabel } from "./labels";
import { EXPORTER_CA_FILE, EXPORTER_PASSWORD_FILE, ExporterLogin, ExporterPlan, exporterArgs, passwordFile } from "./planning/metrics";

export interface NodeExporterArgs {
    exporter: ExporterPlan;
    image: string;
    networkName: pulumi.Input<string>;
    labels: DockerLabel[];
    /** Secret when it holds a password. */
    login: pulumi.Output<ExporterLogin>;
    /** With TLS: the CA certificate that signed the nodes' (PEM, public). */
    tlsCa?: pulumi.Input<string>;
    provider?: docker.Provider;
    /** What it waits for: the image, and the bootstrap (the metrics user exists on every node then). */
    after: pulumi.Resource[];
}

export class NodeExporter extends pulumi.ComponentResource {
    readonly container: docker.Container;

    constructor(name: string, args: NodeExporterArgs, opts?: pulumi.ComponentResourceOptions) {
        super("redis-cluster:index:NodeExporter", name, {}, opts);
        const e = args.exporter;
        const tls = args.tlsCa !== undefined;
        this.container = new docker.Container(
            name,
            {
                name: e.name,
                image: args.image,
                command: args.login.apply((login) => exporterArgs(e, login, tls)),
                uploads: pulumi.all([args.login, args.tlsCa]).apply(([login, ca]) => [
                    // In a file, not an argument or the environment: docker inspect shows those.
                    ...(login.password === undefined ? [] : [{ file: EXPORTER_PASSWORD_FILE, content: passwordFile(e, login.password) }]),
                    ...(ca === undefined ? [] : [{ file: EXPORTER_CA_FILE, content: ca }]),
                ]),
                networksAdvanced: [{ name: args.networkName, ipv4Address: e.ip, aliases: [e.name] }],
                ports: e.published ? [{ internal: e.published.internal, external: e.published.external, ip: e.published.ip, protocol: "tcp" }] : [],
                restart: "unless-stopped",
                labels: args.labels,
                wait: false,
            },
            // A fixed name and address: the old container goes before its successor starts.
            { parent: this, provider: args.provider, dependsOn: args.after, deleteBeforeReplace: true, ignoreChanges: ["labels"] },
        );
        this.registerOutputs({ container: this.container });
    }
}
