import { strict as assert } from "assert";
import { parseClusterNodes } from "../../components/planning/topology";
import { NodeSample, judge, render } from "../../scripts/status/health";
import { renderWarnings, startupWarnings } from "../../scripts/status/warnings";

const VIEW = `
a1 10.0.0.11:6379@16379 myself,master - 0 0 1 connected 0-5460
b2 10.0.0.12:6379@16379 master - 0 0 2 connected 5461-10922
c3 10.0.0.13:6379@16379 master - 0 0 3 connected 10923-16383
d4 10.0.0.14:6379@16379 slave a1 0 0 1 connected
e5 10.0.0.15:6379@16379 slave b2 0 0 2 connected
f6 10.0.0.16:6379@16379 slave c3 0 0 3 connected`;

const sample = (i: number, over: Partial<NodeSample> = {}): NodeSample => ({
    name: `redis-${i}`,
    address: `10.0.0.${10 + i}:6379`,
    clusterState: "ok",
    role: i <= 3 ? "master" : "slave",
    masterLinkStatus: i <= 3 ? undefined : "up",
    keys: 10,
    usedMemory: "1M",
    view: parseClusterNodes(VIEW),
    ...over,
});

describe("status verdict", () => {
    it("calls a full, synced cluster healthy and renders every shard", () => {
        const samples = [1, 2, 3, 4, 5, 6].map((i) => sample(i));
        const health = judge(samples, 1);
        assert.deepEqual(health, { healthy: true, problems: [] });
        const text = render(samples, health);
        assert.match(text, /shard 1 {2}slots 0-5460 \(5461\)/);
        assert.match(text, /replica redis-4 +10\.0\.0\.14:6379 +d4 +keys 10, mem 1M link up/);
        assert.match(text, /^HEALTHY/m);
    });

    it("lists every problem: a silent node, a broken link, a failed master", () => {
        const failed = VIEW.replace("b2 10.0.0.12:6379@16379 master", "b2 10.0.0.12:6379@16379 master,fail");
        const samples = [1, 2, 3, 4, 5, 6].map((i) => sample(i, { view: parseClusterNodes(failed) }));
        samples[1] = { name: "redis-2", address: "10.0.0.12:6379", error: "connect ECONNREFUSED" };
        samples[4] = sample(5, { masterLinkStatus: "down", clusterState: "fail", view: parseClusterNodes(failed) });
        const health = judge(samples, 1);
        assert.equal(health.healthy, false);
        assert.deepEqual(health.problems, [
            "redis-2 (10.0.0.12:6379) does not answer: connect ECONNREFUSED",
            "redis-5 reports cluster_state:fail",
            "redis-5 is a replica whose link to its master is down",
            "10.0.0.12:6379 (b2) is marked fail by the cluster",
        ]);
        assert.match(render(samples, health), /DOWN/);
    });

    it("flags slots without a master", () => {
        const gap = VIEW.replace("0-5460", "1-5460");
        const health = judge([sample(1, { view: parseClusterNodes(gap) })], 0);
        assert.match(health.problems.join("\n"), /redis-1 sees slots 0 without a master/);
    });
});

describe("Redis's own warnings at a node's start, from its log", () => {
    const log = (start: string, ...lines: string[]) => [`1:C 07 Dec 2026 03:00:40.914 # oO0OoO0OoO0Oo Redis is starting oO0OoO0OoO0Oo`, start, ...lines].join("\n");
    const overcommit = "1:M 07 Dec 2026 03:00:40.977 # WARNING Memory overcommit must be enabled! Without it, a background save may fail.";
    const thp = "1:M 07 Dec 2026 03:00:40.977 # WARNING you have Transparent Huge Pages (THP) support enabled in your kernel.";

    it("reads only the last start's warnings, without their prefixes", () => {
        const twice = log("1:C # Configuration loaded", thp) + "\n" + log("1:C # Configuration loaded", overcommit, "1:M * Ready to accept connections");
        assert.deepEqual(startupWarnings(twice), ["Memory overcommit must be enabled! Without it, a background save may fail."]);
        assert.deepEqual(startupWarnings(""), []);
    });

    it("names the nodes of each distinct warning, or every node, and says nothing without any", () => {
        const lines = renderWarnings([
            { node: "redis-1", warnings: startupWarnings(log("", overcommit, thp)) },
            { node: "redis-2", warnings: startupWarnings(log("", overcommit)) },
        ]);
        assert.match(lines[0], /^Redis warned when it started/);
        assert.deepEqual(lines.slice(1), ["  - every node: Memory overcommit must be enabled! Without it, a background save may fail.", "  - redis-1: you have Transparent Huge Pages (THP) support enabled in your kernel."]);
        assert.deepEqual(renderWarnings([{ node: "redis-1", warnings: [] }]), []);
    });
});
