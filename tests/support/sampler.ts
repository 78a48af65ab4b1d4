/**
 * Watches a cluster from outside while an `up` runs: every few hundred ms it
 * PINGs every node with its own short-lived connection and records which
 * nodes did not answer PONG (stopped, gone, or still loading their data).
 */
import { Redis } from "ioredis";

export interface DownReport {
    samples: number;
    /** The most nodes down in one sample, and which they were. */
    mostDown: string[];
}

/** PONG, or a refusal for want of a password: the server is up and serving. LOADING or silence: down. */
async function answers(address: string, tlsCa?: string): Promise<boolean> {
    const [host, port] = address.split(":");
    // No ready check: it would wait on INFO, which a node with a password refuses to a client without one.
    const client = new Redis({ host, port: Number(port), tls: tlsCa === undefined ? undefined : { ca: tlsCa }, lazyConnect: true, enableReadyCheck: false, connectTimeout: 1000, commandTimeout: 1000, maxRetriesPerRequest: 0, retryStrategy: () => null, enableOfflineQueue: false });
    client.on("error", () => undefined);
    try {
        await client.connect();
        return (await client.ping()) === "PONG";
    } catch (err) {
        return /NOAUTH/.test(String((err as Error)?.message));
    } finally {
        client.disconnect();
    }
}

export class DownSampler {
    private stopped = false;
    private loop: Promise<void> = Promise.resolve();
    private samples = 0;
    private mostDown: string[] = [];

    /** `nodes`: name -> "ip:port". Needs no password: a refusal for want of one counts as up. `tlsCa`: the nodes serve TLS only. */
    constructor(private readonly nodes: Record<string, string>, private readonly everyMs = 200, private readonly tlsCa?: string) {}

    start(): this {
        this.loop = (async () => {
            while (!this.stopped) {
                const names = Object.keys(this.nodes);
                const up = await Promise.all(names.map((n) => answers(this.nodes[n], this.tlsCa)));
                const down = names.filter((_, i) => !up[i]);
                this.samples++;
                if (down.length > this.mostDown.length) this.mostDown = down;
                await new Promise((r) => setTimeout(r, this.everyMs));
            }
        })();
        return this;
    }

    async stop(): Promise<DownReport> {
        this.stopped = true;
        await this.loop;
        return { samples: this.samples, mostDown: this.mostDown };
    }
}
