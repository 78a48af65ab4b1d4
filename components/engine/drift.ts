/** Reading the live cluster's shape for the bootstrap's diff (planning/drift decides); changes nothing. */
import { ObservedNode, PlannedShape, shapeDrift } from "../planning/drift";
import { Credentials, NodeAddress, readView, tryConnect } from "./pool";

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
        return { ...base, view: (await readView(client)).lines };
    } catch {
        return base;
    } finally {
        client.disconnect();
    }
}

/**
 * Why the live cluster is not the planned one (empty when it is), every planned node asked at once;
 * undefined when no node answers at all: this machine cannot judge (a pull request's preview runner
 * that does not reach the nodes), and an up that must reach them says so itself.
 */
export async function liveDrift(nodes: NodeAddress[], plan: Omit<PlannedShape, "nodes">, credentials: Credentials): Promise<string[] | undefined> {
    const observed = await Promise.all(nodes.map((n) => observe(n, credentials)));
    if (observed.every((o) => o.view === undefined && o.refusal === undefined)) {
        return undefined;
    }
    const refusals = observed.filter((o) => o.refusal !== undefined).map((o) => o.refusal!);
    return [...refusals, ...shapeDrift(observed.filter((o) => o.refusal === undefined), { ...plan, nodes })];
}
