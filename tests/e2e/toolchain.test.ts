// Proves the toolchain scripts/bootstrap.sh prepared: the real `pulumi` CLI,
// our Node.js language host and the docker plugin create and remove a
// network and a container, seen through the docker CLI.
import { strict as assert } from "assert";
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { preparedImage } from "../../scripts/preparedImage";
import { docker, removeStackObjects } from "../support/docker";
import { pulumiEnv } from "../support/env";

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
});
