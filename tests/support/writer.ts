/**
 * A client that keeps writing new keys while the cluster changes, and
 * remembers which writes the cluster acknowledged: afterwards every
 * acknowledged key must still hold its value. Writes that failed or timed
 * out are counted as errors, never as lost (their outcome is unknown).
 */
import { Cluster } from "ioredis";

export interface WriterReport {
    attempts: number;
    acknowledged: number;
    errors: Record<string, number>;
    /** Longest time without any acknowledged write, in ms. */
    longestGapMs: number;
}

const WRITE_TIMEOUT_MS = 3000;
/**
 * Pause of each lane after an acknowledged write: a few hundred writes a second show every gap and
 * every lost write as well as the thousands an unpaced writer sent, which cost a suite's lane a good
 * part of a CPU (client, Redis, replication) on a 2-core machine.
 */
const PACE_MS = 5;

export class ContinuousWriter {
    private next = 0;
    private stopped = false;
    private lanes: Promise<void>[] = [];
    readonly ackTimes: number[] = [];
    private readonly acked: number[] = [];
    private readonly errors: Record<string, number> = {};
    startedAt = 0;
    stoppedAt = 0;

    constructor(
        private readonly client: Cluster,
        readonly prefix: string,
        private readonly concurrency = 4,
    ) {
        // Connection-level errors (a refused password, a failed slot refresh) also fail the writes
        // that are counted below; without a listener ioredis prints each one as "Unhandled".
        client.on("error", () => undefined);
    }

    /** Whether a write was acknowledged between `from` and `to` (ms since the epoch). */
    acknowledgedBetween(from: number, to: number): boolean {
        return this.ackTimes.some((t) => t > from && t < to);
    }

    start(): this {
        this.startedAt = Date.now();
        this.lanes = Array.from({ length: this.concurrency }, () => this.lane());
        return this;
    }

    private async lane(): Promise<void> {
        while (!this.stopped) {
            const n = this.next++;
            try {
                await withTimeout(this.client.set(`${this.prefix}:${n}`, `w${n}`), WRITE_TIMEOUT_MS);
                this.acked.push(n);
                this.ackTimes.push(Date.now());
                await new Promise((r) => setTimeout(r, PACE_MS));
            } catch (err) {
                const kind = String((err as Error)?.message ?? err).split(/[:\s]/)[0] || "unknown";
                this.errors[kind] = (this.errors[kind] ?? 0) + 1;
                await new Promise((r) => setTimeout(r, 50));
            }
        }
    }

    async stop(): Promise<WriterReport> {
        this.stopped = true;
        await Promise.all(this.lanes);
        this.stoppedAt = Date.now();
        return {
            attempts: this.next,
            acknowledged: this.acked.length,
            errors: { ...this.errors },
            longestGapMs: longestGap([this.startedAt, ...this.ackTimes, this.stoppedAt]),
        };
    }

    /** Acknowledged keys that are now missing or hold another value, read through `reader`. */
    async lost(reader: Cluster): Promise<string[]> {
        const lost: string[] = [];
        for (let i = 0; i < this.acked.length; i += 1000) {
            const batch = this.acked.slice(i, i + 1000);
            const values = await Promise.all(batch.map((n) => reader.get(`${this.prefix}:${n}`)));
            batch.forEach((n, k) => {
                if (values[k] !== `w${n}`) lost.push(`${this.prefix}:${n}`);
            });
        }
        return lost;
    }
}

/** Longest interval between consecutive times (any order). */
export function longestGap(times: number[]): number {
    const sorted = [...times].sort((a, b) => a - b);
    let gap = 0;
    for (let i = 1; i < sorted.length; i++) gap = Math.max(gap, sorted[i] - sorted[i - 1]);
    return gap;
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
    let timer: NodeJS.Timeout;
    return Promise.race([
        p.finally(() => clearTimeout(timer)),
        new Promise<T>((_, reject) => {
            timer = setTimeout(() => reject(new Error(`TIMEOUT: no reply within ${ms} ms`)), ms);
        }),
    ]);
}
