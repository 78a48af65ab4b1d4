import { strict as assert } from "assert";
import { startScriptBed } from "../support/startScriptBed";
import { createHash } from "crypto";
import * as fs from "fs";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import fc from "fast-check";
import { ContainerInputs, INTERNAL_USERS_PATH, aclStartScript, containerDefinition, containerRevision } from "../../components/containerSpec";
import { ACL_FILE, InternalUsers, Login, NodeAccess, StoredAccess, acceptBoth, accessOf, internalAclLines, isChanging, loginCandidates, onlyCurrent, setUser } from "../../components/planning/access";
import { planCluster } from "../../components/planning/plan";
import { CONFIG_PATH, renderRedisConf } from "../../components/planning/redisConf";
import { resolveSettings } from "../../components/planning/settings";
import { ADMIN_RULES, ADMIN_USER, CLUSTER_CLIENT_RULES, REPLICATION_RULES, REPLICATION_USER, RESERVED_USERS, UserSpec, ruleTokens } from "../../components/planning/users";

const chars = (from: number, to: number) => fc.integer({ min: from, max: to }).map((c) => String.fromCharCode(c));
/** Printable ASCII without space, what every password may hold; a few short ones so that sides often share one. */
const secret = fc.oneof(fc.constantFrom("a", "b", "pw"), fc.string({ unit: chars(0x21, 0x7e), minLength: 1, maxLength: 24 }));
const internalArb: fc.Arbitrary<InternalUsers> = fc.record({ adminPassword: secret, replicationPassword: secret });
/** A node's access; each field is sometimes absent, sometimes present and undefined. */
const accessArb: fc.Arbitrary<NodeAccess> = fc.record(
    { password: fc.option(secret, { nil: undefined }), internal: fc.option(internalArb, { nil: undefined }), defaultUserEnabled: fc.option(fc.boolean(), { nil: undefined }) },
    { requiredKeys: [] },
);
const aclAccess = accessArb.filter((a) => a.internal !== undefined);
const plainAccess = accessArb.map(({ password }) => ({ password }));

const userName = fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9_.@:-]{0,20}$/).filter((n) => !RESERVED_USERS.includes(n));
const rules = fc.array(fc.constantFrom("~app:*", "%R~*", "&news", "+get", "-@dangerous", "+@read", "allkeys", "(~x +set)", "+client|id"), { maxLength: 5 }).map((r) => r.join(" "));
const usersArb = fc.uniqueArray(fc.record({ name: userName, password: secret, rules }), { selector: (u) => u.name, maxLength: 5 });

/** Whether the default user of this side may log in: without ACL mode always, else unless turned off. */
const defaultOn = (a: NodeAccess) => a.internal === undefined || a.defaultUserEnabled !== false;
/** A login as one comparable value: no password and an undefined one are the same login. */
const loginKey = (l: Login) => JSON.stringify([l.username ?? null, l.password ?? null]);
const same = <T>(a: T[], b: T[]) => assert.deepEqual(new Set(a), new Set(b));
const sha256 = (s: string) => createHash("sha256").update(s).digest("hex");

/** The ACL SETUSER commands for one user. */
const setusers = (commands: string[][], user: string) => commands.filter((c) => c[0] === "ACL" && c[1] === "SETUSER" && c[2] === user);
/** The passwords a SETUSER adds (">password"). */
const added = (command: string[]) => command.filter((a) => a.startsWith(">")).map((a) => a.slice(1));

