/** MEET: every planned node knows every other. */
import { meetsToSend, missingLinks } from "../../planning/topology";
import type { ClusterSpec } from "../spec";
import { NodeAddress, NodePool } from "../pool";
import { Deadline, Log, lookEvery, waitUntil } from "../wait";

const names = (spec: ClusterSpec) => spec.nodes.map((n) => n.name);

/** Makes every planned node know every other through the first (gossip does the rest), resending MEET for handshakes Redis dropped. */
export async function meetAll(pool: NodePool, spec: ClusterSpec, deadline: Deadline, log: Log): Promise<void> {
    const missing = async () => missingLinks(await Promise.all(names(spec).map(async (name) => ({ name, view: (await pool.view(name)).lines }))), spec.nodes);
    let gaps = await missing();
    if (gaps.length === 0) {
        return;
    }
    log(`meeting ${spec.nodes.length} nodes`);
    let lastMeet = 0;
    const hub = spec.nodes[0].name;
    let hubClosedAt: number | undefined;
    await waitUntil(
        deadline,
        () => `all nodes to know each other (${gaps.length} links missing, e.g. ${gaps[0]?.from} -> ${gaps[0]?.to.name})`,
        async () => {
            gaps = await missing();
            if (gaps.length === 0) {
                return true;
            }
            if (hubClosedAt === undefined && !gaps.some((g) => g.from === hub || g.to.name === hub)) hubClosedAt = Date.now();
            // A handshake that does not finish within the node timeout is dropped silently: ask again.
            if (Date.now() - lastMeet > 1000) {
                lastMeet = Date.now();
                // With the announced bus port when it is not port + 10000 (a node behind its host's published ports).
                const meet = (to: NodeAddress) => ["MEET", to.ip, String(to.port), ...(to.busPort === undefined ? [] : [String(to.busPort)])];
                const sending = meetsToSend(gaps, hub, hubClosedAt === undefined ? undefined : Date.now() - hubClosedAt);
                await Promise.all(sending.map((g) => pool.call(g.from, "CLUSTER", ...meet(g.to)).catch(() => undefined)));
            }
            return undefined;
        },
        lookEvery(50, spec.nodes.length),
    );
    log(`all ${spec.nodes.length} nodes know each other`);
}
