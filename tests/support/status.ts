/** Runs `npm run status` for a test stack, as a person would. */
import { spawnSync } from "child_process";
import { PROJECT_ROOT, pulumiEnv } from "./env";

export function runStatus(stack: string): { code: number; output: string } {
    const r = spawnSync("npm", ["run", "--silent", "status", "--", "--stack", stack], {
        cwd: PROJECT_ROOT,
        env: { ...process.env, ...pulumiEnv() },
        encoding: "utf8",
    });
    return { code: r.status ?? -1, output: `${r.stdout}${r.stderr}` };
}
