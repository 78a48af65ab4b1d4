import { strict as assert } from "assert";
import * as net from "net";
import { ensureCluster } from "../../components/engine/cluster";
import { FakeRedis, infoText } from "../support/fakeRedis";

describe("the engine when a planned node does not answer", () => {
    it("stops within its deadline naming the node, its address and why, and sends nothing but probes to the others", async () => {
        const alive = await new FakeRedis(([name]) => (name === "PING" ? { status: "PONG" } : name === "INFO" ? infoText({ loading: 0 }) : new Error(`ERR unexpected ${name}`))).start();
        // A port where nothing listens.
        const closed = await new Promise<number>((resolve) => {
            const s = net.createServer().listen(0, "127.0.0.1", () => {
                const port = (s.address() as net.AddressInfo).port;
                s.close(() => resolve(port));
            });
        });
        const nodes = [
            { name: "n-1", ip: "127.0.0.1", port: alive.port },
            { name: "n-2", ip: "127.0.0.1", port: closed },
        ];
        const started = Date.now();
        try {
            await assert.rejects(
                ensureCluster({ nodes, shards: [{ master: "n-1", replicas: ["n-2"], slots: ["0-16383"] }], replicasPerShard: 1, nodeTimeoutMs: 5000, users: [], access: {}, timeoutMs: 2000 }, () => undefined),
                new RegExp(`timed out while waiting for nodes to answer PING \\(1/2 reachable; not answering: n-2 \\(127\\.0\\.0\\.1:${closed}\\): .*ECONNREFUSED`),
            );
        } finally {
            await alive.close();
        }
        assert.ok(Date.now() - started < 15000, "the wait is bounded");
        // ioredis names itself on connect (CLIENT SETINFO); everything else must be a probe.
        const sent = alive.received.filter((c) => !["PING", "INFO"].includes(c[0]) && !(c[0] === "CLIENT" && c[1]?.toUpperCase() === "SETINFO"));
        assert.deepEqual(sent, [], "a command that changes something was sent");
    });
});
