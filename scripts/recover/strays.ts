/**
 * After a `pulumi up` that was killed: removes the containers it had Docker create but never recorded.
 *
 * A killed up leaves each container it was creating as a pending create in the state, without an id;
 * the next up drops that operation and creates the container again, and Docker refuses the name the
 * first one holds (also on every later up, once the pending operation is gone). Such a container is
 * labelled with this stack, on an engine the stack uses, and no resource of the state holds its id;
 * it is stopped (gracefully: a node's container may already run Redis on the node's volume) and
 * removed. Its volume stays. Run by `npm run up` once it has released a killed run's lock, and when an
 * up failed on a container name already in use.
 */
import { execFileSync } from "child_process";
import { LABEL_STACK } from "../../components/labels";
import { StackExport, dockerEnvOf, pulumi } from "../status/stack";

/** The engines the stack's containers were made on (by DOCKER_HOST; "" for the local one), each with its environment. Pure. */
export function stackEngines(state: StackExport, baseEnv: NodeJS.ProcessEnv = process.env): Map<string, NodeJS.ProcessEnv> {
    const resources = state.deployment?.resources ?? [];
    const engines = new Map<string, NodeJS.ProcessEnv>();
    for (const c of resources.filter((r) => r.type === "docker:index/container:Container")) {
        const env = dockerEnvOf(resources, c.provider, baseEnv);
        engines.set(env.DOCKER_HOST ?? "", env);
    }
    return engines;
}

/** The ids of the containers the state holds. Pure. */
export function recordedContainerIds(state: StackExport): Set<string> {
    return new Set((state.deployment?.resources ?? []).filter((r) => r.type === "docker:index/container:Container").map((r) => String(r.outputs?.id ?? "")));
}

/** Removes the stack's unrecorded containers; returns how many. */
export function main(stack: string): number {
    const state: StackExport = JSON.parse(pulumi(["stack", "export", "--stack", stack]));
    const recorded = recordedContainerIds(state);
    let removed = 0;
    for (const [host, env] of stackEngines(state)) {
        const docker = (...args: string[]) => execFileSync("docker", args, { env, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] }).trim();
        let listed: string;
        try {
            listed = docker("ps", "-a", "--no-trunc", "--filter", `label=${LABEL_STACK}=${stack}`, "--format", "{{.ID}} {{.Names}}");
        } catch (err) {
            // A host that does not answer keeps what it has; the up says so itself.
            console.log(`    could not list the containers on ${host || "the local engine"}: ${(err as { stderr?: string }).stderr?.trim() ?? err}`);
            continue;
        }
        for (const [id, name] of listed.split("\n").filter(Boolean).map((l) => l.split(" "))) {
            if (recorded.has(id)) continue;
            console.log(`    container ${name} on ${host || "the local engine"} was created by an up that stopped before recording it: removing it, so that this up creates it again (its volume stays)`);
            docker("stop", "--time", "60", id);
            docker("rm", id);
            removed++;
        }
    }
    return removed;
}
