/**
 * Waiting with deadlines. Every wait of the engine polls a probe until it
 * says yes, and when the deadline passes it says what it waited for and the
 * last error it saw. Errors that waiting cannot heal end the wait at once.
 */

export type Log = (message: string) => void;

export class Deadline {
    private end: number;
    constructor(ms: number, private readonly what: string) {
        this.end = Date.now() + ms;
    }
    left(): number {
        return this.end - Date.now();
    }
    /** Gives back time spent on work that is measured by its own progress (moving keys), not by waiting. */
    extend(ms: number): void {
        this.end += ms;
    }
    check(waitingFor: string, lastError?: unknown): void {
        if (this.left() <= 0) {
            const cause = lastError === undefined ? "" : ` (last error: ${String((lastError as Error)?.message ?? lastError)})`;
            throw new Error(`${this.what} timed out while waiting for ${waitingFor}${cause}`);
        }
    }
}

/** An error that waiting cannot heal (a refused password, a node of another cluster): waits end at once. */
export class PermanentError extends Error {}

/** Errors of the code itself, not of the cluster: retrying would only hide them until the deadline. */
function isPermanent(err: unknown): boolean {
    return err instanceof PermanentError || err instanceof TypeError || err instanceof ReferenceError || err instanceof RangeError;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * The interval of a wait whose every look asks each of `nodes` nodes: `ms`, longer on a large cluster (2 ms per
 * node), where the looks themselves would otherwise keep the machine's cores from the nodes being waited for.
 */
export function lookEvery(ms: number, nodes: number): number {
    return Math.max(ms, 2 * nodes);
}

/**
 * Polls `probe` until it returns a value other than undefined, or the deadline passes. A probe
 * that throws counts as "not yet", and its last error is shown if the deadline passes; a
 * permanent error ends the wait at once.
 */
export async function waitUntil<T>(deadline: Deadline, waitingFor: () => string, probe: () => Promise<T | undefined>, everyMs = 100): Promise<T> {
    let lastError: unknown;
    for (;;) {
        let value: T | undefined;
        try {
            value = await probe();
            lastError = undefined;
        } catch (err) {
            if (isPermanent(err)) throw err;
            lastError = err;
        }
        if (value !== undefined) {
            return value;
        }
        deadline.check(waitingFor(), lastError);
        await sleep(everyMs);
    }
}
