// Named ACL users on a running 3x1 cluster that holds keys: turned on by a rolling change, changed
// in place, refused when bad, kept across a rolling restart and a healed node, then turned off again.
import { strict as assert } from "assert";
import { execFileSync } from "child_process";
import * as fs from "fs";
import { PROJECT_ROOT } from "../support/env";
import { docker } from "../support/docker";
import { TestStack, createTestStack, stateFile } from "../support/stack";
import { Auth, DataSet, clusterClient, eventually, missingFromDataSet, redisCli, withClusterClient, writeDataSet } from "../support/redis";
import { upUnderWrites } from "../support/rollout";
import { runStatus } from "../support/status";
import { backupToTemp } from "../support/backup";
import { BACKUP_RULES } from "../../components/planning/backup";

const PREFIX = "e2e-u";
const SUBNET = "10.215.0.0/24";
const PASSWORD = "e2e-Defau1t-pw-K2";
const names = Array.from({ length: 6 }, (_, i) => `${PREFIX}-${i + 1}`);
const addresses = Object.fromEntries(names.map((n, i) => [n, `10.215.0.${11 + i}:6379`]));
const seeds = [addresses[names[0]]];
const DATA: DataSet = { prefix: "app:d", plain: 3000, groups: 500 };

interface User {
    name: string;
    password: string;
    rules: string;
}
const APP: User = { name: "app", password: "e2e-app-pw-Zr8", rules: "~app:* +@read +@write -@dangerous" };
const READER: User = { name: "reader", password: "e2e-reader-pw-Qa1", rules: "~* +@read" };
const READER_ROTATED: User = { ...READER, password: "e2e-reader-pw-Rot2" };
const OPS: User = { name: "ops", password: "e2e-ops-pw-Mm3", rules: "~* &* +@all" };
const BACKUP: User = { name: "backup", password: "e2e-backup-pw-Kb4", rules: BACKUP_RULES };
const as = (u: User): Auth => ({ username: u.name, password: u.password });

/** The stack's own users' passwords, read the way an operator can: a stack export with --show-secrets. */
function internalPasswords(stack: string): string[] {
    const exported = JSON.parse(execFileSync("pulumi", ["stack", "export", "--show-secrets", "--stack", stack], { cwd: PROJECT_ROOT, encoding: "utf8", maxBuffer: 256 * 1024 * 1024 }));
    const resource = exported.deployment.resources.find((r: { type: string }) => r.type.endsWith(":InternalUsers"));
    const reveal = (v: unknown) => (typeof v === "object" && v !== null && "plaintext" in v ? JSON.parse((v as { plaintext: string }).plaintext) : v);
    return [reveal(resource.outputs.adminPassword), reveal(resource.outputs.replicationPassword)].map(String);
}

const containerIds = () => names.map((n) => docker("inspect", "-f", "{{.Id}}", n));
/** ACL USERS on one node, read by redis-cli inside it with the given login. */
const usersOn = (node: string, auth: Auth) => redisCli(node, auth, "acl", "users").split("\n").sort();

