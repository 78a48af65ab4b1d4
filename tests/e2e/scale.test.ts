// Day-2: changing shards and replicas with `pulumi up` on a cluster that
// holds data; every key is checked after every change.
import { strict as assert } from "assert";
import "../support/env";
import { UpResult } from "@pulumi/pulumi/automation";
import { Redis } from "ioredis";
import { docker, stackObjects } from "../support/docker";
import { upUnderWrites } from "../support/rollout";
import { TestStack, createTestStack } from "../support/stack";
import { runStatus } from "../support/status";
import { DataSet, liveNodes, missingFromDataSet, redisCli, withClusterClient, writeDataSet } from "../support/redis";
// eslint-disable-next-line @typescript-eslint/no-var-requires
const keySlot: (key: string) => number = require("cluster-key-slot");

const PREFIX = "e2e-d";
// 10,000 plain keys and 5,000 hash-tagged pairs: 20,000 keys in all.
const DATA: DataSet = { prefix: "s", plain: 10000, groups: 5000 };
// 3 -> 4 shards hands slots 12288-16383 to the new shard: one of them holds 100 keys of 1 MB.
const BIG_TAG = Array.from({ length: 1000 }, (_, i) => `big${i}`).find((t) => keySlot(`{${t}}`) >= 12288)!;
const BIG_KEYS = Array.from({ length: 100 }, (_, i) => `{${BIG_TAG}}:${i}`);
const MEGABYTE = "x".repeat(1024 * 1024);
const LIBRARY = "#!lua name=e2elib\nredis.register_function('e2e_get', function(keys, args) return redis.call('GET', keys[1]) end)";

/** The lowest cluster-node-timeout any of `endpoints` reports, asked every 100 ms while `during` runs. */
async function lowestNodeTimeout(endpoints: string[], during: () => Promise<void>): Promise<{ lowest: number; answers: number }> {
    let lowest = Infinity;
    let answers = 0;
    let done = false;
    const poll = (async () => {
        while (!done) {
            await Promise.all(
                endpoints.map(async (e) => {
                    const c = new Redis({ host: e.split(":")[0], port: Number(e.split(":")[1]), lazyConnect: true, connectTimeout: 500, maxRetriesPerRequest: 0, retryStrategy: () => null });
                    c.on("error", () => undefined);
                    try {
                        await c.connect();
                        const [, value] = (await c.call("CONFIG", "GET", "cluster-node-timeout")) as string[];
                        lowest = Math.min(lowest, Number(value));
                        answers++;
                    } catch {
                        // Not started yet, or restarting: nothing to read.
                    } finally {
                        c.disconnect();
                    }
                }),
            );
            await new Promise((r) => setTimeout(r, 100));
        }
    })();
    try {
        await during();
    } finally {
        done = true;
        await poll;
    }
    return { lowest, answers };
}

