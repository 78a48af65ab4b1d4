import { strict as assert } from "assert";
import * as net from "net";
import { makeWayForRestart } from "../../components/engine/restart";
import { PermanentError } from "../../components/engine/wait";
import { FakeRedis, Reply, infoText } from "../support/fakeRedis";

/** Loopback ports where nothing listens: nodes that do not answer. */
async function closedPorts(count: number): Promise<number[]> {
    const servers = await Promise.all(
        Array.from({ length: count }, () => new Promise<net.Server>((resolve) => { const s = net.createServer(); s.listen(0, "127.0.0.1", () => resolve(s)); })),
    );
    const ports = servers.map((s) => (s.address() as net.AddressInfo).port);
    await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
    return ports;
}

describe("a rolling gate when no node of the cluster answers", () => {
    it("stops the run naming every endpoint and why, instead of restarting as if there were no cluster", async () => {
        const ports = await closedPorts(3);
        const nodes = ports.map((port, i) => ({ name: `n-${i + 1}`, ip: "127.0.0.1", port }));
        const logs: string[] = [];
        const started = Date.now();
        await assert.rejects(
            makeWayForRestart({ entryPoints: nodes, restarting: nodes[0], access: {}, timeoutMs: 60000, unreachableAfterMs: 1500 }, (m) => logs.push(m)),
            (err: Error) => {
                assert.ok(err instanceof PermanentError);
                assert.match(err.message, /n-1 cannot be handed over: no node of the cluster answers, so nothing was restarted/);
                for (const port of ports) assert.match(err.message, new RegExp(`127\\.0\\.0\\.1:${port}\\): .*(ECONNREFUSED|closed)`));
                assert.match(err.message, /allowFullRestart true/);
                return true;
            },
        );
        assert.ok(Date.now() - started < 15000, "the wait is bounded");
        assert.deepEqual(logs, []);
    });

    it("with allowFullRestart, lets the node restart without a handover and says so", async () => {
        const ports = await closedPorts(3);
        const nodes = ports.map((port, i) => ({ name: `n-${i + 1}`, ip: "127.0.0.1", port }));
        const logs: string[] = [];
        const runId = await makeWayForRestart({ entryPoints: nodes, restarting: nodes[1], access: {}, allowFullRestart: true, timeoutMs: 60000, unreachableAfterMs: 1000 }, (m) => logs.push(m));
        assert.equal(runId, undefined);
        assert.deepEqual(logs, ["n-2: no node of the cluster answers; restarting without a handover (allowFullRestart)"]);
    });
});

describe("a rolling gate whose node must write its append-only file first", () => {
    it("stops at once, naming the node, when the rewrite fails (no disk, no memory to fork), instead of retrying until the deadline", async () => {
        let asked = false;
        const node: FakeRedis = await new FakeRedis(([name, ...args]): Reply => {
            const command = [name, ...args.map((a) => a.toLowerCase())].join(" ");
            if (name === "PING") return { status: "PONG" };
            if (command === "INFO persistence") {
                return infoText(asked ? { loading: 0, aof_enabled: 0, aof_rewrite_in_progress: 0, aof_rewrite_scheduled: 0, aof_last_bgrewrite_status: "err" } : { loading: 0, aof_enabled: 0, aof_last_bgrewrite_status: "ok" });
            }
            if (name === "INFO") return infoText({ loading: 0, role: "master", run_id: "r1" });
            if (command === "CLUSTER nodes") return `a1 127.0.0.1:${node.port}@1 myself,master - 0 0 1 connected 0-16383\n`;
            if (command === "CLUSTER info") return infoText({ cluster_state: "ok" });
            if (command === "CONFIG set appendonly yes") return (asked = true), { status: "OK" };
            return new Error(`ERR unexpected ${command}`);
        }).start();
        try {
            const nodes = [{ name: "n-1", ip: "127.0.0.1", port: node.port }];
            const started = Date.now();
            await assert.rejects(makeWayForRestart({ entryPoints: nodes, restarting: nodes[0], appendonly: true, access: {}, timeoutMs: 60000 }, () => undefined), (err: Error) => {
                assert.ok(err instanceof PermanentError, String(err));
                assert.match(err.message, /n-1 failed to write its append-only file before its restart \(aof_last_bgrewrite_status:err\), so it was not restarted/);
                return true;
            });
            assert.ok(Date.now() - started < 15000, "the wait is bounded");
            assert.ok(asked, "the rewrite was asked for");
        } finally {
            await node.close();
        }
    });
});

describe("a rolling gate whose node restarts without its append-only file", () => {
    /** A one-node cluster whose `save` is as given; returns what the gate set. */
    async function gateWithSave(save: string): Promise<string[]> {
        const set: string[] = [];
        const node: FakeRedis = await new FakeRedis(([name, ...args]): Reply => {
            const command = [name, ...args].join(" ");
            if (name === "PING") return { status: "PONG" };
            if (name === "INFO") return infoText({ loading: 0, role: "master", run_id: "r1", aof_enabled: 1 });
            if (command === "CLUSTER NODES" || command === "CLUSTER nodes") return `a1 127.0.0.1:${node.port}@1 myself,master - 0 0 1 connected 0-16383\n`;
            if (/^CLUSTER info$/i.test(command)) return infoText({ cluster_state: "ok" });
            if (command === "CONFIG GET save") return ["save", save];
            if (name === "CONFIG" && args[0] === "SET") return set.push(args.slice(1).join(" ")), { status: "OK" };
            return new Error(`ERR unexpected ${command}`);
        }).start();
        try {
            const nodes = [{ name: "n-1", ip: "127.0.0.1", port: node.port }];
            assert.equal(await makeWayForRestart({ entryPoints: nodes, restarting: nodes[0], appendonly: false, access: {}, timeoutMs: 60000 }, () => undefined), "r1");
            return set;
        } finally {
            await node.close();
        }
    }

    it("gives a node running on its AOF alone a snapshot schedule for its stop, so it comes back with all its data", async () => {
        assert.deepEqual(await gateWithSave(""), ["save 3600 1"]);
    });

    it("leaves a node that already takes snapshots alone (it saves one as it stops)", async () => {
        assert.deepEqual(await gateWithSave("3600 1 300 100 60 10000"), []);
    });
});
