import { strict as assert } from "assert";
import calculateSlot from "cluster-key-slot";
import { FAILOVER_RETRY_MS, bestHeir, failOver, mastersBackToPlannedHosts } from "../../../components/engine/steps/failover";
import { KEY_NAMES } from "../../support/fakePlans";
import { stepBed } from "../../support/stepBed";

describe("step: failover", function () {
    this.timeout(30000);
    const bed = stepBed();

    it("fails a master over to its replica: the replica leads with every key, the master replicates it", async () => {
        await bed.formed(3, 1);
        const [m1, r1] = [bed.named("m1"), bed.named("r1")];
        await failOver(bed.pool, bed.address("r1"), bed.address("m1"), bed.deadline());
        assert.deepEqual([r1.role, m1.masterId], ["master", r1.id]);
        assert.equal(r1.keys.size, KEY_NAMES.filter((k) => bed.cluster.owner[calculateSlot(k)] === r1.id).length);
    });

    it("run again once the replica leads (a resumed run), returns at once and asks nothing", async () => {
        await bed.formed(3, 1);
        await failOver(bed.pool, bed.address("r1"), bed.address("m1"), bed.deadline());
        bed.mark();
        await failOver(bed.pool, bed.address("r1"), bed.address("m1"), bed.deadline(1500));
        assert.deepEqual(bed.steps(), []);
        assert.equal(bed.named("r1").role, "master");
    });

    it("asks again for a failover Redis abandoned, and ends with the roles swapped", async () => {
        await bed.formed(3, 1);
        bed.cluster.abandonFailovers = 1;
        await failOver(bed.pool, bed.address("r1"), bed.address("m1"), bed.deadline(FAILOVER_RETRY_MS + 5000));
        assert.deepEqual(bed.steps(), ["r1: CLUSTER FAILOVER", "r1: CLUSTER FAILOVER"]);
        assert.equal(bed.named("m1").masterId, bed.named("r1").id);
    });

    it("stops at the deadline naming both when the master does not answer, the replica still a replica", async () => {
        await bed.formed(3, 1);
        bed.named("m2").down = true;
        await assert.rejects(failOver(bed.pool, bed.address("r2"), bed.address("m2"), bed.deadline(1500)), /r2 to take over from m2/);
        assert.equal(bed.named("r2").role, "slave");
    });

    it("chooses as heir only a replica that answers, in sync", async () => {
        await bed.formed(3, 1);
        const view = await bed.pool.view("m1");
        assert.equal((await bestHeir(bed.pool, view, view.byId(bed.named("m1").id)!))?.id, bed.named("r1").id);
        bed.named("r1").down = true;
        await bed.connect();
        assert.equal(await bestHeir(bed.pool, view, view.byId(bed.named("m1").id)!), undefined);
    });

    describe("masters back on their planned hosts", () => {
        /** Shard masters on hosts a, b, c; each replica on the next host. r1 (host b) took over from m1 (host a). */
        async function hostLostAndBack() {
            await bed.formed(3, 1);
            const hosts: Record<string, string> = { m1: "a", m2: "b", m3: "c", r1: "b", r2: "c", r3: "a" };
            await failOver(bed.pool, bed.address("r1"), bed.address("m1"), bed.deadline());
            const spec = bed.spec(undefined, [], 5000);
            return { ...spec, nodes: Object.keys(hosts).map((name) => ({ ...bed.address(name), host: hosts[name] })), shards: ["m1", "m2", "m3"].map((master) => ({ master })) };
        }

        it("hands a shard back to its replica on the host short of a master", async () => {
            const plan = await hostLostAndBack();
            assert.equal(await mastersBackToPlannedHosts(bed.pool, plan, bed.deadline(), bed.record), 1);
            assert.deepEqual([bed.named("m1").role, bed.named("r1").masterId], ["master", bed.named("m1").id]);
            assert.match(bed.log.join("\n"), /host "b" runs more masters than the plan gives it/);
        });

        it("run again, moves nothing", async () => {
            const plan = await hostLostAndBack();
            await mastersBackToPlannedHosts(bed.pool, plan, bed.deadline(), bed.record);
            bed.mark();
            assert.equal(await mastersBackToPlannedHosts(bed.pool, plan, bed.deadline(), bed.record), 0);
            assert.deepEqual(bed.steps(), []);
        });

        it("leaves a shard whose heir does not answer where it is", async () => {
            const plan = await hostLostAndBack();
            bed.named("m1").down = true;
            await bed.connect();
            assert.equal(await mastersBackToPlannedHosts(bed.pool, plan, bed.deadline(), bed.record), 0);
            assert.equal(bed.named("r1").role, "master");
        });
    });
});
