// TLS for clients, replication and the cluster bus on a 3x1 cluster with a named user and a password:
// certificates made by the stack, renewed by up one node at a time under writes, and TLS turned off
// and on again only as the opted-in full restart, every key kept.
import { strict as assert } from "assert";
import * as fs from "fs";
import * as net from "net";
import * as tls from "tls";
import "../support/env";
import { docker } from "../support/docker";
import { TestStack, createTestStack, stateFile } from "../support/stack";
import { Auth, DataSet, missingFromDataSet, redisCli, withClusterClient, writeDataSet } from "../support/redis";
import { backupToTemp } from "../support/backup";
import { upUnderWrites } from "../support/rollout";
import { REDIS_CLI_TLS_ARGS } from "../../components/planning/tls";
import { createAuthority } from "../../components/engine/certificates";
import { runStatus } from "../support/status";

const PREFIX = "e2e-t";
const SUBNET = "10.217.0.0/24";
const PASSWORD = "e2e-Tls-pw-Vb5";
const APP = { username: "app", password: "e2e-tls-app-pw-Hh4" };
const names = Array.from({ length: 6 }, (_, i) => `${PREFIX}-${i + 1}`);
const ips = names.map((_, i) => `10.217.0.${11 + i}`);
const addresses = Object.fromEntries(names.map((n, i) => [n, `${ips[i]}:6379`]));
const seeds = [addresses[names[0]]];
const DATA: DataSet = { prefix: "app:t", plain: 3000, groups: 500 };
const DAY_MS = 24 * 60 * 60 * 1000;

/** The certificate a node serves, read with Node's own TLS client against the CA. */
function servedCertificate(ip: string, ca: string): Promise<tls.PeerCertificate> {
    return new Promise((resolve, reject) => {
        const socket = tls.connect({ host: ip, port: 6379, ca }, () => {
            resolve(socket.getPeerCertificate());
            socket.end();
        });
        socket.on("error", reject);
    });
}

/** What a plain TCP client gets from a node: a PING answered, or not. */
function plainPing(ip: string): Promise<string> {
    return new Promise((resolve) => {
        const socket = net.connect({ host: ip, port: 6379 }, () => socket.write("PING\r\n"));
        let got = "";
        socket.on("data", (d) => (got += d.toString("latin1")));
        socket.setTimeout(2000, () => socket.destroy());
        socket.on("close", () => resolve(got));
        socket.on("error", () => undefined);
    });
}

