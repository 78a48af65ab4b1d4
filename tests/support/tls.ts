/** What the TLS unit tests share: planned nodes to name in certificates, and the checks a node certificate must pass. */
import { strict as assert } from "assert";
import { KeyObject, X509Certificate, createPrivateKey, createPublicKey } from "crypto";
import { Issued } from "../../components/engine/certificates";
import { NodePlan, planCluster } from "../../components/planning/plan";
import { RawSettings, resolveSettings } from "../../components/planning/settings";

const IMAGE = "redis:7.2";
export const DAY_MS = 24 * 60 * 60 * 1000;
const SERVER_AUTH = "1.3.6.1.5.5.7.3.1";
const CLIENT_AUTH = "1.3.6.1.5.5.7.3.2";

/** A few Docker hosts for the multi-host plans; addresses may coincide with node addresses (10.38.0.11...). */
export const hostsAt = (octets: number[]) => octets.map((o, i) => ({ name: `h${i + 1}`, docker: `ssh://ops@10.77.0.${i + 1}`, address: `10.38.0.${o}` }));

/** The planned nodes of a TLS cluster; the settings must be valid. */
export function plannedNodes(raw: RawSettings): NodePlan[] {
    const { settings, problems } = resolveSettings({ tls: "true", ...raw }, IMAGE);
    assert.deepEqual(problems, [], JSON.stringify(raw));
    return planCluster(settings).nodes;
}

/** SubjectPublicKeyInfo, DER, base64: compares public keys. */
export const spki = (key: KeyObject) => (key.type === "public" ? key : createPublicKey(key)).export({ type: "spki", format: "der" }).toString("base64");

/** Everything a node certificate must satisfy against its CA, for the names it was asked for. */
export function assertValidChain(caPem: string, issued: Issued, names: { commonName: string; dnsNames: string[]; ips: string[] }) {
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
