/** Reading the live cluster's shape for the bootstrap's diff (planning/drift decides); changes nothing. */
import { ObservedNode, PlannedShape, shapeDrift } from "../planning/drift";
import { parseClusterNodes } from "../planning/topology";
import { Credentials, NodeAddress, tryConnect } from "./pool";

/** Short: this runs in every preview of an unchanged stack, and a node that does not answer is itself the finding. */
const PROBE_TIMEOUT_MS = 3000;

async function observe(node: NodeAddress, credentials: Credentials): Promise<ObservedNode & { refusal?: string }> {
    const base = { name: node.name, ip: node.ip, port: node.port };
    let client;
    try {
        client = await tryConnect(node, credentials, PROBE_TIMEOUT_MS);
    } catch (err) {
        return { ...base, refusal: String((err as Error)?.message ?? err) };
    }
    if (!client) return base;
    try {
        return { ...base, view: parseClusterNodes(String(await client.call("CLUSTER", "NODES"))) };
    } catch {
        return base;
    } finally {
        client.disconnect();
    }
}

/** Why the live cluster is not the planned one (empty when it is): every planned node is asked at once. */
export async function liveDrift(nodes: NodeAddress[], plan: Omit<PlannedShape, "nodes">, credentials: Credentials): Promise<string[]> {
    const observed = await Promise.all(nodes.map((n) => observe(n, credentials)));
    const refusals = observed.filter((o) => o.refusal !== undefined).map((o) => o.refusal!);
    return [...refusals, ...shapeDrift(observed.filter((o) => o.refusal === undefined), { ...plan, nodes })];
}
