/** Runs `npm run backup` for a test stack, as a person would, and reads what it wrote. */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { spawn } from "child_process";
import { PROJECT_ROOT, pulumiEnv } from "./env";
import { BackupManifest, MANIFEST_FILE } from "../../components/planning/backup";

/** Not blocking: a client of the test's own process goes on writing while the backup runs. */
export function runBackup(stack: string, to: string, user?: string): Promise<{ code: number; output: string }> {
    const child = spawn("npm", ["run", "--silent", "backup", "--", "--stack", stack, "--to", to, ...(user ? ["--user", user] : [])], { cwd: PROJECT_ROOT, env: { ...process.env, ...pulumiEnv() } });
    let output = "";
    child.stdout.on("data", (d) => (output += d));
    child.stderr.on("data", (d) => (output += d));
    return new Promise((resolve) => child.on("close", (code) => resolve({ code: code ?? -1, output })));
}

/** A backup of `stack` into a new temporary directory: its output, and the archive's manifest when it succeeded. */
export async function backupToTemp(stack: string, user?: string): Promise<{ code: number; output: string; dir: string; manifest?: BackupManifest }> {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "redis-cluster-backup-"));
    const { code, output } = await runBackup(stack, dir, user);
    const archive = code === 0 ? output.trim().split("\n").pop()! : undefined;
    return { code, output, dir, ...(archive ? { manifest: JSON.parse(fs.readFileSync(path.join(archive, MANIFEST_FILE), "utf8")) } : {}) };
}
