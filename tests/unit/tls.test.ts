import { strict as assert } from "assert";
import { spawnSync } from "child_process";
import { KeyObject, X509Certificate, createPrivateKey, createPublicKey } from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import fc from "fast-check";
import { createAuthority, issueNodeCertificate, Issued } from "../../components/engine/certificates";
import { NodePlan, planCluster } from "../../components/planning/plan";
import { ClusterIdentity, refusedChanges, tlsMode } from "../../components/planning/safety";
import { RawSettings, resolveSettings } from "../../components/planning/settings";
import {
    CA_CERT_PATH,
    CA_VALIDITY_DAYS,
    NODE_CERT_PATH,
    NODE_KEY_PATH,
    TLS_DEFAULTS,
    caProblems,
    certificateNames,
    needsRenewal,
    resolveTls,
    tlsConfLines,
} from "../../components/planning/tls";
import { NodeCertificateInputs, nodeCertificateProvider, tlsAuthorityProvider } from "../../components/providers/tls";

const IMAGE = "redis:7.2";
const DAY_MS = 24 * 60 * 60 * 1000;
const SERVER_AUTH = "1.3.6.1.5.5.7.3.1";
const CLIENT_AUTH = "1.3.6.1.5.5.7.3.2";

/** A few Docker hosts for the multi-host plans; addresses may coincide with node addresses (10.38.0.11...). */
const hostsAt = (octets: number[]) => octets.map((o, i) => ({ name: `h${i + 1}`, docker: `ssh://ops@10.77.0.${i + 1}`, address: `10.38.0.${o}` }));

/** The planned nodes of a TLS cluster; the settings must be valid. */
function plannedNodes(raw: RawSettings): NodePlan[] {
    const { settings, problems } = resolveSettings({ tls: "true", ...raw }, IMAGE);
    assert.deepEqual(problems, [], JSON.stringify(raw));
    return planCluster(settings).nodes;
}

/** SubjectPublicKeyInfo, DER, base64: compares public keys. */
const spki = (key: KeyObject) => (key.type === "public" ? key : createPublicKey(key)).export({ type: "spki", format: "der" }).toString("base64");

/** The issuer and subject Names of a certificate, as their DER bytes (a minimal DER walk, no library). */
function rawNames(der: Buffer): { issuer: Buffer; subject: Buffer } {
    const tlv = (at: number) => {
        let len = der[at + 1];
        let header = 2;
        if (len & 0x80) {
            const n = len & 0x7f;
            len = 0;
            for (let i = 0; i < n; i++) len = len * 256 + der[at + 2 + i];
            header += n;
        }
        return { tag: der[at], start: at + header, end: at + header + len };
    };
    const tbs = tlv(tlv(0).start);
    const children: { tag: number; from: number; end: number }[] = [];
    for (let at = tbs.start; at < tbs.end; ) {
        const t = tlv(at);
        children.push({ tag: t.tag, from: at, end: t.end });
        at = t.end;
    }
    const fields = children[0].tag === 0xa0 ? children.slice(1) : children; // [0] version
    // serialNumber, signature, issuer, validity, subject
    return { issuer: der.subarray(fields[2].from, fields[2].end), subject: der.subarray(fields[4].from, fields[4].end) };
}

const hasOpenssl = spawnSync("openssl", ["version"], { encoding: "utf8" }).status === 0;

function openssl(args: string[]): string {
    const r = spawnSync("openssl", args, { encoding: "utf8" });
    assert.equal(r.status, 0, `openssl ${args.join(" ")}\n${r.stdout}\n${r.stderr}`);
    return r.stdout;
}

