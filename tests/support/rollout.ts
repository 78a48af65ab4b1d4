/** An `up` watched from outside: a client keeps writing and a sampler pings every node while it runs. */
import { strict as assert } from "assert";
import { UpResult } from "@pulumi/pulumi/automation";
import { Auth, clusterClient, withClusterClient } from "./redis";
import { DownReport, DownSampler } from "./sampler";
import { ContinuousWriter, WriterReport } from "./writer";

export interface WatchedUp {
    /** The stack's `up`. */
    up: () => Promise<UpResult>;
    /** Cluster client seeds ("ip:port") and every node's endpoint by name, for the sampler. */
    seeds: string[];
    addresses: Record<string, string>;
    /** How the writer logs in, and the CA when the nodes serve TLS only. */
    auth?: Auth;
    tlsCa?: string;
    /** Names the writer's keys (`<keyPrefix>:<n>`) and the log line. */
    keyPrefix: string;
    /** The user allowed every node to restart at once (allowFullRestart): the one-at-a-time checks do not apply. */
    fullRestart?: boolean;
}

/**
 * Runs the `up` under writes and asserts what every rolling change owes: the cluster ends ok, never
 * two nodes down at once, no master stopped while it led a shard with a replica, writes went
 * through, and every acknowledged write reads back afterwards.
 */
export async function upUnderWrites(w: WatchedUp): Promise<{ result: UpResult; down: DownReport; report: WriterReport }> {
    const writerClient = clusterClient(w.seeds, w.auth, undefined, w.tlsCa);
    const writer = new ContinuousWriter(writerClient, w.keyPrefix).start();
    const sampler = new DownSampler(w.addresses, undefined, w.tlsCa).start();
    let result: UpResult;
    let down: DownReport;
    let report: WriterReport;
    try {
        result = await w.up();
        assert.equal(result.outputs.clusterState.value, "ok");
    } finally {
        down = await sampler.stop();
        report = await writer.stop();
        writerClient.disconnect();
        console.log(`      ${w.keyPrefix}: ${report.acknowledged}/${report.attempts} writes acknowledged; most nodes down at once: ${down.mostDown.length} (${down.samples} samples)`);
    }
    if (!w.fullRestart) {
        assert.ok(down.mostDown.length <= 1, `nodes down together: ${down.mostDown}`);
        // A master restarted without a failover leaves its slots unserved while a replica could serve them.
        assert.deepEqual(down.downWhileLeading, [], `${w.keyPrefix}: masters stopped without handing over to their replica`);
    }
    assert.ok(report.acknowledged > 100, `${w.keyPrefix}: too few writes went through: ${JSON.stringify(report)}`);
    await withClusterClient(w.seeds, w.auth, async (reader) => assert.deepEqual(await writer.lost(reader), [], `${w.keyPrefix}: acknowledged writes lost`), w.tlsCa);
    return { result, down, report };
}
