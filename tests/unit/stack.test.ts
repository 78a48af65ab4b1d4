// The resource graph index.ts declares, checked with Pulumi's mocks (no engine, no Docker).
import { strict as assert } from "assert";
import * as fs from "fs";
import * as http from "http";
import * as os from "os";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { accessOf, internalAclLines } from "../../components/planning/access";
import { NO_RESTART } from "../../components/planning/handover";
import { changedInputs } from "../../components/providers/bootstrap";
import { gateChanges, rolloutGateProvider } from "../../components/providers/gate";
import { specialSecretSig, specialSigKey } from "@pulumi/pulumi/runtime/rpc";

/** Whether the program declared a value secret: mocks receive a secret as this envelope. */
const isSecret = (v: any) => v !== null && typeof v === "object" && v[specialSigKey] === specialSecretSig;
/** A declared value as plain data, every secret opened. */
const reveal = (v: any): any =>
    isSecret(v) ? reveal(v.value) : Array.isArray(v) ? v.map(reveal) : v !== null && typeof v === "object" ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k, reveal(x)])) : v;

interface Created {
    type: string;
    name: string;
    inputs: any;
    /** The provider reference ("urn::id") the resource was created with, if not the default. */
    provider?: string;
}

/** `deployed`: the outputs the stack's last run left (what a stack reference to itself reads). */
async function runProgram(
    config: Record<string, string>,
    deployed: Record<string, unknown> = {},
    deployedSecrets: string[] = [],
    /** Secret-bearing keys the user set without --secret (all others are stored as secrets). */
    plaintext: string[] = [],
): Promise<{ resources: Created[]; outputs: Record<string, unknown> }> {
    const resources: Created[] = [];
    const secretKeys = ["password", "users", "tlsCaKey"].filter((k) => config[k] !== undefined && !plaintext.includes(k)).map((k) => `redis-cluster:${k}`);
    pulumi.runtime.setAllConfig(Object.fromEntries(Object.entries(config).map(([k, v]) => [`redis-cluster:${k}`, v])), secretKeys);
    await pulumi.runtime.setMocks(
        {
            newResource: (args) => {
                if (args.type === "pulumi:pulumi:StackReference") {
                    return { id: args.inputs.name, state: { name: args.inputs.name, outputs: deployed, secretOutputNames: deployedSecrets } };
                }
                resources.push({ type: args.type, name: args.name, inputs: args.inputs, provider: args.provider });
                const state =
                    args.type === "docker:index/remoteImage:RemoteImage"
                        ? { ...args.inputs, imageId: "sha256:feed" }
                        : args.type.endsWith(":InternalUsers")
                          ? { ...args.inputs, adminPassword: "adm-PW-fixed", replicationPassword: "rep-PW-fixed" }
                          : args.inputs;
                return { id: `${args.name}-id`, state };
            },
            call: () => ({}),
        },
        "redis-cluster",
        "unit",
        false,
        "organization",
    );
    // A fresh copy of the program for every run, as the engine would load it.
    for (const key of Object.keys(require.cache)) {
        if (key.includes("/components/") || key.endsWith("/index.ts")) {
            delete require.cache[key];
        }
    }
    // The program is a promise of its outputs (it checks the hosts and reads the deployed placement first).
    const program = await require("../../index");
    const outputs: Record<string, unknown> = {};
    // Only outputs the plan knows; the bootstrap's live outputs have no value under mocks.
    for (const k of ["image", "networkName", "seedNodes", "hostPorts", "plannedSlots", "connectCommand", "placement"]) {
        outputs[k] = await new Promise((resolve) => pulumi.output(program[k]).apply(resolve));
    }
    // The bootstrap registers once its inputs (container ids) resolve.
    for (let i = 0; i < 100 && !resources.some((r) => r.type === "pulumi-nodejs:dynamic/redis-cluster:ClusterBootstrap"); i++) {
        await new Promise((r) => setTimeout(r, 50));
    }
    return { resources, outputs };
}

