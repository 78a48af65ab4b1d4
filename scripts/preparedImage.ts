/**
 * The Redis image scripts/bootstrap.sh found or built on this machine (the
 * official image where a registry is reachable, else a local build from
 * Debian's packages). Scripts and tests use it; the stack itself never does:
 * its image comes from its config (DEFAULT_IMAGE unless set), the same on
 * every machine. `npm run up` records this one in a new stack's config.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { DEFAULT_IMAGE } from "../components/planning/settings";
import { DEFAULT_EXPORTER_IMAGE } from "../components/planning/metrics";
import { DEFAULT_ALERTMANAGER_IMAGE, DEFAULT_PROMETHEUS_IMAGE } from "../components/planning/prometheus";

export function cacheDir(env: NodeJS.ProcessEnv = process.env): string {
    return env.REDIS_CLUSTER_CACHE ?? path.join(env.XDG_CACHE_HOME ?? path.join(os.homedir(), ".cache"), "redis-cluster");
}

export function preparedImage(env: NodeJS.ProcessEnv = process.env): string {
    return recorded("redis-image", env) ?? DEFAULT_IMAGE;
}

/** The redis_exporter image bootstrap.sh found or built, for stacks with metrics. */
export function preparedExporterImage(env: NodeJS.ProcessEnv = process.env): string {
    return recorded("exporter-image", env) ?? DEFAULT_EXPORTER_IMAGE;
}

/** The Prometheus image bootstrap.sh found or built, for stacks with prometheus. */
export function preparedPrometheusImage(env: NodeJS.ProcessEnv = process.env): string {
    return recorded("prometheus-image", env) ?? DEFAULT_PROMETHEUS_IMAGE;
}

/** The Alertmanager image bootstrap.sh found or built, for stacks with an alert webhook. */
export function preparedAlertmanagerImage(env: NodeJS.ProcessEnv = process.env): string {
    return recorded("alertmanager-image", env) ?? DEFAULT_ALERTMANAGER_IMAGE;
}

function recorded(file: string, env: NodeJS.ProcessEnv): string | undefined {
    try {
        return fs.readFileSync(path.join(cacheDir(env), file), "utf8").trim() || undefined;
    } catch {
        return undefined;
    }
}
