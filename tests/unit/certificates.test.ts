import { strict as assert } from "assert";
import { spawnSync } from "child_process";
import { X509Certificate, createPrivateKey } from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import fc from "fast-check";
import { createAuthority, issueNodeCertificate, Issued } from "../../components/engine/certificates";
import { CA_VALIDITY_DAYS, caProblems, certificateNames } from "../../components/planning/tls";
import { DAY_MS, assertValidChain, hostsAt, plannedNodes, spki } from "../support/tls";

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

describe("TLS", () => {
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
});
