import { strict as assert } from "assert";
import fc from "fast-check";
import { hostLossProblem, hostLossRisk, safeShardCounts } from "../../components/planning/quorum";
import { placeNodes } from "../../components/planning/placement";

const key = (k: string) => `redis-cluster:${k}`;
/** The host of each master (nodes 1..shards) of a new cluster, as the planner places it. */
const masterHostsOf = (shards: number, replicas: number, hosts: number) =>
    placeNodes(shards * (replicas + 1), hosts, replicas)
        .slice(0, shards)
        .map((h) => `h${h + 1}`);

describe("surviving the loss of one host (a majority of masters must remain to promote replicas)", () => {
    it("finds a risk exactly when some host runs half of the masters or more", () => {
        fc.assert(
            fc.property(fc.array(fc.integer({ min: 1, max: 6 }), { minLength: 1, maxLength: 40 }), (hostNumbers) => {
                const masterHosts = hostNumbers.map((h) => `h${h}`);
                const most = Math.max(...[...new Set(masterHosts)].map((h) => masterHosts.filter((m) => m === h).length));
                const risk = hostLossRisk(masterHosts);
                const expected = masterHosts.length > 1 && most * 2 >= masterHosts.length;
                assert.equal(risk !== undefined, expected, JSON.stringify({ masterHosts, risk }));
                if (risk !== undefined) {
                    assert.equal(risk.masters, most);
                    assert.equal(risk.of, masterHosts.length);
                    assert.equal(masterHosts.filter((m) => m === risk.host).length, most);
                }
            }),
        );
    });

    it("names shard counts that a new cluster places safely, and skips none between", () => {
        fc.assert(
            fc.property(fc.integer({ min: 1, max: 8 }), fc.integer({ min: 1, max: 60 }), fc.integer({ min: 0, max: 3 }), (hosts, from, replicas) => {
                const counts = safeShardCounts(hosts, from);
                if (hosts < 3) {
                    assert.deepEqual(counts, []);
                    // With one or two hosts some host always runs half the masters or more.
                    for (let s = 2; s <= 12; s++) assert.ok(hostLossRisk(masterHostsOf(s, replicas, hosts)) !== undefined, `${s} shards on ${hosts}`);
                    return;
                }
                assert.equal(counts.length, 2);
                for (const s of counts) assert.equal(hostLossRisk(masterHostsOf(s, replicas, hosts)), undefined, `${s} shards on ${hosts} hosts`);
                for (let s = Math.max(3, from); s < counts[1]; s++) {
                    if (!counts.includes(s)) assert.ok(hostLossRisk(masterHostsOf(s, replicas, hosts)) !== undefined, `${s} shards on ${hosts} hosts skipped`);
                }
            }),
        );
    });

    it("refuses 4 shards on 3 hosts and 3 on 2, naming the host, the safe counts and the opt-in; accepts 3 on 3 and any cluster without replicas", () => {
        const four = hostLossProblem(masterHostsOf(4, 1, 3), 3, 1, key);
        assert.match(four ?? "", /host "h1" would run 2 of the 4 masters/);
        assert.match(four ?? "", /5 or 6 shards on 3 hosts/);
        assert.match(four ?? "", /redis-cluster:allowHostLossOutage/);
        assert.match(hostLossProblem(masterHostsOf(3, 1, 2), 2, 1, key) ?? "", /use 3 hosts or more/);
        assert.equal(hostLossProblem(masterHostsOf(3, 1, 3), 3, 1, key), undefined);
        assert.equal(hostLossProblem(masterHostsOf(4, 0, 3), 3, 0, key), undefined);
    });
});
