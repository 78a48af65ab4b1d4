import { strict as assert } from "assert";
import fc from "fast-check";
import { createAuthority, issueNodeCertificate, Issued } from "../../components/engine/certificates";
import { CA_CERT_PATH, NODE_CERT_PATH, NODE_KEY_PATH, caProblems, certificateNames, needsRenewal, resolveTls, tlsConfLines } from "../../components/planning/tls";
import { DAY_MS, hostsAt, plannedNodes } from "../support/tls";

describe("TLS", () => {
    describe("redis.conf lines", () => {
        it("serve TLS only on the node's port, with TLS on the bus and for replication, from the uploaded files", () => {
            fc.assert(
                fc.property(fc.integer({ min: 1, max: 65535 }), (port) => {
                    const lines = tlsConfLines(port);
                    assert.deepEqual(lines.slice(0, 2), ["port 0", `tls-port ${port}`]);
                    for (const line of ["tls-cluster yes", "tls-replication yes", `tls-cert-file ${NODE_CERT_PATH}`, `tls-key-file ${NODE_KEY_PATH}`, `tls-ca-cert-file ${CA_CERT_PATH}`]) {
                        assert.ok(lines.includes(line), line);
                    }
                    assert.equal(new Set(lines.map((l) => l.split(" ")[0])).size, lines.length, "no directive twice");
                }),
            );
        });
    });

    describe("when a certificate is renewed", () => {
        const date = fc.date({ min: new Date("2000-01-01T00:00:00Z"), max: new Date("2090-01-01T00:00:00Z"), noInvalidDate: true });
        const days = fc.integer({ min: 0, max: 3650 });

        it("renews exactly when fewer than renewBeforeDays x 24h are left (property over random dates and day counts)", () => {
            fc.assert(
                fc.property(date, date, days, (notAfter, now, d) => {
                    assert.equal(needsRenewal(notAfter.toISOString(), now, d), notAfter.getTime() - now.getTime() < d * DAY_MS);
                }),
                { numRuns: 500 },
            );
        });

        it("is decided to the millisecond around the boundary (property: notAfter = now + days x 24h + delta)", () => {
            fc.assert(
                fc.property(date, days, fc.integer({ min: -2 * DAY_MS, max: 2 * DAY_MS }), (now, d, delta) => {
                    const notAfter = new Date(now.getTime() + d * DAY_MS + delta).toISOString();
                    assert.equal(needsRenewal(notAfter, now, d), delta < 0, `${d} days, delta ${delta} ms`);
                }),
                { numRuns: 500 },
            );
            const now = new Date("2030-06-01T12:00:00.000Z");
            assert.equal(needsRenewal("2030-07-01T12:00:00.000Z", now, 30), false, "exactly 30 days left");
            assert.equal(needsRenewal("2030-07-01T11:59:59.999Z", now, 30), true, "a millisecond less");
            assert.equal(needsRenewal("2030-06-01T12:00:00.000Z", now, 0), false, "0: not yet expired");
            assert.equal(needsRenewal("2030-06-01T11:59:59.999Z", now, 0), true, "0: expired");
        });

        it("once due, stays due later on (property)", () => {
            fc.assert(
                fc.property(date, date, fc.nat(10 * DAY_MS), days, (notAfter, now, later, d) => {
                    if (needsRenewal(notAfter.toISOString(), now, d)) assert.equal(needsRenewal(notAfter.toISOString(), new Date(now.getTime() + later), d), true);
                }),
            );
        });
    });

    describe("what a node certificate names", () => {
        const layouts = fc.record({
            shards: fc.integer({ min: 3, max: 8 }),
            replicas: fc.integer({ min: 0, max: 3 }),
            hostPortBase: fc.constantFrom(0, 6371, 7001),
        });

        it("holds the node's name, container address, announced address and 127.0.0.1, nothing else and nothing twice, on one engine (property)", () => {
            fc.assert(
                fc.property(layouts, ({ shards, replicas, hostPortBase }) => {
                    const nodes = plannedNodes({ shards: String(shards), replicasPerShard: String(replicas), hostPortBase: String(hostPortBase) });
                    assert.equal(nodes.length, shards * (replicas + 1));
                    for (const node of nodes) {
                        const names = certificateNames(node);
                        assert.equal(names.commonName, node.name);
                        assert.deepEqual(names.dnsNames, [node.name]);
                        assert.equal(new Set(names.ips).size, names.ips.length, `duplicates in ${names.ips}`);
                        assert.deepEqual([...names.ips].sort(), [...new Set([node.ip, node.announce.ip, "127.0.0.1"])].sort());
                        // One engine: the node announces its container address.
                        assert.deepEqual(names.ips, [node.ip, "127.0.0.1"]);
                    }
                }),
                { numRuns: 60 },
            );
        });

        it("also holds the host's address with hosts, also when it equals a node's container address (property)", () => {
            fc.assert(
                fc.property(
                    layouts.filter((l) => l.hostPortBase > 0),
                    fc.uniqueArray(fc.integer({ min: 2, max: 60 }), { minLength: 1, maxLength: 4 }),
                    ({ shards, replicas, hostPortBase }, octets) => {
                        const nodes = plannedNodes({ shards: String(shards), replicasPerShard: String(replicas), hostPortBase: String(hostPortBase), hosts: hostsAt(octets) });
                        for (const node of nodes) {
                            assert.ok(node.host);
                            assert.equal(node.announce.ip, node.host.address);
                            const names = certificateNames(node);
                            assert.equal(names.commonName, node.name);
                            assert.deepEqual(names.dnsNames, [node.name]);
                            assert.equal(new Set(names.ips).size, names.ips.length, `duplicates in ${names.ips}`);
                            for (const ip of [node.ip, node.announce.ip, "127.0.0.1"]) assert.ok(names.ips.includes(ip), `${ip} in ${names.ips}`);
                            assert.equal(names.ips.length, node.ip === node.announce.ip ? 2 : 3);
                        }
                    },
                ),
                { numRuns: 60 },
            );
        });
    });

    describe("checking a user's CA", () => {
        let ca: Issued;
        let other: Issued;
        let node: Issued;
        before(async () => {
            [ca, other] = await Promise.all([createAuthority("one", 3650), createAuthority("two", 3650)]);
            node = await issueNodeCertificate({ caCertPem: ca.certPem, caKeyPem: ca.keyPem, commonName: "redis-1", dnsNames: ["redis-1"], ips: ["10.38.0.11"], validityDays: 10 });
        });

        it("accepts a good CA", () => {
            assert.deepEqual(caProblems(ca.certPem, ca.keyPem), []);
            assert.deepEqual(caProblems(`\n${ca.certPem}\n`, ca.keyPem), []);
        });

        it("refuses a certificate that is no CA (a node certificate), naming redis-cluster:tlsCaCert", () => {
            const problems = caProblems(node.certPem, node.keyPem);
            assert.equal(problems.length, 1, problems.join("\n"));
            assert.match(problems[0], /^redis-cluster:tlsCaCert \(CN=redis-1\) is not a CA certificate/);
        });

        it("refuses a key that is not the CA's, naming redis-cluster:tlsCaKey", () => {
            for (const key of [other.keyPem, node.keyPem]) {
                const problems = caProblems(ca.certPem, key);
                assert.equal(problems.length, 1, problems.join("\n"));
                assert.match(problems[0], /^redis-cluster:tlsCaKey is not the private key of redis-cluster:tlsCaCert/);
            }
        });

        it("refuses garbage, naming the key that holds it", () => {
            const garbage = ["", "hello", "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n", ca.keyPem];
            for (const cert of garbage) {
                const problems = caProblems(cert, ca.keyPem);
                assert.equal(problems.length, 1, problems.join("\n"));
                assert.match(problems[0], /^redis-cluster:tlsCaCert is not a PEM certificate/);
            }
            for (const key of ["", "hello", "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n", ca.certPem]) {
                const problems = caProblems(ca.certPem, key);
                assert.equal(problems.length, 1, `${JSON.stringify(key)}: ${problems.join("\n")}`);
                assert.match(problems[0], /^redis-cluster:tlsCaKey is not (a PEM private key|the private key)/);
            }
        });

        it("refuses an expired CA, naming redis-cluster:tlsCaCert", async () => {
            const expired = await createAuthority("old", -1);
            const problems = caProblems(expired.certPem, expired.keyPem);
            assert.equal(problems.length, 1, problems.join("\n"));
            assert.match(problems[0], /^redis-cluster:tlsCaCert expired on /);
        });

        it("refuses a CA that ends within renewBeforeDays, naming redis-cluster:tlsCaCert and redis-cluster:tlsRenewBeforeDays (property)", async () => {
            await fc.assert(
                fc.asyncProperty(fc.integer({ min: 1, max: 120 }), fc.integer({ min: 0, max: 120 }), async (caDays, renewBeforeDays) => {
                    fc.pre(caDays !== renewBeforeDays); // at equality the CA's whole seconds decide
                    const short = await createAuthority("short", caDays);
                    const problems = caProblems(short.certPem, short.keyPem, renewBeforeDays);
                    if (caDays < renewBeforeDays) {
                        assert.equal(problems.length, 1, problems.join("\n"));
                        assert.match(problems[0], new RegExp(`^redis-cluster:tlsCaCert ends on .*, within redis-cluster:tlsRenewBeforeDays ${renewBeforeDays} days`));
                    } else {
                        assert.deepEqual(problems, []);
                    }
                    // Through resolveTls too, with a validity above renewBeforeDays.
                    const resolved = resolveTls({ caCert: short.certPem, caKey: short.keyPem, validityDays: renewBeforeDays + 1, renewBeforeDays });
                    assert.deepEqual(resolved.problems, problems);
                }),
                { numRuns: 25 },
            );
            // An expired CA is reported as expired, not also as ending soon.
            const expired = await createAuthority("old", -1);
            assert.equal(caProblems(expired.certPem, expired.keyPem, 30).length, 1);
        });

        it("resolveTls: a problem exactly when renewBeforeDays >= validityDays, naming both keys (property)", () => {
            fc.assert(
                fc.property(fc.integer({ min: 1, max: 5000 }), fc.integer({ min: 0, max: 6000 }), (validityDays, renewBeforeDays) => {
                    const { tls, problems } = resolveTls({ validityDays, renewBeforeDays });
                    assert.deepEqual(tls, { caCert: undefined, caKey: undefined, validityDays, renewBeforeDays });
                    if (renewBeforeDays >= validityDays) {
                        assert.equal(problems.length, 1, problems.join("\n"));
                        assert.match(problems[0], new RegExp(`^redis-cluster:tlsRenewBeforeDays ${renewBeforeDays} is not below redis-cluster:tlsCertValidityDays ${validityDays}`));
                    } else {
                        assert.deepEqual(problems, []);
                    }
                }),
            );
        });

        it("resolveTls: the CA's certificate and key go together, and are checked together", () => {
            for (const half of [{ caCert: ca.certPem }, { caKey: ca.keyPem }]) {
                const { problems } = resolveTls({ ...half, validityDays: 365, renewBeforeDays: 30 });
                assert.equal(problems.length, 1, problems.join("\n"));
                assert.match(problems[0], /^redis-cluster:tlsCaCert and redis-cluster:tlsCaKey go together/);
            }
            const good = resolveTls({ caCert: ca.certPem, caKey: ca.keyPem, validityDays: 365, renewBeforeDays: 30 });
            assert.deepEqual(good.problems, []);
            assert.deepEqual(good.tls, { caCert: ca.certPem, caKey: ca.keyPem, validityDays: 365, renewBeforeDays: 30 });
            const bad = resolveTls({ caCert: node.certPem, caKey: other.keyPem, validityDays: 365, renewBeforeDays: 30 });
            assert.ok(bad.problems.some((p) => p.startsWith("redis-cluster:tlsCaCert (CN=redis-1) is not a CA")), bad.problems.join("\n"));
            assert.ok(bad.problems.some((p) => p.startsWith("redis-cluster:tlsCaKey is not the private key")), bad.problems.join("\n"));
        });
    });
});
