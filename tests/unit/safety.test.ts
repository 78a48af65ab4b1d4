import { strict as assert } from "assert";
import fc from "fast-check";
import { isDowngrade, redisVersionOf } from "../../components/planning/image";
import { createAuthority } from "../../components/engine/certificates";
import { ClusterIdentity, refusedChanges, tlsMode } from "../../components/planning/safety";
import { changeGuardProvider } from "../../components/providers/guard";

const deployed: ClusterIdentity = {
    namePrefix: "redis",
    subnet: "10.38.0.0/24",
    gateway: "10.38.0.1",
    firstNodeIp: "10.38.0.11",
    image: "redis-cluster-local/redis:7.0.15",
};

describe("change safety", () => {
    it("lets a new stack through whatever it asks for", () => {
        assert.deepEqual(refusedChanges(undefined, { ...deployed, namePrefix: "cache" }, false), []);
    });

    it("lets unchanged and harmless changes through (a newer image)", () => {
        assert.deepEqual(refusedChanges(deployed, deployed, false), []);
        assert.deepEqual(refusedChanges(deployed, { ...deployed, image: "redis:7.2" }, false), []);
    });

    it("refuses removing the memory limit (Docker keeps it on running containers), not setting or changing it", () => {
        assert.deepEqual(refusedChanges(deployed, { ...deployed, memory: "512m" }, false), []);
        assert.deepEqual(refusedChanges({ ...deployed, memory: "512m" }, { ...deployed, memory: "1g" }, false), []);
        const [reason, ...rest] = refusedChanges({ ...deployed, memory: "512m" }, deployed, true);
        assert.deepEqual(rest, []);
        assert.match(reason, /^redis-cluster:memory removed \(it was 512m\): Docker cannot lift a running container's memory limit/);
    });

    it("refuses a rename, even with allowFullRestart, naming the key and the way back", () => {
        for (const allow of [false, true]) {
            const [reason, ...rest] = refusedChanges(deployed, { ...deployed, namePrefix: "cache" }, allow);
            assert.deepEqual(rest, []);
            assert.match(reason, /^redis-cluster:namePrefix changed from "redis" to "cache": that would delete every container, data volume/);
            assert.match(reason, /pulumi config set redis-cluster:namePrefix redis/);
        }
    });

    for (const k of ["subnet", "gateway", "firstNodeIp"] as const) {
        it(`refuses a ${k} change unless allowFullRestart is set`, () => {
            const next = { ...deployed, [k]: k === "subnet" ? "10.39.0.0/24" : "10.38.0.254" };
            const [reason] = refusedChanges(deployed, next, false);
            assert.match(reason, new RegExp(`^redis-cluster:${k} changed from ${deployed[k].replace(/[./]/g, "\\$&")} to `));
            assert.match(reason, /every node stops at the same time \(the data stays on the volumes\)/);
            assert.match(reason, /pulumi config set redis-cluster:allowFullRestart true/);
            assert.deepEqual(refusedChanges(deployed, next, true), []);
        });
    }

    it("lets hosts be added, and refuses any other change to a host that runs nodes (they would leave their data)", () => {
        const h1 = "h1=unix:///a@10.0.0.1";
        const h2 = "h2=unix:///b@10.0.0.2";
        const h3 = "h3=unix:///c@10.0.0.3";
        // Older state does not say which hosts run nodes: every listed one counts.
        for (const before of [{ ...deployed, hosts: `${h1},${h2}` }, { ...deployed, hosts: `${h1},${h2}`, hostsWithNodes: "h1,h2" }]) {
            assert.deepEqual(refusedChanges(before, { ...before, hosts: `${h1},${h2},${h3}` }, false), []);
            assert.deepEqual(refusedChanges(before, { ...before, hosts: `${h3},${h1},${h2}` }, false), []);
            for (const hosts of [h1, `${h2},${h1}`, `${h1},h2=unix:///b@10.0.0.9`, `${h1},h2=unix:///x@10.0.0.2`, `${h1},h9=unix:///b@10.0.0.2`, ""]) {
                const [reason] = refusedChanges(before, { ...before, hosts }, true);
                assert.match(reason ?? "", /^redis-cluster:hosts changed (a host that runs nodes|between one local engine and several hosts).*entries of hosts that run no node may be corrected or removed/, hosts);
            }
        }
        // Any list keeping the entries of the hosts that run nodes, in their order, is accepted; dropping or changing one is refused.
        const entry = (i: number, v = 0) => `h${i}=unix:///s${i}-${v}@10.0.0.${i}`;
        fc.assert(
            fc.property(
                fc.uniqueArray(fc.integer({ min: 1, max: 8 }), { minLength: 1, maxLength: 6 }),
                fc.func(fc.boolean()),
                fc.array(fc.tuple(fc.integer({ min: 1, max: 9 }), fc.integer({ min: 1, max: 3 })), { maxLength: 4 }),
                fc.nat(),
                (listed, runs, extra, pick) => {
                    const withNodes = listed.filter((i) => runs(i));
                    fc.pre(withNodes.length > 0);
                    const before = { ...deployed, hosts: listed.map((i) => entry(i)).join(","), hostsWithNodes: withNodes.map((i) => `h${i}`).join(",") };
                    // Idle hosts corrected (another endpoint) or dropped, new ones added, around the kept entries.
                    const others = [...listed.filter((i) => !withNodes.includes(i)).map((i) => entry(i, 1)), ...extra.filter(([i]) => !listed.includes(i)).map(([i, v]) => entry(i, v))];
                    const after = [...withNodes.map((i) => entry(i))];
                    others.forEach((o, k) => after.splice((k * 7 + pick) % (after.length + 1), 0, o));
                    assert.deepEqual(refusedChanges(before, { ...before, hosts: [...new Set(after)].join(",") }, false), [], after.join(","));
                    const victim = withNodes[pick % withNodes.length];
                    for (const broken of [after.filter((e) => e !== entry(victim)), after.map((e) => (e === entry(victim) ? entry(victim, 2) : e))]) {
                        assert.equal(refusedChanges(before, { ...before, hosts: broken.join(",") }, true).length, 1, broken.join(","));
                    }
                },
            ),
        );
        // h3 never ran a node (a mistyped endpoint, or a host for later): it may be corrected or removed.
        const withEmpty = { ...deployed, hosts: `${h1},${h2},h3=unix:///typo@10.0.0.3`, hostsWithNodes: "h1,h2" };
        for (const hosts of [`${h1},${h2},${h3}`, `${h1},${h2}`, `${h1},${h2},h4=unix:///d@10.0.0.4`]) assert.deepEqual(refusedChanges(withEmpty, { ...withEmpty, hosts }, false), [], hosts);
        assert.match(refusedChanges(withEmpty, { ...withEmpty, hosts: `${h1},${h3}` }, false)[0], /a host that runs nodes \(h2\)/);
        // From one local engine to hosts would recreate every node elsewhere.
        assert.equal(refusedChanges({ ...deployed, hosts: "" }, { ...deployed, hosts: h1 }, true).length, 1);
        // State written before hosts existed has no list: that is one local engine, as before.
        assert.deepEqual(refusedChanges(deployed, { ...deployed, hosts: "" }, false), []);
    });

    it("lets a host marked replaced point at a new machine under its name and place, and nothing else", () => {
        const h1 = "h1=unix:///a@10.0.0.1";
        const h2 = "h2=unix:///b@10.0.0.2";
        const before = { ...deployed, hosts: `${h1},${h2}`, hostsWithNodes: "h1,h2" };
        const moved = `${h1},h2=ssh://ops@10.0.0.9@10.0.0.9`;
        assert.equal(refusedChanges(before, { ...before, hosts: moved }, false).length, 1, "without the word");
        assert.deepEqual(refusedChanges(before, { ...before, hosts: moved, replacedHosts: "h2" }, false), []);
        // Another name, another place, or another host than the one marked: still refused.
        assert.equal(refusedChanges(before, { ...before, hosts: `${h1},h9=unix:///x@10.0.0.9`, replacedHosts: "h2" }, false).length, 1);
        assert.equal(refusedChanges(before, { ...before, hosts: `h2=unix:///x@10.0.0.9,${h1}`, replacedHosts: "h2" }, false).length, 1);
        assert.equal(refusedChanges(before, { ...before, hosts: `h1=unix:///x@10.0.0.9,${h2}`, replacedHosts: "h2" }, false).length, 1);
        assert.match(refusedChanges(before, { ...before, hosts: moved }, false)[0], /\(redis-cluster:hosts\[i\]\.replaced true\)/);
    });

    it("refuses going back to an older Redis minor version, naming both, unless allowDowngrade says no node runs the newer one", () => {
        const [reason] = refusedChanges({ ...deployed, image: "redis:7.2.4" }, { ...deployed, image: "redis:7.0.15" }, true);
        assert.match(reason, /^redis-cluster:image changed from redis:7\.2\.4 \(Redis 7\.2\.4\) to redis:7\.0\.15 \(Redis 7\.0\.15\)/);
        assert.match(reason, /pulumi config set redis-cluster:allowDowngrade true/);
        assert.deepEqual(refusedChanges({ ...deployed, image: "redis:7.2.4" }, { ...deployed, image: "redis:7.0.15" }, false, true), []);
    });

    it("reads versions from tags, also behind a registry port, and only from tags", () => {
        assert.deepEqual(redisVersionOf("redis:7.2"), [7, 2, 0]);
        assert.deepEqual(redisVersionOf("redis:7.2.4-alpine"), [7, 2, 4]);
        assert.deepEqual(redisVersionOf("registry:5000/team/redis:8.0.1"), [8, 0, 1]);
        assert.equal(redisVersionOf("registry:5000/team/redis"), undefined);
        assert.equal(redisVersionOf("redis:latest"), undefined);
        assert.equal(redisVersionOf("redis@sha256:abcd"), undefined);
    });

    it("calls a change a downgrade exactly when major.minor goes down (property)", () => {
        const version = fc.tuple(fc.nat(20), fc.nat(20), fc.nat(30));
        fc.assert(
            fc.property(version, version, (a, b) => {
                const expected = b[0] < a[0] || (b[0] === a[0] && b[1] < a[1]);
                assert.equal(isDowngrade(a, b), expected);
                assert.deepEqual(redisVersionOf(`redis:${b.join(".")}`), b);
            }),
        );
    });

    it("fails the guard's check (preview and up alike) with the reasons, and passes a first run", async () => {
        const refused = await changeGuardProvider.check!({ identity: deployed, allowFullRestart: false }, { identity: { ...deployed, gateway: "10.38.0.254" }, allowFullRestart: false });
        assert.equal(refused.failures?.length, 1);
        assert.match(refused.failures![0].reason, /redis-cluster:gateway changed from 10\.38\.0\.1 to 10\.38\.0\.254/);
        const first = await changeGuardProvider.check!({}, { identity: deployed, allowFullRestart: false });
        assert.deepEqual(first.failures, []);
    });

    it("judges against what the last successful up applied, not the inputs of a run that failed after passing it", async () => {
        // A run with allowFullRestart passed the guard with a new gateway, then failed: the opt-in is still needed.
        const failedRun = { identity: { ...deployed, gateway: "10.38.0.254" }, allowFullRestart: true };
        const again = await changeGuardProvider.check!(failedRun, { identity: failedRun.identity, applied: deployed, allowFullRestart: false });
        assert.match(again.failures![0]?.reason ?? "", /redis-cluster:gateway changed from 10\.38\.0\.1 to 10\.38\.0\.254/);
        // A mistyped newer image that failed to pull: going back is no downgrade.
        const typo = { identity: { ...deployed, image: "redis:7.4" }, allowFullRestart: false };
        const back = await changeGuardProvider.check!(typo, { identity: deployed, applied: deployed, allowFullRestart: false });
        assert.deepEqual(back.failures, []);
        // State written before appliedIdentity existed: the guard's own last inputs, as before.
        const older = await changeGuardProvider.check!(typo, { identity: deployed, allowFullRestart: false });
        assert.match(older.failures![0]?.reason ?? "", /redis-cluster:image changed from redis:7\.4/);
    });
});

describe("change safety: published ports", () => {
    const at = (base: number, count: number, hosts = ""): ClusterIdentity => ({ ...deployed, ports: `${base}x${count}`, hosts });

    it("refuses a hostPortBase shift whose new ports are held by running nodes, over the whole range, and only then", () => {
        fc.assert(
            fc.property(fc.integer({ min: 1024, max: 60000 }), fc.integer({ min: -40, max: 40 }), fc.integer({ min: 3, max: 30 }), fc.integer({ min: 3, max: 30 }), fc.boolean(), (base, delta, before, after, allow) => {
                const old = new Set(Array.from({ length: before }, (_, i) => base + i));
                // Brute force: some node that exists before and after gets a port another node holds now.
                const collides = Array.from({ length: Math.min(before, after) }, (_, i) => base + delta + i).some((p, i) => p !== base + i && old.has(p));
                const reasons = refusedChanges(at(base, before), at(base + delta, after), allow);
                assert.equal(reasons.length > 0, collides, JSON.stringify({ base, delta, before, after, reasons }));
                for (const r of reasons) {
                    assert.match(r, /^redis-cluster:hostPortBase changed from \d+ to \d+: the ranges overlap, so node \d+'s new port \d+ is held by node \d+/);
                    // The way out it names is itself clear of the current range.
                    const clear = Number(/hostPortBase (\d+) or above/.exec(r)![1]);
                    assert.deepEqual(refusedChanges(at(base, before), at(clear, after), false), []);
                }
            }),
        );
    });

    it("with hosts, refuses any hostPortBase change unless allowFullRestart (every node's address changes)", () => {
        const [reason] = refusedChanges(at(7101, 6, "h1=unix:///a@10.0.0.1"), at(7201, 6, "h1=unix:///a@10.0.0.1"), false);
        assert.match(reason, /with hosts, nodes announce and are reached at their published ports/);
        assert.match(reason, /allowFullRestart true/);
        assert.deepEqual(refusedChanges(at(7101, 6, "h1=unix:///a@10.0.0.1"), at(7201, 6, "h1=unix:///a@10.0.0.1"), true), []);
    });

    it("judges nothing about ports for state written before they were recorded", () => {
        assert.deepEqual(refusedChanges(deployed, at(6372, 6), false), []);
    });
});

describe("TLS", () => {
    describe("the change guard", () => {
        const deployed: ClusterIdentity = {
            namePrefix: "redis",
            subnet: "10.38.0.0/24",
            gateway: "10.38.0.1",
            firstNodeIp: "10.38.0.11",
            image: "redis:7.2",
        };
        const caText = fc.string({ minLength: 1, maxLength: 40 }).filter((s) => s.trim() !== "");
        const mode = fc.oneof(fc.constant(undefined), fc.constant(tlsMode({})), caText.map((caCert) => tlsMode({ caCert })));

        it("tlsMode: undefined without TLS; the stack's own CA; one mode per CA, whitespace around it aside", () => {
            assert.equal(tlsMode(undefined), undefined);
            assert.equal(tlsMode({}), "the stack's own CA");
            fc.assert(
                fc.property(caText, caText, fc.constantFrom("", "\n", "  \n", "\r\n"), (a, b, ws) => {
                    assert.equal(tlsMode({ caCert: a }), tlsMode({ caCert: a }));
                    assert.equal(tlsMode({ caCert: `${ws}${a}${ws}` }), tlsMode({ caCert: a }));
                    assert.notEqual(tlsMode({ caCert: a }), tlsMode({}));
                    if (a.trim() !== b.trim()) assert.notEqual(tlsMode({ caCert: a }), tlsMode({ caCert: b }));
                }),
            );
        });

        it("refuses turning TLS on or off or changing the CA, naming the key and allowFullRestart, unless allowFullRestart (property)", () => {
            fc.assert(
                fc.property(mode, mode, fc.boolean(), (before, after, allow) => {
                    const refused = refusedChanges({ ...deployed, tls: before }, { ...deployed, tls: after }, allow);
                    if (before === after || allow) {
                        assert.deepEqual(refused, [], `${before} -> ${after}`);
                        return;
                    }
                    assert.equal(refused.length, 1, refused.join("\n"));
                    const toggled = before === undefined || after === undefined;
                    const onOff = (m: string | undefined) => (m === undefined ? "false" : "true");
                    if (toggled) assert.ok(refused[0].startsWith(`redis-cluster:tls changed from ${onOff(before)} to ${onOff(after)}: `), refused[0]);
                    else assert.ok(refused[0].startsWith(`redis-cluster:tlsCaCert changed from ${before} to ${after}: nodes that trust only the old CA`), refused[0]);
                    assert.match(refused[0], /pulumi config set redis-cluster:allowFullRestart true/);
                }),
                { numRuns: 300 },
            );
        });

        it("names both ends of a toggle and of a CA change", async () => {
            const [a, b] = await Promise.all([createAuthority("a", 30), createAuthority("b", 30)]);
            const [on] = refusedChanges(deployed, { ...deployed, tls: tlsMode({}) }, false);
            assert.match(on, /^redis-cluster:tls changed from false to true: /);
            const [off] = refusedChanges({ ...deployed, tls: tlsMode({ caCert: a.certPem }) }, deployed, false);
            assert.match(off, /^redis-cluster:tls changed from true to false: /);
            const [swap] = refusedChanges({ ...deployed, tls: tlsMode({ caCert: a.certPem }) }, { ...deployed, tls: tlsMode({ caCert: b.certPem }) }, false);
            assert.match(swap, new RegExp(`^redis-cluster:tlsCaCert changed from ${tlsMode({ caCert: a.certPem })} to ${tlsMode({ caCert: b.certPem })}: `));
            const [own] = refusedChanges({ ...deployed, tls: tlsMode({}) }, { ...deployed, tls: tlsMode({ caCert: a.certPem }) }, false);
            assert.match(own, /^redis-cluster:tlsCaCert changed from the stack's own CA to the CA [0-9a-f]{16}: /);
            for (const r of [on, off, swap, own]) assert.match(r, /redis-cluster:allowFullRestart/);
            assert.deepEqual(refusedChanges({ ...deployed, tls: tlsMode({ caCert: a.certPem }) }, { ...deployed, tls: tlsMode({ caCert: `${a.certPem}\n` }) }, false), []);
        });

        it("never refuses without a deployed cluster, and reads state without the tls field as plain TCP", () => {
            fc.assert(
                fc.property(mode, fc.boolean(), (next, allow) => {
                    assert.deepEqual(refusedChanges(undefined, { ...deployed, tls: next }, allow), []);
                }),
            );
            assert.deepEqual(refusedChanges(deployed, { ...deployed, tls: undefined }, false), []);
            assert.equal(refusedChanges(deployed, { ...deployed, tls: tlsMode({}) }, false).length, 1);
        });
    });
});
