// RedisCluster through the package's public entry (components/index.ts), as a program uses it: its args
// checked as the config keys are, every problem at once; names from the component's name, so two clusters
// in one program do not collide; secrets as Outputs; a docker provider passed down. Pulumi's mocks.
import { strict as assert } from "assert";
import * as fc from "fast-check";
import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { InvalidRedisClusterArgs, PlainArgs, RedisCluster, RedisClusterArgs, checkRedisClusterArgs } from "../../components";
import { resolveArgs } from "../../components/args";
import * as dependsOn from "@pulumi/pulumi/runtime/dependsOn";
import { specialSecretSig, specialSigKey } from "@pulumi/pulumi/runtime/rpc";

/** How the SDK resolves a dependsOn (internal to it, so not in its typings). */
const { getAllTransitivelyReferencedResourceURNs } = dependsOn as unknown as {
    getAllTransitivelyReferencedResourceURNs(resources: Set<pulumi.Resource>, exclude: Set<pulumi.Resource>): Promise<Set<string>>;
};

/** Every string of `v` outside a secret (mocks receive a secret as an envelope). */
const openStrings = (v: any): string[] =>
    v !== null && typeof v === "object"
        ? v[specialSigKey] === specialSecretSig
            ? []
            : Object.values(v).flatMap(openStrings)
        : typeof v === "string"
          ? [v]
          : [];

interface Registered {
    type: string;
    name: string;
    inputs: any;
    provider?: string;
}

/** Pulumi's mocks, recording every resource; the stack reference to itself reads `deployed`. */
async function mockEngine(deployed: Record<string, unknown> = {}): Promise<Registered[]> {
    const registered: Registered[] = [];
    await pulumi.runtime.setMocks(
        {
            newResource: (args) => {
                if (args.type === "pulumi:pulumi:StackReference") return { id: args.inputs.name, state: { name: args.inputs.name, outputs: deployed } };
                registered.push({ type: args.type, name: args.name, inputs: args.inputs, provider: args.provider });
                return { id: `${args.name}-id`, state: args.type === "docker:index/remoteImage:RemoteImage" ? { ...args.inputs, imageId: "sha256:feed" } : args.inputs };
            },
            call: () => ({}),
        },
        "component-test",
        "unit",
        false,
        "organization",
    );
    return registered;
}

/** Waits until every cluster's bootstrap is registered (the last resource each declares, once its inputs resolve). */
async function registeredAll(registered: Registered[], clusters: number): Promise<void> {
    for (let i = 0; i < 200 && ofType(registered, ":ClusterBootstrap").length < clusters; i++) await new Promise((r) => setTimeout(r, 25));
}

const ofType = (registered: Registered[], suffix: string) => registered.filter((r) => r.type.endsWith(suffix));
const containerNames = (registered: Registered[]) => ofType(registered, "container:Container").map((c) => c.inputs.name).sort();

describe("RedisCluster as a package: args", () => {
    it("takes no args at all: every option has a default", () => {
        assert.deepEqual(checkRedisClusterArgs({}), []);
    });

    it("names every problem by its argument, all in one list", () => {
        const problems = checkRedisClusterArgs({ shards: 2, subnet: "10.0.0.0/33", nodeTimeoutMs: 0, maxmemoryPolicy: "sometimes", prometheus: true, bogus: 1 } as PlainArgs);
        assert.equal(problems.length, 6, problems.join("\n"));
        assert.ok(problems.every((p) => !p.includes("redis-cluster:")), problems.join("\n"));
        for (const name of ["bogus", "shards", "subnet", "nodeTimeoutMs", "maxmemoryPolicy", "prometheus"]) {
            assert.ok(problems.some((p) => p.startsWith(name)), `no problem names ${name}:\n${problems.join("\n")}`);
        }
    });

    it("checks typed args exactly as the stack checks the same values as config text (property)", () => {
        const typed = fc.record(
            {
                shards: fc.integer({ min: -1, max: 12 }),
                replicasPerShard: fc.integer({ min: -1, max: 3 }),
                nodeTimeoutMs: fc.integer({ min: 0, max: 20000 }),
                hostPortBase: fc.integer({ min: -1, max: 70000 }),
                tlsCertValidityDays: fc.integer({ min: 0, max: 800 }),
                exporterPortBase: fc.integer({ min: 0, max: 70000 }),
                prometheusPort: fc.integer({ min: 0, max: 70000 }),
                appendonly: fc.boolean(),
                allowFullRestart: fc.boolean(),
                disableDefaultUser: fc.boolean(),
                tls: fc.boolean(),
                metrics: fc.boolean(),
                prometheus: fc.boolean(),
                cpus: fc.oneof(fc.constant(1), fc.constant(0.5), fc.constant(0)),
                memory: fc.constantFrom("16m", "96m", "2g", "lots"),
                namePrefix: fc.constantFrom("cache", "Bad Name", "a"),
            },
            { requiredKeys: [] },
        );
        fc.assert(
            fc.property(typed, (args) => {
                const asText = Object.fromEntries(Object.entries(args).map(([k, v]) => [k, String(v)])) as PlainArgs;
                const fromArgs = resolveArgs(args as PlainArgs, { componentName: "c", names: "args", machine: { cpus: 2 } });
                const fromConfig = resolveArgs(asText, { componentName: "c", names: "config", machine: { cpus: 2 } });
                assert.deepEqual(fromArgs.settings, fromConfig.settings);
                assert.deepEqual(fromArgs.problems, fromConfig.problems.map((p) => p.replace(/redis-cluster:(?=[A-Za-z])/g, "")));
            }),
            { numRuns: 200 },
        );
    });
});