describe("logins the engine tries", () => {
    it("offers each login once, the admin of the new side first in ACL mode, the default user's only where it is on (property)", () => {
        fc.assert(
            fc.property(accessArb, fc.option(accessArb, { nil: undefined }), (next, previous) => {
                const sides = previous === undefined ? [next] : [next, previous];
                const logins = loginCandidates(next, previous);
                const keys = logins.map(loginKey);
                assert.equal(new Set(keys).size, keys.length, `duplicates: ${keys}`);
                assert.ok(logins.length > 0);
                assert.ok(logins.every((l) => l.username === undefined || l.username === ADMIN_USER), keys.join(" "));
                if (next.internal) assert.deepEqual(loginKey(logins[0]), loginKey({ username: ADMIN_USER, password: next.internal.adminPassword }));
                same(
                    logins.filter((l) => l.username === ADMIN_USER).map((l) => l.password),
                    sides.flatMap((s) => (s.internal ? [s.internal.adminPassword] : [])),
                );
                same(
                    logins.filter((l) => l.username === undefined).map((l) => l.password ?? null),
                    sides.filter(defaultOn).map((s) => s.password ?? null),
                );
                // Newest first: the new side's default login comes before the old side's.
                const defaults = logins.filter((l) => l.username === undefined);
                if (defaultOn(next)) assert.equal(defaults[0].password ?? null, next.password ?? null);
            }),
            { numRuns: 300 },
        );
    });

    it("uses only the new side when there is no previous one", () => {
        fc.assert(
            fc.property(accessArb, (next) => {
                const expected = [...(next.internal ? [{ username: ADMIN_USER, password: next.internal.adminPassword }] : []), ...(defaultOn(next) ? [{ password: next.password }] : [])];
                assert.deepEqual(loginCandidates(next).map(loginKey), expected.map(loginKey));
            }),
        );
    });

    it("never offers a disabled default user's password", () => {
        const next: NodeAccess = { password: "old-default", internal: { adminPassword: "adm", replicationPassword: "rep" }, defaultUserEnabled: false };
        assert.deepEqual(loginCandidates(next).map(loginKey), [loginKey({ username: ADMIN_USER, password: "adm" })]);
        assert.deepEqual(loginCandidates(next, { password: "p" }).map(loginKey), [loginKey({ username: ADMIN_USER, password: "adm" }), loginKey({ password: "p" })]);
    });
});

describe("a change of access: every node accepts both sides", () => {
    it("keeps the default user on iff a side enables it, accepting every enabled side's password (property)", () => {
        fc.assert(
            fc.property(accessArb, accessArb, (next, previous) => {
                const commands = acceptBoth(next, previous);
                const [setDefault, ...more] = setusers(commands, "default");
                assert.equal(more.length, 0);
                const enabled = [next, previous].filter(defaultOn);
                if (enabled.length === 0) {
                    assert.ok(setDefault.includes("off") && !setDefault.includes("on"), setDefault.join(" "));
                    assert.deepEqual(added(setDefault), []);
                    assert.ok(!setDefault.includes("nopass"));
                } else {
                    assert.ok(setDefault.includes("on") && !setDefault.includes("off"), setDefault.join(" "));
                    if (enabled.some((s) => s.password === undefined)) {
                        assert.ok(setDefault.includes("nopass"), setDefault.join(" "));
                    } else {
                        assert.ok(!setDefault.includes("nopass"), setDefault.join(" "));
                        same(added(setDefault), enabled.map((s) => s.password!));
                    }
                }
                // Nothing an old client still uses is taken away during the change.
                for (const c of commands) assert.ok(!c.includes("resetpass") && !c.includes("reset") && c[1] !== "DELUSER", c.join(" "));
            }),
            { numRuns: 300 },
        );
    });

    it("in ACL mode, sets the stack's own users accepting both sides' passwords (property)", () => {
        fc.assert(
            fc.property(aclAccess, accessArb, (next, previous) => {
                const commands = acceptBoth(next, previous);
                const internals = [next.internal!, previous.internal].filter((u): u is InternalUsers => u !== undefined);
                for (const [user, rules, pick] of [
                    [ADMIN_USER, ADMIN_RULES, (u: InternalUsers) => u.adminPassword],
                    [REPLICATION_USER, REPLICATION_RULES, (u: InternalUsers) => u.replicationPassword],
                ] as const) {
                    const set = setusers(commands, user);
                    assert.equal(set.length, 1, user);
                    assert.ok(set[0].includes("on"));
                    same(added(set[0]), internals.map(pick));
                    for (const r of rules) assert.ok(set[0].includes(r), `${user} lacks ${r}`);
                }
            }),
        );
    });

    it("outside ACL mode, leaves the stack's own users alone (property)", () => {
        fc.assert(
            fc.property(plainAccess, accessArb, (next, previous) => {
                const commands = acceptBoth(next, previous);
                assert.deepEqual([...setusers(commands, ADMIN_USER), ...setusers(commands, REPLICATION_USER)], []);
            }),
        );
    });

    it("ends by making replicas present the new side's replication login (property)", () => {
        fc.assert(
            fc.property(accessArb, accessArb, (next, previous) => {
                const commands = acceptBoth(next, previous);
                const expected = next.internal ? [REPLICATION_USER, next.internal.replicationPassword] : ["default", next.password ?? ""];
                assert.deepEqual(commands[commands.length - 1], ["CONFIG", "SET", "masteruser", expected[0], "masterauth", expected[1]]);
            }),
        );
    });

    it("turns ACL mode on for a cluster with a password: the old password stays valid, replicas switch users", () => {
        const next: NodeAccess = { password: "new", internal: { adminPassword: "adm", replicationPassword: "rep" }, defaultUserEnabled: true };
        const commands = acceptBoth(next, { password: "old" });
        same(added(setusers(commands, "default")[0]), ["new", "old"]);
        assert.deepEqual(added(setusers(commands, ADMIN_USER)[0]), ["adm"]);
        assert.deepEqual(commands[commands.length - 1], ["CONFIG", "SET", "masteruser", REPLICATION_USER, "masterauth", "rep"]);
    });
});

