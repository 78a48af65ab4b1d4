// The rollout fingerprint (containerSpec.ts: containerRevision) against what the real docker provider
// does: a rollout gate lets a container be replaced only when the fingerprint changes, so every input
// the provider replaces the container for must change it, and inputs it updates in place must not.
// Judged by the provider's own preview of a real container declared with RedisNode's options, one field
// changed at a time.
import { strict as assert } from "assert";
import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { LocalWorkspace, Stack } from "@pulumi/pulumi/automation";
import { ContainerInputs, containerDefinition, containerRevision } from "../../components/containerSpec";
import { clusterLabels } from "../../components/labels";
import { CONTAINER_CHANGE_OPTIONS } from "../../components/node";
import { planCluster } from "../../components/planning/plan";
import { resolveSettings } from "../../components/planning/settings";
import { preparedImage } from "../../scripts/preparedImage";
import { removeStackObjects } from "../support/docker";
import { TEST_STATE_DIR, pulumiEnv } from "../support/env";

const STACK = "e2e-fp";
const settings = resolveSettings({ namePrefix: STACK, subnet: "10.219.0.0/24", hostPortBase: "7301", shards: "3", replicasPerShard: "0" }, preparedImage()).settings;
const node = planCluster(settings).nodes[0];
const base: ContainerInputs = {
    node,
    image: preparedImage(),
    networkName: `${STACK}-net`,
    volumeName: node.volumeName,
    redisConf: "port 6379\n",
    labels: clusterLabels(STACK, STACK),
};

type Definition = ReturnType<typeof containerDefinition>;
/** Each field of the definition changed on its own, to a value the provider accepts. */
const changes: Record<string, (d: Definition) => Partial<Definition["recreating"] & Definition["inPlace"]>> = {
    name: () => ({ name: `${STACK}-9` }),
    hostname: () => ({ hostname: `${STACK}-9` }),
    image: () => ({ image: `${preparedImage()}-other` }),
    command: (d) => ({ command: [...(d.recreating.command as string[]), "--loglevel", "warning"] }),
    uploads: () => ({ uploads: [{ file: "/usr/local/etc/redis/redis.conf", content: "port 6379\nappendonly no\n" }] }),
    volumes: () => ({ volumes: [{ volumeName: `${STACK}-other-data`, containerPath: "/data" }] }),
    networksAdvanced: () => ({ networksAdvanced: [{ name: `${STACK}-net`, ipv4Address: "10.219.0.99", aliases: [node.name] }] }),
    ports: () => ({ ports: [{ internal: 6379, external: 7399, ip: "127.0.0.1", protocol: "tcp" }] }),
    healthcheck: (d) => ({ healthcheck: { ...(d.recreating.healthcheck as object), interval: "7s" } as docker.types.input.ContainerHealthcheck }),
    restart: () => ({ restart: "always" }),
    destroyGraceSeconds: () => ({ destroyGraceSeconds: 7 }),
    wait: () => ({ wait: true }),
    labels: () => ({ labels: clusterLabels(STACK, "renamed") }),
};

describe("the rollout fingerprint against the docker provider's own replacements", function () {
    this.timeout(10 * 60 * 1000);
    let stack: Stack;
    /** What the program declares now: the base definition with one field changed. */
    let change: Partial<Definition["recreating"] & Definition["inPlace"]> = {};

    const program = async () => {
        const d = containerDefinition(base);
        const labels = base.labels;
        const network = new docker.Network("net", { name: base.networkName, driver: "bridge", ipamConfigs: [{ subnet: settings.subnet, gateway: settings.gateway }], labels });
        new docker.Container("node", { ...d.recreating, ...d.inPlace, ...change }, { dependsOn: network, ...CONTAINER_CHANGE_OPTIONS });
        return {};
    };

    before(async () => {
        removeStackObjects(STACK);
        stack = await LocalWorkspace.createOrSelectStack(
            { stackName: STACK, projectName: "fingerprint-check", program },
            { envVars: pulumiEnv(), projectSettings: { name: "fingerprint-check", runtime: "nodejs", backend: { url: `file://${TEST_STATE_DIR}` } } },
        );
        await stack.up();
    });
    after(async () => {
        change = {};
        await stack?.destroy().catch(() => undefined);
        await stack?.workspace.removeStack(STACK, { force: true }).catch(() => undefined);
        removeStackObjects(STACK);
    });

    it("covers every field of the definition", () => {
        const d = containerDefinition(base);
        assert.deepEqual(Object.keys(changes).sort(), [...Object.keys(d.recreating), ...Object.keys(d.inPlace)].sort());
    });

    for (const [field, changed] of Object.entries(changes)) {
        it(`changes the fingerprint exactly when the provider replaces the container for ${field}`, async () => {
            const d = containerDefinition(base);
            change = changed(d);
            const preview = await stack.preview();
            const replaced = (preview.changeSummary.replace ?? 0) > 0;
            // A field updated in place may also be one the provider does not compare on a running container.
            if (field in d.recreating) assert.ok(replaced || (preview.changeSummary.update ?? 0) > 0, `the provider sees no change of ${field}: ${JSON.stringify(preview.changeSummary)}`);
            const fingerprint = (recreating: Definition["recreating"]) => new Promise<string>((resolve) => containerRevision(recreating).apply(resolve));
            const moved = field in d.recreating ? (await fingerprint({ ...d.recreating, ...change })) !== (await fingerprint(d.recreating)) : false;
            assert.equal(moved, replaced, `${field}: the provider ${replaced ? "replaces" : "updates in place"}, the fingerprint ${moved ? "changes" : "stays"}`);
        });
    }
});
