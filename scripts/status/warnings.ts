/**
 * What Redis itself warned about when each node last started (host settings it needs: memory overcommit
 * for a fork under load, transparent huge pages, the TCP backlog), read from the nodes' logs. Pure: the
 * logs are read by ./main.ts.
 */

/** Marks the first line of each start in a Redis log. */
const START = /Redis is starting/;

/** The WARNING messages of the last start in `log` (a container's whole log), without their prefixes. */
export function startupWarnings(log: string): string[] {
    const lines = log.split("\n");
    let from = 0;
    lines.forEach((line, i) => {
        if (START.test(line)) from = i;
    });
    return lines
        .slice(from)
        .map((line) => /#\s*WARNING:?\s*(.*)$/.exec(line)?.[1]?.trim())
        .filter((m): m is string => m !== undefined && m !== "");
}

/** One line per distinct warning, naming the nodes that gave it (all of them: "every node"). */
export function renderWarnings(byNode: { node: string; warnings: string[] }[]): string[] {
    const nodesOf = new Map<string, string[]>();
    for (const { node, warnings } of byNode) {
        for (const w of new Set(warnings)) nodesOf.set(w, [...(nodesOf.get(w) ?? []), node]);
    }
    if (nodesOf.size === 0) return [];
    return [
        "Redis warned when it started (its host's settings; they do not make the cluster unhealthy):",
        ...[...nodesOf].map(([warning, nodes]) => `  - ${nodes.length === byNode.length ? "every node" : nodes.join(", ")}: ${warning}`),
    ];
}
