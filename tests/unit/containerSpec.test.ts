import { strict as assert } from "assert";
import * as pulumi from "@pulumi/pulumi";
import { ContainerInputs, containerDefinition, containerRevision, stableJson } from "../../components/containerSpec";
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

    it("stays the same for what is updated in place or ignored (labels, restart policy, stop grace)", async () => {
        assert.equal(await revisionOf({ ...base, labels: [{ label: "io.redis-cluster.stack", value: "renamed" }] }), await revisionOf(base));
        const def = containerDefinition(base);
        assert.deepEqual(Object.keys(def.inPlace).sort(), ["destroyGraceSeconds", "labels", "restart", "wait"]);
        assert.ok(Object.keys(def.inPlace).every((k) => !(k in def.recreating)));
    });

    it("is a secret when redis.conf is (it holds the password)", async () => {
        const def = containerDefinition({ ...base, redisConf: pulumi.secret("requirepass x\n") });
        assert.equal(await pulumi.isSecret(containerRevision(def.recreating)), true);
    });

    it("hashes equal definitions equally whatever the key order", () => {
        assert.equal(stableJson({ b: 1, a: [{ d: 2, c: undefined }] }), stableJson({ a: [{ d: 2 }], b: 1 }));
    });
});