describe("changing the shape of a cluster that holds data", function () {
    this.timeout(20 * 60 * 1000);
    let t: TestStack;
    const seed = "10.204.0.11:6379";

    before(async () => {
        t = await createTestStack(PREFIX, { namePrefix: PREFIX, subnet: "10.204.0.0/24", hostPortBase: "0" });
        await t.up();
        await withClusterClient([seed], undefined, (client) => writeDataSet(client, DATA));
    });
    after(async () => {
        await t?.destroyAndRemove();
    });

    async function change(config: Record<string, string>, shards: number, replicas: number, up: () => Promise<UpResult> = () => t.up()) {
        await t.stack.setAllConfig(Object.fromEntries(Object.entries(config).map(([k, v]) => [`redis-cluster:${k}`, { value: v }])));
        const result = await up();
        assert.equal(result.outputs.clusterState.value, "ok");
        const out = result.outputs.slotAssignments.value as { slots: string[]; slotCount: number; replicas: unknown[] }[];
        assert.equal(out.length, shards);
        const counts = out.map((s) => s.slotCount);
        assert.ok(Math.max(...counts) - Math.min(...counts) <= 1, `slots unbalanced: ${counts}`);
        assert.ok(out.every((s) => s.replicas.length === replicas), JSON.stringify(out.map((s) => s.replicas.length)));

        // Independent view: exactly the planned nodes, no open slots, every key readable.
        const view = liveNodes(`${PREFIX}-1`);
        assert.equal(view.length, shards * (replicas + 1), view.map((n) => `${n.ip} ${n.flags}`).join("\n"));
        assert.ok(view.every((n) => !n.slots.some((s) => s.startsWith("["))), "open slots left");
        assert.equal(stackObjects(t.name).containers.length, shards * (replicas + 1));
        const missing = await withClusterClient([seed], undefined, (client) => missingFromDataSet(client, DATA));
        assert.deepEqual(missing, { plain: 0, groups: 0 });
        const status = runStatus(t.name);
        assert.equal(status.code, 0, status.output);
        await t.stack.preview({ expectNoChanges: true });
    }

    it("grows from 3 to 4 shards, rebalancing slots and keeping every key, big keys and functions included", async () => {
        // Functions live on every master (as users load them); the new master must get them too.
        for (const n of liveNodes(`${PREFIX}-1`).filter((l) => l.flags.includes("master"))) {
            redisCli(`${PREFIX}-1`, undefined, "-h", n.ip, "function", "load", LIBRARY.replace(/\\n/g, "\n"));
        }
        await withClusterClient([seed], undefined, (c) => Promise.all(BIG_KEYS.map((k) => c.set(k, MEGABYTE))));
        // The joining nodes (7 and 8) keep the configured node timeout while the cluster holds keys: a short
        // one would let them report a master that pauses to fork as failing.
        const joined = await lowestNodeTimeout(["10.204.0.17:6379", "10.204.0.18:6379"], () => change({ shards: "4" }, 4, 1));
        assert.ok(joined.answers > 0, "the joining nodes never answered CONFIG GET");
        assert.equal(joined.lowest, 5000);
        await withClusterClient([seed], undefined, async (c) => {
            const owner = liveNodes(`${PREFIX}-1`).find((l) => l.owned.some((r) => r.start <= keySlot(BIG_KEYS[0]) && keySlot(BIG_KEYS[0]) <= r.end))!;
            assert.notEqual(owner.ip, "10.204.0.13", "the big keys' slot moved to the new shard");
            const lengths = await Promise.all(BIG_KEYS.map((k) => c.strlen(k)));
            assert.deepEqual([...new Set(lengths)], [MEGABYTE.length], "every 1 MB key arrived whole");
            // FCALL on the moved slot runs on the new master.
            assert.equal(((await c.call("FCALL", "e2e_get", "1", BIG_KEYS[0])) as string).length, MEGABYTE.length);
            assert.match(t.log.join(""), /copied 1 function library to 1 new master\(s\)/);
            // The rest of the suite moves only the day-2 data set.
            await Promise.all(BIG_KEYS.map((k) => c.del(k)));
        });
    });

    it("grows from 4 to 5 shards", async () => {
        await change({ shards: "5" }, 5, 1);
    });

    it("shrinks from 5 to 3 shards: slots leave before the nodes, which are forgotten", async () => {
        await change({ shards: "3" }, 3, 1);
    });

    it("adds a replica to every shard", async () => {
        await change({ replicasPerShard: "2" }, 3, 2);
    });

    it("removes the extra replicas while every node rolls in the same up (appendonly off): masters hand over first, no write lost", async () => {
        // The staying nodes, watched from outside; the leaving ones are drained, then deleted at the end of the up.
        const staying = new Set(Array.from({ length: 6 }, (_, i) => `${PREFIX}-${i + 1}`));
        const nodes: { name: string; ip: string }[] = (await t.stack.outputs()).nodes.value;
        const addresses = Object.fromEntries(nodes.filter((n) => staying.has(n.name)).map((n) => [n.name, `${n.ip}:6379`]));
        assert.equal(Object.keys(addresses).length, 6);
        const before = [...staying].map((n) => docker("inspect", "-f", "{{.Id}}", n));
        const logFrom = t.log.length;
        await change({ replicasPerShard: "1", appendonly: "false" }, 3, 1, async () => (await upUnderWrites({ up: () => t.up(), seeds: [seed], addresses, keyPrefix: "shrink-roll" })).result);
        const after = [...staying].map((n) => docker("inspect", "-f", "{{.Id}}", n));
        assert.deepEqual(after.filter((id, i) => id === before[i]), [], "a staying node was not recreated");
        // Each master handed over to a staying replica (named), not to one about to leave (shown by address).
        const handovers = t.log.slice(logFrom).join("").match(/failing \S+ over to \S+ before it restarts/g) ?? [];
        assert.ok(handovers.length >= 3, handovers.join("\n"));
        assert.deepEqual(handovers.filter((h) => !/over to e2e-d-[1-6] /.test(h)), []);
    });
});
