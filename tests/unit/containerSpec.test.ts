import { strict as assert } from "assert";
import * as fs from "fs";
import * as path from "path";
import fc from "fast-check";
import * as pulumi from "@pulumi/pulumi";
import { ContainerInputs, containerDefinition, containerRevision, stableJson, startScript } from "../../components/containerSpec";
import { CONFIG_PATH, LIVE_CONFIG_PATH, renderRedisConf } from "../../components/planning/redisConf";
import { startScriptBed } from "../support/startScriptBed";
import { planCluster } from "../../components/planning/plan";
import { resolveSettings } from "../../components/planning/settings";

const node = planCluster(resolveSettings({}).settings).nodes[0];
const base: ContainerInputs = {
    node,
    image: "redis:7.2",
    networkName: "redis-net",
    volumeName: node.volumeName,
    redisConf: "port 6379\n",
    labels: [{ label: "io.redis-cluster.stack", value: "dev" }],
};

const plain = <T>(o: pulumi.Output<T>) => new Promise<T>((resolve) => o.apply(resolve));
const revisionOf = (i: ContainerInputs) => plain(containerRevision(containerDefinition(i).recreating));

describe("container definition and its rollout fingerprint", () => {
    // Every input the docker provider can only apply by recreating the container.
    const recreatingChanges: [string, Partial<ContainerInputs>][] = [
        ["image", { image: "redis:7.2.5" }],
        ["redis.conf", { redisConf: "port 6379\nappendonly no\n" }],
        ["network", { networkName: "other-net" }],
        ["volume", { volumeName: "other-data" }],
        ["address", { node: { ...node, ip: "10.38.0.99" } }],
        ["published port", { node: { ...node, published: [{ internal: 6379, external: 7000, ip: "127.0.0.1" }] } }],
        ["no published port", { node: { ...node, published: [] } }],
        ["host address of a published port", { node: { ...node, published: [{ internal: 6379, external: 6371, ip: "10.77.0.11" }] } }],
        ["name", { node: { ...node, name: "other-1" } }],
        ["CPU limit", { cpus: "1.5" }],
        ["start from the live config", { liveConfig: true }],
        ["start without persistence", { keepsNothing: true }],
        ["somaxconn", { somaxconn: "1024" }],
        ["health check interval", { healthcheckInterval: "5m0s" }],
    ];
    for (const [what, change] of recreatingChanges) {
        it(`changes when the ${what} changes`, async () => {
            assert.notEqual(await revisionOf({ ...base, ...change }), await revisionOf(base));
        });
    }

    it("covers every recreating field of the definition (healthcheck, command, uploads, ...)", async () => {
        const def = containerDefinition(base);
        const before = await plain(containerRevision(def.recreating));
        for (const field of Object.keys(def.recreating)) {
            const edited = { ...def.recreating, [field]: [`edited ${field}`] };
            assert.notEqual(await plain(containerRevision(edited)), before, field);
        }
    });

    it("stays the same for what is updated in place or ignored (labels, restart policy, stop grace, memory limit)", async () => {
        assert.equal(await revisionOf({ ...base, labels: [{ label: "io.redis-cluster.stack", value: "renamed" }] }), await revisionOf(base));
        assert.equal(await revisionOf({ ...base, memoryBytes: 512 * 1024 ** 2 }), await revisionOf(base));
        assert.deepEqual(containerDefinition({ ...base, memoryBytes: 512 * 1024 ** 2 }).inPlace, { ...containerDefinition(base).inPlace, memory: 512, memorySwap: 512 });
        const def = containerDefinition(base);
        assert.deepEqual(Object.keys(def.inPlace).sort(), ["destroyGraceSeconds", "labels", "restart", "wait"]);
        assert.ok(Object.keys(def.inPlace).every((k) => !(k in def.recreating)));
    });

    it("is a secret when redis.conf is (it holds the password)", async () => {
        const def = containerDefinition({ ...base, redisConf: pulumi.secret("requirepass x\n") });
        assert.equal(await pulumi.isSecret(containerRevision(def.recreating)), true);
    });

    it("keeps the command stacks had when no directive is set at run time: no roll on upgrade", () => {
        assert.deepEqual(containerDefinition(base).recreating.command, ["redis-server", "/usr/local/etc/redis/redis.conf"]);
        assert.deepEqual(containerDefinition({ ...base, liveConfig: false, memoryBytes: 64 * 1024 ** 2 }).recreating.command, ["redis-server", "/usr/local/etc/redis/redis.conf"]);
        assert.equal(containerDefinition(base).recreating.sysctls, undefined);
        assert.deepEqual(containerDefinition({ ...base, somaxconn: "1024" }).recreating.sysctls, { "net.core.somaxconn": "1024" });
    });

    it("hashes equal definitions equally whatever the key order", () => {
        assert.equal(stableJson({ b: 1, a: [{ d: 2, c: undefined }] }), stableJson({ a: [{ d: 2 }], b: 1 }));
    });
});

describe("a node's live config, rebuilt at each start (sh and awk as in the image)", () => {
    const bed = startScriptBed("live-config");

    /** Runs the start script with the rendered and the live config in the bed; returns the live config it leaves. */
    const start = (rendered: string, live?: string) => {
        const dir = bed.dir;
        fs.writeFileSync(path.join(dir, "redis.conf"), rendered);
        if (live !== undefined) fs.writeFileSync(path.join(dir, "live.conf"), live);
        bed.run(startScript({ liveConfig: true }).split(LIVE_CONFIG_PATH).join(`${dir}/live.conf`).split(CONFIG_PATH).join(`${dir}/redis.conf`), `${dir}/live.conf`);
        return fs.readFileSync(path.join(dir, "live.conf"), "utf8");
    };
    const rendered = (s: ReturnType<typeof resolveSettings>["settings"]) => renderRedisConf(planCluster(s).nodes[0], s);

    it("starts a new node's volume from the rendered redis.conf alone", () => {
        const conf = rendered(resolveSettings({}).settings);
        assert.equal(start(conf), conf);
    });

    it("keeps what a rewrite saved unless redis.conf or the stack owns it, whatever the stack renders now (property)", () => {
        const settings = fc.record({
            password: fc.option(fc.constantFrom("pw-1", "pw-2"), { nil: undefined }),
            appendonly: fc.constantFrom("true", "false"),
            nodeTimeoutMs: fc.constantFrom("5000", "15000"),
            subnet: fc.constantFrom("10.38.0.0/24", "10.39.0.0/24"),
        });
        fc.assert(
            fc.property(settings, settings, fc.subarray(["maxmemory 104857600", "maxmemory-policy allkeys-lru", "hz 20", "MAXMEMORY-SAMPLES 7"]), (before, now, kept) => {
                // What CONFIG REWRITE leaves: the previous rendering, with the engine's directives and its own comment.
                const rewritten = rendered(resolveSettings(before).settings) + "cluster-node-timeout 500\nuser default on #abc ~* +@all\nrequirepass \"old\"\n\n# Generated by CONFIG REWRITE\n" + kept.map((l) => l + "\n").join("");
                const conf = rendered(resolveSettings(now).settings);
                assert.equal(start(conf, rewritten), conf + kept.map((l) => l + "\n").join(""));
            }),
            { numRuns: 25 },
        );
    });
});
