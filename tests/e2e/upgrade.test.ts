// Stacks created by earlier releases, taken over by this code. A stack created by the release before the
// dynamic providers were loaded from the project (its state
// carries each provider's whole serialized engine) is refreshed, updated and destroyed by this code.
import { strict as assert } from "assert";
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { LocalWorkspace, Stack } from "@pulumi/pulumi/automation";
import { PROJECT_ROOT, pulumiEnv } from "../support/env";
import { docker, removeStackObjects, stackObjects } from "../support/docker";
import { stateFile } from "../support/stack";
import { countMissingKeys, redisCli, withClusterClient, writeKeys } from "../support/redis";
import { preparedExporterImage, preparedImage } from "../../scripts/preparedImage";

/** The last commit whose dynamic resources serialized their provider's code into the state. */
const PREVIOUS_RELEASE = "f206563a81393024d2a2520353ae786daadb2de1";
// Not e2e-u: the users suite has that stack and namePrefix, and the suites may run at the same time.
const NAME = "e2e-v";
const SEED = "10.216.0.11:6379";
const KEYS = 3000;
const git = (...args: string[]) => execFileSync("git", ["-C", PROJECT_ROOT, ...args], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });

/**
 * `commit` checked out beside this checkout, with the same dependencies, for stack `name` (whose leftovers
 * are removed first); the suite is skipped, saying so, in a checkout without the project's history.
 */
function checkOutRelease(suite: Mocha.Context, commit: string, name: string): string {
    try {
        git("cat-file", "-e", `${commit}^{commit}`);
    } catch {
        // A checkout without the project's history (an exported tree) cannot check out an earlier release.
        console.log(`    (skipped: this checkout has no git history with ${commit.slice(0, 10)})`);
        suite.skip();
    }
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "redis-cluster-previous-"));
    git("worktree", "add", "--detach", "--force", dir, commit);
    fs.symlinkSync(path.join(PROJECT_ROOT, "node_modules"), path.join(dir, "node_modules"));
    removeStackObjects(name);
    return dir;
}

/** Removes stack `name` (its state, containers, network, volumes and config file) and the release checked out in `dir`. */
async function removeRelease(dir: string | undefined, name: string, stack: Stack | undefined): Promise<void> {
    if (dir === undefined) return;
    try {
        await stack?.workspace.removeStack(name, { force: true }).catch(() => undefined);
    } finally {
        removeStackObjects(name);
        fs.rmSync(path.join(PROJECT_ROOT, `Pulumi.${name}.yaml`), { force: true });
        git("worktree", "remove", "--force", dir);
    }
}

/**
 * Stack `name` created and brought up by the release checked out in `dir`: a 3x0 cluster on this machine's
 * image, namePrefix `name`, no published ports, unless `config` (redis-cluster keys, --path style) says otherwise.
 */
async function upWithRelease(dir: string, name: string, config: Record<string, { value: string; secret?: boolean }>): Promise<Stack> {
    const old = await LocalWorkspace.create({ workDir: dir, envVars: pulumiEnv() });
    await old.removeStack(name, { force: true }).catch(() => undefined);
    const created = await Stack.create(name, old);
    await created.setAllConfig(
        {
            "redis-cluster:image": { value: preparedImage() },
            "redis-cluster:namePrefix": { value: name },
            "redis-cluster:replicasPerShard": { value: "0" },
            "redis-cluster:hostPortBase": { value: "0" },
            ...config,
        },
        true,
    );
    assert.equal((await created.up()).outputs.clusterState.value, "ok");
    return created;
}

/** The stack's settings (and its secrets salt) go with it from the release in `dir` to this checkout. */
function handOver(dir: string, name: string): void {
    fs.copyFileSync(path.join(dir, `Pulumi.${name}.yaml`), path.join(PROJECT_ROOT, `Pulumi.${name}.yaml`));
}

/** Length of each dynamic resource's serialized provider, as the state holds it. */
function providerSizes(): number[] {
    const state = JSON.parse(fs.readFileSync(stateFile(NAME), "utf8"));
    return state.checkpoint.latest.resources.filter((r: any) => r.type.startsWith("pulumi-nodejs:dynamic/")).map((r: any) => String(r.inputs.__provider).length);
}

