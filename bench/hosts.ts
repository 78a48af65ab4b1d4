/**
 * Several hosts, on test hosts made on this machine (scripts/test-hosts.sh: network namespaces, each
 * with its own dockerd; needs root): a cold `up` of 3x1 over three hosts next to the same on one
 * engine, and the time from a host's loss until every slot is served again.
 */
import { execFileSync } from "child_process";
import { Stack } from "@pulumi/pulumi/automation";
import { planCluster } from "../components/planning/plan";
import { ClusterSettings, resolveSettings } from "../components/planning/settings";
import { removeStackObjects } from "../tests/support/docker";
import { testHost, testHosts } from "../tests/support/testHosts";
import { IMAGE, TRIALS, log, seconds, settingsFor, sleep, timed } from "./common";
import { oursStack, removeOursStack } from "./ours";
import { adminOf } from "./probes";

const COUNT = 3;
const HOSTS = Array.from({ length: COUNT }, (_, k) => testHost(k + 1));
const PORT_BASE = 7301;

/** Why this part cannot run here, or undefined when it can. */
export function hostsUnavailable(): string | undefined {
    if (process.getuid?.() !== 0) return "needs root (network namespaces and a dockerd per test host)";
    try {
        execFileSync("ip", ["netns", "list"], { stdio: "ignore" });
    } catch {
        return "needs `ip netns` (iproute2)";
    }
    return undefined;
}

function hostsSettings(prefix: string): ClusterSettings {
    const r = resolveSettings({ namePrefix: prefix, subnet: "10.213.0.0/24", shards: 3, replicasPerShard: 1, hostPortBase: PORT_BASE, hosts: HOSTS }, IMAGE);
    if (r.problems.length) throw new Error(r.problems.join("\n"));
    return r.settings;
}

/** Every slot owned by a master that is not failed and not on the lost host, as a surviving node sees it. */
async function servedWithout(survivor: { ip: string; port: number }, lostAddress: string): Promise<boolean> {
    const c = await adminOf(survivor).catch(() => undefined);
    if (!c) return false;
    try {
        if (!String(await c.call("CLUSTER", "INFO")).includes("cluster_state:ok")) return false;
        const slots = (await c.call("CLUSTER", "SLOTS")) as [number, number, [string, number]][];
        const covered = slots.filter(([, , [ip]]) => ip !== lostAddress).reduce((k, [a, b]) => k + b - a + 1, 0);
        return covered === 16384;
    } catch {
        return false;
    } finally {
        c.disconnect();
    }
}

/** Stops host 2 (its dockerd and every container on it) and times until the survivors serve every slot. */
async function hostLossTrial(s: ClusterSettings): Promise<number> {
    const survivor = planCluster(s).nodes.find((n) => n.host!.name === "h1")!.announce;
    const t0 = Date.now();
    testHosts("stop", "2");
    while (!(await servedWithout(survivor, HOSTS[1].address))) {
        if (seconds(t0) > 120) throw new Error("the survivors did not serve every slot within 120 s");
        await sleep(50);
    }
    const took = seconds(t0);
    testHosts("start", "2");
    return took;
}

export async function hostsBench(add: (name: string, value: number) => number, ratio: (name: string, ours: number, base: number) => void): Promise<void> {
    const why = hostsUnavailable();
    if (why) {
        log(`several hosts: skipped, ${why}`);
        return;
    }
    log(`several hosts: ${TRIALS} trials of 3x1 cold up over ${COUNT} test hosts, each next to 3x1 on one engine`);
    testHosts("down");
    testHosts("up", String(COUNT));
    try {
        for (let i = 0; i < TRIALS; i++) {
            const one = await oursStack("bench-one", settingsFor("bench-one", "10.211.0.0/24", 3, 1));
            let single = NaN;
            try {
                single = add("ours cold up 3x1, one engine", await timed(() => one.up()));
                await one.destroy();
            } finally {
                removeStackObjects("bench-one");
                await removeOursStack(one);
            }
            const s = hostsSettings("bench-hosts");
            let up = NaN;
            const spread: Stack = await oursStack("bench-hosts", s, { "redis-cluster:hostPortBase": { value: String(PORT_BASE) }, "redis-cluster:hosts": { value: JSON.stringify(HOSTS) } });
            try {
                up = add(`ours cold up 3x1 over ${COUNT} hosts`, await timed(() => spread.up()));
                ratio(`cold up 3x1: ${COUNT} hosts / one engine`, up, single);
                if (i === 0) {
                    add("host lost until every slot is served (3x1 over 3 hosts)", await hostLossTrial(s));
                    await spread.refresh();
                    await spread.up();
                }
                await spread.destroy();
            } finally {
                await removeOursStack(spread);
            }
            log(`hosts trial ${i + 1}: one engine ${single.toFixed(2)} s, ${COUNT} hosts ${up.toFixed(2)} s`);
        }
    } finally {
        testHosts("down");
    }
}