describe("RedisCluster as a package: in a program (mocks)", function () {
    this.timeout(60000);

    it("refuses invalid args with every problem before it registers anything, itself included", async () => {
        const registered = await mockEngine();
        assert.throws(
            () => new RedisCluster("cache", { shards: 1, replicasPerShard: -1 }),
            (err: Error) => {
                assert.ok(err instanceof InvalidRedisClusterArgs);
                assert.match(err.message, /^Invalid RedisCluster "cache", nothing was created:\n - shards must be at least 3/);
                assert.match(err.message, /\n - replicasPerShard must be at least 0/);
                return true;
            },
        );
        await new Promise((r) => setTimeout(r, 100));
        assert.deepEqual(registered, []);
    });

    it("declares two clusters in one program without a collision: names and networks from each component's name", async () => {
        const registered = await mockEngine();
        const a = new RedisCluster("cache", { subnet: "10.39.0.0/24", hostPortBase: 0, image: "redis:7.2" });
        const b = new RedisCluster("sessions", { subnet: "10.40.0.0/24", replicasPerShard: 0, hostPortBase: 0, image: "redis:7.2" });
        await Promise.all([a.declared, b.declared]);
        await registeredAll(registered, 2);
        assert.deepEqual(containerNames(registered), [...[1, 2, 3, 4, 5, 6].map((i) => `cache-${i}`), ...[1, 2, 3].map((i) => `sessions-${i}`)].sort());
        assert.deepEqual(ofType(registered, "network:Network").map((n) => [n.name, n.inputs.name, n.inputs.ipamConfigs[0].subnet]), [
            ["cache-network", "cache-net", "10.39.0.0/24"],
            ["sessions-network", "sessions-net", "10.40.0.0/24"],
        ]);
        const names = registered.map((r) => `${r.type}::${r.name}`);
        assert.equal(new Set(names).size, names.length, "every resource's type and name is unique");
        assert.deepEqual(await outputValue(a.networkName), "cache-net");
        assert.deepEqual(await outputValue(b.seedNodes), ["10.40.0.11:6379", "10.40.0.12:6379", "10.40.0.13:6379"]);
    });

    it("takes secrets as Outputs, checks them once known, and keeps them secret", async () => {
        const registered = await mockEngine();
        const cluster = new RedisCluster("cache", { subnet: "10.39.0.0/24", password: pulumi.secret("s3cret-Pw-1"), image: "redis:7.2" });
        await cluster.declared;
        await registeredAll(registered, 1);
        assert.match(await outputValue(cluster.connectCommand), / --askpass$/);
        const security = registered.filter((r) => JSON.stringify(r.inputs).includes("s3cret-Pw-1"));
        assert.ok(security.length > 0, "the password reaches the resources that need it");
        for (const r of security) assert.ok(!openStrings(r.inputs).some((t) => t.includes("s3cret-Pw-1")), `${r.type} ${r.name} holds the password outside a secret`);

        await mockEngine();
        const users = pulumi.output([{ name: "app", password: "app-Pw-123456", rules: "~app:* +@all" }, { name: "app", password: "x", rules: "" }]);
        const refused = new RedisCluster("other", { subnet: "10.40.0.0/24", users, image: "redis:7.2" } as RedisClusterArgs);
        await assert.rejects(refused.declared, (err: Error) => err instanceof InvalidRedisClusterArgs && /users/.test(err.message));
    });

    it("is fully constructed for dependsOn: a resource that depends on the cluster alone waits for every node and the bootstrap", async () => {
        const registered = await mockEngine();
        const cluster = new RedisCluster("cache", { subnet: "10.39.0.0/24", hostPortBase: 0, image: "redis:7.2" });
        // What the SDK waits for when a resource lists the cluster in dependsOn, asked at once, as a program would.
        const urns = [...(await getAllTransitivelyReferencedResourceURNs(new Set([cluster]), new Set()))];
        await registeredAll(registered, 1);
        const named = (suffix: string) => urns.filter((u) => u.includes(suffix));
        assert.equal(named("::cache-bootstrap").length, 1, urns.join("\n"));
        assert.equal(named("docker:index/container:Container::").length, 6, urns.join("\n"));
    });

    it("creates the Docker resources with the docker provider the program passes", async () => {
        const registered = await mockEngine();
        const remote = new docker.Provider("remote", { host: "unix:///var/run/docker.sock" });
        const cluster = new RedisCluster("cache", { subnet: "10.39.0.0/24", hostPortBase: 0, image: "redis:7.2" }, { providers: [remote] });
        await cluster.declared;
        await registeredAll(registered, 1);
        const dockerResources = registered.filter((r) => r.type.startsWith("docker:index/") && r.type !== "pulumi:providers:docker");
        assert.ok(dockerResources.length >= 14, `${dockerResources.length} Docker resources`);
        for (const r of dockerResources) assert.match(r.provider ?? "", /::remote::/, `${r.type} ${r.name}`);
    });
});

function outputValue<T>(o: pulumi.Output<T>): Promise<T> {
    return new Promise((resolve) => o.apply(resolve));
}