describe("upgrading a stack created by the previous release", function () {
    this.timeout(15 * 60 * 1000);
    let previous: string;
    let stack: Stack;

    before(function () {
        previous = checkOutRelease(this, PREVIOUS_RELEASE, NAME);
    });
    after(() => removeRelease(previous, NAME, stack));

    it("the previous release creates a 3x0 cluster, its state holding each provider's serialized engine", async () => {
        await upWithRelease(previous, NAME, { "redis-cluster:subnet": { value: "10.216.0.0/24" } });
        assert.ok(providerSizes().every((n) => n > 5000), `serialized providers: ${providerSizes()}`);
        await withClusterClient([SEED], undefined, (c) => writeKeys(c, KEYS, "upgrade"));
        handOver(previous, NAME);
    });

    it("this release refreshes it, previews only the containers' new healthcheck, and rolls it out with its own providers", async () => {
        stack = await Stack.select(NAME, await LocalWorkspace.create({ workDir: PROJECT_ROOT, envVars: pulumiEnv() }));
        const refresh = await stack.refresh();
        assert.equal(refresh.summary.result, "succeeded");
        // The one change since that release: the healthcheck is checked every 10 s, not every second,
        // which Docker applies only by recreating a container. Volumes and the network stay.
        const preview = await stack.preview({ diff: true });
        const containers = stackObjects(NAME).containers;
        assert.equal(preview.changeSummary.replace, containers.length, preview.stdout);
        assert.equal(preview.changeSummary.delete ?? 0, 0, preview.stdout);
        assert.match(preview.stdout, /healthcheck/);
        // Pulumi prints a changed resource as e.g. "+-docker:index/container:Container: (replace)".
        assert.match(preview.stdout, /[-+~]+\s*docker:index\/container:Container:/, preview.stdout);
        assert.doesNotMatch(preview.stdout, /[-+~]+\s*docker:index\/(volume|network):/, preview.stdout);
        const containerIds = () => stackObjects(NAME).containers.map((n) => docker("inspect", "-f", "{{.Id}}", n));
        const before = containerIds();
        // The gates and the bootstrap carry it out: every container recreated, one at a time.
        const result = await stack.up();
        assert.equal(result.outputs.clusterState.value, "ok");
        assert.ok(providerSizes().every((n) => n < 1000), `loaded providers: ${providerSizes()}`);
        const after = containerIds();
        assert.equal(after.length, before.length);
        assert.ok(after.every((id) => !before.includes(id)), "every container recreated");
        assert.equal(await withClusterClient([SEED], undefined, (c) => countMissingKeys(c, KEYS, "upgrade")), 0);
        await stack.preview({ expectNoChanges: true });
    });

    it("this release destroys it: nothing is left", async () => {
        await stack.destroy();
        assert.deepEqual(stackObjects(NAME), { containers: [], networks: [], volumes: [] });
    });
});

/**
 * The last commit whose state kept the default user's setting (disableDefaultUser) inside the secret
 * of the stack's own users' passwords (`internal.defaultUser`); this release keeps it as a plain field.
 */
const ACL_PREVIOUS_RELEASE = "6b4ac17c7019f8b8c69c12afdcdb7be12f72c8bb";
const ACL_NAME = "e2e-w";
const ACL_SUBNET = "10.221.0.0/24";
const ACL_SEEDS = ["10.221.0.11:6379"];
const APP = { username: "app", password: "e2e-app-pw-Up9" };

