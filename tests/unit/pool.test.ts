import { strict as assert } from "assert";
import * as tls from "tls";
import { AddressInfo } from "net";
import { createAuthority, issueNodeCertificate } from "../../components/engine/certificates";
import { NodePool, tryConnect } from "../../components/engine/pool";
import { Deadline, PermanentError, waitUntil } from "../../components/engine/wait";

describe("reaching a node over TLS", () => {
    let trusted: { certPem: string };
    let servers: tls.Server[] = [];

    before(async () => {
        trusted = await createAuthority("trusted", 1);
    });
    afterEach(() => {
        servers.forEach((s) => s.close());
        servers = [];
    });

    /** A TLS listener on loopback presenting a certificate of `ca` for `ips`. */
    async function serve(ca: { certPem: string; keyPem: string }, ips: string[]): Promise<number> {
        const cert = await issueNodeCertificate({ caCertPem: ca.certPem, caKeyPem: ca.keyPem, commonName: "node", dnsNames: [], ips, validityDays: 1 });
        const server = tls.createServer({ cert: cert.certPem, key: cert.keyPem }, (socket) => socket.on("error", () => undefined));
        server.on("tlsClientError", () => undefined);
        servers.push(server);
        await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
        return (server.address() as AddressInfo).port;
    }

    it("stops at once, naming the node, when its certificate comes from another CA or names another address: it answers, and waiting will not help", async () => {
        const other = await createAuthority("other", 1);
        const credentials = { access: {}, tlsCa: trusted.certPem };
        for (const [ca, ips] of [[other, ["127.0.0.1"]], [trusted as typeof other, ["10.1.2.3"]]] as const) {
            const port = await serve(ca, [...ips]);
            await assert.rejects(tryConnect({ name: "n-1", ip: "127.0.0.1", port }, credentials), (err: Error) => {
                assert.ok(err instanceof PermanentError, String(err));
                assert.match(err.message, new RegExp(`n-1 \\(127\\.0\\.0\\.1:${port}\\) answers, but its TLS certificate was refused: .*(certificate|altnames)`));
                return true;
            });
        }
    });

    it("calls a port where nothing listens not answering, never a refusal", async () => {
        const port = await serve(await createAuthority("x", 1), ["127.0.0.1"]);
        servers.forEach((s) => s.close());
        servers = [];
        let reason = "";
        assert.equal(await tryConnect({ name: "n-1", ip: "127.0.0.1", port }, { access: {}, tlsCa: trusted.certPem }, undefined, (r) => (reason = r)), undefined);
        assert.match(reason, /ECONNREFUSED/);
    });
});

describe("asking the pool for a node it does not know", () => {
    it("ends a wait at once instead of retrying until the deadline: no such node will ever answer", async () => {
        const pool = new NodePool([{ name: "n-1", ip: "127.0.0.1", port: 1 }], { access: {} });
        // The deadline's own error would say what was waited for; this one is the pool's, thrown at the first try.
        await assert.rejects(
            waitUntil(new Deadline(60000, "a test"), () => "n-9 to answer", async () => (await pool.info("n-9", "replication")).role, 10),
            (err: Error) => err instanceof PermanentError && /n-9 is not a node the engine knows of/.test(err.message),
        );
    });
});
