import { strict as assert } from "assert";
import fc from "fast-check";
import { ClusterNodesLine, readClusterNodes } from "../support/clusterNodes";

const M1 = "e7d1eecce10fd6bb5eb35b9f99a514335d9ba9ca";
const M2 = "292f8b365bb7edb5e285caf0b7e6ddc7265d2f4f";

/** A line as Redis 7 prints it: "ip:port@bus[,hostname]", flags, master or "-", ping, pong, epoch, link, slots. */
function formatLine(n: ClusterNodesLine): string {
    const address = `${n.ip}:${n.port}@${n.busPort}${n.hostname === undefined ? "" : `,${n.hostname}`}`;
    return [n.id, address, n.flags.join(","), n.masterId ?? "-", 0, 1700000000000, n.configEpoch, n.linkState, ...n.slots].join(" ");
}

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
        const id = fc.stringMatching(/^[0-9a-f]{40}$/);
        const slot = fc.integer({ min: 0, max: 16383 });
        const range = fc.tuple(slot, slot).map(([a, b]) => ({ start: Math.min(a, b), end: Math.max(a, b) }));
        const marker = fc.tuple(slot, fc.constantFrom("->-", "-<-"), id).map(([s, dir, peer]) => `[${s}${dir}${peer}]`);
        const node: fc.Arbitrary<ClusterNodesLine> = fc
            .record({
                id,
                ip: fc.oneof(fc.ipV4(), fc.ipV6()),
                port: fc.integer({ min: 1, max: 65535 }),
                busPort: fc.integer({ min: 1, max: 65535 }),
                hostname: fc.option(fc.stringMatching(/^[a-z][a-z0-9.-]{0,15}$/), { nil: undefined }),
                myself: fc.boolean(),
                replicaOf: fc.option(id, { nil: undefined }),
                fail: fc.constantFrom(undefined, "fail", "fail?"),
                nofailover: fc.boolean(),
                configEpoch: fc.nat(),
                linkState: fc.constantFrom("connected", "disconnected"),
                owned: fc.array(range, { maxLength: 4 }),
                markers: fc.array(marker, { maxLength: 2 }),
            })
            .map((r) => {
                const replica = r.replicaOf !== undefined;
                const flags = [...(r.myself ? ["myself"] : []), replica ? "slave" : "master", ...(r.fail ? [r.fail] : []), ...(r.nofailover ? ["nofailover"] : [])];
                // Only a master owns slots; a replica's line ends after the link state.
                const owned = replica ? [] : r.owned;
                const slots = replica ? [] : [...owned.map((o) => (o.start === o.end ? `${o.start}` : `${o.start}-${o.end}`)), ...r.markers];
                return {
                    id: r.id,
                    endpoint: `${r.ip}:${r.port}`,
                    ip: r.ip,
                    port: r.port,
                    busPort: r.busPort,
                    ...(r.hostname === undefined ? {} : { hostname: r.hostname }),
                    flags,
                    myself: r.myself,
                    master: !replica,
                    replica,
                    failed: r.fail !== undefined,
                    ...(r.replicaOf === undefined ? {} : { masterId: r.replicaOf }),
                    configEpoch: r.configEpoch,
                    linkState: r.linkState,
                    slots,
                    owned,
                };
            });
        fc.assert(
            fc.property(fc.array(node, { maxLength: 8 }), (table) => {
                assert.deepEqual(readClusterNodes(table.map(formatLine).join("\n") + "\n"), table);
            }),
        );
    });
});
