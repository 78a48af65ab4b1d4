import { strict as assert } from "assert";
import calculateSlot from "cluster-key-slot";
import { Redis } from "ioredis";
import { ensureCluster } from "../../components/engine/cluster";
import { FakeCluster } from "../support/fakeCluster";
import { KEY_NAMES, assertWhole, clusterOf, planOf, specFor } from "../support/fakePlans";

/** The engine's scripts, run in this process against a fake cluster on loopback ports (each step's own tests: tests/unit/steps/). */
describe("engine scripts (fake cluster)", function () {
    this.timeout(60000);
    let cluster: FakeCluster;
    const log: string[] = [];
    const record = (m: string) => log.push(m);
    const named = (name: string) => cluster.nodes.find((n) => n.name === name)!;

    afterEach(async () => {
        log.length = 0;
        await cluster?.close();
    });

    it("creates a cluster from empty nodes exactly as planned: slots, masters and replicas", async () => {
        cluster = new FakeCluster();
        for (const name of ["m1", "m2", "m3", "m4", "r1", "r2", "r3", "r4"]) await cluster.addNode(name);
        const plan = planOf(4, 1);
        await ensureCluster(specFor(cluster, plan), record);
        plan.masters.forEach((m, i) => {
            const [from, to] = plan.slots[i].split("-").map(Number);
            assert.deepEqual([cluster.owner[from], cluster.owner[to]], [named(m).id, named(m).id], `${m} owns ${plan.slots[i]}`);
            assert.equal(named(`r${i + 1}`).masterId, named(m).id, `r${i + 1} replicates ${m}`);
        });
        assert.ok(cluster.owner.every(Boolean), "every slot is assigned");
        assert.ok(cluster.nodes.every((n) => n.knows.size === 7), "every node knows every other");
        assert.match(log.join("\n"), /creating a cluster of 4 shards from 8 new nodes/);
        // No replica leaves its shard on its own: the plan decides (replica migration off on every node).
        for (const n of cluster.nodes) {
            assert.ok(n.server.received.some((c) => c.join(" ") === "CONFIG SET cluster-migration-barrier 1000000"), `${n.name}: replica migration left on`);
        }
    });

    it("heals a node that came back empty under a new id: the old id is forgotten everywhere, the new one replicates again", async () => {
        cluster = await clusterOf(3, 1);
        const lost = named("r2");
        const oldId = lost.id;
        const client = new Redis({ host: "127.0.0.1", port: lost.server.port, lazyConnect: true });
        await client.connect();
        await client.call("CLUSTER", "RESET", "HARD");
        client.disconnect();
        assert.ok(named("m1").knows.has(oldId));

        await ensureCluster(specFor(cluster, planOf(3, 1)), record);
        assert.ok(cluster.nodes.every((n) => !n.knows.has(oldId)), "a node still knows the old id");
        assert.notEqual(lost.id, oldId);
        assert.equal(lost.role, "slave");
        assertWhole(cluster, planOf(3, 1), log.join("\n"));
    });

    it("refuses to remove a leaving node that holds keys, and resets or forgets nothing of it", async () => {
        cluster = await clusterOf(3, 0);
        const stray = named("m4");
        for (const n of cluster.nodes.filter((n) => n !== stray)) {
            n.knows.add(stray.id);
            stray.knows.add(n.id);
        }
        // A key in a slot m1 owns, left on m4 (as a migration whose partner died leaves one).
        stray.keys.set("stray", "value");
        const id = stray.id;
        await assert.rejects(ensureCluster(specFor(cluster, planOf(3, 0), ["m4"]), record), /refusing to remove nodes that still hold keys, nothing of them was reset or forgotten:\n - 127\.0\.0\.1:\d+ \(127\.0\.0\.1:\d+\) holds 1 key/);
        assert.equal(stray.id, id, "reset");
        assert.equal(stray.keys.get("stray"), "value");
        assert.ok(named("m1").knows.has(id), "forgotten");
    });

    it("refuses to drain a leaving master that holds keys outside its slots (Redis would drop them), before moving anything", async () => {
        cluster = await clusterOf(4, 0);
        const leaving = named("m4");
        // A key of a slot m1 owns, left on m4 as a migration whose partner died leaves one.
        const stray = KEY_NAMES.find((k) => cluster.owner[calculateSlot(k)] === named("m1").id)!;
        leaving.keys.set(stray, "stray");
        const owners = [...cluster.owner];
        await assert.rejects(
            ensureCluster(specFor(cluster, planOf(3, 0), ["m4"]), record),
            new RegExp(`refusing to drain nodes that hold keys outside their slots .*nothing was moved:\\n - 127\\.0\\.0\\.1:\\d+ \\(127\\.0\\.0\\.1:\\d+\\) holds 1 key\\(s\\) in slot\\(s\\) it does not own: ${calculateSlot(stray)}\\n`),
        );
        assert.deepEqual(cluster.owner, owners, "a slot moved");
        assert.equal(leaving.keys.get(stray), "stray");
        assert.equal(leaving.role, "master");
    });

    it("ends with the plan's replicas when Redis moves a replica on its own during the change (replica migration)", async () => {
        cluster = await clusterOf(3, 1);
        let migrated = false;
        cluster.gate = (_node, [name, sub]) => {
            // Right after the engine attaches r4, r1 leaves m1 for m2, as Redis's replica migration would.
            if (!migrated && name === "CLUSTER" && sub.toUpperCase() === "REPLICATE") {
                migrated = true;
                setImmediate(() => (named("r1").masterId = named("m2").id));
            }
            return true;
        };
        await ensureCluster(specFor(cluster, planOf(4, 1)), record);
        const replicas = (m: string) => cluster.nodes.filter((n) => n.masterId === named(m).id).length;
        assert.ok(migrated);
        const leaders = cluster.nodes.filter((n) => n.role === "master" && cluster.slotsOf(n).length > 0);
        assert.deepEqual(leaders.map((l) => replicas(l.name)), [1, 1, 1, 1], log.join("\n"));
        assert.match(log.join("\n"), /the cluster moved away from the plan while it changed .*reconciling again/);
        assertWhole(cluster, planOf(4, 1), log.join("\n"));
    });
});