describe("the end of a change: only what the config says", () => {
    /** Users a node may have: the reserved ones, the configured ones, and others. */
    const existingFor = (users: UserSpec[]) =>
        fc.uniqueArray(fc.oneof(fc.constantFrom(...RESERVED_USERS, ...users.map((u) => u.name)), userName), { maxLength: 8 });
    const scenario = fc.tuple(accessArb, usersArb).chain(([next, users]) => fc.tuple(fc.constant(next), fc.constant(users), existingFor(users)));

    it("deletes exactly the existing users that are not wanted (property)", () => {
        fc.assert(
            fc.property(scenario, ([next, users, existing]) => {
                const commands = onlyCurrent(next, users, existing);
                const deleted = commands.filter((c) => c[0] === "ACL" && c[1] === "DELUSER").map((c) => c.slice(2));
                assert.ok(deleted.every((d) => d.length === 1));
                const wanted = new Set([...(next.internal ? RESERVED_USERS : ["default"]), ...users.map((u) => u.name)]);
                assert.deepEqual(deleted.map((d) => d[0]).sort(), existing.filter((n) => !wanted.has(n)).sort());
                assert.ok(!deleted.some((d) => d[0] === "default"));
                if (next.internal) assert.ok(!deleted.some((d) => RESERVED_USERS.includes(d[0])));
            }),
            { numRuns: 300 },
        );
    });

    it("saves the aclfile last in ACL mode, and never outside it (property)", () => {
        fc.assert(
            fc.property(scenario, ([next, users, existing]) => {
                const commands = onlyCurrent(next, users, existing);
                const saves = commands.filter((c) => c[0] === "ACL" && c[1] === "SAVE");
                if (next.internal) {
                    assert.deepEqual(commands[commands.length - 1], ["ACL", "SAVE"]);
                    assert.equal(saves.length, 1);
                } else {
                    assert.deepEqual(saves, []);
                }
            }),
        );
    });

    it("in ACL mode, sets every named user from scratch: reset, on, its password, its rules, then the cluster client's (property)", () => {
        fc.assert(
            fc.property(scenario.filter(([next]) => next.internal !== undefined), ([next, users, existing]) => {
                const commands = onlyCurrent(next, users, existing);
                for (const u of users) {
                    const set = setusers(commands, u.name);
                    assert.equal(set.length, 1, u.name);
                    assert.deepEqual(set[0], ["ACL", "SETUSER", u.name, "reset", "on", `>${u.password}`, ...ruleTokens(u.rules), ...CLUSTER_CLIENT_RULES]);
                }
                const save = commands.findIndex((c) => c[1] === "SAVE");
                assert.ok(users.every((u) => commands.findIndex((c) => c[1] === "SETUSER" && c[2] === u.name) < save));
            }),
        );
    });

    it("in ACL mode, sets the stack's own users with only the new passwords and replicas' login (property)", () => {
        fc.assert(
            fc.property(scenario.filter(([next]) => next.internal !== undefined), ([next, users, existing]) => {
                const commands = onlyCurrent(next, users, existing);
                const u = next.internal!;
                for (const [user, pw] of [[ADMIN_USER, u.adminPassword], [REPLICATION_USER, u.replicationPassword]]) {
                    const [set, ...more] = setusers(commands, user);
                    assert.equal(more.length, 0);
                    assert.ok(set.includes("on") && set.includes("resetpass"), set.join(" "));
                    assert.deepEqual(added(set), [pw]);
                    assert.ok(set.indexOf("resetpass") < set.indexOf(`>${pw}`));
                }
                const replicas = JSON.stringify(["CONFIG", "SET", "masteruser", REPLICATION_USER, "masterauth", u.replicationPassword]);
                assert.ok(commands.some((c) => JSON.stringify(c) === replicas), commands.map((c) => c.join(" ")).join("\n"));
            }),
        );
    });

    it("turns the default user off, dropping its passwords, when disableDefaultUser is set; else accepts only its password (property)", () => {
        fc.assert(
            fc.property(scenario, ([next, users, existing]) => {
                const [set, ...more] = setusers(onlyCurrent(next, users, existing), "default");
                assert.equal(more.length, 0);
                if (!defaultOn(next)) {
                    assert.ok(set.includes("off") && set.includes("resetpass") && !set.includes("on") && !set.includes("nopass"), set.join(" "));
                    assert.deepEqual(added(set), []);
                } else {
                    assert.ok(set.includes("on") && !set.includes("off"), set.join(" "));
                    if (next.password === undefined) {
                        assert.ok(set.includes("nopass"), set.join(" "));
                        assert.deepEqual(added(set), []);
                    } else {
                        assert.ok(set.includes("resetpass") && !set.includes("nopass"), set.join(" "));
                        assert.deepEqual(added(set), [next.password]);
                    }
                }
            }),
            { numRuns: 200 },
        );
    });

    it("outside ACL mode, sets requirepass and masterauth to the password and replicas back to the default user (property)", () => {
        fc.assert(
            fc.property(plainAccess, fc.uniqueArray(userName, { maxLength: 5 }), (next, existing) => {
                const commands = onlyCurrent(next, [], existing);
                const config = commands.filter((c) => c[0] === "CONFIG" && c[1] === "SET");
                assert.equal(config.length, 1);
                const values = new Map<string, string>();
                for (let k = 2; k < config[0].length; k += 2) values.set(config[0][k], config[0][k + 1]);
                assert.deepEqual(Object.fromEntries(values), { masteruser: "", masterauth: next.password ?? "", requirepass: next.password ?? "" });
                assert.deepEqual([...setusers(commands, ADMIN_USER), ...setusers(commands, REPLICATION_USER)], []);
            }),
        );
    });

    it("turns ACL mode off: the stack's own users are deleted", () => {
        const commands = onlyCurrent({ password: "p" }, [], ["default", ADMIN_USER, REPLICATION_USER]);
        same(commands.filter((c) => c[1] === "DELUSER").map((c) => c[2]), [ADMIN_USER, REPLICATION_USER]);
    });

    it("sets one named user as ACL SETUSER arguments, a selector staying one argument", () => {
        assert.deepEqual(setUser({ name: "app", password: "pw", rules: "~app:*  (~x +get)\t+set" }), ["ACL", "SETUSER", "app", "reset", "on", ">pw", "~app:*", "(~x +get)", "+set", ...CLUSTER_CLIENT_RULES]);
        assert.ok(CLUSTER_CLIENT_RULES.includes("+cluster|slots") && CLUSTER_CLIENT_RULES.includes("+asking") && CLUSTER_CLIENT_RULES.includes("+readonly"));
    });
});

