// Data safety on every change, on a cluster without replicas (every restart takes a shard down,
// so nothing hides a lost write): refused changes touch nothing, persistence changes and the
// opted-in full restarts keep every key, and rolling changes never have two nodes down at once.
import { strict as assert } from "assert";
import "../support/env";
import { buildImageVariant, docker } from "../support/docker";
import { TestStack, createTestStack } from "../support/stack";
import { DataSet, missingFromDataSet, redisCli, withClusterClient, writeDataSet } from "../support/redis";
import { upUnderWrites } from "../support/rollout";
import { DownReport } from "../support/sampler";
import { preparedImage } from "../../scripts/preparedImage";

const PREFIX = "e2e-g";
const SUBNET = "10.207.0.0/24";
const MOVED_SUBNET = "10.208.0.0/24";
const DATA: DataSet = { prefix: "f", plain: 5000, groups: 1000 };
// 200 MB in 1 MB values: every restart below loads a large data set (RDB or AOF) before it serves.
const BIG_KEYS = Array.from({ length: 200 }, (_, i) => `big:${i}`);
const MEGABYTE = "x".repeat(1024 * 1024);
const names = [1, 2, 3].map((i) => `${PREFIX}-${i}`);
// The machine's image under a tag of this suite's own, so rebuilding it touches no other stack;
// labelled 7.2 so that going back to 7.0 is a downgrade the guard must refuse.
const IMAGE = `${PREFIX}/redis:7.2`;

const containerIds = () => names.map((n) => docker("inspect", "-f", "{{.Id}}", n));
/** Container id and start time: either changes when a node is recreated or restarted. */
const containerStarts = () => names.map((n) => docker("inspect", "-f", "{{.Id}} {{.State.StartedAt}}", n));

