/**
 * A Prometheus server for the cluster: its settings, its scrape config and its alert rules. Pure.
 *
 * Both files are JSON, which is YAML: Prometheus reads them as they are, and a user who brings their
 * own Prometheus copies them from the stack's outputs.
 */
import { CONFIG_NAMESPACE } from "./keys";
import { ExporterPlan, targetLabels } from "./metrics";
import { SLOT_COUNT } from "./slots";

/** The official image the server runs when redis-cluster:prometheusImage is not set (Pulumi.yaml says the same). */
export const DEFAULT_PROMETHEUS_IMAGE = "prom/prometheus:v2.42.0";
export const PROMETHEUS_PORT = 9090;
export const PROMETHEUS_CONFIG_FILE = "/etc/prometheus/prometheus.yml";
export const PROMETHEUS_RULES_FILE = "/etc/prometheus/rules.yml";
/** Where the server keeps its series: a volume of its own, so history survives a new container. */
export const PROMETHEUS_DATA_DIR = "/prometheus";
/** The job every exporter is scraped under; the rules select it. */
export const SCRAPE_JOB = "redis-cluster";

export interface PrometheusSettings {
    image: string;
    /** With alertWebhookUrl: Alertmanager, which posts every alert there. */
    alertmanager?: AlertmanagerSettings;
    /** Published on 127.0.0.1 of the (first) host. */
    port: number;
    /** How often every exporter is scraped and the rules evaluated (a Prometheus duration: "15s"). */
    scrapeInterval: string;
    /** How long a condition must hold before its alert fires ("1m"). */
    alertFor: string;
}

export interface AlertmanagerSettings {
    image: string;
    /** Where alerts are posted (Alertmanager's webhook format): a secret, it may carry a token. */
    webhookUrl: string;
}

/** The official Alertmanager image, when redis-cluster:alertmanagerImage is not set (Pulumi.yaml says the same). */
export const DEFAULT_ALERTMANAGER_IMAGE = "prom/alertmanager:v0.25.0";
export const ALERTMANAGER_PORT = 9093;
export const ALERTMANAGER_CONFIG_FILE = "/etc/alertmanager/alertmanager.yml";
/** Silences and the notification log: in the container (a new one starts without silences). */
export const ALERTMANAGER_DATA_DIR = "/alertmanager";

export const PROMETHEUS_DEFAULTS = { port: PROMETHEUS_PORT, scrapeInterval: "15s", alertFor: "1m" } as const;

export interface RawPrometheus {
    prometheus?: string | boolean;
    prometheusImage?: string;
    prometheusPort?: string | number;
    scrapeInterval?: string;
    alertFor?: string;
    alertWebhookUrl?: string;
    alertmanagerImage?: string;
}

/** A Prometheus duration as this stack takes it: whole seconds, minutes or hours, from 1s to 24h. */
function durationSeconds(text: string): number | undefined {
    const m = /^(\d+)(s|m|h)$/.exec(text);
    if (!m) return undefined;
    const seconds = Number(m[1]) * { s: 1, m: 60, h: 3600 }[m[2] as "s" | "m" | "h"];
    return seconds >= 1 && seconds <= 86400 ? seconds : undefined;
}

