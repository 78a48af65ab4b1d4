/**
 * Probes of the cluster's state, written independently of the stack's own engine: the benchmark
 * measures the engine, so it must not judge "healthy" with the engine's code.
 */
import { Redis } from "ioredis";
import { NodePlan } from "../components/planning/plan";
import { RESHARD_KEYS, sleep } from "./common";

/** A plain connection to one node, at its container address or (with hosts) its announced endpoint. */
export async function adminOf(node: { ip: string; port: number }): Promise<Redis> {
    const c = new Redis({ host: node.ip, port: node.port, lazyConnect: true, connectTimeout: 1000, maxRetriesPerRequest: 0, retryStrategy: () => null, enableOfflineQueue: false });
    await c.connect();
    return c;
}

export async function waitAllPing(nodes: NodePlan[]): Promise<void> {
    for (const n of nodes) {
        for (;;) {
            try {
                const c = await adminOf(n);
                await c.ping();
                c.disconnect();
                break;
            } catch {
                await sleep(20);
            }
        }
    }
}

/** Every node cluster_state:ok and knows all nodes; every replica's link up. */
export async function waitHealthy(nodes: NodePlan[], timeoutMs = 120000): Promise<void> {
    const end = Date.now() + timeoutMs;
    // A node just started again (failover trials) refuses connections for a moment.
    await waitAllPing(nodes);
    const clients = await Promise.all(nodes.map(adminOf));
    try {
        for (;;) {
            const ok = await Promise.all(
                clients.map(async (c) => {
                    const cluster = String(await c.call("CLUSTER", "INFO"));
                    const repl = String(await c.call("INFO", "replication"));
                    return (
                        cluster.includes("cluster_state:ok") &&
                        cluster.includes(`cluster_known_nodes:${nodes.length}\r`) &&
                        (repl.includes("role:master") || repl.includes("master_link_status:up"))
                    );
                }),
            ).catch(() => [false]);
            if (ok.every(Boolean)) return;
            if (Date.now() > end) throw new Error("cluster did not become healthy");
            await sleep(20);
        }
    } finally {
        clients.forEach((c) => c.disconnect());
    }
}

export async function keyForSlot(node: NodePlan, slot: number): Promise<string> {
    const c = await adminOf(node);
    try {
        for (let i = 0; ; i++) {
            if (Number(await c.call("CLUSTER", "KEYSLOT", `k${i}`)) === slot) return `k${i}`;
            if (i > 200000) throw new Error(`no key found for slot ${slot}`);
        }
    } finally {
        c.disconnect();
    }
}

export async function loadKeys(seed: NodePlan): Promise<void> {
    const client = new Redis.Cluster([{ host: seed.ip, port: seed.port }], { enableAutoPipelining: true });
    try {
        for (let i = 0; i < RESHARD_KEYS; i += 1000) {
            await Promise.all(Array.from({ length: 1000 }, (_, k) => client.set(`r:${i + k}`, "x".repeat(100))));
        }
    } finally {
        client.disconnect();
    }
}

export async function countKeys(nodes: NodePlan[]): Promise<number> {
    let total = 0;
    for (const n of nodes) {
        const c = await adminOf(n);
        if (String(await c.call("INFO", "replication")).includes("role:master")) total += Number(await c.call("DBSIZE"));
        c.disconnect();
    }
    return total;
}

export async function waitKnown(nodes: NodePlan[]): Promise<void> {
    for (;;) {
        const counts = await Promise.all(
            nodes.map(async (n) => {
                const c = await adminOf(n);
                const known = /cluster_known_nodes:(\d+)/.exec(String(await c.call("CLUSTER", "INFO")))?.[1];
                c.disconnect();
                return Number(known);
            }),
        );
        if (counts.every((k) => k === nodes.length)) return;
        await sleep(50);
    }
}
