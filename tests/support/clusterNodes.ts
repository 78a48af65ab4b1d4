/**
 * CLUSTER NODES text as typed lines, for tests and bench. Written apart from the project's own
 * parser on purpose (nothing from components/): a live cluster is read back with a second reading.
 * Also the other way: generated lines (fast-check) printed as Redis 7 prints them.
 */
import fc from "fast-check";

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

/** A line as Redis 7 prints it: "ip:port@bus[,hostname]", flags, master or "-", ping, pong, epoch, link, slots. */
export function formatLine(n: ClusterNodesLine): string {
    const address = `${n.ip}:${n.port}@${n.busPort}${n.hostname === undefined ? "" : `,${n.hostname}`}`;
    return [n.id, address, n.flags.join(","), n.masterId ?? "-", 0, 1700000000000, n.configEpoch, n.linkState, ...n.slots].join(" ");
}

const nodeId = fc.stringMatching(/^[0-9a-f]{40}$/);

/**
 * Any line of a node table. Ids (also of masters and migration peers) and addresses are drawn from
 * `draw`: a few of each make lines share them, as a table with a recreated node at an old address does.
 */
export function clusterNodesLine(
    draw: { id?: fc.Arbitrary<string>; ip?: fc.Arbitrary<string>; port?: fc.Arbitrary<number> } = {},
): fc.Arbitrary<ClusterNodesLine> {
    const id = draw.id ?? nodeId;
    const slot = fc.integer({ min: 0, max: 16383 });
    const range = fc.tuple(slot, slot).map(([a, b]) => ({ start: Math.min(a, b), end: Math.max(a, b) }));
    const marker = fc.tuple(slot, fc.constantFrom("->-", "-<-"), id).map(([s, dir, peer]) => `[${s}${dir}${peer}]`);
    return fc
        .record({
            id,
            ip: draw.ip ?? fc.oneof(fc.ipV4(), fc.ipV6()),
            port: draw.port ?? fc.integer({ min: 1, max: 65535 }),
            busPort: fc.integer({ min: 1, max: 65535 }),
            hostname: fc.option(fc.stringMatching(/^[a-z][a-z0-9.-]{0,15}$/), { nil: undefined }),
            myself: fc.boolean(),
            replicaOf: fc.option(id, { nil: undefined }),
            fail: fc.constantFrom(undefined, "fail", "fail?"),
            nofailover: fc.boolean(),
            handshake: fc.constantFrom(undefined, undefined, "handshake", "noaddr"),
            configEpoch: fc.nat(),
            linkState: fc.constantFrom("connected", "disconnected"),
            owned: fc.array(range, { maxLength: 4 }),
            markers: fc.array(marker, { maxLength: 2 }),
        })
        .map((r) => {
            const replica = r.replicaOf !== undefined;
            const flags = [
                ...(r.myself ? ["myself"] : []),
                replica ? "slave" : "master",
                ...(r.fail ? [r.fail] : []),
                ...(r.nofailover ? ["nofailover"] : []),
                ...(r.handshake ? [r.handshake] : []),
            ];
            // Only a master owns slots; a replica's line ends after the link state.
            const owned = replica ? [] : r.owned;
            const slots = replica ? [] : [...owned.map((o) => (o.start === o.end ? `${o.start}` : `${o.start}-${o.end}`)), ...r.markers];
            return {
                id: r.id,
                endpoint: `${r.ip}:${r.port}`,
                ip: r.ip,
                port: r.port,
                busPort: r.busPort,
                ...(r.hostname === undefined ? {} : { hostname: r.hostname }),
                flags,
                myself: r.myself,
                master: !replica,
                replica,
                failed: r.fail !== undefined,
                ...(r.replicaOf === undefined ? {} : { masterId: r.replicaOf }),
                configEpoch: r.configEpoch,
                linkState: r.linkState,
                slots,
                owned,
            };
        });
}
