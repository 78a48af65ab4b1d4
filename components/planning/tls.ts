/**
 * TLS for clients, replication and the cluster bus: settings, what each node's certificate must
 * name, when it is renewed, and the redis.conf lines. Pure (X.509 parsing only, no key material made
 * here: engine/certificates.ts does that).
 */
import { X509Certificate, createPrivateKey, createPublicKey } from "crypto";
import { CONFIG_NAMESPACE } from "./keys";

export interface TlsSettings {
    /** A CA of the user's (PEM); undefined: the stack makes its own. */
    caCert?: string;
    /** Its private key (PEM, a secret). */
    caKey?: string;
    /** How long a node certificate is valid. */
    validityDays: number;
    /** An up renews a node certificate that has fewer days left than this. */
    renewBeforeDays: number;
}

export const TLS_DEFAULTS = { validityDays: 365, renewBeforeDays: 30 } as const;
/** The stack's own CA outlives any node certificate; it is not renewed by `up` (README, Security). */
export const CA_VALIDITY_DAYS = 3650;

/** Where a node finds its TLS files (uploaded into the container, not on the volume). */
export const TLS_DIR = "/usr/local/etc/redis/tls";
export const CA_CERT_PATH = `${TLS_DIR}/ca.crt`;
export const NODE_CERT_PATH = `${TLS_DIR}/node.crt`;
export const NODE_KEY_PATH = `${TLS_DIR}/node.key`;

const key = (name: string) => `${CONFIG_NAMESPACE}:${name}`;

/**
 * redis.conf with TLS: clients on TLS only (port 0), replication and the bus over TLS too. The node's
 * certificate also serves as its client certificate towards other nodes. Clients are authenticated
 * by password or ACL user, so they need no certificate of their own (tls-auth-clients optional: one
 * they do present must be signed by the CA).
 */
export function tlsConfLines(port: number): string[] {
    return [
        `port 0`,
        `tls-port ${port}`,
        `tls-cluster yes`,
        `tls-replication yes`,
        `tls-cert-file ${NODE_CERT_PATH}`,
        `tls-key-file ${NODE_KEY_PATH}`,
        `tls-ca-cert-file ${CA_CERT_PATH}`,
        `tls-auth-clients optional`,
    ];
}

/** redis-cli's TLS arguments inside a node's container. */
export const REDIS_CLI_TLS_ARGS = ["--tls", "--cacert", CA_CERT_PATH];

/**
 * Every name and address a node is reached at: its name, container address, announced address, and
 * loopback (its published port on the host, and redis-cli inside its own container).
 */
export function certificateNames(node: { name: string; ip: string; announce: { ip: string } }): { commonName: string; dnsNames: string[]; ips: string[] } {
    const ips = [node.ip, node.announce.ip, "127.0.0.1"];
    return { commonName: node.name, dnsNames: [node.name], ips: [...new Set(ips)] };
}

const DAY_MS = 24 * 60 * 60 * 1000;

/** Whether a certificate valid until `notAfter` must be renewed at `now`. */
export function needsRenewal(notAfter: string, now: Date, renewBeforeDays: number): boolean {
    return new Date(notAfter).getTime() - now.getTime() < renewBeforeDays * DAY_MS;
}

/** Parses the TLS keys of the config; problems name their key. */
export function resolveTls(raw: { caCert?: string; caKey?: string; validityDays: number; renewBeforeDays: number }): { tls: TlsSettings; problems: string[] } {
    const problems: string[] = [];
    const tls: TlsSettings = { caCert: raw.caCert, caKey: raw.caKey, validityDays: raw.validityDays, renewBeforeDays: raw.renewBeforeDays };
    if (raw.renewBeforeDays >= raw.validityDays) {
        problems.push(
            `${key("tlsRenewBeforeDays")} ${raw.renewBeforeDays} is not below ${key("tlsCertValidityDays")} ${raw.validityDays}: ` +
                `every up would renew every certificate and restart every node`,
        );
    }
    if ((raw.caCert === undefined) !== (raw.caKey === undefined)) {
        problems.push(`${key("tlsCaCert")} and ${key("tlsCaKey")} go together: set both (the key with --secret), or neither for a CA the stack makes`);
        return { tls, problems };
    }
    if (raw.caCert !== undefined && raw.caKey !== undefined) {
        problems.push(...caProblems(raw.caCert, raw.caKey, raw.renewBeforeDays));
    }
    return { tls, problems };
}

/**
 * Why a user's CA cannot sign node certificates, if it cannot. Node certificates end with their CA:
 * one that ends within `renewBeforeDays` would make every up renew every certificate.
 */
export function caProblems(certPem: string, keyPem: string, renewBeforeDays = 0): string[] {
    let cert: X509Certificate;
    try {
        cert = new X509Certificate(certPem);
    } catch (err) {
        return [`${key("tlsCaCert")} is not a PEM certificate: ${(err as Error).message}`];
    }
    const problems: string[] = [];
    if (!cert.ca) {
        problems.push(`${key("tlsCaCert")} (${cert.subject.replace(/\n/g, ", ")}) is not a CA certificate (basicConstraints CA:FALSE)`);
    }
    if (new Date(cert.validTo).getTime() < Date.now()) {
        problems.push(`${key("tlsCaCert")} expired on ${cert.validTo}`);
    } else if (needsRenewal(cert.validTo, new Date(), renewBeforeDays)) {
        problems.push(
            `${key("tlsCaCert")} ends on ${cert.validTo}, within ${key("tlsRenewBeforeDays")} ${renewBeforeDays} days: node certificates end ` +
                `with their CA, so every up would renew them all; use a CA valid for longer, or a smaller ${key("tlsRenewBeforeDays")}`,
        );
    }
    try {
        const privateKey = createPrivateKey(keyPem);
        const fromKey = createPublicKey(privateKey).export({ type: "spki", format: "der" });
        const fromCert = cert.publicKey.export({ type: "spki", format: "der" });
        if (fromKey.toString("base64") !== fromCert.toString("base64")) {
            problems.push(`${key("tlsCaKey")} is not the private key of ${key("tlsCaCert")}`);
        }
        // What WebCrypto signs with (engine/certificates.ts): RSA, and EC on the NIST curves.
        const curve = String(privateKey.asymmetricKeyDetails?.namedCurve ?? "");
        if (privateKey.asymmetricKeyType === "ec" ? !["prime256v1", "secp384r1", "secp521r1"].includes(curve) : privateKey.asymmetricKeyType !== "rsa") {
            problems.push(`${key("tlsCaKey")} is a ${privateKey.asymmetricKeyType}${curve ? ` (${curve})` : ""} key; use an EC (P-256, P-384, P-521) or RSA key`);
        }
    } catch (err) {
        problems.push(`${key("tlsCaKey")} is not a PEM private key: ${(err as Error).message}`);
    }
    return problems;
}