/** A self-signed CA made by openssl as a user would (its default: UTF8String names); key and cert as PEM. */
function opensslCa(dir: string, name: string, newkey: string[], subject: string): { certPem: string; keyPem: string } {
    const keyFile = path.join(dir, `${name}.key`);
    const certFile = path.join(dir, `${name}.crt`);
    openssl([
        "req", "-x509", ...newkey, "-nodes", "-keyout", keyFile, "-out", certFile, "-subj", subject, "-days", "30",
        "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign",
    ]);
    return { certPem: fs.readFileSync(certFile, "utf8"), keyPem: fs.readFileSync(keyFile, "utf8") };
}

/** `openssl verify` of a node certificate for both its TLS roles; throws with openssl's words if refused. */
function opensslVerifies(dir: string, caPem: string, certPem: string) {
    const ca = path.join(dir, "verify-ca.crt");
    const cert = path.join(dir, "verify-node.crt");
    fs.writeFileSync(ca, caPem);
    fs.writeFileSync(cert, certPem);
    for (const purpose of ["sslserver", "sslclient"]) {
        assert.match(openssl(["verify", "-purpose", purpose, "-CAfile", ca, cert]), /: OK/);
    }
}

/** Everything a node certificate must satisfy against its CA, for the names it was asked for. */
function assertValidChain(caPem: string, issued: Issued, names: { commonName: string; dnsNames: string[]; ips: string[] }) {
    const ca = new X509Certificate(caPem);
    const node = new X509Certificate(issued.certPem);
    assert.equal(node.verify(ca.publicKey), true, "signed by the CA's key");
    assert.equal(node.checkIssued(ca), true, "issued by the CA");
    assert.equal(ca.ca, true);
    assert.equal(node.ca, false);
    assert.equal(node.subject, `CN=${names.commonName}`);
    for (const ip of names.ips) assert.equal(node.checkIP(ip), ip, `checkIP ${ip} in ${node.subjectAltName}`);
    for (const dns of names.dnsNames) assert.equal(node.checkHost(dns), dns, `checkHost ${dns} in ${node.subjectAltName}`);
    assert.equal(node.checkIP("192.0.2.77"), undefined, "an unrelated address");
    assert.equal(node.checkHost("unrelated-host"), undefined, "an unrelated name");
    assert.deepEqual([...(node.keyUsage ?? [])].sort(), [SERVER_AUTH, CLIENT_AUTH].sort(), "serverAuth and clientAuth");
    assert.ok(new Date(node.validTo).getTime() <= new Date(ca.validTo).getTime(), `node ${node.validTo} after CA ${ca.validTo}`);
    assert.ok(new Date(node.validFrom).getTime() <= Date.now(), "valid from now on");
    // The reported notAfter is the certificate's (X.509 keeps whole seconds).
    assert.ok(Math.abs(new Date(issued.notAfter).getTime() - new Date(node.validTo).getTime()) < 1000, `${issued.notAfter} vs ${node.validTo}`);
    // The key: PKCS#8 PEM, 64-column base64, the certificate's key pair.
    assert.match(issued.keyPem, /^-----BEGIN PRIVATE KEY-----\n([A-Za-z0-9+/=]{1,64}\n)+-----END PRIVATE KEY-----\n$/);
    const key = createPrivateKey(issued.keyPem);
    assert.equal(key.asymmetricKeyType, "ec");
    assert.equal(key.asymmetricKeyDetails?.namedCurve, "prime256v1");
    assert.equal(spki(key), spki(node.publicKey));
    assert.match(issued.certPem, /^-----BEGIN CERTIFICATE-----\n[\s\S]+-----END CERTIFICATE-----\n$/);
}

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

    describe("certificates made by the stack", () => {
        let ca: Issued;
        before(async () => {
            ca = await createAuthority("redis Redis Cluster CA", CA_VALIDITY_DAYS);
        });

        it("makes a self-signed CA certificate for CA_VALIDITY_DAYS, with a PKCS#8 key, that caProblems accepts", () => {
            const cert = new X509Certificate(ca.certPem);
            assert.equal(cert.ca, true);
            assert.equal(cert.subject, "CN=redis Redis Cluster CA");
            assert.equal(cert.checkIssued(cert), true);
            assert.equal(cert.verify(cert.publicKey), true);
            assert.equal(spki(createPrivateKey(ca.keyPem)), spki(cert.publicKey));
            assert.match(ca.keyPem, /^-----BEGIN PRIVATE KEY-----\n/);
            const left = new Date(cert.validTo).getTime() - Date.now();
            assert.ok(Math.abs(left - CA_VALIDITY_DAYS * DAY_MS) < 60_000, cert.validTo);
            assert.ok(Math.abs(new Date(ca.notAfter).getTime() - new Date(cert.validTo).getTime()) < 1000, `${ca.notAfter} vs ${cert.validTo}`);
            assert.deepEqual(caProblems(ca.certPem, ca.keyPem), []);
        });

        it("issues node certificates for planned nodes that Node's X509Certificate accepts in every respect (property)", async () => {
            const nodes = [
                ...plannedNodes({ shards: "3", replicasPerShard: "1" }),
                ...plannedNodes({ shards: "4", replicasPerShard: "2", hostPortBase: "7001", hosts: hostsAt([5, 6, 11]) }),
            ];
            await fc.assert(
                fc.asyncProperty(fc.constantFrom(...nodes), fc.integer({ min: 1, max: 2 * CA_VALIDITY_DAYS }), async (node, validityDays) => {
                    const names = certificateNames(node);
                    const issued = await issueNodeCertificate({ caCertPem: ca.certPem, caKeyPem: ca.keyPem, ...names, validityDays });
                    assertValidChain(ca.certPem, issued, names);
                    // validityDays from now, but never past the CA.
                    const expected = Math.min(Date.now() + validityDays * DAY_MS, new Date(new X509Certificate(ca.certPem).validTo).getTime());
                    assert.ok(Math.abs(new Date(issued.notAfter).getTime() - expected) < 60_000, `${validityDays} days: ${issued.notAfter}`);
                }),
                { numRuns: 20 },
            );
        });

        it("never outlives a CA that expires before validityDays", async () => {
            const short = await createAuthority("short", 3);
            const issued = await issueNodeCertificate({ caCertPem: short.certPem, caKeyPem: short.keyPem, commonName: "redis-1", dnsNames: ["redis-1"], ips: ["10.38.0.11"], validityDays: 365 });
            assertValidChain(short.certPem, issued, { commonName: "redis-1", dnsNames: ["redis-1"], ips: ["10.38.0.11"] });
            assert.equal(new X509Certificate(issued.certPem).validTo, new X509Certificate(short.certPem).validTo);
        });

        it("gives every certificate its own key and serial", async () => {
            const req = { caCertPem: ca.certPem, caKeyPem: ca.keyPem, commonName: "redis-1", dnsNames: ["redis-1"], ips: ["10.38.0.11"], validityDays: 30 };
            const [a, b] = await Promise.all([issueNodeCertificate(req), issueNodeCertificate(req)]);
            assert.notEqual(a.keyPem, b.keyPem);
            assert.notEqual(new X509Certificate(a.certPem).serialNumber, new X509Certificate(b.certPem).serialNumber);
            assert.notEqual(new X509Certificate(ca.certPem).serialNumber, new X509Certificate(a.certPem).serialNumber);
        });

        it("writes the CA's subject, byte for byte, as the node certificate's issuer", async () => {
            const issued = await issueNodeCertificate({ caCertPem: ca.certPem, caKeyPem: ca.keyPem, commonName: "redis-1", dnsNames: ["redis-1"], ips: ["10.38.0.11"], validityDays: 30 });
            assert.deepEqual(rawNames(new X509Certificate(issued.certPem).raw).issuer, rawNames(new X509Certificate(ca.certPem).raw).subject);
        });

        it("makes a chain openssl verify accepts for server and client use", async function () {
            if (!hasOpenssl) this.skip();
            const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tls-test-"));
            try {
                const issued = await issueNodeCertificate({ caCertPem: ca.certPem, caKeyPem: ca.keyPem, commonName: "redis-1", dnsNames: ["redis-1"], ips: ["10.38.0.11", "127.0.0.1"], validityDays: 30 });
                opensslVerifies(dir, ca.certPem, issued.certPem);
            } finally {
                fs.rmSync(dir, { recursive: true, force: true });
            }
        });
    });

    describe("certificates signed by a user's CA made with openssl", function () {
        let dir: string;
        const names = { commonName: "redis-2", dnsNames: ["redis-2"], ips: ["10.38.0.12", "10.77.0.2", "127.0.0.1"] };
        before(function () {
            if (!hasOpenssl) this.skip();
            dir = fs.mkdtempSync(path.join(os.tmpdir(), "tls-test-"));
        });
        after(() => {
            if (dir) fs.rmSync(dir, { recursive: true, force: true });
        });

        const kinds: [string, string[], string][] = [
            ["an RSA CA", ["-newkey", "rsa:2048"], "/C=DE/O=Example Org/CN=Test RSA CA"],
            ["an EC P-384 CA", ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-384"], "/CN=Test P-384 CA"],
            ["an EC P-521 CA", ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-521"], "/CN=Test P-521 CA"],
            ["an EC P-256 CA with escaped characters in its name", ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256"], "/O=Acme\\, Inc./OU=R\\+D/CN=Ops CA #1"],
        ];
        for (const [what, newkey, subject] of kinds) {
            it(`signs valid node certificates with ${what}, that caProblems accepts`, async () => {
                const user = opensslCa(dir, what.replace(/\W+/g, "-"), newkey, subject);
                assert.deepEqual(caProblems(user.certPem, user.keyPem), []);
                const issued = await issueNodeCertificate({ caCertPem: user.certPem, caKeyPem: user.keyPem, ...names, validityDays: 365 });
                assertValidChain(user.certPem, issued, names);
                // The CA is valid for 30 days: the node certificate ends with it.
                assert.equal(new X509Certificate(issued.certPem).validTo, new X509Certificate(user.certPem).validTo);
                opensslVerifies(dir, user.certPem, issued.certPem);
            });
        }

        it("reads the CA key in the traditional PEM encodings too (BEGIN RSA / EC PRIVATE KEY)", async () => {
            for (const [what, newkey, subject] of kinds.slice(0, 2)) {
                const file = what.replace(/\W+/g, "-") + "-trad";
                const user = opensslCa(dir, file, newkey, subject);
                fs.writeFileSync(path.join(dir, `${file}.pkcs8`), user.keyPem);
                openssl(["pkey", "-in", path.join(dir, `${file}.pkcs8`), "-traditional", "-out", path.join(dir, `${file}.trad`)]);
                const traditional = fs.readFileSync(path.join(dir, `${file}.trad`), "utf8");
                assert.match(traditional, /^-----BEGIN (RSA|EC) PRIVATE KEY-----/);
                assert.deepEqual(caProblems(user.certPem, traditional), []);
                const issued = await issueNodeCertificate({ caCertPem: user.certPem, caKeyPem: traditional, ...names, validityDays: 10 });
                assertValidChain(user.certPem, issued, names);
            }
        });

        // openssl writes UTF8String names; re-encoded from text they would become PrintableString, which
        // verifiers that match issuer to subject byte for byte (Go's crypto/x509, rustls) refuse.
        it("writes a user CA's subject, byte for byte, as the node certificate's issuer", async () => {
            const user = opensslCa(dir, "bytes", ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256"], "/O=Example Org/CN=Bytes CA");
            const issued = await issueNodeCertificate({ caCertPem: user.certPem, caKeyPem: user.keyPem, ...names, validityDays: 10 });
            assert.deepEqual(rawNames(new X509Certificate(issued.certPem).raw).issuer, rawNames(new X509Certificate(user.certPem).raw).subject);
        });

        // Signing works on P-256/P-384/P-521 only: another curve must fail at preview, not while issuing.
        it("refuses, in caProblems, an EC CA key on a curve issueNodeCertificate cannot sign with (secp256k1)", () => {
            const user = opensslCa(dir, "k1", ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:secp256k1"], "/CN=k1 CA");
            assert.ok(caProblems(user.certPem, user.keyPem).some((p) => p.startsWith("redis-cluster:tlsCaKey")));
        });

        it("refuses, in caProblems, a key WebCrypto signing does not support (Ed25519), naming redis-cluster:tlsCaKey", () => {
            const dirEd = path.join(dir, "ed");
            fs.mkdirSync(dirEd);
            openssl(["req", "-x509", "-newkey", "ed25519", "-nodes", "-keyout", path.join(dirEd, "k"), "-out", path.join(dirEd, "c"), "-subj", "/CN=ed CA", "-days", "5", "-addext", "basicConstraints=critical,CA:TRUE"]);
            const problems = caProblems(fs.readFileSync(path.join(dirEd, "c"), "utf8"), fs.readFileSync(path.join(dirEd, "k"), "utf8"));
            assert.equal(problems.length, 1, problems.join("\n"));
            assert.match(problems[0], /^redis-cluster:tlsCaKey is a ed25519 key; use an EC/);
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

    describe("the certificate providers", () => {
        const diff = nodeCertificateProvider.diff!;
        const update = nodeCertificateProvider.update!;
        type Outs = Awaited<ReturnType<NonNullable<typeof nodeCertificateProvider.create>>>["outs"];
        let ca: Issued;
        let other: Issued;
        let inputs: NodeCertificateInputs;
        let outs: Outs;
        /** The deployed certificate, as if it expired `leftMs` from now. */
        const expiringIn = (leftMs: number) => ({ ...outs, notAfter: new Date(Date.now() + leftMs).toISOString() });

        before(async () => {
            [ca, other] = await Promise.all([createAuthority("one", 3650), createAuthority("two", 3650)]);
            inputs = { caCertPem: ca.certPem, caKeyPem: ca.keyPem, commonName: "redis-1", dnsNames: ["redis-1"], ips: ["10.38.0.11", "127.0.0.1"], validityDays: 365, renewBeforeDays: 30 };
            const created = await nodeCertificateProvider.create!(inputs);
            assert.equal(created.id, "redis-1");
            outs = created.outs;
        });

        it("creates a certificate for its inputs, recording them", () => {
            for (const [k, v] of Object.entries(inputs)) assert.deepEqual(outs[k], v, k);
            assertValidChain(ca.certPem, outs as Issued, inputs);
        });

        it("sees no change for equal inputs while more than renewBeforeDays are left", async () => {
            const result = await diff("redis-1", outs, { ...inputs });
            assert.equal(result.changes, false);
            assert.deepEqual(result.replaces ?? [], []);
        });

        it("sees a change exactly when the certificate is due, inputs being equal (property)", async () => {
            await fc.assert(
                fc.asyncProperty(fc.integer({ min: -10 * DAY_MS, max: 400 * DAY_MS }), fc.integer({ min: 0, max: 364 }), async (leftMs, renewBeforeDays) => {
                    // Away from the boundary: the provider reads the clock itself.
                    fc.pre(Math.abs(leftMs - renewBeforeDays * DAY_MS) > 60_000);
                    const olds = { ...expiringIn(leftMs), renewBeforeDays };
                    const result = await diff("redis-1", olds, { ...inputs, renewBeforeDays });
                    assert.equal(result.changes, leftMs < renewBeforeDays * DAY_MS, `${leftMs / DAY_MS} days left, renew ${renewBeforeDays} before`);
                }),
                { numRuns: 200 },
            );
        });

        it("sees a change when what the certificate states differs: CA, common name, DNS names or addresses", async () => {
            const changed: Partial<typeof inputs>[] = [
                { caCertPem: other.certPem, caKeyPem: other.keyPem },
                { commonName: "redis-9" },
                { dnsNames: ["redis-9"] },
                { dnsNames: ["redis-1", "redis-1.example"] },
                { ips: ["10.38.0.12", "127.0.0.1"] },
                { ips: ["10.38.0.11", "10.77.0.1", "127.0.0.1"] },
                { ips: ["10.38.0.11"] },
            ];
            for (const change of changed) {
                const result = await diff("redis-1", outs, { ...inputs, ...change });
                assert.equal(result.changes, true, JSON.stringify(Object.keys(change)));
            }
        });

        it("re-issues on update when due, and when what it states changed", async () => {
            const due = await update("redis-1", expiringIn(5 * DAY_MS), { ...inputs });
            assert.notEqual(due.outs!.certPem, outs.certPem);
            assert.notEqual(due.outs!.keyPem, outs.keyPem);
            assertValidChain(ca.certPem, due.outs as Issued, inputs);
            assert.ok(new Date(due.outs!.notAfter).getTime() > Date.now() + 300 * DAY_MS);

            const moved = { ...inputs, ips: ["10.38.0.21", "127.0.0.1"] };
            const renamed = await update("redis-1", outs, moved);
            assert.notEqual(renamed.outs!.certPem, outs.certPem);
            assertValidChain(ca.certPem, renamed.outs as Issued, moved);
            assert.deepEqual(renamed.outs!.ips, moved.ips);

            const recaed = { ...inputs, caCertPem: other.certPem, caKeyPem: other.keyPem };
            const resigned = await update("redis-1", outs, recaed);
            assertValidChain(other.certPem, resigned.outs as Issued, inputs);
            assert.equal(new X509Certificate(resigned.outs!.certPem).checkIssued(new X509Certificate(ca.certPem)), false);
        });

        it("keeps the certificate when only validityDays or renewBeforeDays changed and it is not due, recording the new settings", async () => {
            for (const change of [{ validityDays: 90 }, { renewBeforeDays: 10 }, { validityDays: 730, renewBeforeDays: 60 }]) {
                const news = { ...inputs, ...change };
                const result = await diff("redis-1", outs, news);
                assert.deepEqual(result.replaces ?? [], []);
                const updated = await update("redis-1", outs, news);
                assert.equal(updated.outs!.certPem, outs.certPem, JSON.stringify(change));
                assert.equal(updated.outs!.keyPem, outs.keyPem);
                assert.equal(updated.outs!.notAfter, outs.notAfter);
                assert.deepEqual(updated.outs, { ...outs, ...change });
            }
            // A renewBeforeDays larger than what is left makes it due: then it is re-issued.
            const longer = { ...inputs, renewBeforeDays: 400, validityDays: 800 };
            assert.equal((await diff("redis-1", outs, longer)).changes, true);
            assert.notEqual((await update("redis-1", outs, longer)).outs!.certPem, outs.certPem);
        });

        it("never changes or replaces the CA (not even for another cluster name), and names it after the cluster", async () => {
            const created = await tlsAuthorityProvider.create!({ clusterName: "redis" });
            assert.equal(created.id, "redis");
            const cert = new X509Certificate(created.outs.certPem);
            assert.equal(cert.subject, "CN=redis Redis Cluster CA");
            assert.equal(cert.ca, true);
            assert.deepEqual(caProblems(created.outs.certPem, created.outs.keyPem), []);
            assert.ok(Math.abs(new Date(cert.validTo).getTime() - Date.now() - CA_VALIDITY_DAYS * DAY_MS) < 60_000);
            for (const news of [{ clusterName: "redis" }, { clusterName: "cache" }]) {
                const result = await tlsAuthorityProvider.diff!("redis", created.outs, news);
                assert.equal(result.changes, false);
                assert.deepEqual(result.replaces ?? [], []);
            }
        });
    });

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