/** Parses and checks the Prometheus keys; `metrics` says whether there are exporters to scrape. */
export function resolvePrometheus(raw: RawPrometheus, metrics: boolean, defaultImage: string = DEFAULT_PROMETHEUS_IMAGE): { prometheus?: PrometheusSettings; problems: string[] } {
    const problems: string[] = [];
    const key = (name: string) => `${CONFIG_NAMESPACE}:${name}`;
    const on = raw.prometheus === undefined || raw.prometheus === "" ? "false" : String(raw.prometheus).trim().toLowerCase();
    if (on !== "true" && on !== "false") {
        problems.push(`${key("prometheus")} must be true or false (got "${raw.prometheus}")`);
        return { problems };
    }
    const webhookUrl = raw.alertWebhookUrl === undefined || raw.alertWebhookUrl === "" ? undefined : String(raw.alertWebhookUrl).trim();
    if (on === "false") {
        if (webhookUrl !== undefined) problems.push(`${key("alertWebhookUrl")} is set but ${key("prometheus")} is not true: nothing would raise alerts (pulumi config set ${key("prometheus")} true)`);
        return { problems };
    }
    if (!metrics) {
        problems.push(`${key("prometheus")} is true but ${key("metrics")} is not: there would be nothing to scrape (pulumi config set ${key("metrics")} true)`);
    }
    const image = raw.prometheusImage === undefined || String(raw.prometheusImage).trim() === "" ? defaultImage : String(raw.prometheusImage).trim();
    if (/\s/.test(image)) problems.push(`${key("prometheusImage")} "${image}" is not an image reference (it contains whitespace)`);
    let port: number = PROMETHEUS_DEFAULTS.port;
    if (raw.prometheusPort !== undefined && raw.prometheusPort !== "") {
        const n = Number(String(raw.prometheusPort).trim());
        if (!Number.isInteger(n) || n < 1 || n > 65535) problems.push(`${key("prometheusPort")} must be a port from 1 to 65535 (got "${raw.prometheusPort}")`);
        else port = n;
    }
    const duration = (name: "scrapeInterval" | "alertFor") => {
        const text = raw[name] === undefined || raw[name] === "" ? PROMETHEUS_DEFAULTS[name] : String(raw[name]).trim();
        if (durationSeconds(text) === undefined) problems.push(`${key(name)} "${text}" is not a duration of whole seconds, minutes or hours from 1s to 24h, e.g. 15s, 1m`);
        return text;
    };
    const scrapeInterval = duration("scrapeInterval");
    const alertFor = duration("alertFor");
    let alertmanager: AlertmanagerSettings | undefined;
    if (webhookUrl !== undefined) {
        // Not quoted back: it may carry a token.
        if (!/^https?:\/\/[^\s/]+(\/\S*)?$/.test(webhookUrl)) problems.push(`${key("alertWebhookUrl")} is not an http:// or https:// URL`);
        const amImage = raw.alertmanagerImage === undefined || String(raw.alertmanagerImage).trim() === "" ? DEFAULT_ALERTMANAGER_IMAGE : String(raw.alertmanagerImage).trim();
        if (/\s/.test(amImage)) problems.push(`${key("alertmanagerImage")} "${amImage}" is not an image reference (it contains whitespace)`);
        alertmanager = { image: amImage, webhookUrl };
    }
    return { prometheus: { image, port, scrapeInterval, alertFor, ...(alertmanager ? { alertmanager } : {}) }, problems };
}

/** The server's arguments (the image's entrypoint is prometheus). */
export function prometheusArgs(): string[] {
    return [
        `--config.file=${PROMETHEUS_CONFIG_FILE}`,
        `--storage.tsdb.path=${PROMETHEUS_DATA_DIR}`,
        `--web.listen-address=:${PROMETHEUS_PORT}`,
        "--storage.tsdb.retention.time=15d",
    ];
}

/** The scrape config: every exporter under one job, each with its node's labels and live shard. */
export function scrapeConfig(exporters: ExporterPlan[], shardOf: Record<string, string>, p: Pick<PrometheusSettings, "scrapeInterval">, alertmanager?: string, rulesFile = PROMETHEUS_RULES_FILE): string {
    const config = {
        global: { scrape_interval: p.scrapeInterval, evaluation_interval: p.scrapeInterval },
        rule_files: [rulesFile],
        ...(alertmanager === undefined ? {} : { alerting: { alertmanagers: [{ static_configs: [{ targets: [alertmanager] }] }] } }),
        scrape_configs: [{ job_name: SCRAPE_JOB, static_configs: exporters.map((e) => ({ targets: [e.target], labels: targetLabels(e, shardOf) })) }],
    };
    return `# Made by the redis-cluster stack (JSON is YAML).\n${JSON.stringify(config, null, 2)}\n`;
}

/** What the rules need of the cluster beyond the exporters' labels. */
export interface RuleContext {
    alertFor: string;
    /** Replicas per shard: without any, no shard is expected to have one. */
    replicasPerShard: number;
    /** Whether nodes have a maxmemory (otherwise memory near it means nothing). */
    maxmemory: boolean;
    /** With TLS: each node's certificate's expiry (ISO time) and how many days before it `up` renews it. */
    certificates?: { node: string; shard?: string; notAfter: string }[];
    renewBeforeDays?: number;
}

interface Rule {
    alert: string;
    expr: string;
    for: string;
    labels: Record<string, string>;
    annotations: { summary: string; description: string };
}

const job = `job="${SCRAPE_JOB}"`;

