/** The seed article's method as a script: network, docker run per node, redis-cli --cluster create. */
import { spawn } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { LABEL_STACK } from "../components/labels";
import { NodePlan, planCluster } from "../components/planning/plan";
import { CONFIG_PATH, renderRedisConf } from "../components/planning/redisConf";
import { ClusterSettings } from "../components/planning/settings";
import { removeNetworks, removeStackObjects } from "../tests/support/docker";
import { IMAGE, docker, log, seconds } from "./common";
import { waitAllPing, waitHealthy } from "./probes";

export function startBaselineContainers(s: ClusterSettings, stack: string): { nodes: NodePlan[]; confDir: string } {
    const plan = planCluster(s);
    const confDir = fs.mkdtempSync(path.join(os.tmpdir(), `${stack}-`));
    docker("network", "create", "--subnet", s.subnet, "--gateway", s.gateway, "--label", `${LABEL_STACK}=${stack}`, plan.networkName);
    for (const n of plan.nodes) {
        docker("volume", "create", "--label", `${LABEL_STACK}=${stack}`, n.volumeName);
        const file = path.join(confDir, `${n.name}.conf`);
        fs.writeFileSync(file, renderRedisConf(n, s));
        fs.chmodSync(file, 0o644);
        docker(
            "run", "-d", "--name", n.name, "--net", plan.networkName, "--ip", n.ip, "--label", `${LABEL_STACK}=${stack}`,
            "-v", `${file}:${CONFIG_PATH}:ro`, "-v", `${n.volumeName}:/data`,
            IMAGE, "redis-server", CONFIG_PATH,
        );
    }
    return { nodes: plan.nodes, confDir };
}

/**
 * network create, docker run per node, redis-cli --cluster create, wait until healthy; then the
 * seed's teardown, timed too: `docker rm -f` of every node and `docker network rm`.
 */
/**
 * Runs a removal that ends with the baseline's network, and lets it fail only where Docker keeps reporting
 * endpoints of containers long gone (seen after `rm -f` of 100 containers; only a dockerd restart drops them):
 * the timing is taken by then, and a caller that goes on uses another network (scale.ts: a network per size).
 */
function keepingStuckNetwork(remove: () => void): void {
    try {
        remove();
    } catch (err) {
        if (!/active endpoints/.test(String((err as Error).message))) throw err;
        log(`Docker keeps reporting endpoints on the baseline's network after its containers are gone (a dockerd fault): left in place, measuring on`);
    }
}

export async function baselineColdUp(s: ClusterSettings, stack: string): Promise<{ total: number; convergence: number; down: number }> {
    const t0 = Date.now();
    const { nodes, confDir } = startBaselineContainers(s, stack);
    try {
        await waitAllPing(nodes);
        const t1 = Date.now();
        // Done when the cluster is healthy, whether or not redis-cli has returned: from about 50 nodes on, its wait
        // "for the cluster to join" did not end here (it kept warning that bus ports "may be unreachable" while
        // every node said cluster_state:ok and knew all the others). It must still have exited well or be running.
        const create = spawn("docker", ["exec", nodes[0].name, "redis-cli", "--cluster", "create", ...nodes.map((n) => `${n.ip}:6379`), "--cluster-replicas", String(s.replicasPerShard), "--cluster-yes"], { stdio: ["ignore", "pipe", "pipe"] });
        let output = "";
        create.stdout.on("data", (d: Buffer) => (output += d));
        create.stderr.on("data", (d: Buffer) => (output += d));
        let exited: number | null | undefined;
        create.on("exit", (code) => (exited = code));
        await waitHealthy(nodes, 10 * 60 * 1000);
        if (exited !== undefined && exited !== 0) throw new Error(`redis-cli --cluster create exited with ${exited}:\n${output.slice(-2000)}`);
        create.kill();
        const up = { total: seconds(t0), convergence: seconds(t1) };
        const t2 = Date.now();
        docker("rm", "-f", ...nodes.map((n) => n.name));
        // As the seed would after "active endpoints": Docker may hold a removed container's endpoint a while.
        keepingStuckNetwork(() => removeNetworks([planCluster(s).networkName]));
        return { ...up, down: seconds(t2) };
    } finally {
        keepingStuckNetwork(() => removeStackObjects(stack));
        fs.rmSync(confDir, { recursive: true, force: true });
    }
}

