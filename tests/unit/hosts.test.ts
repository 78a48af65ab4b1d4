import { strict as assert } from "assert";
import fc from "fast-check";
import { hostsInUse, resolveHosts } from "../../components/planning/hosts";

const three = [
    { name: "h1", docker: "unix:///run/rch-1.sock", address: "10.77.0.11" },
    { name: "h2", docker: "tcp://10.77.0.12:2375", address: "10.77.0.12" },
    { name: "h3", docker: "ssh://ops@10.77.0.13", address: "10.77.0.13" },
];
const problemsOf = (raw: unknown, nodes = 6, base = 7001, replicas = 1) => resolveHosts(raw, nodes, base, replicas).problems;

describe("the hosts setting", () => {
    it("is optional: without it, one local engine", () => {
        assert.deepEqual(resolveHosts(undefined, 6, 6371, 1), { hosts: undefined, problems: [], warnings: [] });
    });

    it("accepts unix, tcp and ssh endpoints with distinct names and addresses", () => {
        const r = resolveHosts(three, 6, 7001, 1);
        assert.deepEqual(r.problems, []);
        assert.deepEqual(r.warnings, []);
        assert.equal(r.hosts?.length, 3);
    });

    const cases: [string, unknown, RegExp, number?][] = [
        ["no list", { name: "h1" }, /redis-cluster:hosts must be a list of hosts/],
        ["an empty list", [], /redis-cluster:hosts must be a list of hosts/],
        ["a duplicate name", [three[0], { ...three[1], name: "h1" }], /redis-cluster:hosts\[1\]\.name "h1" is already used by redis-cluster:hosts\[0\]/],
        ["a duplicate address", [three[0], { ...three[1], address: "10.77.0.11" }], /redis-cluster:hosts\[1\]\.address "10\.77\.0\.11" is already used by redis-cluster:hosts\[0\]/],
        ["another scheme", [{ ...three[0], docker: "http://x:2375" }], /redis-cluster:hosts\[0\]\.docker "http:\/\/x:2375" is not a Docker endpoint: use unix:\/\/\.\.\., tcp:\/\/\.\.\., ssh:\/\/\.\.\./],
        ["an address that is not IPv4", [{ ...three[0], address: "h1.example" }], /redis-cluster:hosts\[0\]\.address "h1\.example" is not an IPv4 address/],
        ["a loopback address", [{ ...three[0], address: "127.0.0.1" }], /redis-cluster:hosts\[0\]\.address 127\.0\.0\.1 is not reachable from other hosts/],
        ["a bad name", [{ ...three[0], name: "-x y" }], /redis-cluster:hosts\[0\]\.name "-x y" is not a host name/],
        ["an entry that is no object", ["h1"], /redis-cluster:hosts\[0\] must be an object/],
        ["no published ports", three, /redis-cluster:hostPortBase must be above 0 with redis-cluster:hosts/, 0],
        ["bus ports beyond 65535", three, /redis-cluster:hostPortBase 55531 leaves no room for 6 client ports and their bus ports/, 55531],
    ];
    for (const [what, raw, expected, base] of cases) {
        it(`refuses ${what}, naming the key and the entry`, () => {
            const problems = problemsOf(raw, 6, base ?? 7001);
            assert.ok(problems.some((p) => expected.test(p)), `expected ${expected} in:\n${problems.join("\n")}`);
        });
    }

    it("warns when there are fewer hosts than nodes per shard, and says how many it needs", () => {
        const r = resolveHosts(three.slice(0, 2), 9, 7001, 2);
        assert.deepEqual(r.problems, []);
        assert.match(r.warnings.join("\n"), /redis-cluster:hosts has 2 host\(s\): keeping a shard's 3 nodes on different hosts needs 3/);
    });
});

describe("a host entry's fields", () => {
    it("refuses a field that is not a host setting, such as a misspelt certPath", () => {
        const [h1, h2, h3] = three;
        assert.deepEqual(problemsOf([h1, { ...h2, certpath: "/certs" }, h3]), ["redis-cluster:hosts[1].certpath is not a host setting (name, docker, address, certPath, replaced, drain)"]);
        assert.deepEqual(problemsOf([h1, { ...h2, docker: "tcp://10.77.0.12:2376", certPath: "/certs" }, h3]), []);
    });

    it("takes replaced as true or false (a boolean, or the string pulumi config set --path stores), and nothing else", () => {
        const [h1, h2, h3] = three;
        for (const replaced of [true, "true"]) assert.equal(resolveHosts([h1, { ...h2, replaced }, h3], 6, 7001, 1).hosts?.[1].replaced, true);
        for (const replaced of [false, "false"]) assert.equal("replaced" in resolveHosts([h1, { ...h2, replaced }, h3], 6, 7001, 1).hosts![1], false);
        assert.deepEqual(problemsOf([h1, { ...h2, replaced: "yes" }, h3]), ["redis-cluster:hosts[1].replaced must be true or false"]);
    });
});

describe("the hosts a run needs", () => {
    const host = (i: number) => ({ name: `h${i}`, docker: `unix:///run/rch-${i}.sock`, address: `10.77.0.${10 + i}` });

    it("are exactly the listed hosts with planned or still running nodes, in list order (property)", () => {
        fc.assert(
            fc.property(
                fc.uniqueArray(fc.integer({ min: 1, max: 9 }), { minLength: 1, maxLength: 6 }),
                fc.array(fc.integer({ min: 1, max: 9 })),
                fc.array(fc.integer({ min: 1, max: 9 })),
                (listed, planned, running) => {
                    const hosts = listed.map(host);
                    const placement = Object.fromEntries(running.map((h, i) => [`redis-${i + 1}`, `h${h}`]));
                    const needed = hostsInUse(hosts, planned.map((h) => `h${h}`), placement).map((h) => h.name);
                    const expected = listed.filter((i) => planned.includes(i) || running.includes(i)).map((i) => `h${i}`);
                    assert.deepEqual(needed, expected);
                },
            ),
        );
    });

    it("leave out a host that runs no node, such as a mistyped entry", () => {
        assert.deepEqual(hostsInUse([host(1), host(2), host(3)], ["h1", "h2", "h1"], { "redis-3": "h2" }).map((h) => h.name), ["h1", "h2"]);
    });
});
