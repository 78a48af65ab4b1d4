/** Reading a backup archive from disk: each file's size and sha256, and the archive checked whole. */
import { createHash } from "crypto";
import * as fs from "fs";
import * as path from "path";
import { pipeline } from "stream/promises";
import { BackupManifest, FileFacts, MANIFEST_FILE, archiveProblems } from "../planning/backup";

/** A file's size and sha256, read as a stream (an RDB file may be as large as its node's memory). */
export async function fileFacts(file: string): Promise<FileFacts> {
    const hash = createHash("sha256");
    await pipeline(fs.createReadStream(file), hash);
    return { bytes: fs.statSync(file).size, sha256: (hash.read() as Buffer).toString("hex") };
}

export interface CheckedArchive {
    manifest: BackupManifest;
    /** The manifest's sha256: names the archive (the manifest holds every file's sha256). */
    archiveId: string;
}

/** The archive in `dir`, checked against its manifest; throws listing every problem. */
export async function readArchive(dir: string): Promise<CheckedArchive> {
    const manifestPath = path.join(dir, MANIFEST_FILE);
    let text: string;
    try {
        text = fs.readFileSync(manifestPath, "utf8");
    } catch {
        throw new Error(`${dir} is not a backup archive: it has no ${MANIFEST_FILE}`);
    }
    let manifest: unknown;
    try {
        manifest = JSON.parse(text);
    } catch {
        throw new Error(`${manifestPath} is not JSON: the archive is damaged`);
    }
    const names = fs.readdirSync(dir).filter((f) => f !== MANIFEST_FILE);
    const files = new Map(await Promise.all(names.map(async (f) => [f, await fileFacts(path.join(dir, f))] as const)));
    const problems = archiveProblems(manifest, files);
    if (problems.length > 0) throw new Error(`the archive ${dir} does not check out, nothing was loaded:\n - ${problems.join("\n - ")}`);
    return { manifest: manifest as BackupManifest, archiveId: createHash("sha256").update(text).digest("hex") };
}
