/** Docker labels that mark what this project created, so tests and people can find it. */

export const LABEL_PROJECT = "io.redis-cluster.project";
export const LABEL_STACK = "io.redis-cluster.stack";
export const LABEL_CLUSTER = "io.redis-cluster.cluster";

export interface DockerLabel {
    label: string;
    value: string;
}

export function clusterLabels(stack: string, cluster: string): DockerLabel[] {
    return [
        { label: LABEL_PROJECT, value: "redis-cluster" },
        { label: LABEL_STACK, value: stack },
        { label: LABEL_CLUSTER, value: cluster },
    ];
}
