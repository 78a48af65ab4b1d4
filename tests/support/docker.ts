/** Independent checks through the docker CLI, and cleanup by label. */
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { LABEL_STACK } from "../../components/labels";

export function docker(...args: string[]): string {
    return execFileSync("docker", args, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] }).trim();
}

export function lines(text: string): string[] {
    return text.split("\n").filter((l) => l.length > 0);
}

/**
 * What Docker says of each container, by name: a restart (by Pulumi, Docker or the OOM killer) changes
 * one of these, so two equal readings mean no container was recreated or restarted in between.
 */
export function containerLifecycle(names: string[]): Record<string, string> {
    return Object.fromEntries(names.map((n) => [n, docker("inspect", "-f", "{{.Id}} {{.State.StartedAt}} restarts={{.RestartCount}} oom={{.State.OOMKilled}}", n)]));
}

/** Names of the containers, networks and volumes labelled with this stack. */
export function stackObjects(stack: string): { containers: string[]; networks: string[]; volumes: string[] } {
    const filter = `label=${LABEL_STACK}=${stack}`;
    return {
        containers: lines(docker("ps", "-a", "--filter", filter, "--format", "{{.Names}}")),
        networks: lines(docker("network", "ls", "--filter", filter, "--format", "{{.Name}}")),
        volumes: lines(docker("volume", "ls", "--filter", filter, "--format", "{{.Name}}")),
    };
}

/** Removes whatever a stack left behind (a failed or interrupted test); safe to call twice. */
export function removeStackObjects(stack: string): void {
    const { containers, networks, volumes } = stackObjects(stack);
    if (containers.length) docker("rm", "-f", "-v", ...containers);
    if (volumes.length) docker("volume", "rm", "-f", ...volumes);
    if (networks.length) removeNetworks(networks);
}

/**
 * Docker may still hold a removed container's endpoint on its network for a while ("has active
 * endpoints"), longer on a loaded machine: asks again for up to 30 s, and every 10 s disconnects by
 * force whatever endpoint the network still lists, before it gives up with Docker's own error.
 */
export function removeNetworks(networks: string[]): void {
    for (let attempt = 1; ; attempt++) {
        const left = networks.filter((n) => lines(docker("network", "ls", "--filter", `name=^${n}$`, "--format", "{{.Name}}")).length > 0);
        if (left.length === 0) return;
        try {
            docker("network", "rm", ...left);
            return;
        } catch (err) {
            if (attempt >= 120 || !/active endpoints/.test(String((err as Error).message))) throw err;
            if (attempt % 40 === 0) for (const n of left) disconnectAll(n);
            Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 250);
        }
    }
}

/** Disconnects by force every endpoint `network` lists (a container being removed, or one already gone). */
function disconnectAll(network: string): void {
    try {
        for (const endpoint of lines(docker("network", "inspect", "-f", "{{range $id, $c := .Containers}}{{$c.Name}}\n{{end}}", network))) {
            try {
                docker("network", "disconnect", "-f", network, endpoint);
            } catch {
                // Gone meanwhile.
            }
        }
    } catch {
        // The network is gone.
    }
}

/** Every stack name the test suites ever labelled, to sweep leftovers of earlier runs. */
export function labelledTestStacks(prefix: string): string[] {
    const format = `{{.Label "${LABEL_STACK}"}}`;
    const names = [
        ...lines(docker("ps", "-a", "--filter", `label=${LABEL_STACK}`, "--format", format)),
        ...lines(docker("volume", "ls", "--filter", `label=${LABEL_STACK}`, "--format", format)),
        ...lines(docker("network", "ls", "--filter", `label=${LABEL_STACK}`, "--format", format)),
    ];
    return [...new Set(names)].filter((n) => n.startsWith(prefix));
}

/** Builds `tag` from `base` with one label more: the same Redis under another image id. */
export function buildImageVariant(base: string, tag: string): void {
    const context = fs.mkdtempSync(path.join(os.tmpdir(), "e2e-image-"));
    try {
        fs.writeFileSync(path.join(context, "Dockerfile"), `FROM ${base}\nLABEL e2e.variant=${tag}\n`);
        execFileSync("docker", ["build", "-q", "-t", tag, context], { env: { ...process.env, DOCKER_BUILDKIT: "0" }, stdio: "ignore" });
    } finally {
        fs.rmSync(context, { recursive: true, force: true });
    }
}
