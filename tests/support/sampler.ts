/**
 * Watches a cluster from outside while an `up` runs: every 50 ms it PINGs
 * each node, on its own, with a short-lived connection and records which
 * nodes did not answer PONG (stopped, gone, or still loading their data), and
 * which went down while they led a shard that had a replica to hand it to.
 */
import { Redis } from "ioredis";

export interface DownReport {
    samples: number;
    /** The most nodes down at one moment (each node's latest answer), and which they were. */
    mostDown: string[];
    /**
     * Nodes whose last answer before going down said master with a connected replica: they stopped
     * without handing their shard over. Judged only where ROLE answers without a password.
     */
    downWhileLeading: string[];
}

/** A node's answer: whether it serves, and whether it leads a shard with a connected replica (undefined: not known). */
interface Answer {
    up: boolean;
    leading?: boolean;
}

/** PONG, or a refusal for want of a password: the server is up and serving. LOADING or silence: down. */
async function answers(address: string, tlsCa?: string): Promise<Answer> {
    const [host, port] = address.split(":");
    // No ready check: it would wait on INFO, which a node with a password refuses to a client without one.
    const client = new Redis({ host, port: Number(port), tls: tlsCa === undefined ? undefined : { ca: tlsCa }, lazyConnect: true, enableReadyCheck: false, connectTimeout: 1000, commandTimeout: 1000, maxRetriesPerRequest: 0, retryStrategy: () => null, enableOfflineQueue: false });
    client.on("error", () => undefined);
    try {
        await client.connect();
        if ((await client.ping()) !== "PONG") return { up: false };
        // ["master", offset, [[ip, port, offset], ...]] lists the replicas connected now.
        const role = (await client.call("ROLE").catch(() => undefined)) as [string, number, unknown[]] | undefined;
        return { up: true, leading: role === undefined ? undefined : role[0] === "master" && role[2].length > 0 };
    } catch (err) {
        return { up: /NOAUTH/.test(String((err as Error)?.message)) };
    } finally {
        client.disconnect();
    }
}

export class DownSampler {
    private stopped = false;
    private loops: Promise<void>[] = [];
    private samples = 0;
    private mostDown: string[] = [];
    private readonly last = new Map<string, Answer>();
    private readonly downWhileLeading = new Set<string>();

    /**
     * `nodes`: name -> "ip:port". Needs no password: a refusal for want of one counts as up. `tlsCa`: the
     * nodes serve TLS only. Each node is asked on its own every `everyMs`, so a slow or stopping node
     * delays no other: the moment between a master's handover and its stop is short.
     */
    constructor(private readonly nodes: Record<string, string>, private readonly everyMs = 50, private readonly tlsCa?: string) {}

    start(): this {
        this.loops = Object.keys(this.nodes).map(async (name) => {
            while (!this.stopped) {
                const answer = await answers(this.nodes[name], this.tlsCa);
                if (!answer.up && this.last.get(name)?.leading === true) this.downWhileLeading.add(name);
                this.last.set(name, answer);
                this.samples++;
                const down = Object.keys(this.nodes).filter((n) => this.last.get(n)?.up === false);
                if (down.length > this.mostDown.length) this.mostDown = down;
                await new Promise((r) => setTimeout(r, this.everyMs));
            }
        });
        return this;
    }

    async stop(): Promise<DownReport> {
        this.stopped = true;
        await Promise.all(this.loops);
        return { samples: this.samples, mostDown: this.mostDown, downWhileLeading: [...this.downWhileLeading] };
    }
}