describe("TLS for clients, replication and the cluster bus (3 shards x 1 replica)", function () {
    this.timeout(20 * 60 * 1000);
    let t: TestStack;
    let ca: string;

    before(async () => {
        t = await createTestStack(
            PREFIX,
            { namePrefix: PREFIX, subnet: SUBNET, hostPortBase: "0", tls: "true", tlsCertValidityDays: "30", tlsRenewBeforeDays: "10" },
            { password: PASSWORD },
        );
        await t.stack.setAllConfig(
            {
                "redis-cluster:users[0].name": { value: APP.username },
                "redis-cluster:users[0].password": { value: APP.password, secret: true },
                "redis-cluster:users[0].rules": { value: "~app:* ~{app:* +@read +@write" },
            },
            true,
        );
    });
    after(async () => {
        await t?.destroyAndRemove();
    });


    async function assertData(auth: Auth, tlsCa: string | undefined) {
        await withClusterClient(seeds, auth, async (c) => assert.deepEqual(await missingFromDataSet(c, DATA), { plain: 0, groups: 0 }), tlsCa);
    }

    function assertReplicationUp(cli: string[]) {
        const roles = names.map((n) => redisCli(n, PASSWORD, ...cli, "info", "replication"));
        assert.equal(roles.filter((r) => /role:master/.test(r)).length, 3);
        for (const r of roles.filter((x) => /role:slave/.test(x))) assert.match(r, /master_link_status:up/);
    }

    it("comes up on TLS only: clients, replication and the bus; certificates name every address", async () => {
        const result = await t.up();
        assert.equal(result.outputs.clusterState.value, "ok");
        assert.equal(result.outputs.caCertificate.secret, false);
        ca = result.outputs.caCertificate.value;
        assert.match(ca, /^-----BEGIN CERTIFICATE-----/);
        await withClusterClient(seeds, APP, (c) => writeDataSet(c, DATA), ca);
        await assertData(PASSWORD, ca);
        // The cluster bus is TLS too, or the nodes would not agree (cluster_state ok on each) nor replicate.
        for (const n of names) assert.match(redisCli(n, PASSWORD, ...REDIS_CLI_TLS_ARGS, "cluster", "info"), /cluster_state:ok/);
        assertReplicationUp(REDIS_CLI_TLS_ARGS);
        assert.match(redisCli(names[0], APP, ...REDIS_CLI_TLS_ARGS, "-c", "get", `${DATA.prefix}:7`), /value-7/);
        // The user's limits hold over TLS as over TCP.
        await withClusterClient(seeds, APP, (c) => assert.rejects(c.set("other:x", "1"), /NOPERM/), ca);
        assert.match(redisCli(names[0], APP, ...REDIS_CLI_TLS_ARGS, "-c", "set", "other:x", "1"), /NOPERM/);
        for (const ip of ips) assert.doesNotMatch(await plainPing(ip), /PONG/, `${ip} answers plain TCP`);
        for (const [i, ip] of ips.entries()) {
            const cert = await servedCertificate(ip, ca);
            assert.match(cert.subjectaltname ?? "", new RegExp(`DNS:${names[i]}\\b`));
            assert.match(cert.subjectaltname ?? "", new RegExp(`IP Address:${ip.replace(/\./g, "\\.")}\\b`));
            const daysLeft = (new Date(cert.valid_to).getTime() - Date.now()) / DAY_MS;
            assert.ok(daysLeft > 29 && daysLeft <= 30, `${names[i]}: ${daysLeft} days left`);
        }
        // npm run status reaches every node over TLS.
        const status = runStatus(t.name);
        assert.equal(status.code, 0, status.output);
        assert.match(status.output, /HEALTHY/);
        const outputs = await t.stack.outputs();
        assert.equal(outputs.connectCommand.value, `docker exec -it ${names[0]} redis-cli -c --tls --cacert /usr/local/etc/redis/tls/ca.crt --askpass`);
        await t.stack.preview({ expectNoChanges: true });
    });

    it("is backed up over TLS: npm run backup checks the nodes against the stack's CA", async () => {
        const backup = await backupToTemp(PREFIX);
        try {
            assert.equal(backup.code, 0, backup.output);
            assert.deepEqual(backup.manifest!.shards.map((s) => s.slots), [["0-5460"], ["5461-10922"], ["10923-16383"]]);
        } finally {
            fs.rmSync(backup.dir, { recursive: true, force: true });
        }
    });

    it("keeps every private key out of the state, outputs, logs and container metadata", async () => {
        const state = fs.readFileSync(stateFile(t.name), "utf8");
        assert.ok(state.includes("ciphertext"));
        assert.ok(!state.includes("PRIVATE KEY"), "the state file holds a private key in plaintext");
        for (const [name, output] of Object.entries(await t.stack.outputs())) {
            if (!output.secret) assert.ok(!JSON.stringify(output.value).includes("PRIVATE KEY"), `output ${name}`);
        }
        assert.ok(!t.log.join("").includes("PRIVATE KEY"), "the engine's output shows a private key");
        for (const n of names) {
            const inspect = docker("inspect", n);
            assert.ok(!inspect.includes("PRIVATE KEY"), `docker inspect ${n} shows a private key`);
            assert.ok(!inspect.includes(PASSWORD) && !inspect.includes(APP.password), `docker inspect ${n} shows a password`);
        }
    });

    it("renews certificates with fewer days left than tlsRenewBeforeDays, one node at a time, under writes", async () => {
        const before = await Promise.all(ips.map((ip) => servedCertificate(ip, ca)));
        // 30 days left is now due under a 45-day renewal window; the new ones are valid for 60.
        await t.stack.setAllConfig({ "redis-cluster:tlsCertValidityDays": { value: "60" }, "redis-cluster:tlsRenewBeforeDays": { value: "45" } });
        const preview = await t.stack.preview({ diff: true });
        assert.equal(preview.changeSummary.update !== undefined && preview.changeSummary.update >= names.length, true, JSON.stringify(preview.changeSummary));
        await upUnderWrites({ up: () => t.up(), seeds, addresses, auth: APP, tlsCa: ca, keyPrefix: "app:renew" });
        const after = await Promise.all(ips.map((ip) => servedCertificate(ip, ca)));
        after.forEach((cert, i) => {
            assert.notEqual(cert.serialNumber, before[i].serialNumber, `${names[i]} still serves its old certificate`);
            const daysLeft = (new Date(cert.valid_to).getTime() - Date.now()) / DAY_MS;
            assert.ok(daysLeft > 59, `${names[i]}: ${daysLeft} days left`);
        });
        await assertData(APP, ca);
        await t.stack.preview({ expectNoChanges: true });
    });

    it("refuses turning TLS off at preview, naming the key and the safe way", async () => {
        const ids = names.map((n) => docker("inspect", "-f", "{{.Id}}", n));
        await t.stack.setConfig("redis-cluster:tls", { value: "false" });
        await assert.rejects(t.stack.preview(), /redis-cluster:tls changed from true to false: .*cannot be turned on or off one node at a time.*redis-cluster:allowFullRestart true/s);
        assert.deepEqual(names.map((n) => docker("inspect", "-f", "{{.Id}}", n)), ids);
    });

    it("turns TLS off, then on again, as full restarts with allowFullRestart, keeping every key", async () => {
        await t.stack.setAllConfig({ "redis-cluster:tls": { value: "false" }, "redis-cluster:allowFullRestart": { value: "true" } });
        let result = await t.up();
        assert.equal(result.outputs.clusterState.value, "ok");
        assert.equal(result.outputs.caCertificate, undefined);
        for (const ip of ips) assert.match(await plainPing(ip), /NOAUTH|PONG/);
        await assertData(APP, undefined);
        assertReplicationUp([]);

        await t.stack.setConfig("redis-cluster:tls", { value: "true" });
        result = await t.up();
        assert.equal(result.outputs.clusterState.value, "ok");
        ca = result.outputs.caCertificate.value;
        await assertData(APP, ca);
        assertReplicationUp(REDIS_CLI_TLS_ARGS);
        // The opt-in is for one change: taken back, it costs an up that touches no node.
        await t.stack.removeConfig("redis-cluster:allowFullRestart");
        const ids = names.map((n) => docker("inspect", "-f", "{{.Id}}", n));
        await t.up();
        assert.deepEqual(names.map((n) => docker("inspect", "-f", "{{.Id}}", n)), ids);
        await t.stack.preview({ expectNoChanges: true });
    });

    it("signs the node certificates with the user's own CA; changing the CA is refused, then done as a full restart", async () => {
        const userCa = await createAuthority("e2e user CA", 400);
        const ids = names.map((n) => docker("inspect", "-f", "{{.Id}}", n));
        await t.stack.setAllConfig({ "redis-cluster:tlsCaCert": { value: userCa.certPem }, "redis-cluster:tlsCaKey": { value: userCa.keyPem, secret: true } });
        await assert.rejects(t.stack.preview(), /redis-cluster:tlsCaCert changed from the stack's own CA to the CA [0-9a-f]{16}: .*redis-cluster:allowFullRestart true/s);
        assert.deepEqual(names.map((n) => docker("inspect", "-f", "{{.Id}}", n)), ids);

        await t.stack.setConfig("redis-cluster:allowFullRestart", { value: "true" });
        const result = await t.up();
        assert.equal(result.outputs.clusterState.value, "ok");
        assert.equal(result.outputs.caCertificate.value.trim(), userCa.certPem.trim());
        ca = userCa.certPem;
        for (const ip of ips) assert.match((await servedCertificate(ip, ca)).issuer.CN, /e2e user CA/);
        await assertData(APP, ca);
        assertReplicationUp(REDIS_CLI_TLS_ARGS);
        const state = fs.readFileSync(stateFile(t.name), "utf8");
        assert.ok(!state.includes(userCa.keyPem.split("\n")[1]), "the state holds the user's CA key in plaintext");
        await t.stack.removeConfig("redis-cluster:allowFullRestart");
        await t.up();
        await t.stack.preview({ expectNoChanges: true });
    });

    it("moves slots over TLS: 3 -> 4 shards, MIGRATE between nodes on the TLS bus, every key kept", async () => {
        await t.stack.setConfig("redis-cluster:shards", { value: "4" });
        const result = await t.up();
        assert.equal(result.outputs.clusterState.value, "ok");
        assert.deepEqual(
            result.outputs.slotAssignments.value.map((s: { slotCount: number }) => s.slotCount),
            [4096, 4096, 4096, 4096],
        );
        await assertData(APP, ca);
        assert.match(redisCli(`${PREFIX}-8`, PASSWORD, ...REDIS_CLI_TLS_ARGS, "cluster", "info"), /cluster_state:ok/);
        await t.stack.preview({ expectNoChanges: true });
    });
});
