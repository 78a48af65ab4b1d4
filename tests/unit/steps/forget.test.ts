import { strict as assert } from "assert";
import { forgetEverywhere, forgetGhosts } from "../../../components/engine/steps/forget";
import { NodePool } from "../../../components/engine/pool";
import { Deadline } from "../../../components/engine/wait";
import { FakeRedis, infoText } from "../../support/fakeRedis";
import { planOf } from "../../support/fakePlans";
import { stepBed } from "../../support/stepBed";

/** A node that knows `ghost` until it accepts a FORGET; it refuses the first `refusals` with `refusal`. */
function nodeKnowing(ghost: string, refusals: number, refusal = "LOADING Redis is loading the dataset in memory") {
    let known = true;
    let refused = 0;
    const node: FakeRedis = new FakeRedis(([name, ...args]) => {
        if (name === "PING") return { status: "PONG" };
        if (name === "INFO") return infoText({ loading: 0 });
        if (name === "CLUSTER" && args[0].toUpperCase() === "NODES") {
            const self = `me 127.0.0.1:${node.port}@1 myself,master - 0 0 1 connected 0-16383`;
            return [self, ...(known ? [`${ghost} 10.0.0.9:6379@16379 master,fail - 0 0 2 connected`] : [])].join("\n") + "\n";
        }
        if (name === "CLUSTER" && args[0].toUpperCase() === "FORGET" && args[1] === ghost) {
            if (refused < refusals) return refused++, new Error(refusal);
            known = false;
            return { status: "OK" };
        }
        return new Error(`ERR unexpected ${name} ${args.join(" ")}`);
    });
    return node;
}

describe("step: forget, everywhere (scripted nodes)", () => {
    const ghost = "0123456789abcdef0123456789abcdef01234567";
    let nodes: FakeRedis[] = [];
    afterEach(async () => {
        await Promise.all(nodes.map((n) => n.close()));
        nodes = [];
    });

    async function poolOf(...fakes: FakeRedis[]) {
        nodes = await Promise.all(fakes.map((f) => f.start()));
        const pool = new NodePool(nodes.map((n, i) => ({ name: `n-${i + 1}`, ip: "127.0.0.1", port: n.port })), { access: {} });
        assert.equal((await pool.connectPlanned()).length, nodes.length);
        return pool;
    }

    it("asks a loading node again until it has forgotten, and every other node too", async () => {
        const pool = await poolOf(nodeKnowing(ghost, 0), nodeKnowing(ghost, 3));
        try {
            await forgetEverywhere(pool, ["n-1", "n-2"], new Set([ghost]), new Deadline(10000, "test"), "the ghost to be forgotten");
        } finally {
            pool.close();
        }
        const forgets = (n: FakeRedis) => n.received.filter((c) => c[0] === "CLUSTER" && c[1].toUpperCase() === "FORGET").length;
        assert.equal(forgets(nodes[0]), 1);
        assert.equal(forgets(nodes[1]), 4);
    });

    it("stops at the deadline with the node's last refusal, never as if it had forgotten", async () => {
        const pool = await poolOf(nodeKnowing(ghost, Infinity, "ERR Can't forget my master!"));
        try {
            await assert.rejects(forgetEverywhere(pool, ["n-1"], new Set([ghost]), new Deadline(1500, "test"), "the ghost to be forgotten"), /timed out while waiting for the ghost to be forgotten \(last error: n-1 \(127\.0\.0\.1:\d+\): CLUSTER FORGET: ERR Can't forget my master!\)/);
        } finally {
            pool.close();
        }
    });
});

describe("step: forget, ids of departed nodes (fake cluster)", function () {
    this.timeout(20000);
    const bed = stepBed();

    /** r2 came back with an empty volume: a new id at its old address, the old one a failed entry everywhere. */
    async function recreated() {
        await bed.formed(3, 1);
        const old = bed.named("r2").id;
        await bed.pool.call("r2", "CLUSTER", "RESET", "HARD");
        assert.notEqual(bed.named("r2").id, old);
        return old;
    }

    it("forgets the old id of a node recreated empty on every planned node", async () => {
        const old = await recreated();
        assert.ok(bed.knowing(old).length > 0);
        await forgetGhosts(bed.pool, bed.spec(planOf(3, 1)), bed.deadline(), bed.record);
        assert.deepEqual(bed.knowing(old), []);
        assert.match(bed.log.join("\n"), new RegExp(`forgetting 1 departed node id\\(s\\): ${old.slice(0, 8)}`));
    });

    it("run again, forgets nothing more and logs nothing", async () => {
        await recreated();
        await forgetGhosts(bed.pool, bed.spec(planOf(3, 1)), bed.deadline(), bed.record);
        bed.mark();
        bed.log.length = 0;
        await forgetGhosts(bed.pool, bed.spec(planOf(3, 1)), bed.deadline(), bed.record);
        assert.deepEqual([bed.steps(), bed.log], [[], []]);
    });

    it("stops naming a planned node that does not answer, forgetting nobody (it is not gone: the cluster marks it failed)", async () => {
        const old = await recreated();
        const silent = bed.named("r3");
        silent.down = true;
        await assert.rejects(forgetGhosts(bed.pool, bed.spec(planOf(3, 1)), bed.deadline(), bed.record), /r3 \(127\.0\.0\.1:\d+\): CLUSTER NODES: Connection is closed/);
        assert.deepEqual(bed.steps(), ["r2: CLUSTER RESET"]);
        assert.ok(bed.knowing(silent.id).length > 0 && bed.knowing(old).length > 0);
    });

    it("stops naming a planned node that is loading, forgetting nobody", async () => {
        await recreated();
        bed.named("m3").loadingUntil = Date.now() + 60000;
        bed.mark();
        await assert.rejects(forgetGhosts(bed.pool, bed.spec(planOf(3, 1)), bed.deadline(), bed.record), /m3 \(127\.0\.0\.1:\d+\): CLUSTER NODES: LOADING/);
        assert.deepEqual(bed.steps(), []);
    });
});
