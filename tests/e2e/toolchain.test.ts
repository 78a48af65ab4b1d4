// Proves the toolchain scripts/bootstrap.sh prepared: the real `pulumi` CLI,
// our Node.js language host and the docker plugin create and remove a
// network and a container, seen through the docker CLI.
import { strict as assert } from "assert";
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { preparedImage } from "../../scripts/preparedImage";
import { docker, removeStackObjects } from "../support/docker";
import { PROJECT_ROOT, pulumiEnv } from "../support/env";

const PROGRAM = path.join(__dirname, "smoke-program");
const STACK = "e2e-smoke";
const NAME = "e2e-smoke-redis";

function pulumi(...args: string[]): string {
    return execFileSync("pulumi", [...args, "--stack", STACK, "--non-interactive"], {
        cwd: PROGRAM,
        env: { ...process.env, ...pulumiEnv() },
        encoding: "utf8",
        stdio: ["ignore", "pipe", "pipe"],
    });
}

describe("toolchain smoke test", function () {
    this.timeout(5 * 60 * 1000);

    const cleanUp = () => {
        removeStackObjects(STACK);
        try {
            pulumi("stack", "rm", "--yes", "--force");
        } catch {
            // already gone
        }
        fs.rmSync(path.join(PROGRAM, `Pulumi.${STACK}.yaml`), { force: true });
    };
    before(cleanUp);
    after(cleanUp);

    it("runs a real pulumi up and destroy of a network and a container", () => {
        execFileSync("pulumi", ["stack", "init", STACK, "--non-interactive"], { cwd: PROGRAM, env: { ...process.env, ...pulumiEnv() }, stdio: "ignore" });
        pulumi("config", "set", "name", NAME);
        pulumi("config", "set", "subnet", "10.209.0.0/24");
        pulumi("config", "set", "ip", "10.209.0.20");
        pulumi("config", "set", "image", preparedImage());

        pulumi("up", "--yes", "--skip-preview");
        assert.equal(docker("inspect", "-f", "{{.State.Running}}", NAME), "true");
        assert.equal(docker("inspect", "-f", '{{(index .NetworkSettings.Networks "e2e-smoke-redis-net").IPAddress}}', NAME), "10.209.0.20");
        assert.equal(docker("network", "inspect", "-f", "{{(index .IPAM.Config 0).Subnet}}", `${NAME}-net`), "10.209.0.0/24");

        pulumi("destroy", "--yes", "--skip-preview");
        assert.equal(docker("ps", "-a", "--filter", `name=^${NAME}$`, "--format", "{{.Names}}"), "");
        assert.equal(docker("network", "ls", "--filter", `name=^${NAME}-net$`, "--format", "{{.Name}}"), "");
    });

    describe("the scripts' passphrase for stack secrets", () => {
        const OLD = "e2e-passphrase-old";
        const home = fs.mkdtempSync(path.join(os.tmpdir(), "rc-passphrase-"));
        const file = path.join(home, "redis-cluster", "passphrase");
        // What the scripts run with: no passphrase of the user's own, this user's file in a scratch home.
        const scriptEnv = () => {
            const env: NodeJS.ProcessEnv = { ...process.env, ...pulumiEnv(), REDIS_CLUSTER_PASSPHRASE_FILE: file };
            delete env.PULUMI_CONFIG_PASSPHRASE;
            delete env.PULUMI_CONFIG_PASSPHRASE_FILE;
            return env;
        };
        const withPassphrase = (passphrase: { file: string } | string, ...args: string[]) => {
            const env: NodeJS.ProcessEnv = { ...process.env, ...pulumiEnv() };
            if (typeof passphrase === "string") env.PULUMI_CONFIG_PASSPHRASE = passphrase;
            else (delete env.PULUMI_CONFIG_PASSPHRASE, (env.PULUMI_CONFIG_PASSPHRASE_FILE = passphrase.file));
            return execFileSync("pulumi", [...args, "--stack", OLD, "--non-interactive"], { cwd: PROGRAM, env, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] }).trim();
        };
        const removeOld = () => {
            try {
                withPassphrase("", "stack", "rm", "--yes", "--force");
            } catch {
                // already gone
            }
            fs.rmSync(path.join(PROGRAM, `Pulumi.${OLD}.yaml`), { force: true });
        };
        before(removeOld);
        after(() => {
            removeOld();
            fs.rmSync(home, { recursive: true, force: true });
        });

        it("makes one readable only by this user, and re-encrypts a stack an earlier release made with the empty one", () => {
            withPassphrase("", "stack", "init");
            withPassphrase("", "config", "set", "--secret", "pw", "e2e-secret-value");
            const script = `source ${JSON.stringify(path.join(PROJECT_ROOT, "scripts/lib.sh"))} && pulumi_env && adopt_passphrase_file ${OLD} && adopt_passphrase_file ${OLD}`;
            const out = execFileSync("bash", ["-c", script], { cwd: PROGRAM, env: scriptEnv(), encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
            assert.equal(out, "");
            assert.equal(fs.statSync(file).mode & 0o777, 0o600);
            assert.ok(fs.readFileSync(file, "utf8").trim().length >= 40);
            assert.equal(withPassphrase({ file }, "config", "get", "pw"), "e2e-secret-value");
            assert.throws(() => withPassphrase("", "config", "get", "pw"), /incorrect passphrase/);
        });
    });
});
