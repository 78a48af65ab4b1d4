// scripts/test-hosts.sh: Docker hosts on this machine (network namespaces, one dockerd each), the
// ground the multi-host suites stand on. Checked from this machine's own namespace, as a client would.
import { strict as assert } from "assert";
import { execFileSync } from "child_process";
import * as fs from "fs";
import { Redis } from "ioredis";
import { eventually } from "../support/redis";
import { testHostCertPath, testHosts } from "../support/testHosts";
import { preparedImage } from "../../scripts/preparedImage";

const hosts = [1, 2, 3];
const address = (i: number) => `10.77.0.${10 + i}`;
const engine = (i: number, ...args: string[]) =>
    execFileSync("docker", ["-H", `unix:///run/rch-${i}.sock`, ...args], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] }).trim();

async function ping(i: number): Promise<string> {
    const client = new Redis({ host: address(i), port: 7001, lazyConnect: true, connectTimeout: 1000, maxRetriesPerRequest: 0, retryStrategy: () => null });
    client.on("error", () => undefined);
    try {
        await client.connect();
        return await client.ping();
    } catch (err) {
        return String((err as Error).message);
    } finally {
        client.disconnect();
    }
}

describe("test hosts on this machine (scripts/test-hosts.sh)", function () {
    this.timeout(5 * 60 * 1000);

    before(() => {
        testHosts("down");
        testHosts("up", String(hosts.length));
    });
    after(() => {
        testHosts("down");
    });

    it("runs one engine per host, each with the Redis image, serving a published port on the host's address", async () => {
        assert.deepEqual(testHosts("env", "2").trim().split("\n"), ["HOST_ADDR=10.77.0.12", "DOCKER_HOST=unix:///run/rch-2.sock"]);
        const ids = new Set<string>();
        for (const i of hosts) {
            ids.add(engine(i, "info", "-f", "{{.DockerRootDir}}"));
            assert.ok(engine(i, "image", "inspect", "-f", "{{.Id}}", preparedImage()).startsWith("sha256:"));
            engine(i, "run", "-d", "--name", "probe", "--restart", "unless-stopped", "-p", `${address(i)}:7001:6379`, preparedImage(), "redis-server", "--protected-mode", "no");
        }
        assert.equal(ids.size, hosts.length, "every host has an engine (and data root) of its own");
        for (const i of hosts) assert.equal(await eventually(`PONG from host ${i}`, 10000, async () => ((await ping(i)) === "PONG" ? "PONG" : undefined)), "PONG");
        // Hosts reach each other too: a container on host 1 talks to host 2's published port.
        assert.equal(engine(1, "exec", "probe", "redis-cli", "-h", address(2), "-p", "7001", "ping"), "PONG");
        // As a remote engine: tcp://<address>:2376 over TLS, only for a client with the tests' certificate.
        const certs = testHostCertPath();
        const overTls = (...tls: string[]) => execFileSync("docker", [...tls, "-H", `tcp://${address(3)}:2376`, "info", "-f", "{{.DockerRootDir}}"], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] }).trim();
        assert.equal(overTls("--tlsverify", "--tlscacert", `${certs}/ca.pem`, "--tlscert", `${certs}/cert.pem`, "--tlskey", `${certs}/key.pem`), engine(3, "info", "-f", "{{.DockerRootDir}}"));
        assert.throws(() => overTls("--tlsverify", "--tlscacert", `${certs}/ca.pem`), /certificate|tls|bad/i, "the engine served a client without a certificate");
        // Idempotent: a second `up` keeps what runs.
        testHosts("up", String(hosts.length));
        assert.equal(await ping(1), "PONG");
    });

    it("loses a host with its containers and brings it back with them, the others untouched", async () => {
        testHosts("stop", "2");
        assert.notEqual(await ping(2), "PONG");
        assert.equal(await ping(1), "PONG");
        assert.equal(await ping(3), "PONG");
        testHosts("start", "2");
        assert.equal(await eventually("host 2's container to restart with its host", 20000, async () => ((await ping(2)) === "PONG" ? "PONG" : undefined)), "PONG");
    });

    it("removes every host, mount and daemon it made, and nothing else", () => {
        testHosts("down");
        assert.doesNotMatch(execFileSync("ip", ["netns", "list"], { encoding: "utf8" }), /\brch\d+\b/);
        assert.doesNotMatch(fs.readFileSync("/proc/mounts", "utf8"), /rch-\d|redis-cluster-test-hosts/);
        assert.ok(!fs.existsSync(testHostCertPath()), "the test hosts' certificates are left");
        assert.ok(!fs.readdirSync("/run").some((f) => /^rch-\d/.test(f)), "a socket, pidfile or exec root is left in /run");
        assert.doesNotMatch(execFileSync("ps", ["-eo", "args"], { encoding: "utf8" }), /dockerd .*rch-\d/);
        assert.doesNotMatch(execFileSync("iptables", ["-S", "FORWARD"], { encoding: "utf8" }), /rcbr0/);
        // The machine's own engine still runs.
        assert.ok(execFileSync("docker", ["info", "-f", "{{.ID}}"], { encoding: "utf8" }).trim().length > 0);
    });
});
