/** RedisNode: one cluster node, its data volume and its container. */
import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { ContainerDefinition } from "./containerSpec";
import { DockerLabel } from "./labels";

export interface RedisNodeArgs {
    volumeName: string;
    /**
     * The volume's resource name (default `<node>-data`) and the names it had before: with hosts it names
     * the host (and its machine), so a node that moves, or a host's new machine, gets a new volume there
     * while the old one is deleted where it was (cluster.ts: nodeResources).
     */
    volumeResource?: { name: string; aliases: string[] };
    /** Likewise the container's resource name (default `<node>`) and the names it had before (cluster.ts: nodeResources). */
    containerResource?: { name: string; aliases: string[] };
    labels: DockerLabel[];
    /** The container's inputs (containerDefinition), the volume by its name. */
    definition: ContainerDefinition;
    /** The node's host's docker provider; undefined: the default (local) engine. */
    provider?: docker.Provider;
    /** The change guard (none in a preview): nothing of the node is touched before it passed. */
    guarded: pulumi.Resource[];
    /** Resources the container waits for: the image and the node's rollout gate. */
    after: pulumi.Resource[];
    /** The program's protect and retainOnDelete for the cluster: they go to the data volume only. */
    volumeOptions?: Pick<pulumi.CustomResourceOptions, "protect" | "retainOnDelete">;
}

/**
 * How the engine applies a change of a node's container; with containerSpec's split into recreating and
 * in-place inputs, this decides which changes restart a node (tests/e2e/fingerprint.test.ts holds the
 * rollout fingerprint to what the docker provider then really does).
 */
export const CONTAINER_CHANGE_OPTIONS = {
    // Fixed name, address and host port: the old container must go before its successor starts.
    deleteBeforeReplace: true,
    // Docker ignores healthcheck edits on an existing container.
    replaceOnChanges: ["healthcheck"],
    // The provider would replace the container for a label: labels are set when it is created.
    ignoreChanges: ["labels"],
};

export class RedisNode extends pulumi.ComponentResource {
    readonly volume: docker.Volume;
    readonly container: docker.Container;

    constructor(name: string, args: RedisNodeArgs, opts?: pulumi.ComponentResourceOptions) {
        super("redis-cluster:index:RedisNode", name, {}, opts);

        // Outlives container replacement: nodes.conf (the node's identity) and the AOF stay.
        // Labels only help find things (they name the stack): a stack rename must not replace the data.
        this.volume = new docker.Volume(
            args.volumeResource?.name ?? `${name}-data`,
            { name: args.volumeName, labels: args.labels },
            // Not behind the gate: volumes are never recreated, and a destroy may then remove them side by side.
            {
                parent: this,
                provider: args.provider,
                dependsOn: args.guarded,
                ignoreChanges: ["labels"],
                aliases: (args.volumeResource?.aliases ?? []).map((alias) => ({ name: alias })),
                ...args.volumeOptions,
            },
        );

        const { recreating, inPlace } = args.definition;
        this.container = new docker.Container(
            args.containerResource?.name ?? name,
            { ...recreating, ...inPlace },
            {
                parent: this,
                provider: args.provider,
                dependsOn: [...args.guarded, ...args.after, this.volume],
                aliases: (args.containerResource?.aliases ?? []).map((alias) => ({ name: alias })),
                ...CONTAINER_CHANGE_OPTIONS,
            },
        );

        this.registerOutputs({ volume: this.volume, container: this.container });
    }
}
