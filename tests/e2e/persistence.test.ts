// Persistence modes on a running 3x0 cluster that holds keys, under writes: without replicas a restarted
// node has nothing but its own files to come back with, so every transition (aof -> rdb -> none -> aof+rdb
// -> aof) must leave each node the file it loads next, with every acknowledged write in it.
import { strict as assert } from "assert";
import { TestStack, createTestStack } from "../support/stack";
import { docker } from "../support/docker";
import { DataSet, eventually, missingFromDataSet, redisCli, withClusterClient, writeDataSet } from "../support/redis";
import { upUnderWrites } from "../support/rollout";

const PREFIX = "e2e-k";
const SUBNET = "10.223.0.0/24";
const names = Array.from({ length: 3 }, (_, i) => `${PREFIX}-${i + 1}`);
const addresses = Object.fromEntries(names.map((n, i) => [n, `10.223.0.${11 + i}:6379`]));
const seeds = [addresses[names[0]]];
const DATA: DataSet = { prefix: "kept", plain: 3000, groups: 300 };

// redis-cli prints an empty value as nothing after the name (and the output is trimmed).
const configOf = (node: string, directive: string) => redisCli(node, undefined, "config", "get", directive).split("\n")[1] ?? "";

describe("persistence modes (3 shards, no replicas)", function () {
    this.timeout(15 * 60 * 1000);
    let t: TestStack;

    before(async () => {
        t = await createTestStack(PREFIX, { namePrefix: PREFIX, subnet: SUBNET, hostPortBase: "0", replicasPerShard: "0" });
        await t.up();
        await withClusterClient(seeds, undefined, (c) => writeDataSet(c, DATA));
    });
    after(async () => {
        await t?.destroyAndRemove();
    });

    /** Sets the mode (and schedule), rolls it out under writes, and checks every node runs it with every key. */
    async function switchTo(mode: string, save: string | undefined, expected: { appendonly: string; save: string }) {
        await t.stack.setAllConfig({ "redis-cluster:persistence": { value: mode }, "redis-cluster:save": { value: save ?? "" } });
        await upUnderWrites({ up: () => t.up(), seeds, addresses, keyPrefix: mode });
        for (const n of names) assert.deepEqual({ appendonly: configOf(n, "appendonly"), save: configOf(n, "save") }, expected, n);
        assert.deepEqual(await withClusterClient(seeds, undefined, (c) => missingFromDataSet(c, DATA)), { plain: 0, groups: 0 });
    }

    it("from the default (the AOF beside Redis's snapshots) to aof alone", async () => {
        await switchTo("aof", undefined, { appendonly: "yes", save: "" });
    });

    it("from aof alone to rdb: each node saves a snapshot as it stops, and loads it", async () => {
        await switchTo("rdb", undefined, { appendonly: "no", save: "3600 1 300 100 60 10000" });
    });

    it("from rdb to none: each node saves a snapshot as it stops, and loads it once", async () => {
        await switchTo("none", undefined, { appendonly: "no", save: "" });
    });

    it("under none, a node the kernel kills comes back empty, not with the snapshot it loaded before", async () => {
        const victim = names[1];
        const keysOf = () => Number(redisCli(victim, undefined, "dbsize"));
        assert.ok(keysOf() > 0);
        // SIGKILL from the host, as the OOM killer would: Docker restarts the container (a `docker kill` it would not).
        process.kill(Number(docker("inspect", "-f", "{{.State.Pid}}", victim)), "SIGKILL");
        await eventually(`${victim} to be restarted by Docker and serve`, 60000, () => {
            if (docker("inspect", "-f", "{{.RestartCount}} {{.State.Running}}", victim) !== "1 true") return undefined;
            try {
                return redisCli(victim, undefined, "ping") === "PONG" ? true : undefined;
            } catch {
                return undefined;
            }
        }, 500);
        assert.equal(keysOf(), 0);
        // The cluster serves again (the node kept its slots); the next transitions start from a full data set.
        await eventually("the cluster to take writes on every slot", 30000, async () => {
            try {
                await withClusterClient(seeds, undefined, (c) => writeDataSet(c, DATA));
                return true;
            } catch {
                return undefined;
            }
        }, 500);
    });

    it("from none to aof+rdb with a schedule: each node writes its AOF before it restarts onto it", async () => {
        await switchTo("aof+rdb", "900 1 60 1000", { appendonly: "yes", save: "900 1 60 1000" });
    });

    it("back to aof alone, and then nothing is left to change", async () => {
        await switchTo("aof", undefined, { appendonly: "yes", save: "" });
        await t.stack.preview({ expectNoChanges: true });
    });
});
