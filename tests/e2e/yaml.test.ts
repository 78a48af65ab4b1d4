// The component in another language: plugin/ serves RedisCluster as a Pulumi plugin (the Node.js language
// host runs it), Pulumi reads its schema from the TypeScript, and examples/yaml declares a cluster in Pulumi
// YAML through it. The schema is held to components/args.ts; the YAML cluster is read back with ioredis.
import { strict as assert } from "assert";
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { LocalWorkspace, Stack } from "@pulumi/pulumi/automation";
import { PROJECT_ROOT, pulumiEnv } from "../support/env";
import { removeStackObjects, stackObjects } from "../support/docker";
import { countMissingKeys, redisCli, withClusterClient, writeKeys } from "../support/redis";
import { preparedImage } from "../../scripts/preparedImage";
import { ARG_NAMES } from "../../components/args";

const NAME = "e2e-q";
const PREFIX = `${NAME}-`;
const PROGRAM = path.join(PROJECT_ROOT, "examples", "yaml");
const SEEDS = ["10.231.0.11:6379"];
const KEYS = 2000;

/** Each option of RedisClusterArgs as args.ts declares it: its doc comment and its type's text. */
function declaredArgs(): Map<string, { doc: string; type: string }> {
    const source = fs.readFileSync(path.join(PROJECT_ROOT, "components", "args.ts"), "utf8");
    const body = /export interface RedisClusterArgs \{([\s\S]*?)\n\}/.exec(source)![1];
    const found = new Map<string, { doc: string; type: string }>();
    for (const m of body.matchAll(/\/\*\* ([\s\S]*?) \*\/\n\s+(\w+)\?: ([^;]+);/g)) found.set(m[2], { doc: m[1].replace(/\s*\n\s*\*\s*/g, " "), type: m[3] });
    return found;
}

/** The schema type a declared TypeScript type should have. */
function schemaTypeOf(type: string): string {
    const inner = /^pulumi\.Input<(.+)>$/.exec(type)?.[1] ?? type;
    if (inner.endsWith("[]")) return "array";
    if (inner.startsWith("Record<")) return "object";
    if (["string", "number", "boolean"].includes(inner)) return inner;
    return `#/types/redis-cluster:index:${inner}`;
}

describe("the component from Pulumi YAML, through its plugin", function () {
    this.timeout(10 * 60 * 1000);
    let stack: Stack | undefined;
    const pulumi = (args: string[], cwd: string) => execFileSync("pulumi", args, { cwd, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, ...pulumiEnv() } });

    before(() => removeStackObjects(NAME));
    after(async () => {
        await stack?.destroy().catch(() => undefined);
        await stack?.workspace.removeStack(NAME, { force: true }).catch(() => undefined);
        removeStackObjects(NAME);
        fs.rmSync(path.join(PROGRAM, `Pulumi.${NAME}.yaml`), { force: true });
    });

    it("has a schema, read from the TypeScript, whose inputs are RedisClusterArgs with their types and descriptions", () => {
        const schema = JSON.parse(pulumi(["package", "get-schema", path.join(PROJECT_ROOT, "plugin")], PROJECT_ROOT));
        const resource = schema.resources["redis-cluster:index:RedisCluster"];
        assert.equal(resource.isComponent, true);
        const declared = declaredArgs();
        assert.deepEqual([...declared.keys()].sort(), [...ARG_NAMES].sort(), "args.ts was read whole");
        assert.deepEqual(Object.keys(resource.inputProperties).sort(), [...ARG_NAMES].sort());
        for (const [name, { doc, type }] of declared) {
            const property = resource.inputProperties[name];
            assert.equal(property.description, doc, name);
            assert.equal(property.type ?? property.$ref, schemaTypeOf(type), `${name}: ${type}`);
        }
        assert.deepEqual(schema.types["redis-cluster:index:PersistenceMode"].enum.map((e: { value: string }) => e.value), ["aof", "rdb", "aof+rdb", "none"]);
        assert.ok(["networkName", "slotAssignments", "clusterState", "nodes", "seedNodes", "connectCommand", "appliedIdentity"].every((k) => k in resource.properties));
    });

    it("a YAML program declares a cluster that comes up healthy, with the args it gave, serving keys", async () => {
        stack = await Stack.create(NAME, await LocalWorkspace.create({ workDir: PROGRAM, envVars: pulumiEnv() })).catch(async () =>
            Stack.select(NAME, await LocalWorkspace.create({ workDir: PROGRAM, envVars: pulumiEnv() })),
        );
        await stack.setAllConfig({
            "redis-cluster-yaml:prefix": { value: PREFIX },
            "redis-cluster-yaml:redisImage": { value: preparedImage() },
            "redis-cluster-yaml:subnet": { value: "10.231.0.0/24" },
        });
        const result = await stack.up();
        const cluster = result.outputs.cacheCluster.value;
        assert.equal(cluster.clusterState, "ok");
        assert.equal(cluster.networkName, `${PREFIX}cache-net`);
        assert.deepEqual(cluster.slotAssignments.map((s: { replicas: unknown[] }) => s.replicas.length), [1, 1, 1]);
        // memory 128m (maxmemory 75% of it), allkeys-lru and redisConfig hz 20, as the YAML says.
        for (const i of [1, 4]) {
            const node = `${PREFIX}cache-${i}`;
            assert.equal(redisCli(node, undefined, "config", "get", "maxmemory").split("\n")[1], String(96 * 1024 * 1024), node);
            assert.equal(redisCli(node, undefined, "config", "get", "maxmemory-policy").split("\n")[1], "allkeys-lru", node);
            assert.equal(redisCli(node, undefined, "config", "get", "hz").split("\n")[1], "20", node);
        }
        await withClusterClient(SEEDS, undefined, (c) => writeKeys(c, KEYS, "yaml"));
        assert.equal(await withClusterClient(SEEDS, undefined, (c) => countMissingKeys(c, KEYS, "yaml")), 0);
    });

    it("previews no change on the next run, then leaves nothing after destroy", async () => {
        await stack!.preview({ expectNoChanges: true });
        await stack!.destroy();
        assert.deepEqual(stackObjects(NAME), { containers: [], networks: [], volumes: [] });
    });
});
