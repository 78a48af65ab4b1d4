/**
 * Makes the keys and certificates TLS needs (@peculiar/x509 on Node's WebCrypto): the stack's own CA,
 * and node certificates signed by it or by the user's CA. Keys are made here, once per certificate,
 * and leave only as PEM strings that the providers mark secret.
 */
import "reflect-metadata";
import { createPrivateKey, randomBytes } from "crypto";
import * as x509 from "@peculiar/x509";

const P256 = { name: "ECDSA", namedCurve: "P-256", hash: "SHA-256" };
const DAY_MS = 24 * 60 * 60 * 1000;

export interface Issued {
    certPem: string;
    keyPem: string;
    notAfter: string;
}

const serial = () => "01" + randomBytes(15).toString("hex");
/** A little in the past: another host's clock may run behind. */
const notBefore = () => new Date(Date.now() - 5 * 60 * 1000);

async function exportKey(key: CryptoKey): Promise<string> {
    const der = Buffer.from(await crypto.subtle.exportKey("pkcs8", key));
    return `-----BEGIN PRIVATE KEY-----\n${der.toString("base64").replace(/.{64}/g, "$&\n").replace(/\n?$/, "\n")}-----END PRIVATE KEY-----\n`;
}

async function newKeys(): Promise<CryptoKeyPair> {
    return (await crypto.subtle.generateKey(P256, true, ["sign", "verify"])) as CryptoKeyPair;
}

export async function createAuthority(commonName: string, validityDays: number): Promise<Issued> {
    const keys = await newKeys();
    const notAfter = new Date(Date.now() + validityDays * DAY_MS);
    const cert = await x509.X509CertificateGenerator.createSelfSigned({
        serialNumber: serial(),
        name: `CN=${commonName}`,
        notBefore: notBefore(),
        notAfter,
        keys,
        signingAlgorithm: P256,
        extensions: [
            new x509.BasicConstraintsExtension(true, 0, true),
            new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
            await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
        ],
    });
    return { certPem: cert.toString("pem") + "\n", keyPem: await exportKey(keys.privateKey), notAfter: notAfter.toISOString() };
}

/** The CA's key as WebCrypto can sign with: EC (its curve) or RSA, from any PEM encoding. */
async function importSigningKey(keyPem: string): Promise<{ key: CryptoKey; algorithm: Algorithm | EcdsaParams }> {
    const privateKey = createPrivateKey(keyPem);
    const der = new Uint8Array(privateKey.export({ type: "pkcs8", format: "der" }));
    if (privateKey.asymmetricKeyType === "ec") {
        const namedCurve = { prime256v1: "P-256", secp384r1: "P-384", secp521r1: "P-521" }[String(privateKey.asymmetricKeyDetails?.namedCurve)] ?? "P-256";
        const hash = namedCurve === "P-256" ? "SHA-256" : "SHA-384";
        const key = await crypto.subtle.importKey("pkcs8", der, { name: "ECDSA", namedCurve }, false, ["sign"]);
        return { key, algorithm: { name: "ECDSA", hash } as EcdsaParams };
    }
    const key = await crypto.subtle.importKey("pkcs8", der, { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" }, false, ["sign"]);
    return { key, algorithm: { name: "RSASSA-PKCS1-v1_5" } };
}

export interface NodeCertificateRequest {
    caCertPem: string;
    caKeyPem: string;
    commonName: string;
    dnsNames: string[];
    ips: string[];
    validityDays: number;
}

/** A node's key and certificate, for serving clients and for its own connections to other nodes. */
export async function issueNodeCertificate(r: NodeCertificateRequest): Promise<Issued> {
    const ca = new x509.X509Certificate(r.caCertPem);
    const signing = await importSigningKey(r.caKeyPem);
    const keys = await newKeys();
    const notAfter = new Date(Math.min(Date.now() + r.validityDays * DAY_MS, ca.notAfter.getTime()));
    const cert = await x509.X509CertificateGenerator.create({
        serialNumber: serial(),
        subject: `CN=${r.commonName}`,
        // The CA's subject as encoded, byte for byte: clients that compare names exactly (Go, rustls) need it.
        issuer: ca.subjectName,
        notBefore: notBefore(),
        notAfter,
        publicKey: keys.publicKey,
        signingKey: signing.key,
        signingAlgorithm: signing.algorithm,
        extensions: [
            new x509.BasicConstraintsExtension(false, undefined, true),
            new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyAgreement, true),
            new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth, x509.ExtendedKeyUsage.clientAuth]),
            new x509.SubjectAlternativeNameExtension([...r.dnsNames.map((value) => ({ type: "dns" as const, value })), ...r.ips.map((value) => ({ type: "ip" as const, value }))]),
            await x509.AuthorityKeyIdentifierExtension.create(ca, false),
        ],
    });
    return { certPem: cert.toString("pem") + "\n", keyPem: await exportKey(keys.privateKey), notAfter: notAfter.toISOString() };
}
