/**
 * Checks, before anything is declared, that every host's Docker engine answers. Without it a lost
 * host surfaces as the docker provider's own connection error in the middle of a run, naming a
 * socket rather than the host; with it, preview and up stop first, naming the host, and change nothing.
 */
import * as http from "http";
import * as net from "net";
import { HostSpec } from "../planning/hosts";

const TIMEOUT_MS = 5000;

/** Unix sockets and tcp:// endpoints are asked for Docker's /_ping; ssh:// hosts must accept a connection. */
function probe(endpoint: string): Promise<void> {
    const url = new URL(endpoint);
    return new Promise((resolve, reject) => {
        const fail = (err: Error) => reject(err);
        if (url.protocol === "unix:") {
            const req = http.get({ socketPath: url.pathname, path: "/_ping", timeout: TIMEOUT_MS }, (res) => {
                res.resume();
                res.on("end", () => (res.statusCode === 200 ? resolve() : reject(new Error(`/_ping answered ${res.statusCode}`))));
            });
            req.on("timeout", () => req.destroy(new Error(`no answer in ${TIMEOUT_MS / 1000} s`)));
            req.on("error", fail);
            return;
        }
        // A tcp:// engine may speak TLS and an ssh:// one needs credentials: a connection is enough to know it is there.
        const port = Number(url.port) || (url.protocol === "ssh:" ? 22 : 2375);
        const socket = net.connect({ host: url.hostname, port, timeout: TIMEOUT_MS }, () => {
            socket.destroy();
            resolve();
        });
        socket.on("timeout", () => socket.destroy(new Error(`no answer in ${TIMEOUT_MS / 1000} s`)));
        socket.on("error", fail);
    });
}

export interface Unreachable {
    host: HostSpec;
    /** `host "<name>" (<endpoint>) does not answer: <why>` */
    message: string;
}

/** The hosts whose engine does not answer, each with why: empty when all do. */
export async function unreachableHosts(hosts: HostSpec[]): Promise<Unreachable[]> {
    const results = await Promise.all(
        hosts.map((host) =>
            probe(host.docker).then(
                () => undefined,
                (err: Error) => ({ host, message: `host "${host.name}" (${host.docker}) does not answer: ${err.message}` }),
            ),
        ),
    );
    return results.filter((r): r is Unreachable => r !== undefined);
}