describe("upgrading an ACL stack whose state keeps the default user's setting among its secrets", function () {
    this.timeout(10 * 60 * 1000);
    let previous: string;
    let stack: Stack;
    const aclContainerIds = () => stackObjects(ACL_NAME).containers.sort().map((n) => docker("inspect", "-f", "{{.Id}}", n));

    before(function () {
        previous = checkOutRelease(this, ACL_PREVIOUS_RELEASE, ACL_NAME);
    });
    after(async () => {
        // The stack is kept to the end for its last test's preview: destroyed here.
        await stack?.destroy().catch(() => undefined);
        await removeRelease(previous, ACL_NAME, stack);
    });

    it("the previous release creates a 3x0 cluster with a password, a user and the default user off", async () => {
        await upWithRelease(previous, ACL_NAME, {
            "redis-cluster:subnet": { value: ACL_SUBNET },
            "redis-cluster:disableDefaultUser": { value: "true" },
            "redis-cluster:password": { value: "e2e-Up-default-pw", secret: true },
            "redis-cluster:users[0].name": { value: APP.username },
            "redis-cluster:users[0].password": { value: APP.password, secret: true },
            "redis-cluster:users[0].rules": { value: "~* +@all" },
        });
        // What this release no longer writes: the setting inside the generated passwords' secret.
        const exported = JSON.parse(execFileSync("pulumi", ["stack", "export", "--show-secrets", "--stack", ACL_NAME], { cwd: previous, encoding: "utf8", env: { ...process.env, ...pulumiEnv() }, maxBuffer: 256 * 1024 * 1024 }));
        const bootstrap = exported.deployment.resources.find((r: { type: string }) => r.type.endsWith(":ClusterBootstrap"));
        assert.match(JSON.stringify(bootstrap.inputs), /defaultUser/, "the previous release's state keeps the setting in internal");
        assert.doesNotMatch(JSON.stringify(bootstrap.inputs), /defaultUserEnabled/);
        await withClusterClient(ACL_SEEDS, APP, (c) => writeKeys(c, KEYS, "acl-upgrade"));
        handOver(previous, ACL_NAME);
    });

    it("this release refreshes it and sees no change; its up recreates no container and every key is read back", async () => {
        stack = await Stack.select(ACL_NAME, await LocalWorkspace.create({ workDir: PROJECT_ROOT, envVars: pulumiEnv() }));
        assert.equal((await stack.refresh()).summary.result, "succeeded");
        await stack.preview({ expectNoChanges: true });
        const before = aclContainerIds();
        assert.equal(before.length, 3);
        assert.equal((await stack.up()).outputs.clusterState.value, "ok");
        assert.deepEqual(aclContainerIds(), before);
        assert.equal(await withClusterClient(ACL_SEEDS, APP, (c) => countMissingKeys(c, KEYS, "acl-upgrade")), 0);
        // The default user is still off: its password does not log in.
        for (const n of stackObjects(ACL_NAME).containers) assert.match(redisCli(n, "e2e-Up-default-pw", "ping"), /WRONGPASS|NOAUTH/, `${n} lets the default user in`);
    });

    it("turning the default user on is seen against that state: every container is to be replaced, nothing else", async () => {
        await stack.setConfig("redis-cluster:disableDefaultUser", { value: "false" });
        const preview = await stack.preview({ diff: true });
        assert.equal(preview.changeSummary.replace, 3, preview.stdout);
        assert.equal(preview.changeSummary.delete ?? 0, 0, preview.stdout);
        assert.doesNotMatch(preview.stdout, /[-+~]+\s*docker:index\/(volume|network):/, preview.stdout);
    });
});

/** The last commit whose stack declared the cluster itself (index.ts), before RedisCluster took typed args. */
const COMPONENT_PREVIOUS_RELEASE = "5b677c746f7f72a9a708bf6ab62f62dbb8510c70";
const COMPONENT_NAME = "e2e-y";
const COMPONENT_SUBNET = "10.226.0.0/24";
const COMPONENT_SEEDS = ["10.226.0.11:6379"];
const COMPONENT_PASSWORD = "e2e-Uy-pw-7Kq";

describe("upgrading a stack to the RedisCluster component with typed args", function () {
    this.timeout(10 * 60 * 1000);
    let previous: string;
    let stack: Stack;
    const containerIds = () => stackObjects(COMPONENT_NAME).containers.sort().map((n) => docker("inspect", "-f", "{{.Id}}", n));

    before(function () {
        previous = checkOutRelease(this, COMPONENT_PREVIOUS_RELEASE, COMPONENT_NAME);
    });
    after(async () => {
        await stack?.destroy().catch(() => undefined);
        await removeRelease(previous, COMPONENT_NAME, stack);
    });

    it("the previous release creates a 3x0 cluster with a password, a memory limit and metrics", async () => {
        await upWithRelease(previous, COMPONENT_NAME, {
            "redis-cluster:subnet": { value: COMPONENT_SUBNET },
            "redis-cluster:password": { value: COMPONENT_PASSWORD, secret: true },
            "redis-cluster:memory": { value: "96m" },
            "redis-cluster:metrics": { value: "true" },
            "redis-cluster:exporterImage": { value: preparedExporterImage() },
        });
        await withClusterClient(COMPONENT_SEEDS, COMPONENT_PASSWORD, (c) => writeKeys(c, KEYS, "component-upgrade"));
        handOver(previous, COMPONENT_NAME);
    });

    it("this release previews no change at all, its up replaces and restarts nothing, and the outputs are the same", async () => {
        stack = await Stack.select(COMPONENT_NAME, await LocalWorkspace.create({ workDir: PROJECT_ROOT, envVars: pulumiEnv() }));
        const outputsBefore = await stack.outputs();
        // Every resource keeps its URN (type, name and parent): nothing to create, delete or replace.
        await stack.preview({ expectNoChanges: true });
        const before = containerIds();
        assert.equal(before.length, 6, "three nodes and their exporters");
        const result = await stack.up();
        // "read": the stack's reference to its own last outputs, read on every run.
        assert.deepEqual(Object.keys(result.summary.resourceChanges ?? {}).sort(), ["read", "same"], JSON.stringify(result.summary.resourceChanges));
        assert.deepEqual(containerIds(), before);
        const plain = (o: Record<string, { value: unknown }>) => Object.fromEntries(Object.entries(o).map(([k, v]) => [k, v.value]));
        assert.deepEqual(plain(result.outputs), plain(outputsBefore));
        assert.equal(await withClusterClient(COMPONENT_SEEDS, COMPONENT_PASSWORD, (c) => countMissingKeys(c, KEYS, "component-upgrade")), 0);
    });
});

