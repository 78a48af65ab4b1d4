/**
 * Watches a cluster from outside while an `up` runs: every 50 ms it PINGs
 * each node, on its own, over a connection of its own, and records which
 * nodes did not answer PONG (stopped, gone, or still loading their data), and
 * which went down while they led a shard that had a replica to hand it to.
 */
import { Redis } from "ioredis";

export interface DownReport {
    samples: number;
    /** The most nodes known to be down at one moment, and which they were. */
    mostDown: string[];
    /**
     * Nodes whose last answer before going down said master with a connected replica: they stopped
     * without handing their shard over. Judged only where ROLE answers without a password.
     */
    downWhileLeading: string[];
}

/** One probe of one node: when it was sent, when it was answered, and what it said. */
export interface Observation {
    sentAt: number;
    answeredAt: number;
    up: boolean;
    /** Whether it leads a shard with a connected replica (undefined: not known). */
    leading?: boolean;
}

/**
 * The largest set of nodes that were certainly down at one same moment. A node was down at some moment
 * inside each failed probe; a run of failed probes with no answer between them is one outage, certain
 * from the end of its first probe to the start of its last. Judging by each node's latest answer instead
 * counts a node as down long after it came back whenever its loop is slow (a probe that times out).
 */
export function mostDownTogether(observations: Record<string, Observation[]>): string[] {
    const edges: { at: number; opens: boolean; name: string }[] = [];
    for (const [name, seen] of Object.entries(observations)) {
        let run: Observation[] = [];
        const close = () => {
            if (run.length >= 2 && run[0].answeredAt <= run[run.length - 1].sentAt) {
                edges.push({ at: run[0].answeredAt, opens: true, name }, { at: run[run.length - 1].sentAt, opens: false, name });
            }
            run = [];
        };
        for (const o of seen) {
            if (o.up) close();
            else run.push(o);
        }
        close();
    }
    // Opening before closing at the same instant: intervals that touch overlap.
    edges.sort((a, b) => a.at - b.at || Number(b.opens) - Number(a.opens));
    const down = new Set<string>();
    let most: string[] = [];
    for (const e of edges) {
        if (e.opens) down.add(e.name);
        else down.delete(e.name);
        if (down.size > most.length) most = [...down].sort();
    }
    return most;
}

/**
 * Asks one node, over one connection kept between probes: PONG, or a refusal for want of a password,
 * means up and serving; LOADING, silence or a broken connection means down. A node that stopped
 * breaks the connection, so even a restart quicker than the probe interval is seen; the next probe
 * connects again. (A new connection per probe cost a TCP, and with TLS a TLS, handshake 20 times a
 * second per node, a good part of a suite's CPU.)
 */
class NodeProbe {
    private client: Redis | undefined;

    constructor(private readonly address: string, private readonly tlsCa?: string) {}

    async probe(): Promise<Observation> {
        const sentAt = Date.now();
        const seen = (up: boolean, leading?: boolean): Observation => ({ sentAt, answeredAt: Date.now(), up, leading });
        try {
            const client = await this.connected();
            if ((await client.ping()) !== "PONG") return this.drop(seen(false));
            const up = seen(true);
            // ["master", offset, [[ip, port, offset], ...]] lists the replicas connected now.
            const role = (await client.call("ROLE").catch(() => undefined)) as [string, number, unknown[]] | undefined;
            return { ...up, leading: role === undefined ? undefined : role[0] === "master" && role[2].length > 0 };
        } catch (err) {
            const up = /NOAUTH/.test(String((err as Error)?.message));
            return up ? seen(true) : this.drop(seen(false));
        }
    }

    close(): void {
        this.drop(undefined);
    }

    private async connected(): Promise<Redis> {
        if (this.client?.status === "ready") return this.client;
        this.drop(undefined);
        const [host, port] = this.address.split(":");
        // No ready check: it would wait on INFO, which a node with a password refuses to a client without one.
        // No reconnecting or queueing either: a command on a broken connection fails at once.
        const client = new Redis({ host, port: Number(port), tls: this.tlsCa === undefined ? undefined : { ca: this.tlsCa }, lazyConnect: true, enableReadyCheck: false, connectTimeout: 1000, commandTimeout: 1000, maxRetriesPerRequest: 0, retryStrategy: () => null, enableOfflineQueue: false });
        client.on("error", () => undefined);
        this.client = client;
        await client.connect();
        return client;
    }

    private drop<T>(result: T): T {
        this.client?.disconnect();
        this.client = undefined;
        return result;
    }
}

export class DownSampler {
    private stopped = false;
    private loops: Promise<void>[] = [];
    private readonly seen: Record<string, Observation[]>;
    private readonly downWhileLeading = new Set<string>();

    /**
     * `nodes`: name -> "ip:port". Needs no password: a refusal for want of one counts as up. `tlsCa`: the
     * nodes serve TLS only. Each node is asked on its own every `everyMs`, so a slow or stopping node
     * delays no other: the moment between a master's handover and its stop is short.
     */
    constructor(private readonly nodes: Record<string, string>, private readonly everyMs = 50, private readonly tlsCa?: string) {
        this.seen = Object.fromEntries(Object.keys(nodes).map((n) => [n, [] as Observation[]]));
    }

    start(): this {
        this.loops = Object.keys(this.nodes).map(async (name) => {
            const seen = this.seen[name];
            const node = new NodeProbe(this.nodes[name], this.tlsCa);
            while (!this.stopped) {
                const answer = await node.probe();
                if (!answer.up && seen[seen.length - 1]?.leading === true) this.downWhileLeading.add(name);
                seen.push(answer);
                await new Promise((r) => setTimeout(r, this.everyMs));
            }
            node.close();
        });
        return this;
    }

    async stop(): Promise<DownReport> {
        this.stopped = true;
        await Promise.all(this.loops);
        const samples = Object.values(this.seen).reduce((sum, s) => sum + s.length, 0);
        return { samples, mostDown: mostDownTogether(this.seen), downWhileLeading: [...this.downWhileLeading] };
    }
}