/** The alert rules, one group; every alert carries the node and shard labels of the series behind it. */
export function alertRules(c: RuleContext): string {
    const rule = (alert: string, expr: string, severity: "critical" | "warning", summary: string, description: string, labels: Record<string, string> = {}): Rule => ({
        alert,
        expr,
        for: c.alertFor,
        labels: { severity, ...labels },
        annotations: { summary, description },
    });
    const rules: Rule[] = [
        rule(
            "RedisNodeDown",
            `up{${job}} == 0 or redis_up{${job}} == 0`,
            "critical",
            "Redis node {{ $labels.node }} (shard {{ $labels.shard }}) does not answer",
            "Its exporter cannot reach it, or the exporter itself is down. A master's replica takes over after the node timeout; pulumi up brings the node back.",
        ),
        rule("RedisClusterStateNotOk", `redis_cluster_state{${job}} == 0`, "critical", "{{ $labels.node }} says the cluster is not ok", "CLUSTER INFO cluster_state is fail on this node: some slots have no reachable master, or the node cannot reach a majority of masters."),
        rule(
            "RedisSlotsNotCovered",
            `redis_cluster_slots_ok{${job}} < ${SLOT_COUNT}`,
            "critical",
            `{{ $labels.node }} sees {{ $value }} of ${SLOT_COUNT} slots served`,
            "Keys in the other slots can be neither read nor written.",
        ),
        rule("RedisReplicaLinkDown", `redis_master_link_up{${job}} == 0`, "warning", "Replica {{ $labels.node }} (shard {{ $labels.shard }}) is not linked to its master", "It serves stale data and cannot take over with every write."),
        rule("RedisEvicting", `increase(redis_evicted_keys_total{${job}}[5m]) > 0`, "warning", "{{ $labels.node }} evicts keys at maxmemory", "The eviction policy deletes keys to make room: raise memory/maxmemory, or accept it for a cache."),
        rule("RedisRejectedConnections", `increase(redis_rejected_connections_total{${job}}[5m]) > 0`, "warning", "{{ $labels.node }} refuses connections", "maxclients is reached: clients get errors."),
    ];
    if (c.replicasPerShard > 0) {
        rules.splice(
            4,
            0,
            rule(
                "RedisShardWithoutReplica",
                `redis_connected_slaves{${job}} == 0 and on (instance) redis_instance_info{${job},role="master"}`,
                "warning",
                "Shard {{ $labels.shard }}: master {{ $labels.node }} has no replica",
                "Losing this master now loses its slots until it comes back.",
            ),
        );
    }
    if (c.maxmemory) {
        rules.push(
            rule(
                "RedisMemoryNearMax",
                `redis_memory_used_bytes{${job}} / redis_memory_max_bytes{${job}} > 0.9 and redis_memory_max_bytes{${job}} > 0`,
                "warning",
                "{{ $labels.node }} uses over 90% of maxmemory",
                "At maxmemory writes fail (noeviction) or keys are evicted.",
            ),
        );
    }
    for (const cert of c.certificates ?? []) {
        // The stack knows each certificate's expiry; renewing it (pulumi up) rewrites this rule.
        const due = Math.floor(new Date(cert.notAfter).getTime() / 1000) - (c.renewBeforeDays ?? 0) * 86400;
        rules.push(
            rule(
                "RedisCertificateExpiring",
                `vector(time()) > ${due}`,
                "warning",
                `The TLS certificate of ${cert.node} expires at ${cert.notAfter}`,
                "Run pulumi up: it renews certificates within tlsRenewBeforeDays of their expiry.",
                { node: cert.node, ...(cert.shard === undefined ? {} : { shard: cert.shard }) },
            ),
        );
    }
    return `# Made by the redis-cluster stack (JSON is YAML).\n${JSON.stringify({ groups: [{ name: "redis-cluster", rules }] }, null, 2)}\n`;
}

/** Alertmanager's arguments (the image's entrypoint is alertmanager). */
export function alertmanagerArgs(): string[] {
    return [`--config.file=${ALERTMANAGER_CONFIG_FILE}`, `--storage.path=${ALERTMANAGER_DATA_DIR}`, `--web.listen-address=:${ALERTMANAGER_PORT}`, "--cluster.listen-address="];
}

/**
 * Alertmanager's config: every alert to the webhook, grouped per alert and node, resolved ones too.
 * A secret: the URL may carry a token.
 */
export function alertmanagerConfig(webhookUrl: string): string {
    const config = {
        route: { receiver: "webhook", group_by: ["alertname", "node"], group_wait: "5s", group_interval: "1m", repeat_interval: "4h" },
        receivers: [{ name: "webhook", webhook_configs: [{ url: webhookUrl, send_resolved: true }] }],
    };
    return `# Made by the redis-cluster stack (JSON is YAML).\n${JSON.stringify(config, null, 2)}\n`;
}
