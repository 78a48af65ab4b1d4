// A stack created by the release before the dynamic providers were loaded from the project (its state
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
import { countMissingKeys, withClusterClient, writeKeys } from "../support/redis";
import { preparedImage } from "../../scripts/preparedImage";

/** The last commit whose dynamic resources serialized their provider's code into the state. */
const PREVIOUS_RELEASE = "f206563a81393024d2a2520353ae786daadb2de1";
// Not e2e-u: the users suite has that stack and namePrefix, and the suites may run at the same time.
const NAME = "e2e-v";
const SEED = "10.216.0.11:6379";
const KEYS = 3000;
const git = (...args: string[]) => execFileSync("git", ["-C", PROJECT_ROOT, ...args], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });

/** Length of each dynamic resource's serialized provider, as the state holds it. */
function providerSizes(): number[] {
    const state = JSON.parse(fs.readFileSync(stateFile(NAME), "utf8"));
    return state.checkpoint.latest.resources.filter((r: any) => r.type.startsWith("pulumi-nodejs:dynamic/")).map((r: any) => String(r.inputs.__provider).length);
}

describe("upgrading a stack created by the previous release", function () {
    this.timeout(15 * 60 * 1000);
    let previous: string;
    let stack: Stack;

    before(async function () {
        try {
            git("cat-file", "-e", `${PREVIOUS_RELEASE}^{commit}`);
        } catch {
            // A checkout without the project's history (an exported tree) cannot check out the previous release.
            console.log(`    (skipped: this checkout has no git history with ${PREVIOUS_RELEASE.slice(0, 10)})`);
            this.skip();
        }
        // The previous release checked out beside this one, with the same dependencies.
        previous = fs.mkdtempSync(path.join(os.tmpdir(), "redis-cluster-previous-"));
        git("worktree", "add", "--detach", "--force", previous, PREVIOUS_RELEASE);
        fs.symlinkSync(path.join(PROJECT_ROOT, "node_modules"), path.join(previous, "node_modules"));
        removeStackObjects(NAME);
    });
    after(async () => {
        if (previous === undefined) return;
        try {
            await stack?.workspace.removeStack(NAME, { force: true }).catch(() => undefined);
        } finally {
            removeStackObjects(NAME);
            fs.rmSync(path.join(PROJECT_ROOT, `Pulumi.${NAME}.yaml`), { force: true });
            git("worktree", "remove", "--force", previous);
        }
    });

    it("the previous release creates a 3x0 cluster, its state holding each provider's serialized engine", async () => {
        const old = await LocalWorkspace.create({ workDir: previous, envVars: pulumiEnv() });
        await old.removeStack(NAME, { force: true }).catch(() => undefined);
        const created = await Stack.create(NAME, old);
        await created.setAllConfig({
            "redis-cluster:image": { value: preparedImage() },
            "redis-cluster:namePrefix": { value: NAME },
            "redis-cluster:subnet": { value: "10.216.0.0/24" },
            "redis-cluster:replicasPerShard": { value: "0" },
            "redis-cluster:hostPortBase": { value: "0" },
        });
        const result = await created.up();
        assert.equal(result.outputs.clusterState.value, "ok");
        assert.ok(providerSizes().every((n) => n > 5000), `serialized providers: ${providerSizes()}`);
        await withClusterClient([SEED], undefined, (c) => writeKeys(c, KEYS, "upgrade"));
        // The stack's settings (and its secrets salt) go with it to this release's directory.
        fs.copyFileSync(path.join(previous, `Pulumi.${NAME}.yaml`), path.join(PROJECT_ROOT, `Pulumi.${NAME}.yaml`));
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
