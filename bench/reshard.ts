/** Resharding 3 -> 4 shards with data: ours against redis-cli --cluster add-node and rebalance. */
import * as fs from "fs";
import { ensureCluster } from "../components/engine/cluster";
import { clusterLayout, planCluster } from "../components/planning/plan";
import { ClusterSettings } from "../components/planning/settings";
import { removeStackObjects } from "../tests/support/docker";
import { RESHARD_KEYS, docker, seconds, settingsFor } from "./common";
import { startBaselineContainers } from "./baseline";
import { countKeys, loadKeys, waitAllPing, waitHealthy, waitKnown } from "./probes";

export function specFor(s: ClusterSettings, leaving: string[] = []) {
    return { ...clusterLayout(planCluster(s)), leaving, timeoutMs: 300000, access: {}, users: [] };
}



/** Time from "add a fourth shard" to a healthy, balanced cluster, with RESHARD_KEYS keys in it. */
export async function reshardTrial(ours: boolean, stack: string): Promise<number> {
    const four = settingsFor(stack, ours ? "10.213.0.0/24" : "10.214.0.0/24", 4, 1);
    const three = settingsFor(stack, four.subnet, 3, 1);
    const { nodes, confDir } = startBaselineContainers(four, stack);
    try {
        await waitAllPing(nodes);
        const initial = nodes.slice(0, 6);
        if (ours) {
            await ensureCluster(specFor(three), () => undefined);
        } else {
            docker("exec", nodes[0].name, "redis-cli", "--cluster", "create", ...initial.map((n) => `${n.ip}:6379`), "--cluster-replicas", "1", "--cluster-yes");
            await waitHealthy(initial);
        }
        await loadKeys(nodes[0]);
        const t0 = Date.now();
        if (ours) {
            await ensureCluster(specFor(four), () => undefined);
        } else {
            const [a, b] = nodes.slice(6);
            const seed = `${nodes[0].ip}:6379`;
            docker("exec", nodes[0].name, "redis-cli", "--cluster", "add-node", `${a.ip}:6379`, seed);
            await waitKnown(nodes.slice(0, 7));
            const id = docker("exec", a.name, "redis-cli", "cluster", "myid");
            docker("exec", nodes[0].name, "redis-cli", "--cluster", "add-node", `${b.ip}:6379`, seed, "--cluster-slave", "--cluster-master-id", id);
            await waitKnown(nodes);
            // rebalance fails with CLUSTERDOWN if the new master does not yet see the cluster as ok.
            await waitHealthy(nodes);
            docker("exec", nodes[0].name, "redis-cli", "--cluster", "rebalance", seed, "--cluster-use-empty-masters");
        }
        await waitHealthy(nodes);
        const took = seconds(t0);
        const kept = await countKeys(nodes);
        if (kept !== RESHARD_KEYS) throw new Error(`${ours ? "ours" : "redis-cli"} kept ${kept} of ${RESHARD_KEYS} keys`);
        return took;
    } finally {
        removeStackObjects(stack);
        fs.rmSync(confDir, { recursive: true, force: true });
    }
}

/** Until every node knows all of `nodes` (redis-cli's add-node returns before the handshake ends). */

