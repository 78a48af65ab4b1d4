/**
 * The optional `hosts` setting: the Docker hosts a cluster is spread over.
 * Parsing and validation, pure; every problem names the key and the entry.
 */
import { CONFIG_NAMESPACE } from "./keys";

export interface HostSpec {
    /** A name for the host, used in resource names and outputs. */
    name: string;
    /** The engine endpoint: unix://..., tcp://host:port or ssh://user@host. */
    docker: string;
    /** The IPv4 address other hosts and clients reach this host at: nodes announce it. */
    address: string;
    /**
     * With tcp://: a directory holding ca.pem, cert.pem and key.pem (as DOCKER_CERT_PATH does): the
     * provider then speaks TLS to the engine and checks its certificate.
     */
    certPath?: string;
    /**
     * The host's machine is gone for good and this entry points at its replacement (same name, new
     * docker and address): the nodes it ran are made again there, empty, and join as replicas.
     * Harmless once the replacement is done.
     */
    replaced?: boolean;
    /**
     * Move every node off this host: each node's successor starts on another host beside it, and the node
     * goes only once the bootstrap handed its role over (a master failed over first); then the entry may
     * be removed.
     */
    drain?: boolean;
}

/** A cluster bus port is its client port plus this, on every host (Redis's own convention). */
export const BUS_PORT_OFFSET = 10000;

const key = `${CONFIG_NAMESPACE}:hosts`;
const DOCKER_SCHEMES = ["unix://", "tcp://", "ssh://"];
const HOST_FIELDS = ["name", "docker", "address", "certPath", "replaced", "drain"];

function isIpv4(ip: string): boolean {
    return /^\d{1,3}(\.\d{1,3}){3}$/.test(ip) && ip.split(".").every((o) => Number(o) <= 255);
}

/**
 * Checks the raw `hosts` value (undefined: one local engine, as without the setting). `nodeCount`
 * and `hostPortBase` decide the published ports: node i publishes its client port
 * hostPortBase + i - 1 and its bus port that plus 10000, on its host's address.
 */
