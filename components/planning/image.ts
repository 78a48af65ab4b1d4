/**
 * The Redis version an image reference names in its tag. Pure: it reads the
 * text of the reference only, so it works at preview on any machine, with or
 * without the image.
 */

/** major, minor, patch (patch 0 when the tag leaves it out). */
export type RedisVersion = [number, number, number];

/** The oldest Redis the stack drives: ADDSLOTSRANGE, ACL SETUSER with several passwords, FUNCTION. */
export const MIN_REDIS: RedisVersion = [7, 0, 0];

/**
 * `redis:7.2`, `redis:7.2.4-alpine`, `registry:5000/redis-cluster-local/redis:7.0.15` -> the version;
 * `redis:latest`, `redis@sha256:...`, a tag without digits first -> undefined.
 */
export function redisVersionOf(image: string): RedisVersion | undefined {
    if (image.includes("@")) {
        return undefined;
    }
    const slash = image.lastIndexOf("/");
    const colon = image.lastIndexOf(":");
    // A colon before the last slash belongs to a registry's port, not to a tag.
    if (colon <= slash) {
        return undefined;
    }
    const m = /^(\d+)(?:\.(\d+))?(?:\.(\d+))?(?:$|[-_+])/.exec(image.slice(colon + 1));
    if (!m) {
        return undefined;
    }
    return [Number(m[1]), Number(m[2] ?? 0), Number(m[3] ?? 0)];
}

export function formatVersion(v: RedisVersion): string {
    return v.join(".");
}

/** True when `a` is older than `b`. */
export function isOlder(a: RedisVersion, b: RedisVersion): boolean {
    for (let i = 0; i < 3; i++) {
        if (a[i] !== b[i]) return a[i] < b[i];
    }
    return false;
}

/**
 * Data files (RDB, AOF) are readable by the same or a newer Redis only. A move to an older
 * major or minor version may leave a node unable to load its own volume; a patch step back
 * within one minor version keeps the file format.
 */
export function isDowngrade(from: RedisVersion, to: RedisVersion): boolean {
    return isOlder([to[0], to[1], 0], [from[0], from[1], 0]);
}
