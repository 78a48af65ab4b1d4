// The component as users get it: `npm pack` of this project installed into examples/app (a program of
// its own, in a directory of its own), type-checked against the package's declarations, brought up by
// the real engine: two clusters, and app containers that write and read keys through a cluster client,
// one of them on a network of its own attached to the cluster's. Checked from outside, then destroyed
// (retainOnDelete keeping one cluster's data volumes).
import { strict as assert } from "assert";
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { LocalWorkspace, Stack } from "@pulumi/pulumi/automation";
import { PROJECT_ROOT, pulumiEnv } from "../support/env";
import { docker, removeStackObjects, stackObjects } from "../support/docker";
import { eventually, withClusterClient } from "../support/redis";
import { preparedImage } from "../../scripts/preparedImage";

const NAME = "e2e-z";
const PREFIX = `${NAME}-`;
const PASSWORD = "e2e-Pkg-pw-4Rt";
const CACHE_SEEDS = ["10.227.0.11:6379"];
const SESSIONS_SEEDS = ["10.228.0.11:6379"];
const APP_KEYS = 200;

const run = (cmd: string, args: string[], cwd: string) => execFileSync(cmd, args, { cwd, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, npm_config_loglevel: "error" } });

describe("the component as an npm package, in a program of its own beside its app containers", function () {
    this.timeout(10 * 60 * 1000);
    let work: string;
    let stack: Stack | undefined;

    before(() => {
        removeStackObjects(NAME);
        work = fs.mkdtempSync(path.join(os.tmpdir(), "redis-cluster-package-"));
    });
    after(async () => {
        await stack?.destroy().catch(() => undefined);
        await stack?.workspace.removeStack(NAME, { force: true }).catch(() => undefined);
        removeStackObjects(NAME);
        fs.rmSync(work, { recursive: true, force: true });
    });

    it("packs, installs into examples/app and type-checks the program against the package's declarations", () => {
        // As the README says: npm pack here, npm install of the tarball there (npm's cache serves what bootstrap fetched).
        const tarball = run("npm", ["pack", "--pack-destination", work], PROJECT_ROOT).trim().split("\n").pop()!;
        const app = path.join(work, "app");
        fs.cpSync(path.join(PROJECT_ROOT, "examples", "app"), app, { recursive: true });
        run("npm", ["install", "--prefer-offline", "--no-audit", "--no-fund", path.join(work, tarball)], app);
        const installed = path.join(app, "node_modules", "redis-cluster");
        assert.ok(fs.existsSync(path.join(installed, "dist", "components", "index.d.ts")), "declarations shipped");
        assert.ok(!fs.existsSync(path.join(installed, "node_modules", "@pulumi")), "one Pulumi SDK in the program, not a second inside the package");
        assert.ok(!fs.existsSync(path.join(installed, "index.ts")), "the project's own stack is not in the package");
        run(path.join(app, "node_modules", ".bin", "tsc"), ["-p", "."], app);
    });

    it("comes up: two clusters on their own subnets, and both apps wrote and read their keys through the cache cluster", async () => {
        const workspace = await LocalWorkspace.create({ workDir: path.join(work, "app"), envVars: pulumiEnv() });
        await workspace.removeStack(NAME, { force: true }).catch(() => undefined);
        stack = await Stack.create(NAME, workspace);
        await stack.setAllConfig({
            "redis-cluster-app:prefix": { value: PREFIX },
            "redis-cluster-app:redisImage": { value: preparedImage() },
            "redis-cluster-app:cacheSubnet": { value: "10.227.0.0/24" },
            "redis-cluster-app:sessionsSubnet": { value: "10.228.0.0/24" },
            "redis-cluster-app:appSubnet": { value: "10.229.0.0/24" },
            "redis-cluster-app:password": { value: PASSWORD, secret: true },
            // retainOnDelete for the cache cluster, which the component passes to its data volumes alone.
            "redis-cluster-app:keepData": { value: "true" },
        });
        const result = await stack.up();
        const cache = result.outputs.cacheCluster.value;
        const sessions = result.outputs.sessionsCluster.value;
        assert.equal(cache.clusterState, "ok");
        assert.equal(sessions.clusterState, "ok");
        assert.equal(cache.networkName, `${PREFIX}cache-net`);
        assert.deepEqual(cache.slotAssignments.map((s: { replicas: unknown[] }) => s.replicas.length), [1, 1, 1]);
        assert.deepEqual(sessions.nodes.map((n: { name: string }) => n.name), [1, 2, 3].map((i) => `${PREFIX}sessions-${i}`));
        assert.deepEqual(stackObjects(NAME).networks.sort(), [`${PREFIX}app-net`, `${PREFIX}cache-net`, `${PREFIX}sessions-net`]);

        for (const app of ["writer", "reporter"]) {
            await eventually(`${app} to report`, 60000, () => (/read back/.test(docker("logs", `${PREFIX}${app}`)) ? true : undefined), 500);
            assert.match(docker("logs", `${PREFIX}${app}`), new RegExp(`^${app}: wrote ${APP_KEYS} keys through ${PREFIX}cache-1, read back ${APP_KEYS}$`, "m"));
        }
        // The reporter's own network, and the cluster's: the declared docker network connect.
        const networksOf = (c: string) => docker("inspect", "-f", "{{range $k, $v := .NetworkSettings.Networks}}{{$k}} {{end}}", c).split(" ").filter(Boolean).sort();
        assert.deepEqual(networksOf(`${PREFIX}reporter`), [`${PREFIX}app-net`, `${PREFIX}cache-net`]);
        assert.deepEqual(networksOf(`${PREFIX}writer`), [`${PREFIX}cache-net`]);

        // Read back by an independent client: ioredis in cluster mode, with the password.
        await withClusterClient(CACHE_SEEDS, PASSWORD, async (c) => {
            for (const app of ["writer", "reporter"]) {
                assert.equal(await c.get(`${app}:result`), `wrote ${APP_KEYS}, read back ${APP_KEYS}`);
                const values = await Promise.all(Array.from({ length: APP_KEYS }, (_, i) => c.get(`${app}:key:${i + 1}`)));
                assert.deepEqual(values, Array.from({ length: APP_KEYS }, (_, i) => `value-${i + 1}`));
            }
        });
        // The other cluster is its own: none of the apps' keys, and it serves writes of its own.
        await withClusterClient(SESSIONS_SEEDS, PASSWORD, async (c) => {
            assert.equal(await c.get("writer:result"), null);
            await c.set("session:1", "s");
            assert.equal(await c.get("session:1"), "s");
        });
    });

    it("previews no change on the next run; destroy then leaves only the cache cluster's data volumes, as retainOnDelete asked", async () => {
        await stack!.preview({ expectNoChanges: true });
        await stack!.destroy();
        const cacheVolumes = [1, 2, 3, 4, 5, 6].map((i) => `${PREFIX}cache-${i}-data`);
        assert.deepEqual(stackObjects(NAME), { containers: [], networks: [], volumes: cacheVolumes.sort() });
    });
});