export function resolveHosts(raw: unknown, nodeCount: number, hostPortBase: number, replicasPerShard: number) {
    const problems: string[] = [];
    const warnings: string[] = [];
    if (raw === undefined || raw === null) {
        return { hosts: undefined, problems, warnings };
    }
    if (!Array.isArray(raw) || raw.length === 0) {
        problems.push(`${key} must be a list of hosts, each with name, docker and address (set with pulumi config set --path '${key}[0].name' ...)`);
        return { hosts: undefined, problems, warnings };
    }
    const hosts: HostSpec[] = [];
    raw.forEach((entry, i) => {
        const at = `${key}[${i}]`;
        if (entry === null || typeof entry !== "object") {
            problems.push(`${at} must be an object with name, docker and address`);
            return;
        }
        const e = entry as Record<string, unknown>;
        for (const field of Object.keys(e).filter((f) => !HOST_FIELDS.includes(f))) {
            // A misspelt field (certpath) would otherwise be dropped without a word.
            problems.push(`${at}.${field} is not a host setting (${HOST_FIELDS.join(", ")})`);
        }
        const name = typeof e.name === "string" ? e.name.trim() : "";
        const docker = typeof e.docker === "string" ? e.docker.trim() : "";
        const address = typeof e.address === "string" ? e.address.trim() : "";
        const certPath = typeof e.certPath === "string" && e.certPath.trim() !== "" ? e.certPath.trim() : undefined;
        if (e.certPath !== undefined && (certPath === undefined || !certPath.startsWith("/"))) {
            problems.push(`${at}.certPath must be the absolute path of a directory holding ca.pem, cert.pem and key.pem`);
        } else if (certPath !== undefined && !docker.startsWith("tcp://")) {
            problems.push(`${at}.certPath is for tcp:// engines only (unix:// is local, ssh:// is encrypted by SSH)`);
        }
        if (!/^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,39}$/.test(name)) {
            problems.push(`${at}.name "${name}" is not a host name: use 1-40 letters, digits, "_", "." or "-", starting with a letter or digit`);
        }
        if (!DOCKER_SCHEMES.some((s) => docker.startsWith(s) && docker.length > s.length)) {
            problems.push(`${at}.docker "${docker}" is not a Docker endpoint: use ${DOCKER_SCHEMES.map((s) => `${s}...`).join(", ")}`);
        }
        if (!isIpv4(address)) {
            problems.push(`${at}.address "${address}" is not an IPv4 address`);
        } else if (address.startsWith("127.") || address === "0.0.0.0") {
            // Nodes announce it: a node told to meet 127.0.0.1 dials itself and the cluster never forms.
            problems.push(`${at}.address ${address} is not reachable from other hosts: give the address they reach this host at`);
        }
        // A boolean, or the string `pulumi config set --path` stores.
        const flag = (field: "replaced" | "drain") => {
            if (e[field] !== undefined && typeof e[field] !== "boolean" && e[field] !== "true" && e[field] !== "false") problems.push(`${at}.${field} must be true or false`);
            return e[field] === true || e[field] === "true";
        };
        const replaced = flag("replaced");
        const drain = flag("drain");
        if (replaced && drain) problems.push(`${at} is marked both replaced and drain: replace a host that is gone, drain one that still runs`);
        hosts.push({ name, docker, address, ...(certPath === undefined ? {} : { certPath }), ...(replaced ? { replaced } : {}), ...(drain ? { drain } : {}) });
    });
    for (const field of ["name", "address"] as const) {
        const seen = new Map<string, number>();
        hosts.forEach((h, i) => {
            const first = seen.get(h[field]);
            if (first !== undefined && h[field] !== "") problems.push(`${key}[${i}].${field} "${h[field]}" is already used by ${key}[${first}]`);
            else seen.set(h[field], i);
        });
    }
    if (hostPortBase <= 0) {
        problems.push(`${CONFIG_NAMESPACE}:hostPortBase must be above 0 with ${key}: nodes publish their ports on their host's address`);
    } else if (hostPortBase + nodeCount - 1 + BUS_PORT_OFFSET > 65535) {
        problems.push(
            `${CONFIG_NAMESPACE}:hostPortBase ${hostPortBase} leaves no room for ${nodeCount} client ports and their bus ports ` +
                `(client port + ${BUS_PORT_OFFSET}): use at most ${65535 - BUS_PORT_OFFSET - nodeCount + 1}`,
        );
    }
    const drained = hosts.filter((h) => h.drain);
    const staying = hosts.length - drained.length;
    if (drained.length > 0 && staying < replicasPerShard + 1) {
        problems.push(
            `${key}: draining ${drained.map((h) => `"${h.name}"`).join(", ")} would leave ${staying} host(s), and each shard's ${replicasPerShard + 1} nodes ` +
                `need ${replicasPerShard + 1} hosts apart: add a host to the list first (it takes the nodes), or lower ${CONFIG_NAMESPACE}:replicasPerShard`,
        );
    }
    if (problems.length === 0 && hosts.length < replicasPerShard + 1) {
        warnings.push(
            `${key} has ${hosts.length} host(s): keeping a shard's ${replicasPerShard + 1} nodes on different hosts needs ${replicasPerShard + 1}; ` +
                `nodes are spread as evenly as they can be, and losing one host may take a whole shard down`,
        );
    }
    return { hosts: problems.length === 0 ? hosts : undefined, problems, warnings };
}

/**
 * The hosts the cluster needs this run, in list order: those the plan places nodes on, and those
 * nodes still run on (a scale-in deletes them there). A listed host with neither gets no resources,
 * need not answer, and may be corrected or removed.
 */
export function hostsInUse(hosts: HostSpec[], plannedHosts: (string | undefined)[], deployedPlacement: Record<string, string> = {}): HostSpec[] {
    const used = new Set([...plannedHosts, ...Object.values(deployedPlacement)]);
    return hosts.filter((h) => used.has(h.name));
}

/**
 * Hosts whose engine is reached over plain tcp://: the docker provider sends them every container's
 * definition unencrypted, redis.conf with the password and the nodes' TLS keys included.
 */
export function plainTcpHosts(hosts: HostSpec[] | undefined): HostSpec[] {
    return (hosts ?? []).filter((h) => h.docker.startsWith("tcp://") && h.certPath === undefined);
}