const HOSTS_PREVIOUS_RELEASE = "c2cd3e9e771e8970ec780fba6c7132c2351d60c5";
const HOSTS_NAME = "e2e-hu";
const HOSTS_PORT = 7801;

describe("upgrading a stack with hosts to volume and container resources named after their host", function () {
    this.timeout(10 * 60 * 1000);
    let previous: string;
    let stack: Stack;
    // One host entry, the local engine at its bridge's address: no test hosts needed.
    const bridge = os.networkInterfaces().docker0?.find((a) => a.family === "IPv4")?.address ?? "172.17.0.1";
    const hosts = [{ name: "h1", docker: "unix:///var/run/docker.sock", address: bridge }];
    const volumes = () => stackObjects(HOSTS_NAME).volumes.sort().map((v) => `${v} ${docker("volume", "inspect", "-f", "{{.CreatedAt}}", v)}`);
    const containerIds = () => stackObjects(HOSTS_NAME).containers.sort().map((n) => docker("inspect", "-f", "{{.Id}}", n));
    const seeds = () => [1, 2, 3].map((i) => `${hosts[0].address}:${HOSTS_PORT + i - 1}`);

    before(function () {
        previous = checkOutRelease(this, HOSTS_PREVIOUS_RELEASE, HOSTS_NAME);
    });
    after(async () => {
        await stack?.destroy().catch(() => undefined);
        await removeRelease(previous, HOSTS_NAME, stack);
    });

    it("the previous release creates a 3x0 cluster on one listed host", async () => {
        await upWithRelease(previous, HOSTS_NAME, {
            "redis-cluster:subnet": { value: "10.243.0.0/24" },
            "redis-cluster:hostPortBase": { value: String(HOSTS_PORT) },
            "redis-cluster:hosts": { value: JSON.stringify(hosts) },
        });
        await withClusterClient(seeds(), undefined, (c) => writeKeys(c, KEYS, "hosts-upgrade"));
        handOver(previous, HOSTS_NAME);
    });

    it("this release renames the volume and container resources (an alias each), replaces and restarts nothing, and every key is there", async () => {
        stack = await Stack.select(HOSTS_NAME, await LocalWorkspace.create({ workDir: PROJECT_ROOT, envVars: pulumiEnv() }));
        const [volumesBefore, containersBefore] = [volumes(), containerIds()];
        assert.equal(volumesBefore.length, 3);
        await stack.preview({ expectNoChanges: true });
        const result = await stack.up();
        assert.deepEqual(Object.keys(result.summary.resourceChanges ?? {}).sort(), ["read", "same"], JSON.stringify(result.summary.resourceChanges));
        assert.deepEqual(volumes(), volumesBefore, "a volume was recreated");
        assert.deepEqual(containerIds(), containersBefore);
        const state = JSON.parse(fs.readFileSync(stateFile(HOSTS_NAME), "utf8"));
        const names = state.checkpoint.latest.resources.filter((r: { type: string }) => r.type === "docker:index/volume:Volume").map((r: { urn: string }) => r.urn.split("::").pop()).sort();
        assert.deepEqual(names, [1, 2, 3].map((i) => `${HOSTS_NAME}-${i}-data-h1`));
        const containerUrns = state.checkpoint.latest.resources.filter((r: { type: string }) => r.type === "docker:index/container:Container").map((r: { urn: string }) => r.urn.split("::").pop()).sort();
        assert.deepEqual(containerUrns, [1, 2, 3].map((i) => `${HOSTS_NAME}-${i}-h1`));
        assert.equal(await withClusterClient(seeds(), undefined, (c) => countMissingKeys(c, KEYS, "hosts-upgrade")), 0);
        await stack.preview({ expectNoChanges: true });
    });
});
