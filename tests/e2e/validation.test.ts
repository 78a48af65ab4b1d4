// Bad input fails at preview, with a message naming the key, before anything exists.
import { strict as assert } from "assert";
import "../support/env";
import { stackObjects } from "../support/docker";
import { TestStack, createTestStack } from "../support/stack";

const PREFIX = "e2e-c";

const cases: [string, Record<string, string>, RegExp][] = [
    ["too few shards", { shards: "2" }, /redis-cluster:shards must be at least 3 \(got 2\)/],
    ["a subnet that is not a CIDR", { subnet: "10.203.0.0" }, /redis-cluster:subnet "10\.203\.0\.0" is not an IPv4 CIDR/],
    ["a gateway outside the subnet", { subnet: "10.203.0.0/24", gateway: "10.204.0.1" }, /redis-cluster:gateway 10\.204\.0\.1 is not a usable address/],
    ["a subnet too small for the nodes", { subnet: "10.203.0.0/29" }, /redis-cluster:subnet 10\.203\.0\.0\/29 is too small/],
    ["host ports out of range", { hostPortBase: "65534" }, /redis-cluster:hostPortBase 65534 leaves no room/],
    ["a zero node timeout", { nodeTimeoutMs: "0" }, /redis-cluster:nodeTimeoutMs must be at least 1/],
    ["a host with another scheme and a loopback address", { hosts: JSON.stringify([{ name: "h1", docker: "http://10.0.0.1:2375", address: "127.0.0.1" }]) }, /redis-cluster:hosts\[0\]\.docker "http:\/\/10\.0\.0\.1:2375" is not a Docker endpoint[\s\S]*redis-cluster:hosts\[0\]\.address 127\.0\.0\.1 is not reachable from other hosts/],
];

describe("invalid configuration", function () {
    this.timeout(10 * 60 * 1000);
    let t: TestStack;

    before(async () => {
        t = await createTestStack(PREFIX, { namePrefix: PREFIX, subnet: "10.203.0.0/24", hostPortBase: "0" });
    });
    after(async () => {
        await t?.destroyAndRemove();
    });

    for (const [what, config, message] of cases) {
        it(`rejects ${what} at preview and creates nothing`, async () => {
            await t.stack.setAllConfig(Object.fromEntries(Object.entries(config).map(([k, v]) => [`redis-cluster:${k}`, { value: v }])));
            try {
                await assert.rejects(t.stack.preview(), (err: Error) => {
                    assert.match(err.message, message);
                    assert.match(err.message, /Invalid configuration, nothing was created/);
                    return true;
                });
                assert.deepEqual(stackObjects(t.name), { containers: [], networks: [], volumes: [] });
            } finally {
                for (const key of Object.keys(config)) await t.stack.removeConfig(`redis-cluster:${key}`);
                await t.stack.setAllConfig({ "redis-cluster:subnet": { value: "10.203.0.0/24" } });
            }
        });
    }

    it("rejects a restoreMode it does not know at preview, naming the key, and creates nothing", async () => {
        await t.stack.setConfig("redis-cluster:restoreMode", { value: "sometimes" });
        try {
            await assert.rejects(t.stack.preview(), (err: Error) => {
                assert.match(err.message, /redis-cluster:restoreMode must be one of empty, merge, replace \(got "sometimes"\)/);
                assert.match(err.message, /Invalid configuration, nothing was created/);
                return true;
            });
            assert.deepEqual(stackObjects(t.name), { containers: [], networks: [], volumes: [] });
        } finally {
            await t.stack.removeConfig("redis-cluster:restoreMode");
        }
    });

    it("rejects bad limits, persistence and redisConfig at preview, every problem in one message, and creates nothing", async () => {
        const bad = {
            "redis-cluster:memory": { value: "256m" },
            "redis-cluster:maxmemory": { value: "300mb" },
            "redis-cluster:maxmemoryPolicy": { value: "lru-ish" },
            "redis-cluster:persistence": { value: "rdb" },
            "redis-cluster:save": { value: "60" },
            "redis-cluster:redisConfig.port": { value: "7000" },
            "redis-cluster:redisConfig.tcp-backlog": { value: "lots" },
        };
        await t.stack.setAllConfig(bad, true);
        try {
            await assert.rejects(t.stack.preview(), (err: Error) => {
                assert.match(err.message, /redis-cluster:maxmemory 300m is not below redis-cluster:memory 256m/);
                assert.match(err.message, /redis-cluster:maxmemoryPolicy "lru-ish" is not one of/);
                assert.match(err.message, /redis-cluster:save "60" is not a snapshot schedule/);
                assert.match(err.message, /redis-cluster:redisConfig\.port: port is decided by the stack itself/);
                assert.match(err.message, /redis-cluster:redisConfig\.tcp-backlog: "lots" is not a backlog length/);
                assert.match(err.message, /Invalid configuration, nothing was created/);
                return true;
            });
            assert.deepEqual(stackObjects(t.name), { containers: [], networks: [], volumes: [] });
        } finally {
            await t.stack.removeAllConfig(Object.keys(bad), true);
        }
    });

    it("rejects bad metrics, Prometheus and alert settings at preview, every problem in one message, the webhook URL not quoted, and creates nothing", async () => {
        const bad = {
            "redis-cluster:metrics": { value: "true" },
            "redis-cluster:exporterImage": { value: "an image" },
            "redis-cluster:prometheus": { value: "true" },
            "redis-cluster:prometheusPort": { value: "70000" },
            "redis-cluster:scrapeInterval": { value: "500ms" },
            "redis-cluster:alertFor": { value: "soon" },
            "redis-cluster:alertWebhookUrl": { value: "ftp://hook-token-x81@example.invalid", secret: true },
        };
        await t.stack.setAllConfig(bad);
        try {
            await assert.rejects(t.stack.preview(), (err: Error) => {
                assert.match(err.message, /redis-cluster:exporterImage "an image" is not an image reference/);
                assert.match(err.message, /redis-cluster:prometheusPort must be a port from 1 to 65535 \(got "70000"\)/);
                assert.match(err.message, /redis-cluster:scrapeInterval "500ms" is not a duration/);
                assert.match(err.message, /redis-cluster:alertFor "soon" is not a duration/);
                assert.match(err.message, /redis-cluster:alertWebhookUrl is not an http:\/\/ or https:\/\/ URL/);
                assert.doesNotMatch(err.message, /hook-token-x81/);
                assert.match(err.message, /Invalid configuration, nothing was created/);
                return true;
            });
            assert.deepEqual(stackObjects(t.name), { containers: [], networks: [], volumes: [] });
        } finally {
            await t.stack.removeAllConfig(Object.keys(bad));
        }
    });

    it("warns about, but accepts, a subnet outside the private ranges", async () => {
        await t.stack.setConfig("redis-cluster:subnet", { value: "172.38.0.0/16" });
        const result = await t.stack.preview();
        assert.match(result.stdout, /redis-cluster:subnet 172\.38\.0\.0\/16 is outside the private ranges/);
        // The stack, the cluster component, change guard, network, image and bootstrap; per node its
        // component, volume, container and rollout gate.
        assert.equal(result.changeSummary.create, 6 + 6 * 4);
        assert.deepEqual(stackObjects(t.name), { containers: [], networks: [], volumes: [] });
    });
});
