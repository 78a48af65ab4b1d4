// Day-2 under load: changes that recreate containers, a scale-out, adding
// a password to a cluster that had none and rotating it, each while clients keep writing. Every write the
// cluster acknowledged must survive, and so must the 20,000-key data set.
import { strict as assert } from "assert";
import * as fs from "fs";
import "../support/env";
import { docker } from "../support/docker";
import { TestStack, createTestStack, stateFile } from "../support/stack";
import { runStatus } from "../support/status";
import { DataSet, liveNodes, missingFromDataSet, redisCli, withClusterClient, writeDataSet } from "../support/redis";
import { WriterReport } from "../support/writer";
import { upUnderWrites } from "../support/rollout";
import { buildImageVariant } from "../support/docker";
import { preparedImage } from "../../scripts/preparedImage";

const PREFIX = "e2e-e";
const SEED = "10.205.0.11:6379";
const OLD_PASSWORD = "e2e-R0ll-old-9fKq";
const NEW_PASSWORD = "e2e-R0ll-new-4tQz";
const DATA: DataSet = { prefix: "r", plain: 10000, groups: 5000 };
/** The README's promise for a rolling change: no write gap longer than this (measured: about 0.1 s). */
const MAX_WRITE_GAP_MS = 2000;
const nodeNames = (n: number) => Array.from({ length: n }, (_, i) => `${PREFIX}-${i + 1}`);
const addresses = (n: number) => Object.fromEntries(nodeNames(n).map((name, i) => [name, `10.205.0.${11 + i}:6379`]));
// Another build of the same Redis under another tag: what an image upgrade looks like here.
const UPGRADED_IMAGE = `${PREFIX}/redis:${preparedImage().split(":").pop()}-b`;

function containerId(name: string): string {
    return docker("inspect", "-f", "{{.Id}}", name);
}

function describeRun(what: string, reports: WriterReport[]): string {
    return `${what}: ${reports.map((r) => `${r.acknowledged}/${r.attempts} writes acknowledged, errors ${JSON.stringify(r.errors)}, longest gap ${r.longestGapMs} ms`).join("; ")}`;
}

