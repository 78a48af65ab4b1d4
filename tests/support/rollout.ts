/** An `up` watched from outside: a client keeps writing and a sampler pings every node while it runs. */
import { strict as assert } from "assert";
import { UpResult } from "@pulumi/pulumi/automation";
import { Auth, clusterClient, eventually, withClusterClient } from "./redis";
import { DownReport, DownSampler } from "./sampler";
import { ContinuousWriter, WriterReport, longestGap } from "./writer";

const MIN_ACKNOWLEDGED = 50;
/** How long writers may go on after the up to reach MIN_ACKNOWLEDGED (a cluster client reconnects within seconds). */
const SERVED_AFTER_UP_MS = 30000;

export interface WatchedUp {
    /** The stack's `up`. */
    up: () => Promise<UpResult>;
    /** Cluster client seeds ("ip:port") and every node's endpoint by name, for the sampler. */
    seeds: string[];
    addresses: Record<string, string>;
    /** How the writer logs in, and the CA when the nodes serve TLS only. */
    auth?: Auth;
    tlsCa?: string;
    /** One writer per login instead (a password rotation: one on the old, one on the new); `auth` reads back. */
    writers?: (Auth | undefined)[];
    /** Names the writer's keys (`<keyPrefix>:<n>`) and the log line. */
    keyPrefix: string;
    /** The user allowed every node to restart at once (allowFullRestart): the one-at-a-time checks do not apply. */
    fullRestart?: boolean;
}

export interface WatchedResult {
    result: UpResult;
    down: DownReport;
    /** One per writer, in the order of `writers`. */
    reports: WriterReport[];
    /** The longest time in which no writer at all got a write acknowledged. */
    anyClientGapMs: number;
    /** What the run saw, one line for the suite's log. */
    line: string;
}

/**
 * Runs the `up` under writes and asserts what every rolling change owes: the cluster ends ok, never
 * two nodes down at once, no master stopped while it led a shard with a replica, writes went
 * through for every writer, and every acknowledged write reads back afterwards.
 */
export async function upUnderWrites(w: WatchedUp): Promise<WatchedResult> {
    const logins = w.writers ?? [w.auth];
    const clients = logins.map((auth) => clusterClient(w.seeds, auth, undefined, w.tlsCa));
    const writers = clients.map((c, i) => new ContinuousWriter(c, logins.length === 1 ? w.keyPrefix : `${w.keyPrefix}-${i}`).start());
    const sampler = new DownSampler(w.addresses, undefined, w.tlsCa).start();
    let result: UpResult;
    let down: DownReport;
    let reports: WriterReport[];
    try {
        result = await w.up();
        assert.equal(result.outputs.clusterState.value, "ok");
        // A writer may be served only after the up (an up that moves every node at once to addresses
        // it knows only from then on): the cluster is up now, so wait until each has been served
        // enough to make "nothing lost" mean something, instead of ending with whatever the up left.
        // Past the deadline the assertion on the reports below names the writer that was not served.
        await eventually("every writer to be served", SERVED_AFTER_UP_MS, () => (writers.every((x) => x.ackTimes.length >= MIN_ACKNOWLEDGED) ? true : undefined), 50).catch(() => undefined);
    } finally {
        // Also when the up fails: a sampler left running keeps mocha from ever exiting.
        down = await sampler.stop();
        reports = await Promise.all(writers.map((x) => x.stop()));
        clients.forEach((c) => c.disconnect());
    }
    const anyClientGapMs = longestGap(writers.flatMap((x) => [x.startedAt, ...x.ackTimes, x.stoppedAt]));
    const writes = reports.map((r) => `${r.acknowledged}/${r.attempts} acknowledged, errors ${JSON.stringify(r.errors)}, longest gap ${r.longestGapMs} ms`).join("; ");
    const line = `${w.keyPrefix}: most nodes down at once ${down.mostDown.length} (${down.mostDown.join(", ")}), ${down.samples} samples; ${writes}; longest gap for all writers together ${anyClientGapMs} ms`;
    console.log(`      ${line}`);
    if (!w.fullRestart) {
        assert.ok(down.mostDown.length <= 1, `${w.keyPrefix}: nodes down together: ${down.mostDown}`);
        // A master restarted without a failover leaves its slots unserved while a replica could serve them.
        assert.deepEqual(down.downWhileLeading, [], `${w.keyPrefix}: masters stopped without handing over to their replica`);
    }
    // Proof that each writer was served at all, so that "nothing lost" is not vacuous: at the writers'
    // pace (tests/support/writer.ts) a fraction of a second of service, during the up or right after it.
    reports.forEach((r, i) => assert.ok(r.acknowledged >= MIN_ACKNOWLEDGED, `${w.keyPrefix}: too few writes of writer ${i} went through: ${JSON.stringify(r)}`));
    await withClusterClient(
        w.seeds,
        w.auth,
        async (reader) => {
            for (const x of writers) assert.deepEqual(await x.lost(reader), [], `${w.keyPrefix}: acknowledged writes lost`);
        },
        w.tlsCa,
    );
    return { result, down, reports, anyClientGapMs, line };
}
