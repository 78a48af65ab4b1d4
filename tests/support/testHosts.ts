/** The Docker hosts scripts/test-hosts.sh makes on this machine, for the multi-host tests and bench. */
import { execFileSync } from "child_process";
import * as path from "path";
import { PROJECT_ROOT } from "./env";

/** Runs `scripts/test-hosts.sh ...args` (up N | stop I | start I | down | env I); returns its output. */
export function testHosts(...args: string[]): string {
    return execFileSync("bash", [path.join(PROJECT_ROOT, "scripts/test-hosts.sh"), ...args], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
}

/** Test host `i` (1-based) as a `hosts` entry: its engine socket and its address on the test bridge. */
export function testHost(i: number): { name: string; docker: string; address: string } {
    return { name: `h${i}`, docker: `unix:///run/rch-${i}.sock`, address: `10.77.0.${10 + i}` };
}

/** The client certificate (ca.pem, cert.pem, key.pem) the test hosts' TLS engines accept: a docker certPath. */
export function testHostCertPath(): string {
    return "/var/lib/redis-cluster-test-hosts/tls/client";
}

/** Test host `i` as a `hosts` entry reached as a remote engine: tcp://<address>:2376 over TLS. */
export function testHostOverTls(i: number): { name: string; docker: string; address: string; certPath: string } {
    const h = testHost(i);
    return { ...h, docker: `tcp://${h.address}:2376`, certPath: testHostCertPath() };
}
