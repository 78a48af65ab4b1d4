// Is each host's Docker engine there? Checked on loopback: a unix socket answering /_ping, and TCP
// listeners standing in for tcp:// and ssh:// engines (a connection is all those are asked for).
import { strict as assert } from "assert";
import * as fs from "fs";
import * as http from "http";
import * as net from "net";
import * as os from "os";
import * as path from "path";
import { unreachableHosts } from "../../components/hosts/reachable";

const listen = (server: net.Server, at: string | number) => new Promise<void>((resolve) => server.listen(at as any, () => resolve()));
const portOf = (server: net.Server) => (server.address() as net.AddressInfo).port;

describe("reaching each host's Docker engine", () => {
    let dir: string;
    const servers: net.Server[] = [];
    before(() => {
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "engines-"));
    });
    after(() => {
        servers.forEach((s) => s.close());
        fs.rmSync(dir, { recursive: true, force: true });
    });

    it("takes an answering unix socket, tcp:// and ssh:// endpoint as reachable", async () => {
        const unix = http.createServer((_, res) => res.end("OK"));
        const tcp = net.createServer((c) => c.end());
        const ssh = net.createServer((c) => c.end());
        servers.push(unix, tcp, ssh);
        await Promise.all([listen(unix, `${dir}/docker.sock`), listen(tcp, 0), listen(ssh, 0)]);
        const hosts = [
            { name: "a", docker: `unix://${dir}/docker.sock`, address: "10.77.0.11" },
            { name: "b", docker: `tcp://127.0.0.1:${portOf(tcp)}`, address: "10.77.0.12" },
            { name: "c", docker: `ssh://ops@127.0.0.1:${portOf(ssh)}`, address: "10.77.0.13" },
        ];
        assert.deepEqual(await unreachableHosts(hosts), []);
    });

    it("names every host that does not answer, with why, and only those", async () => {
        // A port that was just free: nothing listens there.
        const probe = net.createServer();
        await listen(probe, 0);
        const closed = portOf(probe);
        await new Promise((r) => probe.close(r));
        const refusing = http.createServer((_, res) => {
            res.statusCode = 500;
            res.end();
        });
        servers.push(refusing);
        await listen(refusing, `${dir}/sick.sock`);
        const unreachable = await unreachableHosts([
            { name: "gone", docker: `unix://${dir}/none.sock`, address: "10.77.0.11" },
            { name: "sick", docker: `unix://${dir}/sick.sock`, address: "10.77.0.12" },
            { name: "tcp", docker: `tcp://127.0.0.1:${closed}`, address: "10.77.0.13" },
            { name: "ssh", docker: `ssh://ops@127.0.0.1:${closed}`, address: "10.77.0.14" },
        ]);
        assert.deepEqual(unreachable.map((u) => u.host.name), ["gone", "sick", "tcp", "ssh"]);
        const lost = unreachable.map((u) => u.message);
        assert.equal(lost.length, 4, lost.join("\n"));
        assert.match(lost[0], /^host "gone" \(unix:\/\/.*none\.sock\) does not answer: connect ENOENT/);
        assert.match(lost[1], /^host "sick" .* does not answer: \/_ping answered 500/);
        assert.match(lost[2], /^host "tcp" \(tcp:\/\/127\.0\.0\.1:\d+\) does not answer: connect ECONNREFUSED/);
        assert.match(lost[3], /^host "ssh" .* does not answer: connect ECONNREFUSED/);
    });
});
