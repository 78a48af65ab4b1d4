/** This stack, through the real engine: Pulumi stacks, the bootstrap code on bare containers, failovers. */
import * as fs from "fs";
import * as path from "path";
import { Redis } from "ioredis";
import { LocalWorkspace, Stack } from "@pulumi/pulumi/automation";
import { ensureCluster } from "../components/engine/cluster";
import { clusterLayout, planCluster } from "../components/planning/plan";
import { ClusterSettings } from "../components/planning/settings";
import { readClusterNodes } from "../tests/support/clusterNodes";
import { removeStackObjects } from "../tests/support/docker";
import { IMAGE, ROOT, docker, seconds, sleep } from "./common";
import { startBaselineContainers } from "./baseline";
import { adminOf, keyForSlot, waitAllPing, waitHealthy } from "./probes";

/** Same fresh containers, formed by this stack's bootstrap code instead of redis-cli. */
export async function oursConvergence(s: ClusterSettings, stack: string): Promise<number> {
    const { nodes, confDir } = startBaselineContainers(s, stack);
    try {
        await waitAllPing(nodes);
        const t1 = Date.now();
        await ensureCluster({ ...clusterLayout(planCluster(s)), timeoutMs: 120000, access: {}, users: [] }, () => undefined);
        await waitHealthy(nodes);
        return seconds(t1);
    } finally {
        removeStackObjects(stack);
        fs.rmSync(confDir, { recursive: true, force: true });
    }
}

/** `extra`: more config, e.g. the hosts of a spread cluster. */
export async function oursStack(name: string, s: ClusterSettings, extra: Record<string, { value: string; secret?: boolean }> = {}): Promise<Stack> {
    const ws = await LocalWorkspace.create({ workDir: ROOT, envVars: { PULUMI_BACKEND_URL: `file://${ROOT}/.pulumi-state/bench` } });
    fs.mkdirSync(path.join(ROOT, ".pulumi-state/bench"), { recursive: true });
    await ws.removeStack(name, { force: true }).catch(() => undefined);
    const stack = await Stack.create(name, ws);
    await stack.setAllConfig({
        "redis-cluster:namePrefix": { value: s.namePrefix },
        "redis-cluster:subnet": { value: s.subnet },
        "redis-cluster:shards": { value: String(s.shards) },
        "redis-cluster:replicasPerShard": { value: String(s.replicasPerShard) },
        "redis-cluster:hostPortBase": { value: "0" },
        "redis-cluster:image": { value: IMAGE },
        ...extra,
    });
    return stack;
}

export async function removeOursStack(stack: Stack): Promise<void> {
    await stack.workspace.removeStack(stack.name, { force: true }).catch(() => undefined);
    fs.rmSync(path.join(ROOT, `Pulumi.${stack.name}.yaml`), { force: true });
}


/** docker stop of a master until the cluster is ok and a key of its shard is readable again. */
export async function failoverTrial(s: ClusterSettings, trial: number): Promise<number> {
    const nodes = planCluster(s).nodes;
    const probe = await adminOf(nodes[0]);
    const view = String(await probe.call("CLUSTER", "NODES"));
    probe.disconnect();
    // Flags exactly "master", as the bench always chose: never the probe's own line (myself,master) nor a failing one.
    const masters = readClusterNodes(view).filter((l) => l.flags.join(",") === "master" && l.owned.length > 0);
    const victimLine = masters[trial % masters.length];
    const victimIp = victimLine.ip;
    const victim = nodes.find((n) => n.ip === victimIp)!;
    const firstSlot = victimLine.owned[0].start;
    const key = await keyForSlot(nodes.find((n) => n.ip !== victimIp)!, firstSlot);
    const others = nodes.filter((n) => n !== victim);

    const client = new Redis.Cluster([{ host: others[0].ip, port: 6379 }], { retryDelayOnFailover: 50, retryDelayOnClusterDown: 50, maxRedirections: 1000 });
    // The stopped master refuses connections until the failover: expected, not worth a line each time.
    client.on("error", () => undefined);
    await client.set(key, "before");
    const t0 = Date.now();
    docker("stop", "-t", "0", victim.name);
    for (;;) {
        try {
            const c = await adminOf(others[0]);
            const ok = String(await c.call("CLUSTER", "INFO")).includes("cluster_state:ok");
            c.disconnect();
            if (ok && (await client.get(key)) === "before") break;
        } catch {
            // still failing over
        }
        if (seconds(t0) > 60) throw new Error("failover did not finish within 60 s");
        await sleep(20);
    }
    const took = seconds(t0);
    client.disconnect();
    docker("start", victim.name);
    await waitHealthy(nodes);
    return took;
}


