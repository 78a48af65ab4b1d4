import { strict as assert } from "assert";
import * as fs from "fs";
import * as path from "path";
import * as yaml from "js-yaml";
import fc from "fast-check";
import { createAuthority, Issued } from "../../components/engine/certificates";
import { tlsMode } from "../../components/planning/safety";
import { DEFAULTS, DEFAULT_IMAGE, RawSettings, dockerInterval, resolveSettings } from "../../components/planning/settings";
import { TLS_DEFAULTS } from "../../components/planning/tls";

const IMAGE = "redis:7.2";
const problemsOf = (raw: RawSettings) => resolveSettings(raw, IMAGE).problems;

describe("settings", () => {
    it("defaults to 3x1 on a private /24 with nodes from .11 and the gateway at .1", () => {
        const { settings, problems, warnings } = resolveSettings({}, IMAGE);
        assert.deepEqual(problems, []);
        assert.deepEqual(warnings, []);
        assert.equal(settings.shards, 3);
        assert.equal(settings.replicasPerShard, 1);
        assert.equal(settings.subnet, "10.38.0.0/24");
        assert.equal(settings.gateway, "10.38.0.1");
        assert.equal(settings.firstNodeIp, "10.38.0.11");
        assert.equal(settings.hostPortBase, 6371);
        assert.equal(settings.image, IMAGE);
        assert.equal(settings.password, undefined);
    });

    it("keeps Pulumi.yaml's declared defaults equal to the code's", () => {
        const project = yaml.load(fs.readFileSync(path.join(__dirname, "../../Pulumi.yaml"), "utf8")) as {
            config: Record<string, { default?: unknown }>;
        };
        for (const [key, value] of Object.entries(DEFAULTS)) {
            assert.equal(project.config[`redis-cluster:${key}`]?.default, value, `redis-cluster:${key}`);
        }
        // scripts/bootstrap.sh reads the default image from this description.
        const image = project.config["redis-cluster:image"] as { description?: string };
        assert.match(image.description ?? "", new RegExp(`\\(default - ${DEFAULT_IMAGE.replace(/\./g, "\\.")};`));
    });

    it("reproduces the seed article's 172.38.0.0/16 by config, with a warning", () => {
        const { settings, problems, warnings } = resolveSettings({ subnet: "172.38.0.0/16" }, IMAGE);
        assert.deepEqual(problems, []);
        assert.equal(settings.firstNodeIp, "172.38.0.11");
        assert.equal(settings.gateway, "172.38.0.1");
        assert.equal(warnings.length, 1);
        assert.match(warnings[0], /redis-cluster:subnet 172\.38\.0\.0\/16 is outside the private ranges/);
    });

    const cases: [string, RawSettings, RegExp][] = [
        ["a subnet that is not a CIDR", { subnet: "10.1.2.0" }, /redis-cluster:subnet "10\.1\.2\.0" is not an IPv4 CIDR/],
        ["a subnet with host bits", { subnet: "10.1.2.5/24" }, /redis-cluster:subnet "10\.1\.2\.5\/24" has host bits set; the network is 10\.1\.2\.0\/24/],
        ["a subnet too small for a bridge", { subnet: "10.1.2.0/30" }, /redis-cluster:subnet 10\.1\.2\.0\/30 is too small/],
        ["a subnet too small for the nodes", { subnet: "10.1.2.0/29" }, /redis-cluster:subnet 10\.1\.2\.0\/29 is too small: 6 nodes starting at redis-cluster:firstNodeIp 10\.1\.2\.2/],
        ["more shards than slots", { shards: "16385", replicasPerShard: "0", subnet: "10.0.0.0/8" }, /redis-cluster:shards 16385 is more than the 16384 hash slots/],
        ["more nodes than Redis Cluster is made for", { shards: "400", replicasPerShard: "2", subnet: "10.0.0.0/16" }, /= 1200 nodes, more than the 1000 Redis Cluster is specified for/],
        ["a node timeout below a second", { nodeTimeoutMs: "1" }, /redis-cluster:nodeTimeoutMs must be at least 1000 \(got 1\)/],
        ["an image older than Redis 7", { image: "redis:6.2.14" }, /redis-cluster:image "redis:6\.2\.14" runs Redis 6\.2\.14; this stack needs Redis 7\.0\.0 or newer/],
        ["allowFullRestart that is not a boolean", { allowFullRestart: "yes" }, /redis-cluster:allowFullRestart must be true or false/],
        ["allowDowngrade that is not a boolean", { allowDowngrade: "sure" }, /redis-cluster:allowDowngrade must be true or false/],
        ["allowHostLossOutage that is not a boolean", { allowHostLossOutage: "maybe" }, /redis-cluster:allowHostLossOutage must be true or false/],
        ["a gateway outside the subnet", { gateway: "10.99.0.1" }, /redis-cluster:gateway 10\.99\.0\.1 is not a usable address/],
        ["a gateway among the nodes", { gateway: "10.38.0.12" }, /redis-cluster:gateway 10\.38\.0\.12 collides with the node addresses 10\.38\.0\.11-10\.38\.0\.16/],
        ["a first node outside the subnet", { firstNodeIp: "10.39.0.11" }, /redis-cluster:firstNodeIp 10\.39\.0\.11 is not a usable address/],
        ["a first node that is no address", { firstNodeIp: "ten" }, /redis-cluster:firstNodeIp "ten" is not an IPv4 address/],
        ["fewer than 3 shards", { shards: "2" }, /redis-cluster:shards must be at least 3 \(got 2\)/],
        ["a fractional shard count", { shards: "3.5" }, /redis-cluster:shards must be a whole number/],
        ["negative replicas", { replicasPerShard: "-1" }, /redis-cluster:replicasPerShard must be at least 0/],
        ["a zero node timeout", { nodeTimeoutMs: "0" }, /redis-cluster:nodeTimeoutMs must be at least 1/],
        ["host ports beyond 65535", { hostPortBase: "65532" }, /redis-cluster:hostPortBase 65532 leaves no room for 6 host ports/],
        ["a negative host port", { hostPortBase: "-5" }, /redis-cluster:hostPortBase must be at least 0/],
        ["appendonly that is not a boolean", { appendonly: "maybe" }, /redis-cluster:appendonly must be true or false/],
        ["a name prefix Docker refuses", { namePrefix: "-bad name" }, /redis-cluster:namePrefix "-bad name" is not a valid Docker name prefix/],
        ["a password with a space", { password: "a b" }, /redis-cluster:password may hold only printable ASCII/],
        ["a password with a quote", { password: 'a"b' }, /redis-cluster:password may not contain quotes/],
    ];
    for (const [what, raw, expected] of cases) {
        it(`rejects ${what}, naming the key`, () => {
            const problems = problemsOf(raw);
            assert.ok(problems.some((p) => expected.test(p)), `expected ${expected} in:\n${problems.join("\n")}`);
        });
    }

    it("reports every problem at once", () => {
        const problems = problemsOf({ shards: "1", replicasPerShard: "-2", subnet: "nope", nodeTimeoutMs: "0" });
        assert.equal(problems.length, 4, problems.join("\n"));
    });

    it("never repeats the password in a message", () => {
        const problems = problemsOf({ password: "sec ret" });
        assert.ok(problems.every((p) => !p.includes("sec ret")));
    });

    it("starts the nodes right after the gateway when they do not fit from .11", () => {
        const { settings, problems } = resolveSettings({ subnet: "10.1.2.0/28" }, IMAGE);
        assert.deepEqual(problems, []);
        assert.equal(settings.firstNodeIp, "10.1.2.2");
        assert.equal(resolveSettings({ subnet: "10.1.2.0/27" }, IMAGE).settings.firstNodeIp, "10.1.2.11");
    });

    it("warns when the image tag names no Redis version, and accepts 7.0 and newer", () => {
        assert.match(resolveSettings({ image: "redis:latest" }, IMAGE).warnings.join("\n"), /redis-cluster:image "redis:latest" has no version in its tag/);
        for (const image of ["redis:7.0.15", "redis:7.2", "localhost:5000/redis-cluster-local/redis:7.0.15", "redis:8.0-alpine"]) {
            const r = resolveSettings({ image }, IMAGE);
            assert.deepEqual([r.problems, r.warnings], [[], []], image);
        }
    });

    it("fits 4x2 on a small private subnet from a chosen first address", () => {
        const { settings, problems } = resolveSettings(
            { shards: "4", replicasPerShard: "2", subnet: "192.168.77.0/27", firstNodeIp: "192.168.77.5" },
            IMAGE,
        );
        assert.deepEqual(problems, []);
        assert.equal(settings.gateway, "192.168.77.1");
    });

    it("refuses users while the default user has no password (it would let anyone in with every right), unless it is off or has one", () => {
        const users = [{ name: "app", password: "App-pw-1", rules: "~app:* +@read" }];
        const [problem] = problemsOf({ users });
        assert.match(problem ?? "", /^redis-cluster:users lists users, but the default user has no password: .*pulumi config set --secret redis-cluster:password .*pulumi config set redis-cluster:disableDefaultUser true/);
        assert.deepEqual(problemsOf({ users, password: "Default-pw-1" }), []);
        assert.deepEqual(problemsOf({ users, disableDefaultUser: "true" }), []);
        assert.deepEqual(problemsOf({ users: [] }), []);
    });

    it("refuses secrets sent to a plain tcp:// engine, warns without secrets, and accepts it with certPath or ssh://", () => {
        const hosts = (h2: Record<string, string>) => [
            { name: "h1", docker: "unix:///run/rch-1.sock", address: "10.77.0.11" },
            { name: "h2", address: "10.77.0.12", ...h2 },
            { name: "h3", docker: "ssh://ops@10.77.0.13", address: "10.77.0.13" },
        ];
        const plain = hosts({ docker: "tcp://10.77.0.12:2375" });
        const base = { hostPortBase: "7001" };
        for (const secret of [{ password: "Default-pw-1" }, { tls: "true" }, { users: [{ name: "app", password: "App-pw-1", rules: "+@read" }], disableDefaultUser: "true" }]) {
            const problems = problemsOf({ ...base, ...secret, hosts: plain });
            assert.equal(problems.length, 1, problems.join("\n"));
            assert.match(problems[0], /^redis-cluster:hosts: "h2" \(tcp:\/\/10\.77\.0\.12:2375\) would receive .* unencrypted over plain tcp:\/\/: give each its certPath/);
        }
        const open = resolveSettings({ ...base, hosts: plain }, IMAGE);
        assert.deepEqual(open.problems, []);
        assert.ok(open.warnings.some((w) => /"h2" \(tcp:\/\/10\.77\.0\.12:2375\) is reached over plain tcp:\/\//.test(w)), open.warnings.join("\n"));
        const withCerts = resolveSettings({ ...base, password: "Default-pw-1", hosts: hosts({ docker: "tcp://10.77.0.12:2376", certPath: "/etc/docker-certs/h2" }) }, IMAGE);
        assert.deepEqual(withCerts.problems, []);
        assert.equal(withCerts.settings.hosts![1].certPath, "/etc/docker-certs/h2");
        assert.match(problemsOf({ ...base, hosts: hosts({ docker: "tcp://10.77.0.12:2376", certPath: "certs" }) })[0], /hosts\[1\]\.certPath must be the absolute path/);
        assert.match(problemsOf({ ...base, hosts: hosts({ docker: "ssh://ops@10.77.0.12", certPath: "/certs" }) })[0], /hosts\[1\]\.certPath is for tcp:\/\/ engines only/);
    });
});

describe("TLS", () => {
    describe("settings", () => {
        let ca: Issued;
        before(async () => {
            ca = await createAuthority("user", 3650);
        });

        it("tls true: TLS with the stack's own CA and the 365/30 day defaults; unset or false: plain TCP", () => {
            for (const tls of ["true", true, " TRUE "] as const) {
                const { settings, problems, warnings } = resolveSettings({ tls }, IMAGE);
                assert.deepEqual(problems, []);
                assert.deepEqual(warnings, []);
                assert.deepEqual(settings.tls, { caCert: undefined, caKey: undefined, validityDays: 365, renewBeforeDays: 30 });
            }
            assert.deepEqual(TLS_DEFAULTS, { validityDays: 365, renewBeforeDays: 30 });
            for (const tls of [undefined, "", "false", false] as const) {
                const { settings, problems } = resolveSettings({ tls }, IMAGE);
                assert.deepEqual(problems, []);
                assert.equal(settings.tls, undefined);
            }
            const { settings, problems } = resolveSettings({ tls: "yes" }, IMAGE);
            assert.equal(settings.tls, undefined);
            assert.ok(problems.some((p) => /^redis-cluster:tls must be true or false/.test(p)), problems.join("\n"));
        });

        it("takes any valid pair of day counts, as strings or numbers (property)", () => {
            fc.assert(
                fc.property(fc.integer({ min: 1, max: 10000 }), fc.nat(10000), fc.boolean(), (validityDays, r, asNumbers) => {
                    const renewBeforeDays = r % validityDays;
                    const raw: RawSettings = asNumbers
                        ? { tls: "true", tlsCertValidityDays: validityDays, tlsRenewBeforeDays: renewBeforeDays }
                        : { tls: "true", tlsCertValidityDays: String(validityDays), tlsRenewBeforeDays: ` ${renewBeforeDays} ` };
                    const { settings, problems } = resolveSettings(raw, IMAGE);
                    assert.deepEqual(problems, []);
                    assert.deepEqual(settings.tls, { caCert: undefined, caKey: undefined, validityDays, renewBeforeDays });
                }),
            );
        });

        const bad: [RawSettings, RegExp][] = [
            [{ tlsCertValidityDays: "0" }, /^redis-cluster:tlsCertValidityDays must be at least 1 \(got 0\)/],
            [{ tlsCertValidityDays: "-3" }, /^redis-cluster:tlsCertValidityDays must be at least 1 \(got -3\)/],
            [{ tlsCertValidityDays: "abc" }, /^redis-cluster:tlsCertValidityDays must be a whole number \(got "abc"\)/],
            [{ tlsCertValidityDays: "1.5" }, /^redis-cluster:tlsCertValidityDays must be a whole number/],
            [{ tlsRenewBeforeDays: "-1" }, /^redis-cluster:tlsRenewBeforeDays must be at least 0 \(got -1\)/],
            [{ tlsRenewBeforeDays: "soon" }, /^redis-cluster:tlsRenewBeforeDays must be a whole number \(got "soon"\)/],
            [{ tlsRenewBeforeDays: 2.5 }, /^redis-cluster:tlsRenewBeforeDays must be a whole number/],
            [{ tlsCertValidityDays: "30", tlsRenewBeforeDays: "30" }, /^redis-cluster:tlsRenewBeforeDays 30 is not below redis-cluster:tlsCertValidityDays 30/],
            [{ tlsCertValidityDays: "10" }, /^redis-cluster:tlsRenewBeforeDays 30 is not below redis-cluster:tlsCertValidityDays 10/],
        ];
        for (const [raw, expected] of bad) {
            it(`refuses ${JSON.stringify(raw)}, naming the key`, () => {
                const { problems } = resolveSettings({ tls: "true", ...raw }, IMAGE);
                assert.ok(problems.some((p) => expected.test(p)), `expected ${expected} in:\n${problems.join("\n")}`);
            });
        }

        it("takes a user's CA (both halves), checks it, and warns when it is set without tls", () => {
            const good = resolveSettings({ tls: "true", tlsCaCert: `${ca.certPem}\n\n`, tlsCaKey: ca.keyPem }, IMAGE);
            assert.deepEqual(good.problems, []);
            assert.equal(good.settings.tls?.caCert, ca.certPem.trim());
            assert.equal(good.settings.tls?.caKey, ca.keyPem);
            assert.equal(tlsMode(good.settings.tls), tlsMode({ caCert: ca.certPem }));

            const half = resolveSettings({ tls: "true", tlsCaCert: ca.certPem }, IMAGE);
            assert.ok(half.problems.some((p) => p.startsWith("redis-cluster:tlsCaCert and redis-cluster:tlsCaKey go together")), half.problems.join("\n"));

            const garbage = resolveSettings({ tls: "true", tlsCaCert: "not a certificate", tlsCaKey: ca.keyPem }, IMAGE);
            assert.ok(garbage.problems.some((p) => p.startsWith("redis-cluster:tlsCaCert is not a PEM certificate")), garbage.problems.join("\n"));

            const off = resolveSettings({ tlsCaCert: ca.certPem, tlsCaKey: ca.keyPem }, IMAGE);
            assert.deepEqual(off.problems, []);
            assert.equal(off.settings.tls, undefined);
            assert.ok(off.warnings.some((w) => w.startsWith("redis-cluster:tlsCaCert is set but redis-cluster:tls is not true")), off.warnings.join("\n"));
        });
    });
});

describe("healthcheckInterval", () => {
    /** Go's time.ParseDuration for what dockerInterval writes: hours, minutes and seconds. */
    const goSeconds = (d: string) => [...d.matchAll(/(\d+)([hms])/g)].reduce((sum, [, n, u]) => sum + Number(n) * { h: 3600, m: 60, s: 1 }[u as "h" | "m" | "s"], 0);

    it("writes every interval from 1 s to 24 h as Go's Duration.String(), the form the docker provider reads back (property)", () => {
        fc.assert(
            fc.property(fc.integer({ min: 1, max: 24 * 3600 }), fc.constantFrom("s", "m", "h"), (seconds, unit) => {
                const per = { s: 1, m: 60, h: 3600 }[unit];
                fc.pre(seconds % per === 0);
                const written = dockerInterval(`${seconds / per}${unit}`)!;
                assert.equal(goSeconds(written), seconds);
                // Go drops leading zero units and keeps the trailing ones: 10s, 1m30s, 5m0s, 1h0m0s.
                assert.match(written, seconds < 60 ? /^[1-9]\d?s$/ : seconds < 3600 ? /^[1-9]\d?m[0-5]?\ds$/ : /^[1-9]\d?h[0-5]?\dm[0-5]?\ds$/);
            }),
        );
        assert.deepEqual(["10s", "90s", "5m", "1h", "86400s"].map(dockerInterval), ["10s", "1m30s", "5m0s", "1h0m0s", "24h0m0s"]);
    });

    it("defaults to 10s, as stacks always had, and refuses what is not a whole interval up to 24h", () => {
        assert.equal(resolveSettings({}, IMAGE).settings.healthcheckInterval, "10s");
        assert.equal(DEFAULTS.healthcheckInterval, "10s");
        for (const bad of ["0s", "10", "1.5s", "500ms", "25h", "-1s", "10 s"]) {
            assert.match(problemsOf({ healthcheckInterval: bad }).join(), /redis-cluster:healthcheckInterval ".*" is not an interval of whole seconds, minutes or hours from 1s to 24h/, bad);
        }
    });
});