describe("data safety on every change (3 shards, no replicas)", function () {
    this.timeout(20 * 60 * 1000);
    let t: TestStack;
    let subnet = SUBNET;
    const seed = () => `${subnet.replace(/0\/24$/, "11")}:6379`;
    const addresses = () => Object.fromEntries(names.map((n, i) => [n, `${subnet.replace(/0\/24$/, String(11 + i))}:6379`]));

    before(async () => {
        docker("tag", preparedImage(), IMAGE);
        t = await createTestStack(PREFIX, { namePrefix: PREFIX, subnet: SUBNET, hostPortBase: "0", replicasPerShard: "0", image: IMAGE });
        await t.up();
        await withClusterClient([seed()], undefined, async (client) => {
            await writeDataSet(client, DATA);
            for (let i = 0; i < BIG_KEYS.length; i += 20) await Promise.all(BIG_KEYS.slice(i, i + 20).map((k) => client.set(k, MEGABYTE)));
        });
    });
    after(async () => {
        await t?.destroyAndRemove();
        docker("image", "rm", "-f", IMAGE);
    });

    async function configure(values: Record<string, string>) {
        await t.stack.setAllConfig(Object.fromEntries(Object.entries(values).map(([k, v]) => [`redis-cluster:${k}`, { value: v }])));
    }

    async function assertDataSet() {
        await withClusterClient([seed()], undefined, async (c) => {
            assert.deepEqual(await missingFromDataSet(c, DATA), { plain: 0, groups: 0 });
            const lengths = await Promise.all(BIG_KEYS.map((k) => c.strlen(k)));
            assert.deepEqual([...new Set(lengths)], [MEGABYTE.length], "a 1 MB key is missing or cut");
        });
    }

    /** `up` under writes (support/rollout); then every key of the data set, and a preview with no changes. */
    async function upWatched(what: string, fullRestart = false): Promise<DownReport> {
        const { down } = await upUnderWrites({ up: () => t.up(), seeds: [seed()], addresses: addresses(), keyPrefix: what, fullRestart });
        await assertDataSet();
        await t.stack.preview({ expectNoChanges: true });
        return down;
    }

    /** A refused change fails preview and `up --skip-preview` alike, naming the key, and touches nothing. */
    async function assertRefused(values: Record<string, string>, message: RegExp) {
        const before = containerIds();
        const previous = Object.fromEntries(Object.keys(values).map((k) => [k, undefined as string | undefined]));
        const all = await t.stack.getAllConfig();
        for (const k of Object.keys(values)) previous[k] = all[`redis-cluster:${k}`]?.value;
        await configure(values);
        try {
            await assert.rejects(t.stack.preview(), (err: Error) => (assert.match(err.message, message), true));
            // The Automation API's up runs `pulumi up --yes --skip-preview`.
            await assert.rejects(t.stack.up(), (err: Error) => (assert.match(err.message, message), true));
        } finally {
            for (const [k, v] of Object.entries(previous)) {
                if (v === undefined) await t.stack.removeConfig(`redis-cluster:${k}`);
                else await configure({ [k]: v });
            }
        }
        assert.deepEqual(containerIds(), before, "a refused change recreated containers");
        assert.equal(docker("network", "inspect", "-f", "{{(index .IPAM.Config 0).Gateway}}", `${PREFIX}-net`), "10.207.0.1");
        await assertDataSet();
        await t.stack.preview({ expectNoChanges: true });
    }

    it("refuses a rename (namePrefix) at preview and under up --skip-preview, keeping every key", async () => {
        await assertRefused({ namePrefix: "e2e-g-renamed" }, /redis-cluster:namePrefix changed from "e2e-g" to "e2e-g-renamed": that would delete every container, data volume/);
    });

    it("refuses a gateway change unless allowFullRestart is set", async () => {
        await assertRefused({ gateway: "10.207.0.254" }, /redis-cluster:gateway changed from 10\.207\.0\.1 to 10\.207\.0\.254: .*pulumi config set redis-cluster:allowFullRestart true/s);
    });

    it("refuses going back to an older Redis version, and Redis older than 7.0", async () => {
        await assertRefused({ image: `${PREFIX}/redis:7.0` }, /redis-cluster:image changed from e2e-g\/redis:7\.2 \(Redis 7\.2\.0\) to e2e-g\/redis:7\.0 \(Redis 7\.0\.0\): an older Redis may not load/);
        await assertRefused({ image: `${PREFIX}/redis:6.2.14` }, /redis-cluster:image "e2e-g\/redis:6\.2\.14" runs Redis 6\.2\.14; this stack needs Redis 7\.0\.0 or newer/);
    });

    it("does not record a mistyped image whose up failed: going back is no downgrade, and nothing was touched", async () => {
        const before = containerIds();
        // A newer tag no registry here serves: the guard passes it, the pull fails.
        await configure({ image: `${PREFIX}/redis:7.4` });
        await assert.rejects(t.up());
        assert.deepEqual(containerIds(), before, "a failed pull recreated containers");
        assert.equal((await t.stack.outputs()).appliedIdentity.value.image, IMAGE, "the failed up recorded its image");
        await configure({ image: IMAGE });
        await t.stack.preview();
        await t.up();
        assert.deepEqual(containerIds(), before);
        await assertDataSet();
        await t.stack.preview({ expectNoChanges: true });
    });

    it("turns appendonly off one node at a time; a graceful stop saves every acknowledged write", async () => {
        await configure({ appendonly: "false" });
        const before = containerStarts();
        await upWatched("aof-off");
        // Read from Docker, not from the sampler: a node that loads its RDB quickly can be down
        // between two samples.
        const after = containerStarts();
        assert.deepEqual(names.filter((_, i) => before[i] === after[i]), [], "nodes not restarted");
        for (const n of names) assert.equal(redisCli(n, undefined, "config", "get", "appendonly").split("\n")[1], "no");
    });

    it("turns appendonly on one node at a time; each node writes its AOF before it restarts", async () => {
        await configure({ appendonly: "true" });
        await upWatched("aof-on");
        for (const n of names) assert.match(t.log.join(""), new RegExp(`${n}: writing its data to an append-only file before it restarts`));
        for (const n of names) assert.equal(redisCli(n, undefined, "config", "get", "appendonly").split("\n")[1], "yes");
    });

    it("rolls nothing when a newer image appears under the same tag", async () => {
        const before = containerIds();
        // Same content, another image id: what a registry's newer build under one tag looks like here.
        buildImageVariant(IMAGE, IMAGE);
        assert.notEqual(docker("image", "inspect", "-f", "{{.Id}}", IMAGE), docker("inspect", "-f", "{{.Image}}", names[0]));
        await t.stack.preview({ expectNoChanges: true });
        const result = await t.up();
        assert.equal(result.summary.resourceChanges?.update ?? 0, 0);
        assert.deepEqual(containerIds(), before);
        // A machine without the image at all (a pull request runner) previews no change either.
        docker("image", "rm", "-f", IMAGE);
        try {
            await t.stack.preview({ expectNoChanges: true });
        } finally {
            docker("tag", preparedImage(), IMAGE);
        }
    });

    it("keeps every container, volume and key across a stack rename", async () => {
        const before = containerIds();
        await t.stack.rename({ stackName: `${PREFIX}-renamed` });
        try {
            // Labels name the stack, and are ignored on what exists: nothing to replace.
            await t.stack.preview({ expectNoChanges: true });
            await t.stack.up();
        } finally {
            await t.stack.rename({ stackName: PREFIX });
        }
        assert.deepEqual(containerIds(), before);
        await assertDataSet();
        await t.stack.preview({ expectNoChanges: true });
    });

    it("with allowFullRestart, replaces the network for a new gateway and keeps every key", async () => {
        await configure({ allowFullRestart: "true", gateway: "10.207.0.254" });
        await upWatched("gateway", true);
        assert.equal(docker("network", "inspect", "-f", "{{(index .IPAM.Config 0).Gateway}}", `${PREFIX}-net`), "10.207.0.254");
    });

    it("with allowFullRestart, moves the whole cluster to a new subnet and keeps every key", async () => {
        await t.stack.removeConfig("redis-cluster:gateway");
        await configure({ subnet: MOVED_SUBNET });
        subnet = MOVED_SUBNET;
        await upWatched("subnet", true);
        const check = redisCli(names[0], undefined, "--cluster", "check", seed());
        assert.match(check, /\[OK\] All 16384 slots covered\./);
        assert.doesNotMatch(check, /10\.207\./, "a node still knows an old address");
    });
});
