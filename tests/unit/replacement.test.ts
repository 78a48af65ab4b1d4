// Replacing a host whose machine is gone, pure: which entries move this run, machine generations, the
// shards that would keep no copy, and the recovery commands a refusal names.
import { strict as assert } from "assert";
import * as fc from "fast-check";
import { HostSpec } from "../../components/planning/hosts";
import { deployedEntries, formatGenerations, generationSuffix, machineGenerations, replacedThisRun, replacementSteps, shardsWithoutCopy } from "../../components/planning/replacement";
import { volumeName } from "../../components/planning/plan";
import { ClusterIdentity } from "../../components/planning/safety";

const host = (i: number, machine = i): HostSpec => ({ name: `h${i}`, docker: `unix:///run/rch-${machine}.sock`, address: `10.77.0.${10 + machine}` });
const identityOf = (hosts: HostSpec[], generations?: string, withNodes?: string): ClusterIdentity => ({
    namePrefix: "r",
    subnet: "10.1.0.0/24",
    gateway: "10.1.0.1",
    firstNodeIp: "10.1.0.11",
    image: "redis:7.0.15",
    hosts: hosts.map((h) => `${h.name}=${h.docker}@${h.address}`).join(","),
    ...(withNodes !== undefined ? { hostsWithNodes: withNodes } : {}),
    ...(generations !== undefined ? { hostGenerations: generations } : {}),
});

describe("replacing a host", () => {
    it("reads the deployed entries back, an ssh:// endpoint with its own @ included", () => {
        const entries = deployedEntries(identityOf([host(1), { name: "h2", docker: "ssh://ops@10.0.0.2", address: "10.0.0.2" }]));
        assert.deepEqual(entries.get("h2"), { docker: "ssh://ops@10.0.0.2", address: "10.0.0.2" });
        assert.deepEqual(entries.get("h1"), { docker: "unix:///run/rch-1.sock", address: "10.77.0.11" });
        assert.equal(deployedEntries(undefined).size, 0);
    });

    it("moves exactly the hosts marked replaced that ran nodes and now name another machine; each such move adds one generation, and a run that failed gets the same numbers again (property)", () => {
        fc.assert(
            fc.property(
                fc.integer({ min: 1, max: 6 }),
                fc.array(fc.record({ replaced: fc.boolean(), moved: fc.boolean(), ranNodes: fc.boolean(), generation: fc.nat(3) }), { minLength: 6, maxLength: 6 }),
                (count, traits) => {
                    const deployed = Array.from({ length: count }, (_, i) => host(i + 1, 10 * traits[i].generation + i + 1));
                    const applied = identityOf(
                        deployed,
                        formatGenerations(Object.fromEntries(deployed.map((h, i) => [h.name, traits[i].generation]))),
                        deployed.filter((_, i) => traits[i].ranNodes).map((h) => h.name).join(","),
                    );
                    const next = deployed.map((h, i) => ({ ...(traits[i].moved ? host(i + 1, 100 + i) : h), ...(traits[i].replaced ? { replaced: true } : {}) }));
                    const moving = replacedThisRun(applied, next).map((h) => h.name);
                    const expected = next.filter((_, i) => traits[i].replaced && traits[i].moved && traits[i].ranNodes).map((h) => h.name);
                    assert.deepEqual(moving, expected);
                    const generations = machineGenerations(applied, next);
                    next.forEach((h, i) => assert.equal(generations[h.name] ?? 0, traits[i].generation + (moving.includes(h.name) ? 1 : 0), h.name));
                    // Same config, same last applied identity (the run failed before it was recorded): same generations.
                    assert.deepEqual(machineGenerations(applied, next), generations);
                    // Once recorded, the move is done: nothing moves again, the numbers stay.
                    const recorded = identityOf(next, formatGenerations(generations), applied.hostsWithNodes);
                    assert.deepEqual(replacedThisRun(recorded, next), []);
                    assert.deepEqual(machineGenerations(recorded, next), generations);
                },
            ),
        );
        // Nothing deployed: nothing to replace.
        assert.deepEqual(replacedThisRun(undefined, [{ ...host(1), replaced: true }]), []);
        // Older state that does not say which hosts ran nodes: every listed one did.
        assert.deepEqual(replacedThisRun(identityOf([host(1), host(2)]), [host(1), { ...host(2, 9), replaced: true }]).map((h) => h.name), ["h2"]);
    });

    it("names a new machine's Docker objects apart from the old machine's, and leaves first machines' names as they were", () => {
        assert.equal(generationSuffix(undefined), "");
        assert.equal(generationSuffix(0), "");
        assert.equal(volumeName("redis", 5), "redis-5-data");
        assert.equal(volumeName("redis", 5, 0), "redis-5-data");
        assert.equal(volumeName("redis", 5, 2), "redis-5-data-m2");
        assert.equal(formatGenerations({ h1: 0, h2: 1, h3: 2 }), "h2=1,h3=2");
        assert.equal(formatGenerations({ h1: 0 }), undefined);
    });

    it("finds every shard, and only those, whose members all sit on hosts being replaced (property)", () => {
        fc.assert(
            fc.property(fc.array(fc.array(fc.constantFrom("h1", "h2", "h3", "h4"), { minLength: 1, maxLength: 3 }), { maxLength: 12 }), fc.subarray(["h1", "h2", "h3", "h4"]), (shards, replacing) => {
                const lost = shardsWithoutCopy(replacing, shards);
                shards.forEach((members, i) => assert.equal(lost.includes(i + 1), members.every((h) => replacing.includes(h)), JSON.stringify(members)));
            }),
        );
    });

    it("spells out the commands that replace each lost host, as config keys or as arguments", () => {
        const hosts = [host(1), host(2), host(3)];
        const steps = replacementSteps(hosts, ["h3"], "redis-cluster:hosts", true);
        assert.match(steps, /pulumi config set --path 'redis-cluster:hosts\[2\]\.docker' <the new machine's Docker endpoint>/);
        assert.match(steps, /pulumi config set --path 'redis-cluster:hosts\[2\]\.address' <the new machine's address>/);
        assert.match(steps, /pulumi config set --path 'redis-cluster:hosts\[2\]\.replaced' true/);
        assert.doesNotMatch(steps, /hosts\[[01]\]/);
        assert.match(replacementSteps(hosts, ["h1"], "hosts", false), /set hosts\[0\]\.docker and hosts\[0\]\.address to the new machine's, and hosts\[0\]\.replaced to true/);
    });
});
