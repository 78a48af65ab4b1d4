/**
 * CLUSTER NODES text as typed lines, for tests and bench. Written apart from the project's own
 * parser on purpose (nothing from components/): a live cluster is read back with a second reading.
 */

/** A slot range a node owns, both ends included. */
export interface OwnedSlots {
    start: number;
    end: number;
}

export interface ClusterNodesLine {
    id: string;
    /** "ip:port", without the bus port or hostname. */
    endpoint: string;
    ip: string;
    port: number;
    busPort: number;
    /** Announced hostname (Redis 7 prints it after a comma in the address field). */
    hostname?: string;
    flags: string[];
    myself: boolean;
    master: boolean;
    /** Flag "slave": Redis 7 still prints that word. */
    replica: boolean;
    /** Flag "fail" (agreed) or "fail?" (suspected by this node). */
    failed: boolean;
    masterId?: string;
    configEpoch: number;
    linkState: string;
    /** The fields after the 8th as printed: ranges, single slots and open-slot markers ([n->-id], [n-<-id]). */
    slots: string[];
    /** `slots` without the open-slot markers, as ranges. */
    owned: OwnedSlots[];
}

function ownedRange(token: string, line: string): OwnedSlots {
    const m = /^(\d+)(?:-(\d+))?$/.exec(token);
    if (!m) throw new Error(`CLUSTER NODES: "${token}" is neither a slot range nor an open-slot marker in: ${line}`);
    return { start: Number(m[1]), end: Number(m[2] ?? m[1]) };
}

function readLine(line: string): ClusterNodesLine {
    const f = line.trim().split(/\s+/);
    if (f.length < 8) throw new Error(`CLUSTER NODES: fewer than 8 fields in: ${line}`);
    // Redis 7.0 ends the field with a comma when no hostname is set; 7.2 leaves the comma out.
    const [address, hostname] = f[1].split(",");
    const a = /^(.*):(\d+)@(\d+)$/.exec(address);
    if (!a) throw new Error(`CLUSTER NODES: no ip:port@busport in: ${line}`);
    const flags = f[2].split(",");
    const slots = f.slice(8);
    return {
        id: f[0],
        endpoint: `${a[1]}:${a[2]}`,
        ip: a[1],
        port: Number(a[2]),
        busPort: Number(a[3]),
        ...(hostname ? { hostname } : {}),
        flags,
        myself: flags.includes("myself"),
        master: flags.includes("master"),
        replica: flags.includes("slave"),
        failed: flags.includes("fail") || flags.includes("fail?"),
        ...(f[3] === "-" ? {} : { masterId: f[3] }),
        configEpoch: Number(f[6]),
        linkState: f[7],
        slots,
        owned: slots.filter((s) => !s.startsWith("[")).map((s) => ownedRange(s, line)),
    };
}

/** Every non-blank line; throws on one it cannot read, so a test never passes on a misreading. */
export function readClusterNodes(text: string): ClusterNodesLine[] {
    return text.split("\n").filter((l) => l.trim() !== "").map(readLine);
}
