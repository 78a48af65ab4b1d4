import { strict as assert } from "assert";
import { X509Certificate } from "crypto";
import fc from "fast-check";
import { createAuthority, Issued } from "../../components/engine/certificates";
import { CA_VALIDITY_DAYS, caProblems } from "../../components/planning/tls";
import { NodeCertificateInputs, nodeCertificateProvider, tlsAuthorityProvider } from "../../components/providers/tls";
import { DAY_MS, assertValidChain } from "../support/tls";

describe("TLS", () => {
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
});
