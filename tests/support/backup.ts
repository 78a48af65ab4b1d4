/** Runs `npm run backup` for a test stack, as a person would, and reads what it wrote. */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { spawnSync } from "child_process";
import { PROJECT_ROOT, pulumiEnv } from "./env";
import { BackupManifest, MANIFEST_FILE } from "../../components/planning/backup";

export function runBackup(stack: string, to: string): { code: number; output: string } {
    const r = spawnSync("npm", ["run", "--silent", "backup", "--", "--stack", stack, "--to", to], { cwd: PROJECT_ROOT, env: { ...process.env, ...pulumiEnv() }, encoding: "utf8" });
    return { code: r.status ?? -1, output: `${r.stdout}${r.stderr}` };
}

/** A backup of `stack` into a new temporary directory: its output, and the archive's manifest when it succeeded. */
export function backupToTemp(stack: string): { code: number; output: string; dir: string; manifest?: BackupManifest } {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "redis-cluster-backup-"));
    const { code, output } = runBackup(stack, dir);
    const archive = code === 0 ? output.trim().split("\n").pop()! : undefined;
    return { code, output, dir, ...(archive ? { manifest: JSON.parse(fs.readFileSync(path.join(archive, MANIFEST_FILE), "utf8")) } : {}) };
}
