import { strict as assert } from "assert";
import fc from "fast-check";
import { clusterNodesLine, formatLine, readClusterNodes } from "../support/clusterNodes";

const M1 = "e7d1eecce10fd6bb5eb35b9f99a514335d9ba9ca";
const M2 = "292f8b365bb7edb5e285caf0b7e6ddc7265d2f4f";

describe("the tests' own CLUSTER NODES reader", () => {
    it("reads a master's own line with its hostname, single slots and a migrating marker", () => {
        const [line] = readClusterNodes(`${M1} 10.0.0.2:6379@16379,redis-2 myself,master - 0 0 1 connected 0-10 12 [13->-${M2}]\n`);
        assert.deepEqual(line, {
            id: M1,
            endpoint: "10.0.0.2:6379",
            ip: "10.0.0.2",
            port: 6379,
            busPort: 16379,
            hostname: "redis-2",
            flags: ["myself", "master"],
            myself: true,
            master: true,
            replica: false,
            failed: false,
            configEpoch: 1,
            linkState: "connected",
            slots: ["0-10", "12", `[13->-${M2}]`],
            owned: [
                { start: 0, end: 10 },
                { start: 12, end: 12 },
            ],
        });
    });

    it("reads a replica, and the trailing comma Redis 7.0 prints when no hostname is set", () => {
        const [line] = readClusterNodes(`${M2} 10.0.0.5:7102@17102, slave ${M1} 0 1700000001234 1 connected`);
        assert.equal(line.endpoint, "10.0.0.5:7102");
        assert.equal(line.busPort, 17102);
        assert.ok(!("hostname" in line));
        assert.deepEqual([line.replica, line.master, line.myself, line.failed], [true, false, false, false]);
        assert.equal(line.masterId, M1);
        assert.deepEqual([line.slots, line.owned], [[], []]);
    });

    it("counts fail and fail? as failed, but not nofailover; an importing marker owns nothing", () => {
        const view = readClusterNodes(
            [
                `${M1} 10.0.0.4:6379@16379 master,fail - 1700000000100 1700000000000 3 disconnected 10923-16383`,
                `${M2} 10.0.0.6:6379@16379 slave,fail? ${M1} 1700000000100 0 3 connected`,
                `aa01 10.0.0.7:6379@16379 slave,nofailover ${M1} 0 0 3 connected`,
                `aa02 10.0.0.8:6379@16379 myself,master - 0 0 4 connected [5-<-${M1}]`,
            ].join("\n"),
        );
        assert.deepEqual(
            view.map((n) => n.failed),
            [true, true, false, false],
        );
        assert.equal(view[0].linkState, "disconnected");
        assert.deepEqual(view[0].owned, [{ start: 10923, end: 16383 }]);
        assert.deepEqual([view[3].slots, view[3].owned], [[`[5-<-${M1}]`], []]);
    });

    it("refuses a line it cannot read instead of guessing", () => {
        assert.throws(() => readClusterNodes(`${M1} 10.0.0.2:6379 master - 0 0 1 connected`), /ip:port@busport/);
        assert.throws(() => readClusterNodes(`${M1} 10.0.0.2:6379@16379 master -`), /fewer than 8 fields/);
        assert.throws(() => readClusterNodes(`${M1} 10.0.0.2:6379@16379 master - 0 0 1 connected 5-x`), /slot range/);
    });

    it("reads back any node table printed as CLUSTER NODES", () => {
        fc.assert(
            fc.property(fc.array(clusterNodesLine(), { maxLength: 8 }), (table) => {
                assert.deepEqual(readClusterNodes(table.map(formatLine).join("\n") + "\n"), table);
            }),
        );
    });
});
