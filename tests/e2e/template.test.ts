// `pulumi new` from templates/redis-cluster, offline, as a user starts a project of their own: the prompts'
// answers given with -c, the password set afterwards as a secret, then the new project's `pulumi up` (the
// component installed from the package the bootstrap packed into the template), checked with ioredis.
import { strict as assert } from "assert";
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { LocalWorkspace, Stack } from "@pulumi/pulumi/automation";
import { PROJECT_ROOT, TEST_STATE_DIR, pulumiEnv } from "../support/env";
import { removeStackObjects, stackObjects } from "../support/docker";
import { countMissingKeys, redisCli, withClusterClient, writeKeys } from "../support/redis";
import { preparedImage } from "../../scripts/preparedImage";

const NAME = "e2e-n";
const TEMPLATE = path.join(PROJECT_ROOT, "templates", "redis-cluster");
const PASSWORD = "e2e-Tpl-pw-8Ls";
const SEEDS = ["10.230.0.11:6379"];
const KEYS = 2000;

describe("a new project from the template (pulumi new, offline)", function () {
    this.timeout(10 * 60 * 1000);
    let work: string;
    let dir: string;
    let stack: Stack | undefined;
    const pulumi = (args: string[], cwd: string) =>
        execFileSync("pulumi", args, { cwd, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, ...pulumiEnv(), npm_config_prefer_offline: "true", npm_config_loglevel: "error" } });

    before(() => {
        removeStackObjects(NAME);
        // A run that died left its project behind in the test backend: `pulumi new` refuses an existing project name.
        fs.rmSync(path.join(TEST_STATE_DIR, ".pulumi", "stacks", NAME), { recursive: true, force: true });
        work = fs.mkdtempSync(path.join(os.tmpdir(), "redis-cluster-template-"));
        dir = path.join(work, NAME);
    });
    after(async () => {
        await stack?.destroy().catch(() => undefined);
        await stack?.workspace.removeStack(NAME, { force: true }).catch(() => undefined);
        removeStackObjects(NAME);
        fs.rmSync(work, { recursive: true, force: true });
    });

    it("pulumi new writes the project, with the prompts' answers in the stack's config, and installs the component", () => {
        const declared = fs.readFileSync(path.join(TEMPLATE, "Pulumi.yaml"), "utf8");
        assert.match(declared, /password:\n\s+description: .*\n\s+secret: true/, "the template prompts for the password as a secret");
        assert.ok(fs.existsSync(path.join(TEMPLATE, "redis-cluster.tgz")), "the bootstrap packed the component into the template");
        pulumi(
            ["new", TEMPLATE, "--dir", dir, "--yes", "--name", NAME, "--stack", NAME, "-c", "replicasPerShard=0", "-c", "subnet=10.230.0.0/24", "-c", "hostPortBase=0", "-c", `image=${preparedImage()}`],
            work,
        );
        // The password is not given with -c (pulumi new would store it in plaintext): set as a secret, as the README says.
        pulumi(["config", "set", "--secret", "password", PASSWORD], dir);
        const stackConfig = fs.readFileSync(path.join(dir, `Pulumi.${NAME}.yaml`), "utf8");
        assert.match(stackConfig, /e2e-n:password:\n\s+secure: /);
        assert.doesNotMatch(stackConfig, new RegExp(PASSWORD));
        assert.match(stackConfig, /e2e-n:shards: "3"/, "the prompt's default");
        assert.doesNotMatch(fs.readFileSync(path.join(dir, "Pulumi.yaml"), "utf8"), /^template:/m);
        assert.ok(fs.existsSync(path.join(dir, "node_modules", "redis-cluster", "dist", "components", "index.js")));
    });

    it("the new project's pulumi up brings the cluster up, with the password, holding keys", async () => {
        stack = await Stack.select(NAME, await LocalWorkspace.create({ workDir: dir, envVars: pulumiEnv() }));
        const result = await stack.up();
        const redis = result.outputs.redis.value;
        assert.equal(redis.clusterState, "ok");
        // Named after the project.
        assert.deepEqual(redis.nodes.map((n: { name: string }) => n.name), [1, 2, 3].map((i) => `${NAME}-${i}`));
        await withClusterClient(SEEDS, PASSWORD, (c) => writeKeys(c, KEYS, "template"));
        assert.equal(await withClusterClient(SEEDS, PASSWORD, (c) => countMissingKeys(c, KEYS, "template")), 0);
        assert.match(redisCli(`${NAME}-1`, undefined, "ping"), /NOAUTH/, "a client without the password is refused");
        await stack.preview({ expectNoChanges: true });
        await stack.destroy();
        assert.deepEqual(stackObjects(NAME), { containers: [], networks: [], volumes: [] });
    });
});