describe("ACL users on every node (3 shards x 1 replica)", function () {
    this.timeout(20 * 60 * 1000);
    let t: TestStack;

    before(async () => {
        t = await createTestStack(PREFIX, { namePrefix: PREFIX, subnet: SUBNET, hostPortBase: "0" }, { password: PASSWORD });
        await t.up();
        await withClusterClient(seeds, PASSWORD, (c) => writeDataSet(c, DATA));
    });
    after(async () => {
        await t?.destroyAndRemove();
    });

    async function setUsers(users: User[]) {
        await t.stack.removeConfig("redis-cluster:users").catch(() => undefined);
        const values: Record<string, { value: string; secret?: boolean }> = {};
        users.forEach((u, i) => {
            values[`redis-cluster:users[${i}].name`] = { value: u.name };
            values[`redis-cluster:users[${i}].password`] = { value: u.password, secret: true };
            values[`redis-cluster:users[${i}].rules`] = { value: u.rules };
        });
        if (users.length > 0) await t.stack.setAllConfig(values, true);
    }

    async function assertData(auth: Auth) {
        await withClusterClient(seeds, auth, async (c) => assert.deepEqual(await missingFromDataSet(c, DATA), { plain: 0, groups: 0 }));
    }

    /** `up` while `auth` writes app:* keys and a sampler watches; nothing acknowledged may be lost. */
    const upWhileWriting = (what: string, auth: Auth) => upUnderWrites({ up: () => t.up(), seeds, addresses, auth, keyPrefix: `app:${what}` });

    /** Every replica's link to its master is up: replication logs in as the stack's replication user. */
    function assertReplicationUp(auth: Auth) {
        const roles = names.map((n) => redisCli(n, auth, "info", "replication"));
        assert.equal(roles.filter((r) => /role:master/.test(r)).length, 3);
        for (const r of roles.filter((x) => /role:slave/.test(x))) assert.match(r, /master_link_status:up/);
    }

    it("turns ACL users on with a rolling restart, under writes, keeping every key", async () => {
        const before = containerIds();
        await setUsers([APP, READER]);
        await upWhileWriting("acl-on", PASSWORD);
        const after = containerIds();
        assert.ok(after.every((id, i) => id !== before[i]), "every node restarted with its aclfile");
        await assertData(PASSWORD);
        for (const n of names) assert.deepEqual(usersOn(n, PASSWORD), ["app", "cluster-admin", "cluster-replication", "default", "reader"]);
        assertReplicationUp(PASSWORD);
        await t.stack.preview({ expectNoChanges: true });
    });

    it("gives each user exactly its rights, through ioredis and redis-cli", async () => {
        await withClusterClient(seeds, as(READER), async (c) => {
            assert.equal(await c.get(`${DATA.prefix}:1`), "value-1");
            await assert.rejects(c.set("app:x", "1"), /NOPERM/);
        });
        await withClusterClient(seeds, as(APP), async (c) => {
            await c.set("app:x", "1");
            assert.equal(await c.get("app:x"), "1");
            await assert.rejects(c.set("other:x", "1"), /NOPERM/);
            await assert.rejects(c.call("FLUSHALL"), /NOPERM/);
        });
        assert.match(redisCli(names[0], as(READER), "-c", "get", `${DATA.prefix}:1`), /value-1/);
        assert.match(redisCli(names[0], as(APP), "flushall"), /NOPERM/);
        assert.match(redisCli(names[0], { username: "reader", password: "wrong" }, "ping"), /WRONGPASS|NOAUTH/);
    });

    it("keeps user and internal passwords out of the state, outputs, logs, container metadata and the aclfile", async () => {
        const internal = internalPasswords(t.name);
        assert.equal(internal.length, 2);
        const secrets = [APP.password, READER.password, PASSWORD, ...internal];
        const state = fs.readFileSync(stateFile(t.name), "utf8");
        for (const s of secrets) assert.ok(!state.includes(s), "the state file holds a password in plaintext");
        for (const [name, output] of Object.entries(await t.stack.outputs())) {
            if (!output.secret) for (const s of secrets) assert.ok(!JSON.stringify(output.value).includes(s), `output ${name}`);
        }
        for (const s of secrets) assert.ok(!t.log.join("").includes(s), "the engine's output shows a password");
        for (const n of names) {
            const inspect = docker("inspect", n);
            const aclfile = docker("exec", n, "cat", "/data/users.acl");
            assert.match(aclfile, /^user reader on .*#[0-9a-f]{64}/m);
            for (const s of secrets) {
                assert.ok(!inspect.includes(s), `docker inspect ${n} shows a password`);
                assert.ok(!aclfile.includes(s), `${n}'s aclfile holds a password in plaintext`);
            }
        }
    });

    it("rotates one user's password, adds and removes users in place: no container restarts, the others keep working", async () => {
        const before = containerIds();
        const app = clusterClient(seeds, as(APP));
        try {
            await app.set("app:before", "1");
            await setUsers([READER_ROTATED, OPS]);
            const result = await t.up();
            assert.equal(result.summary.resourceChanges?.replace ?? 0, 0);
            assert.deepEqual(containerIds(), before, "a user change restarted containers");
            for (const n of names) assert.deepEqual(usersOn(n, PASSWORD), ["cluster-admin", "cluster-replication", "default", "ops", "reader"]);
            await withClusterClient(seeds, as(READER_ROTATED), async (c) => assert.equal(await c.get("app:before"), "1"));
            await withClusterClient(seeds, as(OPS), async (c) => assert.equal(await c.set("other:ops", "1"), "OK"));
            for (const n of names) {
                assert.match(redisCli(n, as(READER), "ping"), /WRONGPASS|NOAUTH/, `${n} still takes the old reader password`);
                assert.match(redisCli(n, as(APP), "ping"), /WRONGPASS|NOAUTH/, `${n} still has the removed user`);
            }
        } finally {
            app.disconnect();
        }
        await t.stack.preview({ expectNoChanges: true });
    });

    it("refuses bad users at preview by key, and rules only Redis can judge at up, before any node changes", async () => {
        const before = containerIds();
        await setUsers([OPS, { ...OPS, rules: "~* on +@read" }]);
        await assert.rejects(t.stack.preview(), (err: Error) => {
            assert.match(err.message, /redis-cluster:users\[1\] \(ops\): the name is listed twice/);
            assert.match(err.message, /redis-cluster:users\[1\] \(ops\)\.rules: "on" is set by the stack/);
            return true;
        });
        // A category the image does not have (modules add some): only Redis can tell.
        await setUsers([READER_ROTATED, OPS, { name: "bad", password: "e2e-bad-pw-1", rules: "~* +@nosuchcategory" }]);
        await assert.rejects(t.up(), /Redis refused the rules of user "bad", nothing was changed: .*Unknown command or category/);
        assert.deepEqual(containerIds(), before);
        for (const n of names) assert.deepEqual(usersOn(n, PASSWORD), ["cluster-admin", "cluster-replication", "default", "ops", "reader"]);
        // The same in an up that also rolls every node (the default user off): judged before the first restart.
        await t.stack.setConfig("redis-cluster:disableDefaultUser", { value: "true" });
        await assert.rejects(t.up(), /Redis refused the rules of user "bad", nothing was changed: .*Unknown command or category/);
        assert.deepEqual(containerIds(), before);
        for (const n of names) assert.equal(redisCli(n, PASSWORD, "ping"), "PONG", `${n} turned the default user off`);
        await t.stack.removeConfig("redis-cluster:disableDefaultUser");
        await setUsers([READER_ROTATED, OPS]);
        await t.stack.preview({ expectNoChanges: true });
    });

    it("turns the default user off with a rolling restart; named users write throughout and keep working", async () => {
        await t.stack.setConfig("redis-cluster:disableDefaultUser", { value: "true" });
        await upWhileWriting("default-off", as(OPS));
        for (const n of names) {
            assert.match(redisCli(n, PASSWORD, "ping"), /WRONGPASS|NOAUTH/, `${n} still lets the default user in`);
            assert.match(redisCli(n, undefined, "ping"), /NOAUTH/);
        }
        assertReplicationUp(as(OPS));
        await assertData(as(READER_ROTATED));
        const outputs = await t.stack.outputs();
        assert.match(outputs.connectCommand.value, /redis-cli -c -h e2e-u-1 --user reader --askpass$/);
        // npm run status logs in as the stack's admin user, the default user being off.
        const status = runStatus(t.name);
        assert.equal(status.code, 0, status.output);
        await t.stack.preview({ expectNoChanges: true });
    });

    it("a restarted node comes back with every user, and so does a node healed from nothing", async () => {
        // Docker restarts it from the same volume: its aclfile holds the users before any up.
        docker("restart", names[1]);
        await eventually(`${names[1]} back`, 30000, () => (/PONG/.test(redisCli(names[1], as(OPS), "ping")) ? true : undefined));
        assert.deepEqual(usersOn(names[1], as(OPS)), ["cluster-admin", "cluster-replication", "default", "ops", "reader"]);
        // A replica lost with its volume: refresh and up make a new, empty node, and the engine gives it the users.
        const replica = names.find((n) => /role:slave/.test(redisCli(n, as(OPS), "info", "replication")))!;
        docker("rm", "-f", "-v", replica);
        docker("volume", "rm", `${replica}-data`);
        await t.stack.refresh();
        const result = await t.up();
        assert.equal(result.outputs.clusterState.value, "ok");
        assert.deepEqual(usersOn(replica, as(OPS)), ["cluster-admin", "cluster-replication", "default", "ops", "reader"]);
        assert.match(redisCli(replica, as(READER_ROTATED), "ping"), /PONG/);
        assertReplicationUp(as(OPS));
        await assertData(as(READER_ROTATED));
    });

    it("is backed up by a stack user with only a backup's rights (BACKUP_RULES), the default user off", async () => {
        await setUsers([OPS, READER_ROTATED, BACKUP]);
        await t.up();
        // It reads no key itself.
        assert.match(redisCli(names[0], as(BACKUP), "get", "app:d:1"), /NOPERM/);
        const backup = await backupToTemp(PREFIX, BACKUP.name);
        try {
            assert.equal(backup.code, 0, backup.output);
            assert.deepEqual(backup.manifest!.shards.map((s) => s.role), ["replica", "replica", "replica"]);
            assert.ok(backup.manifest!.shards.reduce((n, s) => n + s.keys, 0) >= DATA.plain, backup.output);
        } finally {
            fs.rmSync(backup.dir, { recursive: true, force: true });
        }
        // A user the stack does not have is named, with nothing written.
        const unknown = await backupToTemp(PREFIX, "nobody");
        fs.rmSync(unknown.dir, { recursive: true, force: true });
        assert.equal(unknown.code, 2, unknown.output);
        assert.match(unknown.output, /the stack has no ACL user "nobody" \(its users: ops, reader, backup\)/);
    });

    it("turns ACL users off again with a rolling restart: the default user's password is back, no key lost", async () => {
        await t.stack.setConfig("redis-cluster:disableDefaultUser", { value: "false" });
        await setUsers([]);
        await upWhileWriting("acl-off", PASSWORD);
        for (const n of names) assert.deepEqual(usersOn(n, PASSWORD), ["default"]);
        assertReplicationUp(PASSWORD);
        await assertData(PASSWORD);
        await t.stack.preview({ expectNoChanges: true });
    });
});
