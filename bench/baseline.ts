/** The seed article's method as a script: network, docker run per node, redis-cli --cluster create. */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { LABEL_STACK } from "../components/labels";
import { NodePlan, planCluster } from "../components/planning/plan";
import { CONFIG_PATH, renderRedisConf } from "../components/planning/redisConf";
import { ClusterSettings } from "../components/planning/settings";
import { removeStackObjects } from "../tests/support/docker";
import { IMAGE, docker, seconds } from "./common";
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
export async function baselineColdUp(s: ClusterSettings, stack: string): Promise<{ total: number; convergence: number; down: number }> {
    const t0 = Date.now();
    const { nodes, confDir } = startBaselineContainers(s, stack);
    try {
        await waitAllPing(nodes);
        const t1 = Date.now();
        docker("exec", nodes[0].name, "redis-cli", "--cluster", "create", ...nodes.map((n) => `${n.ip}:6379`), "--cluster-replicas", String(s.replicasPerShard), "--cluster-yes");
        await waitHealthy(nodes);
        const up = { total: seconds(t0), convergence: seconds(t1) };
        const t2 = Date.now();
        docker("rm", "-f", ...nodes.map((n) => n.name));
        docker("network", "rm", planCluster(s).networkName);
        return { ...up, down: seconds(t2) };
    } finally {
        removeStackObjects(stack);
        fs.rmSync(confDir, { recursive: true, force: true });
    }
}

