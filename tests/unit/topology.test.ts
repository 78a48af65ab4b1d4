import { strict as assert } from "assert";
import { assess, describeShards, formatOpenSlot, parseClusterNodes, slotOwnership, NodeReport } from "../../components/planning/topology";

// CLUSTER NODES as node 10.38.0.11 printed it after a failover of its first master.
const AFTER_FAILOVER = `
aaa1 10.38.0.11:6379@16379 master,fail - 1700000000000 1700000000000 1 disconnected
bbb2 10.38.0.12:6379@16379 myself,master - 0 1700000000000 2 connected 5461-10922
ccc3 10.38.0.13:6379@16379 master - 0 1700000000000 3 connected 10923-16383
ddd4 10.38.0.14:6379@16379 master - 0 1700000000000 7 connected 0-5460
eee5 10.38.0.15:6379@16379 slave bbb2 0 1700000000000 2 connected
fff6 10.38.0.16:6379@16379 slave ccc3 0 1700000000000 3 connected
`;

const names = (ip: string) => `redis-${Number(ip.split(".")[3]) - 10}`;

describe("topology", () => {
    it("parses CLUSTER NODES lines, including open slots", () => {
        const [line] = parseClusterNodes("abc 10.0.0.2:6379@16379,redis-2 myself,master - 0 0 1 connected 0-10 12 [13->-def]");
        assert.equal(line.ip, "10.0.0.2");
        assert.equal(line.port, 6379);
        assert.deepEqual(line.slots, [
            { start: 0, end: 10 },
            { start: 12, end: 12 },
        ]);
        assert.deepEqual(line.openSlots, [{ slot: 13, state: "migrating", peer: "def" }]);
        assert.equal(formatOpenSlot(line.openSlots[0]), "[13->-def]");
    });

    it("shows a promoted replica as its shard's master, shards in slot order", () => {
        const shards = describeShards(parseClusterNodes(AFTER_FAILOVER), names);
        assert.deepEqual(
            shards.map((s) => [s.master.name, s.replicas.map((r) => r.name), s.slots, s.slotCount]),
            [
                ["redis-4", [], ["0-5460"], 5461],
                ["redis-2", ["redis-5"], ["5461-10922"], 5462],
                ["redis-3", ["redis-6"], ["10923-16383"], 5461],
            ],
        );
    });

    it("compares slot maps independently of line order", () => {
        const lines = parseClusterNodes(AFTER_FAILOVER);
        assert.equal(slotOwnership(lines), slotOwnership([...lines].reverse()));
        assert.notEqual(slotOwnership(lines), slotOwnership(lines.slice(1, 3)));
    });

    const fresh = (i: number, keys = 0): NodeReport => ({
        name: `redis-${i}`,
        ip: `10.38.0.${10 + i}`,
        port: 6379,
        keys,
        view: parseClusterNodes(`id${i} 10.38.0.${10 + i}:6379@16379 myself,master - 0 0 0 connected`),
    });

    it("treats nodes that know nobody as a fresh cluster", () => {
        assert.deepEqual(assess([1, 2, 3].map((i) => fresh(i))), { kind: "fresh" });
    });

    it("joins empty strangers to a formed cluster", () => {
        const member = (i: number): NodeReport => ({
            ...fresh(i),
            view: parseClusterNodes(AFTER_FAILOVER.replace("myself,", "").replace(`10.38.0.${10 + i}:6379@16379 `, `10.38.0.${10 + i}:6379@16379 myself,`)),
        });
        assert.deepEqual(assess([fresh(1), ...[2, 3, 4, 5, 6].map(member)]), { kind: "formed", joining: ["redis-1"], departing: [] });
    });

    it("refuses nodes of another cluster and keys on a node outside the cluster", () => {
        const foreign: NodeReport = {
            ...fresh(2),
            view: parseClusterNodes("id2 10.38.0.12:6379@16379 myself,master - 0 0 1 connected 0-100\nzz 10.77.0.5:6379@16379 master - 0 0 2 connected"),
        };
        const verdict = assess([fresh(1, 42), foreign, fresh(3)]);
        assert.equal(verdict.kind, "refuse");
        const reasons = verdict.kind === "refuse" ? verdict.reasons.join("\n") : "";
        assert.match(reasons, /redis-2 \(10\.38\.0\.12:6379\) belongs to another cluster: it knows 10\.77\.0\.5:6379/);
        assert.match(reasons, /redis-1 \(10\.38\.0\.11:6379\) is not in the cluster but holds 42 keys/);
    });
});