describe("rolling changes while clients write", function () {
    this.timeout(20 * 60 * 1000);
    let t: TestStack;
    let password: string | undefined;
    let nodeCount = 6;
    const changes: string[] = [];

    before(async () => {
        t = await createTestStack(PREFIX, { namePrefix: PREFIX, subnet: "10.205.0.0/24", hostPortBase: "0" });
        await t.up();
        await withClusterClient([SEED], password, (client) => writeDataSet(client, DATA));
    });
    after(async () => {
        // What each change cost the writers, for the record.
        for (const line of changes) console.log(`      ${line}`);
        await t?.destroyAndRemove();
        docker("image", "rm", "-f", UPGRADED_IMAGE);
    });

    async function configure(values: Record<string, string>, secrets: Record<string, string> = {}) {
        await t.stack.setAllConfig({
            ...Object.fromEntries(Object.entries(values).map(([k, v]) => [`redis-cluster:${k}`, { value: v }])),
            ...Object.fromEntries(Object.entries(secrets).map(([k, v]) => [`redis-cluster:${k}`, { value: v, secret: true }])),
        });
    }

    /** Runs `up` while one writer per password writes (tests/support/rollout), then checks the data set, status and the next preview. */
    async function upWhileWriting(what: string, writerPasswords: (string | undefined)[], readPassword: string | undefined): Promise<{ reports: WriterReport[]; anyClientGapMs: number }> {
        // Every node that exists now, watched from outside.
        const watched = await upUnderWrites({ up: () => t.up(), seeds: [SEED], addresses: addresses(nodeCount), writers: writerPasswords, auth: readPassword, keyPrefix: what });
        nodeCount = watched.result.outputs.nodes.value.length;
        changes.push(watched.line);
        await withClusterClient([SEED], readPassword, async (reader) => assert.deepEqual(await missingFromDataSet(reader, DATA), { plain: 0, groups: 0 }));
        const status = runStatus(t.name);
        assert.equal(status.code, 0, status.output);
        await t.stack.preview({ expectNoChanges: true });
        return watched;
    }

    // redis.conf, the image and the published ports each recreate the container the same way (the
    // fingerprint suite proves each field does): one rolling up carries all three, checked one by one.
    it("recreates every container one at a time for a new redis.conf, image and host ports, failing masters over first", async () => {
        const names = nodeNames(6);
        const before = names.map(containerId);
        buildImageVariant(preparedImage(), UPGRADED_IMAGE);
        await configure({ nodeTimeoutMs: "6000", image: UPGRADED_IMAGE, hostPortBase: "17371" });
        // What a reviewer sees in the PR: every container replaced (and the image resource), each behind its gate.
        const preview = await t.stack.preview({ diff: true });
        assert.equal(preview.stdout.match(/\+-docker:index\/container:Container: \(replace\)/g)?.length, 6, preview.stdout);
        assert.equal(preview.changeSummary.replace, 7, preview.stdout);
        for (const n of names) assert.match(preview.stdout, new RegExp(`RolloutGate::${n}-rollout\\b`));
        const { reports: [report] } = await upWhileWriting("recreate", [password], password);

        names.forEach((n, i) => assert.notEqual(containerId(n), before[i], `${n} was not recreated`));
        // One at a time, in the planned order: masters (1-3), then replicas (4-6).
        const started = names.map((n) => Date.parse(docker("inspect", "-f", "{{.State.StartedAt}}", n)));
        assert.deepEqual([...started].sort((a, b) => a - b), started, `start times ${started}`);
        const upgraded = docker("image", "inspect", "-f", "{{.Id}}", UPGRADED_IMAGE);
        for (const [i, n] of names.entries()) {
            assert.equal(redisCli(n, password, "config", "get", "cluster-node-timeout").split("\n")[1], "6000");
            assert.equal(docker("inspect", "-f", "{{.Image}}", n), upgraded, `${n} runs another image`);
            assert.equal(docker("port", n, "6379/tcp"), `127.0.0.1:${17371 + i}`);
        }
        const log = t.log.join("");
        for (const n of names) assert.match(log, new RegExp(`failing ${n} over to ${PREFIX}-\\d+ before it restarts`));
        // Masters went first and took their mastership back when their replicas restarted.
        const masters = liveNodes(names[0], password).filter((n) => n.flags.includes("master"));
        assert.deepEqual(masters.map((m) => m.ip).sort(), ["10.205.0.11", "10.205.0.12", "10.205.0.13"]);
        // Every master was failed over before it went: writes paused only for the handovers
        // (about 0.1 s measured), never for a node timeout (6 s here).
        assert.ok(report.longestGapMs < MAX_WRITE_GAP_MS, describeRun("recreate", [report]));
    });

    it("grows from 3 to 4 shards while a client writes", async () => {
        await configure({ shards: "4" });
        await upWhileWriting("grow", [password], password);
        assert.equal(liveNodes(`${PREFIX}-1`, password).filter((n) => n.flags.includes("master")).length, 4);
    });

    /**
     * Changes the password while one client of the old and one of the new password write. Both are
     * served all through the up (before the first gate only the old one works, after the up only the
     * new one), so writes never stop for as long as a node timeout.
     */
    async function changePasswordUnderWrites(what: string, to: string) {
        const from = password;
        await configure({}, { password: to });
        // Status reads what is deployed: until the up, the nodes still run with the old password.
        const before = runStatus(t.name);
        assert.equal(before.code, 0, before.output);
        const { reports, anyClientGapMs } = await upWhileWriting(what, [from, to], to);
        password = to;
        assert.ok(reports[0].acknowledged > 0 && reports[1].acknowledged > 0, describeRun(what, reports));
        assert.ok(anyClientGapMs < MAX_WRITE_GAP_MS, `no client was served for ${anyClientGapMs} ms`);
        // Clients still on the old password are served through the whole up, restarted nodes included.
        assert.ok(reports[0].longestGapMs < MAX_WRITE_GAP_MS, describeRun(what, reports));
        for (const n of nodeNames(8)) {
            assert.equal(redisCli(n, to, "ping"), "PONG");
            assert.match(redisCli(n, from, "ping"), /NOAUTH|WRONGPASS/);
        }
    }

    // After the growth above, live shards no longer match the plan (e2e-e-4 replicates e2e-e-1 although
    // both are planned masters): restarting them together would take a whole shard down.
    it("adds a password to a cluster that had none, serving clients without one until the up ends", async () => {
        await changePasswordUnderWrites("secure", OLD_PASSWORD);
    });

    it("rotates the password without downtime: one client or the other is always served", async () => {
        await changePasswordUnderWrites("rotate", NEW_PASSWORD);
        const state = fs.readFileSync(stateFile(t.name), "utf8");
        assert.ok(!state.includes(OLD_PASSWORD) && !state.includes(NEW_PASSWORD), "a password is in the state file in plaintext");
        for (const pw of [OLD_PASSWORD, NEW_PASSWORD]) assert.ok(!t.log.join("").includes(pw), "the engine's output shows a password");
    });
});