describe("stack resource graph (mocks)", function () {
    // Each test loads the whole program afresh (2-3 s alone); beside end-to-end suites on 2 CPUs, 10 s was not always enough.
    this.timeout(60000);
    it("declares one network, an image, a volume and container per node, and the bootstrap", async () => {
        const { resources, outputs } = await runProgram({ image: "redis:7.2" });
        const ofType = (t: string) => resources.filter((r) => r.type === t);

        const [network] = ofType("docker:index/network:Network");
        assert.equal(network.inputs.name, "redis-net");
        assert.deepEqual(network.inputs.ipamConfigs, [{ subnet: "10.38.0.0/24", gateway: "10.38.0.1" }]);
        assert.ok(network.inputs.labels.some((l: any) => l.label === "io.redis-cluster.project"));

        assert.equal(ofType("docker:index/remoteImage:RemoteImage")[0].inputs.keepLocally, true);
        assert.deepEqual(ofType("docker:index/volume:Volume").map((v) => v.inputs.name), [1, 2, 3, 4, 5, 6].map((i) => `redis-${i}-data`));

        const containers = ofType("docker:index/container:Container");
        assert.equal(containers.length, 6);
        containers.forEach((c, k) => {
            const i = k + 1;
            assert.equal(c.inputs.name, `redis-${i}`);
            assert.deepEqual(c.inputs.networksAdvanced, [{ name: "redis-net", ipv4Address: `10.38.0.${10 + i}`, aliases: [`redis-${i}`] }]);
            // The seed published 6739 by mistake; every published port must reach 6379 inside.
            assert.deepEqual(c.inputs.ports, [{ internal: 6379, external: 6370 + i, ip: "127.0.0.1", protocol: "tcp" }]);
            assert.deepEqual(c.inputs.volumes, [{ volumeName: `redis-${i}-data`, containerPath: "/data" }]);
            assert.equal(c.inputs.restart, "unless-stopped");
            // The gates and the bootstrap wait for the node; Docker stops it gracefully (shutdown save, AOF flush).
            assert.equal(c.inputs.wait, false);
            assert.equal(c.inputs.destroyGraceSeconds, 60);
            assert.equal(c.inputs.image, "redis:7.2", "the image by its reference: a newer image under the same tag rolls nothing");
            assert.match(c.inputs.uploads[0].content, new RegExp(`cluster-announce-ip 10\\.38\\.0\\.${10 + i}\\n`));
        });

        // One rollout gate per node, in the order restarts go: planned masters, then replicas.
        const gates = ofType("pulumi-nodejs:dynamic/redis-cluster:RolloutGate");
        assert.deepEqual(gates.map((g) => g.name), [1, 2, 3, 4, 5, 6].map((i) => `redis-${i}-rollout`));
        for (const g of gates) {
            assert.equal(g.inputs.node.ip, `10.38.0.${10 + Number(g.name.split("-")[1])}`);
            assert.match(g.inputs.node.revision, /^[0-9a-f]{64}$/, "the revision is a fingerprint, not the rendered redis.conf");
            // Where it finds the cluster: its own node first, then the rest of its shard and the first three nodes.
            const shardOf = (i: number) => [`redis-${i}`, `redis-${i + 3}`];
            const own = Number(g.name.split("-")[1]);
            const expected = new Set([...shardOf(own <= 3 ? own : own - 3), "redis-1", "redis-2", "redis-3"]);
            assert.equal(g.inputs.entryPoints[0].name, g.inputs.node.name);
            assert.deepEqual(new Set(g.inputs.entryPoints.map((n: any) => n.name)), expected);
        }

        const [bootstrap] = ofType("pulumi-nodejs:dynamic/redis-cluster:ClusterBootstrap");
        assert.equal(bootstrap.inputs.plannedNodes.length, 6);
        assert.deepEqual(bootstrap.inputs.plannedShards.map((s: any) => s.slots[0]), ["0-5460", "5461-10922", "10923-16383"]);
        assert.deepEqual(outputs.seedNodes, [11, 12, 13, 14, 15, 16].map((n) => `10.38.0.${n}:6379`));
        assert.equal(outputs.image, "redis:7.2");
        assert.equal((outputs.hostPorts as any)["10.38.0.11:6379"], "127.0.0.1:6371");
    });

    it("refuses a password or users set without --secret (plaintext in the stack's config file), naming the key and the command", async () => {
        const users = JSON.stringify([{ name: "app", password: "pw-App-1", rules: "~app:* +@read" }]);
        await assert.rejects(runProgram({ image: "redis:7.2", password: "pw-Plain-1", users }, {}, [], ["password", "users"]), (err: Error) => {
            assert.match(err.message, /redis-cluster:password is stored in plaintext in the stack's config file \(it was set without --secret\): set it again with pulumi config set --secret redis-cluster:password '<value>'/);
            assert.match(err.message, /redis-cluster:users is stored in plaintext .* --path --secret 'redis-cluster:users\[0\]\.password'/);
            assert.ok(!err.message.includes("pw-Plain-1") && !err.message.includes("pw-App-1"), "the refusal repeats a password");
            return true;
        });
    });

    it("gives each dynamic resource a one-line provider that loads it from the project, no password in it, and publishes no port with hostPortBase 0", async () => {
        const { resources } = await runProgram({ image: "redis:7.2", password: "Sup3rSecret", hostPortBase: "0" });
        const dynamic = resources.filter((r) => r.type.startsWith("pulumi-nodejs:dynamic/"));
        // The guard, the bootstrap and one gate per node.
        assert.equal(dynamic.length, 1 + 1 + 6);
        for (const r of dynamic) {
            const source = String(r.inputs.__provider);
            assert.ok(source.length > 100 && source.length < 1000, `${r.name}: a provider that loads the engine, not one that carries it: ${source.length} chars`);
            assert.ok(!source.includes("Sup3rSecret"), `${r.name}: the password is in the provider's code`);
        }
        // What Pulumi's dynamic provider process does with it (require-from-string, then handler()):
        // the line loads the provider from the compiled project, with every method the resource needs.
        const expected: Record<string, string[]> = { ChangeGuard: ["check", "diff", "create", "update"], RolloutGate: ["diff", "create", "update", "delete"], ClusterBootstrap: ["diff", "create", "update", "delete"] };
        for (const [type, methods] of Object.entries(expected)) {
            const r = dynamic.find((d) => d.type.endsWith(`:${type}`))!;
            const module = { exports: {} as { handler?: () => Record<string, unknown> } };
            new Function("exports", "require", String(r.inputs.__provider))(module.exports, require);
            const provider = module.exports.handler!();
            for (const m of methods) assert.equal(typeof provider[m], "function", `${type}.${m}`);
        }
        const containers = resources.filter((r) => r.type === "docker:index/container:Container");
        assert.ok(containers.every((c) => c.inputs.ports.length === 0));
    });

    it("declares no TLS or ACL resource unless asked, so existing stacks see no change", async () => {
        const { resources } = await runProgram({ image: "redis:7.2", password: "pw-Plain-1" });
        for (const t of ["TlsAuthority", "NodeCertificate", "InternalUsers"]) assert.equal(resources.filter((r) => r.type.endsWith(`:${t}`)).length, 0, t);
        for (const r of resources.filter((x) => /:(RolloutGate|ClusterBootstrap)$/.test(x.type))) {
            for (const k of ["internal", "defaultUserEnabled", "users", "tlsCa", "tlsMode", "runtimeConfig", "memoryLimitBytes"]) assert.equal(r.inputs[k], undefined, `${r.name}.${k}`);
        }
        const guard = resources.find((r) => r.type.endsWith(":ChangeGuard"))!;
        assert.equal("tls" in guard.inputs.identity, false);
        assert.equal("memory" in guard.inputs.identity, false);
        for (const container of resources.filter((r) => r.type === "docker:index/container:Container")) {
            assert.deepEqual(container.inputs.command, ["redis-server", "/usr/local/etc/redis/redis.conf"]);
            for (const k of ["memory", "memorySwap", "cpus"]) assert.equal(container.inputs[k], undefined, k);
        }
    });

    it("with metrics and Prometheus: an exporter per node and one server, their secrets secret, and nothing of the nodes changed", async () => {
        const base = { image: "redis:7.2", password: "pw-Default-1" };
        const without = (await runProgram(base)).resources;
        const run = await runProgram({ ...base, metrics: "true", prometheus: "true" });
        // Exporters and the server register once the bootstrap has (they wait for it).
        for (let i = 0; i < 100 && run.resources.filter((r) => r.type === "docker:index/container:Container").length < 13; i++) await new Promise((r) => setTimeout(r, 50));
        const containers = run.resources.filter((r) => r.type === "docker:index/container:Container");
        const nodes = (rs: Created[]) => rs.filter((r) => r.type === "docker:index/container:Container" && /^redis-\d+$/.test(r.inputs.name));
        // Turning metrics on changes no input of a node's container, gate or the bootstrap: no restart, nothing to roll.
        assert.deepEqual(nodes(run.resources).map((r) => reveal(r.inputs)), nodes(without).map((r) => reveal(r.inputs)));
        for (const t of [":RolloutGate", ":ClusterBootstrap", ":ChangeGuard"]) {
            assert.deepEqual(run.resources.filter((r) => r.type.endsWith(t)).map((r) => reveal(r.inputs)), without.filter((r) => r.type.endsWith(t)).map((r) => reveal(r.inputs)), t);
        }
        const exporters = containers.filter((r) => r.inputs.name.endsWith("-exporter"));
        assert.deepEqual(exporters.map((r) => r.inputs.name), [1, 2, 3, 4, 5, 6].map((i) => `redis-${i}-exporter`));
        for (const e of exporters) {
            assert.doesNotMatch(JSON.stringify(reveal(e.inputs.command)), /pw-Default-1/);
            assert.ok(isSecret(e.inputs.uploads) || e.inputs.uploads.every((u: any) => isSecret(u.content)), "the password file is a secret");
            assert.match(JSON.stringify(reveal(e.inputs.uploads)), /pw-Default-1/);
        }
        const server = containers.find((r) => r.inputs.name === "redis-prometheus")!;
        assert.deepEqual(server.inputs.ports, [{ internal: 9090, external: 9090, ip: "127.0.0.1", protocol: "tcp" }]);
        assert.deepEqual(run.resources.filter((r) => r.type === "docker:index/volume:Volume" && r.inputs.name === "redis-prometheus-data").length, 1);
    });

    it("with limits: every container bounded, maxmemory and the policy for the engine to set, the new limit for the first gate to check", async () => {
        const { resources } = await runProgram({ image: "redis:7.2", memory: "512m", cpus: "0.5", maxmemoryPolicy: "allkeys-lfu" });
        const runtimeConfig = { maxmemory: String(384 * 1024 ** 2), "maxmemory-policy": "allkeys-lfu" };
        const containers = resources.filter((r) => r.type === "docker:index/container:Container");
        for (const c of containers) {
            assert.equal(c.inputs.memory, 512);
            assert.equal(c.inputs.memorySwap, 512);
            assert.equal(c.inputs.cpus, "0.5");
            assert.match(c.inputs.command.join(" "), /^sh -c .*exec redis-server \/data\/redis-live\.conf$/s);
            // The rendered redis.conf does not hold them: changing them recreates nothing.
            assert.doesNotMatch(reveal(c.inputs.uploads[0].content), /maxmemory/);
        }
        const gates = resources.filter((r) => r.type.endsWith(":RolloutGate"));
        assert.deepEqual(gates.map((g) => g.inputs.runtimeConfig), gates.map(() => runtimeConfig));
        assert.deepEqual(gates.map((g) => g.inputs.memoryLimitBytes), gates.map((_, i) => (i === 0 ? 512 * 1024 ** 2 : undefined)));
        assert.deepEqual(resources.find((r) => r.type.endsWith(":ClusterBootstrap"))!.inputs.runtimeConfig, runtimeConfig);
        assert.equal(resources.find((r) => r.type.endsWith(":ChangeGuard"))!.inputs.identity.memory, "512m");
    });

    it("with tls and users: one CA, a certificate per node naming its addresses, the stack's own users, and TLS everywhere", async () => {
        const users = JSON.stringify([{ name: "app", password: "pw-App-1", rules: "~app:* +@read" }]);
        const { resources, outputs } = await runProgram({ image: "redis:7.2", tls: "true", users, password: "pw-Default-1" });
        const ofType = (t: string) => resources.filter((r) => r.type.endsWith(`:${t}`));
        assert.equal(ofType("TlsAuthority").length, 1);
        assert.equal(ofType("InternalUsers").length, 1);
        const certificates = ofType("NodeCertificate");
        assert.deepEqual(certificates.map((c) => c.inputs.commonName), [1, 2, 3, 4, 5, 6].map((i) => `redis-${i}`).sort());
        for (const c of certificates) {
            const i = Number(c.inputs.commonName.split("-")[1]);
            assert.deepEqual(c.inputs.ips, [`10.38.0.${10 + i}`, "127.0.0.1"]);
            assert.deepEqual(c.inputs.dnsNames, [`redis-${i}`]);
            assert.equal(c.inputs.validityDays, 365);
            assert.equal(c.inputs.renewBeforeDays, 30);
        }
        for (const c of resources.filter((r) => r.type === "docker:index/container:Container")) {
            assert.equal(c.inputs.command[0], "sh");
            const files = reveal(c.inputs.uploads).map((u: { file: string }) => u.file).sort();
            assert.deepEqual(files, ["/usr/local/etc/redis/internal-users.acl", "/usr/local/etc/redis/redis.conf", "/usr/local/etc/redis/tls/ca.crt", "/usr/local/etc/redis/tls/node.crt", "/usr/local/etc/redis/tls/node.key"]);
            assert.match(c.inputs.healthcheck.tests[1], /redis-cli --tls --cacert \/usr\/local\/etc\/redis\/tls\/ca\.crt -p 6379 ping/);
        }
        const guard = ofType("ChangeGuard")[0];
        assert.equal(guard.inputs.identity.tls, "the stack's own CA");
        for (const g of ofType("RolloutGate")) assert.equal(g.inputs.tlsMode, "the stack's own CA");
        assert.equal(outputs.connectCommand, "docker exec -it redis-1 redis-cli -c --tls --cacert /usr/local/etc/redis/tls/ca.crt --askpass");
    });

    it("a gate keeps its entry points in its inputs only, and new ones alone are no change of it", async () => {
        const node = { name: "redis-2", ip: "10.9.0.12", port: 6379, revision: "r1", appendonly: true };
        const inputs = { clusterName: "c", node, entryPoints: [node], password: "pw", previous: NO_RESTART };
        const { outs } = await rolloutGateProvider.create!(inputs);
        assert.equal("entryPoints" in outs, false);
        assert.deepEqual(outs.restart, NO_RESTART);
        const more = { ...inputs, entryPoints: [node, { name: "redis-7", ip: "10.9.0.17", port: 6379 }] };
        assert.deepEqual(gateChanges(outs, more), []);
        assert.equal((await rolloutGateProvider.diff!("id", outs, more)).changes, false);
    });

    it("a gate changes for a new record of the previous gate in an update, never for a preview's unknown one (no chain in a preview)", () => {
        const node = { name: "redis-2", ip: "10.9.0.12", port: 6379, revision: "r1", appendonly: true };
        const olds = { clusterName: "c", node, entryPoints: [node], password: "pw", previous: NO_RESTART };
        const restarted = { name: "redis-1", ip: "10.9.0.11", port: 6379, runId: "abc" };
        assert.deepEqual(gateChanges(olds, { ...olds, previous: restarted }), ["previous"]);
        const preview = { ...olds, previous: pulumi.runtime.unknownValue as unknown as typeof restarted };
        assert.deepEqual(gateChanges(olds, preview), []);
        assert.deepEqual(gateChanges(olds, { ...preview, node: { ...node, revision: "r2" } }), ["node"]);
    });

    it("sees no change in an ACL stack whose state an earlier release wrote, the default user's setting inside `internal`", async () => {
        const users = JSON.stringify([{ name: "app", password: "pw-App-1", rules: "~app:* +@read" }]);
        for (const [config, enabled] of [[{ users, password: "pw-Default-1" }, true], [{ users, disableDefaultUser: "true" }, false]] as const) {
            const { resources } = await runProgram({ image: "redis:7.2", ...config });
            /** The same inputs as earlier releases stored them (and the providers' outputs repeat them). */
            const earlier = ({ defaultUserEnabled, ...inputs }: any, defaultUser: boolean = defaultUserEnabled) => ({ ...inputs, internal: { ...inputs.internal, defaultUser } });
            const gates = resources.filter((r) => r.type.endsWith(":RolloutGate"));
            const [bootstrap] = resources.filter((r) => r.type.endsWith(":ClusterBootstrap"));
            for (const r of [...gates, bootstrap]) {
                // The setting is config, plain; the stack's own users are the generated secrets, and only those.
                assert.equal(r.inputs.defaultUserEnabled, enabled, r.name);
                assert.ok(isSecret(r.inputs.internal), `${r.name}: internal is a secret`);
                assert.deepEqual(Object.keys(reveal(r.inputs.internal)).sort(), ["adminPassword", "replicationPassword"], r.name);
            }
            for (const g of gates) {
                const news = reveal(g.inputs);
                const olds = { ...earlier(news), restart: NO_RESTART };
                assert.deepEqual(gateChanges(olds, news), [], g.name);
                assert.equal((await rolloutGateProvider.diff!("id", olds, news)).changes, false, g.name);
                assert.deepEqual(gateChanges(earlier(news, !enabled), news), ["access"], `${g.name}: the setting changed`);
            }
            const news = reveal(bootstrap.inputs);
            assert.deepEqual(changedInputs({ ...earlier(news), clusterState: "ok", shards: [], nodes: [] }, news), []);
            assert.deepEqual(changedInputs(earlier(news, !enabled), news), ["access"]);
            // Each node's own users are the ones the earlier state describes: its container is not recreated.
            for (const c of resources.filter((r) => r.type === "docker:index/container:Container")) {
                const upload = reveal(c.inputs.uploads).find((u: { file: string }) => u.file === "/usr/local/etc/redis/internal-users.acl");
                assert.equal(upload.content, internalAclLines(accessOf(earlier(news))).join("\n") + "\n", c.name);
            }
        }
    });

    it("fails before declaring anything when the config is invalid", async () => {
        await assert.rejects(runProgram({ shards: "2", subnet: "10.0.0.0/30" }), (err: Error) => {
            assert.match(err.message, /redis-cluster:shards must be at least 3/);
            assert.match(err.message, /redis-cluster:subnet 10\.0\.0\.0\/30 is too small/);
            return true;
        });
    });

    it("has no placement output on one engine", async () => {
        const { outputs } = await runProgram({ image: "redis:7.2" });
        assert.equal(outputs.placement, undefined);
    });

    describe("with hosts", () => {
        // Each host's "engine" is a socket here that answers Docker's /_ping, as a live engine does.
        let dir: string;
        let servers: http.Server[] = [];
        const hosts = [1, 2, 3, 4].map((i) => ({ name: `h${i}`, docker: "", address: `10.77.0.${10 + i}` }));
        before(async () => {
            dir = fs.mkdtempSync(path.join(os.tmpdir(), "engines-"));
            servers = await Promise.all(
                hosts.map(
                    (h) =>
                        new Promise<http.Server>((resolve) => {
                            h.docker = `unix://${dir}/${h.name}.sock`;
                            const server = http.createServer((_, res) => res.end("OK"));
                            server.listen(`${dir}/${h.name}.sock`, () => resolve(server));
                        }),
                ),
            );
        });
        after(() => {
            servers.forEach((s) => s.close());
            fs.rmSync(dir, { recursive: true, force: true });
        });
        const three = () => JSON.stringify(hosts.slice(0, 3));

        it("sends every resource of a node to its host's provider, and says where nodes go", async () => {
            const { resources, outputs } = await runProgram({ image: "redis:7.2", hostPortBase: "7101", hosts: three() });
            const providers = resources.filter((r) => r.type === "pulumi:providers:docker");
            assert.deepEqual(providers.map((p) => p.inputs.host), hosts.slice(0, 3).map((h) => h.docker));
            const providerOf = (r: Created) => providers.find((p) => r.provider?.includes(`::${p.name}::`))?.inputs.host;
            for (const type of ["docker:index/network:Network", "docker:index/remoteImage:RemoteImage"]) {
                assert.deepEqual(resources.filter((r) => r.type === type).map(providerOf), hosts.slice(0, 3).map((h) => h.docker), type);
            }
            assert.deepEqual(outputs.placement, { "redis-1": "h1", "redis-2": "h2", "redis-3": "h3", "redis-4": "h1", "redis-5": "h2", "redis-6": "h3" });
            for (const type of ["docker:index/volume:Volume", "docker:index/container:Container"]) {
                for (const r of resources.filter((x) => x.type === type)) {
                    // With hosts a volume and a container resource are named after their host too (a node that moves gets new ones).
                    const node = r.name.replace(/(-data)?-h\d$/, "");
                    const host = hosts.find((h) => h.name === (outputs.placement as Record<string, string>)[node])!;
                    assert.equal(providerOf(r), host.docker, `${r.name} goes to ${host.name}`);
                    assert.equal(r.name, type === "docker:index/volume:Volume" ? `${node}-data-${host.name}` : `${node}-${host.name}`);
                }
            }
            const [c5] = resources.filter((r) => r.type === "docker:index/container:Container" && r.name === "redis-5-h2");
            assert.deepEqual(c5.inputs.ports, [
                { internal: 6379, external: 7105, ip: "10.77.0.12", protocol: "tcp" },
                { internal: 16379, external: 17105, ip: "10.77.0.12", protocol: "tcp" },
            ]);
            assert.deepEqual((outputs.seedNodes as string[])[4], "10.77.0.12:7105");
            assert.equal(outputs.connectCommand, "redis-cli -c -h 10.77.0.11 -p 7101");
        });

        it("keeps deployed nodes on their hosts when a host is added, puts a new shard on distinct hosts and new replicas off their shard's hosts", async () => {
            const placement = { "redis-1": "h1", "redis-2": "h2", "redis-3": "h3", "redis-4": "h1", "redis-5": "h2", "redis-6": "h3" };
            const ref = (name: string) => ({ name, host: placement[name as keyof typeof placement] });
            // The live shards as the last run reported them: 1+5, 2+6, 3+4.
            const slotAssignments = [["redis-1", "redis-5"], ["redis-2", "redis-6"], ["redis-3", "redis-4"]].map(([m, r]) => ({ master: ref(m), replicas: [ref(r)] }));
            // Node 4, a replica on h1, becomes shard 4's master: h1 would run 2 of 4 masters, accepted here.
            const config = { image: "redis:7.2", hostPortBase: "7101", shards: "4", allowHostLossOutage: "true", hosts: JSON.stringify(hosts) };
            await assert.rejects(runProgram({ ...config, allowHostLossOutage: "false" }, { placement, slotAssignments }), /Refused, nothing was changed:\n - host "h1" would run 2 of the 4 masters/);
            const { outputs } = await runProgram(config, { placement, slotAssignments });
            assert.deepEqual(outputs.placement, { ...placement, "redis-7": "h4", "redis-8": "h1" });
            // A second replica per shard: each new one avoids its own shard's hosts, which only the live
            // shards tell (1+5 on h1,h2; 2+6 on h2,h3; 3+4 on h3,h1). With a password they are a secret output.
            const grown = { ...config, shards: "3", replicasPerShard: "2" };
            const expected = { ...placement, "redis-7": "h4", "redis-8": "h4", "redis-9": "h2" };
            assert.deepEqual((await runProgram(grown, { placement, slotAssignments })).outputs.placement, expected);
            assert.deepEqual((await runProgram(grown, { placement, slotAssignments }, ["slotAssignments"])).outputs.placement, expected);
        });

        it("refuses to run when a host's engine does not answer, naming the host, before declaring anything", async () => {
            const gone = [...hosts.slice(0, 2), { name: "h9", docker: `unix://${dir}/gone.sock`, address: "10.77.0.19" }];
            await assert.rejects(runProgram({ image: "redis:7.2", hostPortBase: "7101", hosts: JSON.stringify(gone) }), (err: Error) => {
                assert.match(err.message, /Cannot reach every Docker host, nothing was changed:\n - host "h9" \(unix:\/\/.*gone\.sock\) does not answer: connect ENOENT/);
                assert.doesNotMatch(err.message, /"h1"|"h2"/);
                return true;
            });
        });
    });
});
