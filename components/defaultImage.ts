/**
 * The Redis image a stack runs when redis-cluster:image is not set: the one
 * scripts/bootstrap.sh found or built on this machine (the official image
 * where a registry is reachable, else a local build from Debian's packages).
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

export const OFFICIAL_IMAGE = "redis:7.2";

export function cacheDir(env: NodeJS.ProcessEnv = process.env): string {
    return env.REDIS_CLUSTER_CACHE ?? path.join(env.XDG_CACHE_HOME ?? path.join(os.homedir(), ".cache"), "redis-cluster");
}

export function defaultImage(env: NodeJS.ProcessEnv = process.env): string {
    try {
        const recorded = fs.readFileSync(path.join(cacheDir(env), "redis-image"), "utf8").trim();
        return recorded || OFFICIAL_IMAGE;
    } catch {
        return OFFICIAL_IMAGE;
    }
}