describe("the stack's own users in the aclfile", () => {
    it("has three lines, for default, the admin and replication, with passwords only as # and their SHA-256 (property)", () => {
        fc.assert(
            fc.property(aclAccess, (next) => {
                const u = next.internal!;
                const lines = internalAclLines(next);
                assert.equal(lines.length, 3);
                const tokens = lines.map((l) => l.split(" "));
                assert.deepEqual(tokens.map((t) => t.slice(0, 2)), [["user", "default"], ["user", ADMIN_USER], ["user", REPLICATION_USER]]);
                for (const t of tokens) {
                    assert.ok(t.every((a) => !a.startsWith(">") && !a.startsWith("<")), t.join(" "));
                    assert.ok(t.filter((a) => a.startsWith("#")).every((a) => /^#[0-9a-f]{64}$/.test(a)), t.join(" "));
                }
                const [defaults, admin, replication] = tokens;
                assert.ok(admin.includes("on") && admin.includes(`#${sha256(u.adminPassword)}`));
                assert.ok(replication.includes("on") && replication.includes(`#${sha256(u.replicationPassword)}`));
                for (const r of ADMIN_RULES) assert.ok(admin.includes(r));
                for (const r of REPLICATION_RULES) assert.ok(replication.includes(r));
                if (!defaultOn(next)) {
                    assert.ok(defaults.includes("off") && !defaults.includes("on") && !defaults.some((a) => a.startsWith("#")) && !defaults.includes("nopass"), defaults.join(" "));
                } else if (next.password === undefined) {
                    assert.ok(defaults.includes("on") && defaults.includes("nopass"), defaults.join(" "));
                } else {
                    assert.ok(defaults.includes("on") && defaults.includes(`#${sha256(next.password)}`), defaults.join(" "));
                }
                // With every hash blanked out, nothing depends on a password: none is written in plaintext.
                const blank = (a: NodeAccess) => internalAclLines(a).map((l) => l.replace(/#[0-9a-f]{64}/g, "#"));
                const other: NodeAccess = { ...next, password: next.password === undefined ? undefined : "X", internal: { adminPassword: "Y", replicationPassword: "Z" } };
                assert.deepEqual(blank(next), blank(other));
            }),
            { numRuns: 300 },
        );
    });

    it("never contains a password that could not be mistaken for part of a rule", () => {
        fc.assert(
            fc.property(fc.string({ unit: chars(0x21, 0x7e), minLength: 4, maxLength: 32 }).map((s) => `pw-${s}`), (pw) => {
                const text = internalAclLines({ password: pw, internal: { adminPassword: pw, replicationPassword: pw } }).join("\n");
                assert.ok(!text.includes(pw));
            }),
        );
    });
});

describe("whether access changes", () => {
    const equal = (a: NodeAccess, b: NodeAccess) =>
        a.password === b.password &&
        (a.internal === undefined
            ? b.internal === undefined
            : b.internal !== undefined &&
              a.internal.adminPassword === b.internal.adminPassword &&
              a.internal.replicationPassword === b.internal.replicationPassword &&
              defaultOn(a) === defaultOn(b));

    it("changes exactly when a password, the default user's state or ACL mode differs (property)", () => {
        fc.assert(fc.property(accessArb, accessArb, (a, b) => assert.equal(isChanging(a, b), !equal(a, b), `${JSON.stringify(a)} -> ${JSON.stringify(b)}`)), { numRuns: 500 });
        fc.assert(fc.property(accessArb, (a) => assert.equal(isChanging(a, structuredClone(a)), false)));
    });

    it("does not change between an absent and an undefined password", () => {
        assert.equal(isChanging({}, { password: undefined }), false);
        assert.equal(isChanging({ password: undefined, internal: undefined }, {}), false);
        assert.equal(isChanging({ password: "p" }, {}), true);
        assert.equal(isChanging({ password: "p" }, { password: "p", internal: { adminPassword: "a", replicationPassword: "r" }, defaultUserEnabled: true }), true);
    });
});

const settingsFor = (raw: Record<string, unknown>) => {
    const r = resolveSettings(raw, "redis:7.2");
    assert.deepEqual(r.problems, []);
    return r.settings;
};
const aclSettings = settingsFor({ password: "def-pw", users: [{ name: "app", password: "app-pw", rules: "~app:* +@read" }] });
const aclNodes = planCluster(aclSettings).nodes;

describe("redis.conf in ACL mode", () => {
    const authLine = /^(aclfile|masteruser|masterauth|requirepass|user) /;

    it("reads users from the aclfile on the volume, replicates as the replication user, and has no requirepass (property)", () => {
        fc.assert(
            fc.property(fc.constantFrom(...aclNodes), internalArb, fc.option(secret, { nil: undefined }), (node, internal, password) => {
                const lines = renderRedisConf(node, aclSettings, { password, internal }).split("\n");
                assert.ok(lines.includes("aclfile /data/users.acl"), lines.join("\n"));
                assert.equal(ACL_FILE, "/data/users.acl");
                assert.ok(lines.includes(`masteruser ${REPLICATION_USER}`));
                assert.deepEqual(lines.filter((l) => l.startsWith("masterauth ")), [`masterauth "${internal.replicationPassword}"`]);
                assert.ok(!lines.some((l) => /^(requirepass|user) /.test(l)), lines.join("\n"));
                // Everything else is what the same node has outside ACL mode.
                const plain = renderRedisConf(node, aclSettings, { password }).split("\n");
                assert.deepEqual(lines.filter((l) => !authLine.test(l)), plain.filter((l) => !authLine.test(l)));
            }),
        );
    });

    it("holds neither the default user's, the admin's nor a named user's password", () => {
        const conf = renderRedisConf(aclNodes[0], aclSettings, { password: "def-pw", internal: { adminPassword: "adm-pw", replicationPassword: "rep-pw" }, defaultUserEnabled: true });
        for (const pw of ["def-pw", "adm-pw", "app-pw"]) assert.ok(!conf.includes(pw), pw);
        assert.match(conf, /^masterauth "rep-pw"$/m);
    });

    it("outside ACL mode, sets requirepass and masterauth to the password as before, and nothing without one", () => {
        const settings = settingsFor({ password: "s3cret" });
        const node = planCluster(settings).nodes[1];
        for (const conf of [renderRedisConf(node, settings), renderRedisConf(node, settings, { password: "s3cret" })]) {
            assert.match(conf, /^requirepass "s3cret"$/m);
            assert.match(conf, /^masterauth "s3cret"$/m);
            assert.doesNotMatch(conf, /^(aclfile|masteruser) /m);
        }
        assert.doesNotMatch(renderRedisConf(node, settings, {}), /requirepass|masterauth|masteruser|aclfile/);
    });
});

describe("container definition in ACL mode", () => {
    const node = aclNodes[0];
    const base: ContainerInputs = { node, image: "redis:7.2", networkName: "redis-net", volumeName: node.volumeName, redisConf: "port 6379\n", labels: [] };
    const internalUsers = internalAclLines({ password: "def-pw", internal: { adminPassword: "adm", replicationPassword: "rep" }, defaultUserEnabled: true }).join("\n") + "\n";
    const plain = <T>(o: pulumi.Output<T>) => new Promise<T>((resolve) => o.apply(resolve));

    it("without the stack's own users, runs plain redis-server with redis.conf as its one upload", () => {
        const { recreating } = containerDefinition(base);
        assert.deepEqual(recreating.command, ["redis-server", CONFIG_PATH]);
        assert.deepEqual(recreating.uploads, [{ file: CONFIG_PATH, content: base.redisConf }]);
    });

    it("with them, starts through the aclfile script and uploads them beside redis.conf", () => {
        const { recreating } = containerDefinition({ ...base, internalUsers });
        assert.deepEqual(recreating.command, ["sh", "-c", aclStartScript()]);
        assert.deepEqual(recreating.uploads, [
            { file: CONFIG_PATH, content: base.redisConf },
            { file: INTERNAL_USERS_PATH, content: internalUsers },
        ]);
    });

    it("restarts a node (a new fingerprint) when ACL mode or the stack's own users change", async () => {
        const revision = (i: ContainerInputs) => plain(containerRevision(containerDefinition(i).recreating));
        const none = await revision(base);
        const some = await revision({ ...base, internalUsers });
        const other = await revision({ ...base, internalUsers: internalUsers.replace(`#${sha256("adm")}`, `#${sha256("adm2")}`) });
        assert.equal(new Set([none, some, other]).size, 3);
    });

    describe("its start script, run by sh", () => {
        const bed = startScriptBed("acl-start");
        beforeEach(() => fs.writeFileSync(path.join(bed.dir, "internal.acl"), internalUsers));

        /** Runs the script with its files moved into the bed; returns the aclfile it leaves. */
        const start = () => {
            const dir = bed.dir;
            bed.run(aclStartScript().split("/tmp/").join(`${dir}/tmp-`).split(ACL_FILE).join(`${dir}/users.acl`).split(INTERNAL_USERS_PATH).join(`${dir}/internal.acl`), CONFIG_PATH);
            return fs.readFileSync(path.join(dir, "users.acl"), "utf8");
        };

        it("creates the aclfile on a new volume with the stack's own users", () => {
            assert.equal(start(), internalUsers);
        });

        it("replaces the stack's own users in an existing aclfile and keeps the named ones", () => {
            const named = ["user app on #" + sha256("app") + " ~app:* +@read", "user default2 on nopass +get", "user cluster-admin.x on #" + sha256("x") + " +get"];
            const old = internalAclLines({ password: "old", internal: { adminPassword: "old-adm", replicationPassword: "old-rep" }, defaultUserEnabled: false });
            fs.writeFileSync(path.join(bed.dir, "users.acl"), [old[0], named[0], old[1], named[1], old[2], named[2]].join("\n") + "\n");
            assert.equal(start(), internalUsers + named.join("\n") + "\n");
        });
    });
});

describe("isChanging, whatever order state gives the keys in", () => {
    it("sees equal access as unchanged and any differing field as a change", () => {
        const a = { password: "p", internal: { adminPassword: "a", replicationPassword: "r" }, defaultUserEnabled: true };
        const reordered = { defaultUserEnabled: true, internal: { replicationPassword: "r", adminPassword: "a" }, password: "p" };
        assert.equal(isChanging(a, reordered), false);
        assert.equal(isChanging({}, { password: undefined }), false);
        assert.equal(isChanging(a, { ...a, password: "q" }), true);
        assert.equal(isChanging(a, { password: "p" }), true);
        for (const field of ["adminPassword", "replicationPassword"] as const) assert.equal(isChanging(a, { ...a, internal: { ...a.internal, [field]: "x" } }), true);
        assert.equal(isChanging(a, { ...a, defaultUserEnabled: false }), true);
        // Absent is on; without ACL mode the default user is the only one, on whatever the field says.
        assert.equal(isChanging(a, { ...a, defaultUserEnabled: undefined }), false);
        assert.equal(isChanging({ password: "p" }, { password: "p", defaultUserEnabled: false }), false);
    });
});

describe("access as a resource's state holds it, written by this release or an earlier one", () => {
    /** What earlier releases stored: the default user's setting inside the stack's own users, no field of its own. */
    const earlier = (a: NodeAccess): StoredAccess => ({ password: a.password, internal: a.internal && { ...a.internal, defaultUser: defaultOn(a) } });
    /** What this release stores (components/security.ts): the setting beside them, in ACL mode only. */
    const current = (a: NodeAccess): StoredAccess => ({ password: a.password, internal: a.internal, ...(a.internal ? { defaultUserEnabled: defaultOn(a) } : {}) });

    it("reads both shapes as the access that was stored, so neither side of a diff sees a change (property)", () => {
        fc.assert(
            fc.property(accessArb, (a) => {
                const [old, now] = [accessOf(earlier(a)), accessOf(current(a))];
                assert.deepEqual(old, now);
                assert.equal(isChanging(now, a), false, `${JSON.stringify(a)} read as ${JSON.stringify(now)}`);
                assert.equal(isChanging(now, old) || isChanging(old, now), false);
                // The nested setting stays in state: it never reaches the stack's own users.
                if (old.internal) assert.deepEqual(Object.keys(old.internal).sort(), ["adminPassword", "replicationPassword"]);
            }),
            { numRuns: 300 },
        );
    });

    it("sees a change of the default user's setting across the shapes (property)", () => {
        fc.assert(
            fc.property(aclAccess, (a) => {
                const flipped: NodeAccess = { ...a, defaultUserEnabled: !defaultOn(a) };
                assert.equal(isChanging(accessOf(current(flipped)), accessOf(earlier(a))), true);
                assert.equal(isChanging(accessOf(earlier(flipped)), accessOf(current(a))), true);
            }),
        );
    });

    it("prefers its own field to the nested one, and takes the default user as on when neither says", () => {
        const internal = { adminPassword: "a", replicationPassword: "r" };
        assert.deepEqual(accessOf({ internal: { ...internal, defaultUser: false }, defaultUserEnabled: true }), { password: undefined, internal, defaultUserEnabled: true });
        assert.deepEqual(accessOf({ internal: { ...internal, defaultUser: false } }), { password: undefined, internal, defaultUserEnabled: false });
        assert.deepEqual(accessOf({ password: "p", internal }), { password: "p", internal, defaultUserEnabled: true });
        assert.deepEqual(accessOf({ password: "p" }), { password: "p", defaultUserEnabled: true });
        assert.deepEqual(accessOf({}), { password: undefined, defaultUserEnabled: true });
    });

    it("writes the aclfile earlier releases wrote, byte for byte, so no node is recreated", () => {
        // Texts the release before defaultUserEnabled uploaded (its program under mocks, these passwords).
        const [admin, replication] = [
            "user cluster-admin on #1fce823da2dde62f567e4b9d52c407d091d7fe6551a47a5fb1655f27aad2033c ~* &* +@all",
            "user cluster-replication on #1b9ec4ebb46789a4cc1aac315e1167ef3386d1aa602d73e9bd53b722d1a499d7 +psync +replconf +ping",
        ];
        const internal = { adminPassword: "adm-PW-fixed", replicationPassword: "rep-PW-fixed" };
        const file = (a: StoredAccess) => internalAclLines(accessOf(a)).join("\n") + "\n";
        const on = ["user default on #ad6e07bf8d890e20d2c6eecee4c79a46846a5c36908d91d5ddec4d0bdbd514f2 ~* &* +@all", admin, replication].join("\n") + "\n";
        const off = ["user default off resetpass ~* &* +@all", admin, replication].join("\n") + "\n";
        assert.equal(file({ password: "pw-Default-1", internal, defaultUserEnabled: true }), on);
        assert.equal(file({ password: "pw-Default-1", internal: { ...internal, defaultUser: true } }), on);
        for (const password of [undefined, "pw-Default-1"]) {
            assert.equal(file({ password, internal, defaultUserEnabled: false }), off);
            assert.equal(file({ password, internal: { ...internal, defaultUser: false } }), off);
        }
    });
});
