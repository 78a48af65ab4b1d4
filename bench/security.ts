/**
 * What TLS and ACL users cost: a cold `up` of a 3x1 cluster with both on next to one without, and
 * the same writes through a cluster client over TLS as a named user next to plain TCP with no AUTH,
 * on the same engine in the same run.
 */
import { removeStackObjects } from "../tests/support/docker";
import { ClusterSettings } from "../components/planning/settings";
import { TRIALS, log, settingsFor, timed, writes } from "./common";
import { oursStack, removeOursStack } from "./ours";
import { fmt } from "./report";

/** Enough writes to take seconds, not a fraction of one, so that the ratio is more than noise. */
const WRITES = Number(process.env.BENCH_SECURITY_WRITES ?? 200000);
const USER = { username: "bench", password: "bench-Secur1ty-pw" };
/** The bench's own user, its password a secret in the bench stack's config like a user's would be. */
const SECURE_CONFIG = {
    "redis-cluster:tls": { value: "true" },
    "redis-cluster:users": { value: JSON.stringify([{ name: USER.username, password: USER.password, rules: "~* +@all" }]), secret: true },
    // Users beside a default user without a password are refused (every client would be default): off, as a secured stack has it.
    "redis-cluster:disableDefaultUser": { value: "true" },
};

/** One cold up and the writes, with TLS and a user or without either; the stack is destroyed after. */
async function trial(s: ClusterSettings, secure: boolean, add: (name: string, value: number) => number): Promise<{ up: number; writes: number }> {
    const stack = await oursStack("bench-sec", s, secure ? SECURE_CONFIG : {});
    try {
        let ca = "";
        const up = add(`ours cold up 3x1 ${secure ? "with TLS and a user" : "without TLS or users"}`, await timed(async () => (ca = (await stack.up()).outputs.caCertificate?.value ?? "")));
        const w = add(`${WRITES} SETs${secure ? " over TLS as a named user" : " over plain TCP"}`, await writes(s, WRITES, secure ? { tls: { ca }, ...USER } : {}));
        await stack.destroy();
        return { up, writes: w };
    } finally {
        removeStackObjects("bench-sec");
        await removeOursStack(stack);
    }
}

export async function securityBench(add: (name: string, value: number) => number, ratio: (name: string, ours: number, base: number) => void): Promise<void> {
    const s = settingsFor("bench-sec", "10.218.0.0/24", 3, 1);
    for (let i = 0; i < Math.min(TRIALS, 2); i++) {
        // Alternating which goes first, so neither always runs on a warmer machine.
        const secureFirst = i % 2 === 1;
        const firstRun = await trial(s, secureFirst, add);
        const secondRun = await trial(s, !secureFirst, add);
        const [plain, secure] = secureFirst ? [secondRun, firstRun] : [firstRun, secondRun];
        ratio("cold up 3x1 with TLS and a user / without", secure.up, plain.up);
        ratio(`${WRITES} SETs over TLS as a user / plain TCP`, secure.writes, plain.writes);
        log(`security trial ${i + 1}: up ${fmt(plain.up)} s plain, ${fmt(secure.up)} s with TLS and a user; SETs ${fmt(plain.writes)} s vs ${fmt(secure.writes)} s`);
    }
}
