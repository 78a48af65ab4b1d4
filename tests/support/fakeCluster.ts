/**
 * A Redis Cluster in one process, for fault injection below the end-to-end tests: every node is a
 * FakeRedis on its own loopback port, so the engine reaches it with its own ioredis clients,
 * unchanged, while the nodes share one model. It answers the commands the engine sends, with the
 * errors Redis gives where a step is out of order, and keeps what a test must check afterwards:
 * which node holds which key, who owns each slot, and which slots are open.
 *
 * Simplified where the engine must not depend on it: gossip is instant (slot owners are one table;
 * MEET joins the two nodes' clusters), replication is synchronous, a failover completes at once when
 * the master answers. Kept as Redis does it: keys live on the master that received them and move only
 * by MIGRATE, a master that loses its last slot turns replica of the new owner and drops whatever keys
 * it still had, RESET refuses a master with keys, SETSLOT NODE refuses a source that still has keys in
 * the slot, FORGET refuses one's own master. CONFIG keeps what is set; Redis Functions live with a
 * master's data set (a replica serves its master's, and refuses to load any); ACL users are kept per
 * node, and a rule naming a command Redis does not have is refused.
 */
import { MAXMEMORY_POLICIES } from "../../components/planning/limits";
import calculateSlot from "cluster-key-slot";
import { formatRange, parseRange, splitSlots } from "../../components/planning/slots";
import { FakeRedis, Reply, infoText } from "./fakeRedis";

const SLOTS = 16384;
const OK = { status: "OK" };

export interface FakeNode {
    name: string;
    id: string;
    server: FakeRedis;
    role: "master" | "slave";
    masterId?: string;
    /** A master's data set; a replica reads its master's. */
    keys: Map<string, string>;
    /** Ids of the other nodes it knows (ids of reset nodes stay as failed entries until forgotten). */
    knows: Set<string>;
    importing: Map<number, string>;
    migrating: Map<number, string>;
    runId: string;
    /** A node that is down refuses every connection. */
    down: boolean;
    /** Until then (ms since the epoch) the node loads its data set: INFO says so, other commands answer LOADING. */
    loadingUntil: number;
    /** CONFIG SET at run time: parameter -> value. */
    config: Map<string, string>;
    /** What the last CONFIG REWRITE saved (undefined: none yet). */
    rewritten?: Map<string, string>;
    /** A master's function libraries: name -> code; a replica reads its master's. */
    functions: Map<string, string>;
    /** ACL users: name -> their rules as set, in order. */
    users: Map<string, string[]>;
}

/** Commands an ACL rule may name here (Redis refuses a rule with a command it does not have). */
const COMMANDS = new Set(
    "get set del exists mget mset incr decr expire ttl keys scan type hget hset hgetall lpush rpush lrange sadd smembers zadd zrange publish subscribe ping echo info cluster config acl client function fcall fcall_ro eval evalsha multi exec watch readonly readwrite asking dbsize migrate restore dump select auth hello".split(" "),
);

let idCounter = 0;
const newId = () => (++idCounter).toString(16).padStart(8, "0").repeat(5);

/** A command that changes the cluster: the steps a run can be killed between. */
export function isStep([name, sub]: string[]): boolean {
    if (name === "MIGRATE" || (name === "CONFIG" && ["SET", "REWRITE"].includes(sub?.toUpperCase())) || (name === "FUNCTION" && sub?.toUpperCase() === "RESTORE")) return true;
    return name === "CLUSTER" && ["MEET", "ADDSLOTSRANGE", "SETSLOT", "REPLICATE", "FAILOVER", "FORGET", "RESET", "SET-CONFIG-EPOCH"].includes(sub?.toUpperCase());
}

export class FakeCluster {
    readonly nodes: FakeNode[] = [];
    /** Slot -> id of the master that owns it. */
    readonly owner: (string | undefined)[] = new Array(SLOTS).fill(undefined);
    /** Id -> how many slots it owns, kept with `owner` (a slot move asks after every slot). */
    private readonly owned = new Map<string, number>();
    /** Ports of ids that a hard reset retired: failed entries in the tables of nodes that knew them. */
    private readonly retired = new Map<string, number>();
    /** Called before each command is carried out; returning false drops it and closes its connection. */
    gate: (node: FakeNode, command: string[]) => boolean = () => true;
    /** Called before each command is carried out (after `gate`); an error returned is the reply, and the command is not carried out. */
    inject: (node: FakeNode, command: string[]) => Error | undefined = () => undefined;
    /** How many of the next CLUSTER FAILOVERs are answered OK and then abandoned (Redis gives up after 5 s when the master does not pause in time). */
    abandonFailovers = 0;

    async addNode(name: string): Promise<FakeNode> {
        const node = { name, id: newId(), role: "master", keys: new Map(), knows: new Set(), importing: new Map(), migrating: new Map(), runId: newId(), down: false, loadingUntil: 0 } as FakeNode;
        Object.assign(node, { config: new Map([["cluster-node-timeout", "15000"], ["cluster-migration-barrier", "1"], ["maxmemory", "0"], ["maxmemory-policy", "noeviction"], ["hz", "10"], ["io-threads", "1"]]), functions: new Map(), users: new Map([["default", ["on", "nopass", "~*", "&*", "+@all"]]]) });
        node.server = new FakeRedis((command) => this.handle(node, command));
        node.server.accept = (command) => !node.down && this.gate(node, command);
        await node.server.start();
        this.nodes.push(node);
        return node;
    }

    close(): Promise<void[]> {
        return Promise.all(this.nodes.map((n) => n.server.close()));
    }

    byId(id: string): FakeNode | undefined {
        return this.nodes.find((n) => n.id === id);
    }

    byPort(port: number): FakeNode | undefined {
        return this.nodes.find((n) => n.server.port === port);
    }

    masterOf(node: FakeNode): FakeNode {
        return node.role === "master" ? node : this.byId(node.masterId!)!;
    }

    private assign(slot: number, id: string | undefined): void {
        const before = this.owner[slot];
        if (before !== undefined) this.owned.set(before, this.owned.get(before)! - 1);
        if (id !== undefined) this.owned.set(id, (this.owned.get(id) ?? 0) + 1);
        this.owner[slot] = id;
    }

    slotsOf(node: FakeNode): number[] {
        return this.owner.flatMap((id, slot) => (id === node.id ? [slot] : []));
    }

    /** A formed cluster: each master owns its range ("a-b"; default: as a new cluster's plan splits them), with its replicas. */
    form(masters: FakeNode[], replicasOf: FakeNode[][], ranges: string[] = splitSlots(masters.length).map(formatRange)): void {
        const all = [...masters, ...replicasOf.flat()];
        all.forEach((n) => all.forEach((m) => m !== n && n.knows.add(m.id)));
        masters.forEach((m, i) => {
            const range = parseRange(ranges[i]);
            for (let s = range.start; s <= range.end; s++) this.assign(s, m.id);
            for (const r of replicasOf[i] ?? []) Object.assign(r, { role: "slave", masterId: m.id });
        });
    }

    /** Writes a key to the master that owns its slot, as a cluster client would. */
    write(key: string, value: string): void {
        const owner = this.byId(this.owner[calculateSlot(key)]!)!;
        owner.keys.set(key, value);
    }

    /** Where each key is, by node name: a key held by a master that does not own its slot is stranded. */
    locate(key: string): { holders: string[]; owner?: string } {
        const holders = this.nodes.filter((n) => n.role === "master" && n.keys.has(key)).map((n) => n.name);
        return { holders, owner: this.byId(this.owner[calculateSlot(key)] ?? "")?.name };
    }

    private handle(x: FakeNode, [name, ...args]: string[]): Reply {
        const injected = this.inject(x, [name, ...args]);
        if (injected) return injected;
        const sub = args[0]?.toUpperCase();
        if (Date.now() < x.loadingUntil && !["INFO", "AUTH", "CLIENT"].includes(name)) return new Error("LOADING Redis is loading the dataset in memory");
        switch (name) {
            case "PING":
                return { status: "PONG" };
            case "AUTH":
            case "CLIENT":
                return OK;
            case "INFO":
                return this.info(x, args[0]?.toLowerCase());
            case "DBSIZE":
                return this.masterOf(x).keys.size;
            case "CONFIG":
                return this.config(x, sub, args.slice(1));
            case "FUNCTION":
                return this.function(x, sub, args.slice(1));
            case "ACL":
                return this.acl(x, sub, args.slice(1));
            case "MIGRATE":
                return this.migrate(x, args);
            case "CLUSTER":
                return this.cluster(x, sub, args.slice(1));
        }
        return new Error(`ERR unknown command '${name}'`);
    }

    private info(x: FakeNode, section?: string): string {
        const master = x.role === "slave" ? this.byId(x.masterId!) : undefined;
        const sections: Record<string, Record<string, string | number>> = {
            server: { redis_version: "7.2.4", run_id: x.runId },
            persistence: { loading: Date.now() < x.loadingUntil ? 1 : 0, loading_eta_seconds: 0, aof_enabled: 0, aof_rewrite_in_progress: 0, aof_last_bgrewrite_status: "ok" },
            replication:
                x.role === "master"
                    ? { role: "master", connected_slaves: this.nodes.filter((n) => n.masterId === x.id && !n.down).length, master_repl_offset: 100 }
                    : { role: "slave", master_host: "127.0.0.1", master_port: master?.server.port ?? 0, master_link_status: master && !master.down ? "up" : "down", master_sync_in_progress: 0, slave_repl_offset: 100 },
            cluster: { cluster_enabled: 1 },
            keyspace: { db0: `keys=${this.masterOf(x).keys.size},expires=0` },
        };
        if (section === undefined || section === "all" || section === "everything") return Object.values(sections).map(infoText).join("\r\n");
        return infoText(sections[section] ?? {});
    }

    private config(x: FakeNode, sub: string, args: string[]): Reply {
        if (sub === "GET") return args.flatMap((a) => (x.config.has(a) ? [a, x.config.get(a)!] : []));
        if (sub === "REWRITE") {
            x.rewritten = new Map(x.config);
            return OK;
        }
        if (sub !== "SET" || args.length === 0 || args.length % 2 !== 0) return new Error(`ERR unknown subcommand or wrong number of arguments for '${sub}'`);
        // Redis checks every pair before it applies any.
        for (let i = 0; i < args.length; i += 2) {
            if (args[i] === "maxmemory-policy" && !MAXMEMORY_POLICIES.includes(args[i + 1] as never)) {
                return new Error(`ERR CONFIG SET failed (possibly related to argument '${args[i]}') - argument(s) must be one of the following: ${MAXMEMORY_POLICIES.join(", ")}`);
            }
            if (args[i] === "maxmemory" && !/^\d+$/.test(args[i + 1])) return new Error(`ERR CONFIG SET failed (possibly related to argument 'maxmemory') - argument couldn't be parsed into an integer`);
            if (["io-threads", "databases"].includes(args[i])) return new Error(`ERR CONFIG SET failed (possibly related to argument '${args[i]}') - can't set immutable config`);
            if (args[i] === "hz" && !/^\d+$/.test(args[i + 1])) return new Error(`ERR CONFIG SET failed (possibly related to argument 'hz') - argument couldn't be parsed into an integer`);
        }
        for (let i = 0; i < args.length; i += 2) x.config.set(args[i], args[i + 1]);
        return OK;
    }

    /** FUNCTION LOAD, LIST, DUMP and RESTORE; the payload of DUMP is opaque to clients (JSON here). */
    private function(x: FakeNode, sub: string, args: string[]): Reply {
        const libraries = this.masterOf(x).functions;
        if (sub === "LIST") return [...libraries.keys()].map((name) => ["library_name", name, "engine", "LUA", "functions", []]);
        if (sub === "DUMP") return JSON.stringify([...libraries]);
        if (sub !== "LOAD" && sub !== "RESTORE") return new Error(`ERR unknown subcommand '${sub}'`);
        if (x.role !== "master") return new Error("READONLY You can't write against a read only replica.");
        let incoming: [string, string][];
        if (sub === "LOAD") {
            const code = args[args.length - 1];
            const name = /^#!lua name=(\S+)/.exec(code)?.[1];
            if (!name) return new Error("ERR Missing library metadata");
            incoming = [[name, code]];
        } else {
            try {
                incoming = JSON.parse(args[0]);
            } catch {
                return new Error("ERR payload version or checksum are wrong");
            }
        }
        const policy = sub === "LOAD" ? (args.length > 1 && args[0].toUpperCase() === "REPLACE" ? "REPLACE" : "APPEND") : (args[1]?.toUpperCase() ?? "APPEND");
        if (policy === "APPEND") {
            const taken = incoming.find(([name]) => libraries.has(name));
            if (taken) return new Error(`ERR Library '${taken[0]}' already exists`);
        }
        if (policy === "FLUSH") libraries.clear();
        for (const [name, code] of incoming) libraries.set(name, code);
        return sub === "LOAD" ? incoming[0][0] : OK;
    }

    /** ACL USERS, SETUSER (rules accumulate; "reset" starts over), DELUSER and SAVE. */
    private acl(x: FakeNode, sub: string, args: string[]): Reply {
        if (sub === "USERS") return [...x.users.keys()].sort();
        if (sub === "SAVE") return OK;
        if (sub === "DELUSER") {
            if (args.includes("default")) return new Error("ERR The 'default' user cannot be removed");
            return args.filter((name) => x.users.delete(name)).length;
        }
        if (sub !== "SETUSER") return new Error(`ERR unknown subcommand '${sub}'`);
        const [name, ...rules] = args;
        for (const rule of rules) {
            const command = /^[+-]([a-z_|]+)$/i.exec(rule)?.[1].split("|")[0].toLowerCase();
            if (command !== undefined && !COMMANDS.has(command)) return new Error(`ERR Error in ACL SETUSER modifier '${rule}': Unknown command`);
        }
        const reset = rules.lastIndexOf("reset");
        x.users.set(name, [...(reset >= 0 ? [] : x.users.get(name) ?? []), ...rules.slice(reset + 1)]);
        return OK;
    }

    /** The masters (and their slots) that node `x` knows, itself included. */
    private known(x: FakeNode): FakeNode[] {
        return [x, ...[...x.knows].map((id) => this.byId(id)).filter((n): n is FakeNode => n !== undefined)];
    }

    private clusterState(x: FakeNode): "ok" | "fail" {
        const serving = new Set(this.known(x).filter((n) => n.role === "master" && !n.down).map((n) => n.id));
        return this.owner.every((id) => id !== undefined && serving.has(id)) ? "ok" : "fail";
    }

    private nodesText(x: FakeNode): string {
        const line = (n: FakeNode) => {
            const flags = [...(n === x ? ["myself"] : []), n.role, ...(n.down ? ["fail"] : [])].join(",");
            const open =
                n === x ? [...[...n.migrating].map(([s, p]) => `[${s}->-${p}]`), ...[...n.importing].map(([s, p]) => `[${s}-<-${p}]`)] : [];
            return [n.id, `127.0.0.1:${n.server.port}@${n.server.port + 10000}`, flags, n.masterId ?? "-", 0, 0, 0, "connected", ...ranges(this.slotsOf(n)), ...open].join(" ");
        };
        const ghosts = [...x.knows].filter((id) => this.retired.has(id)).map((id) => `${id} 127.0.0.1:${this.retired.get(id)}@${this.retired.get(id)! + 10000} master,fail - 0 0 0 disconnected`);
        return [...this.known(x).map(line), ...ghosts].join("\n") + "\n";
    }

    private cluster(x: FakeNode, sub: string, args: string[]): Reply {
        switch (sub) {
            case "NODES":
                return this.nodesText(x);
            case "MYID":
                return x.id;
            case "INFO": {
                const known = this.known(x);
                return infoText({ cluster_state: this.clusterState(x), cluster_slots_assigned: this.owner.filter(Boolean).length, cluster_known_nodes: known.length, cluster_size: known.filter((n) => n.role === "master" && this.slotsOf(n).length > 0).length });
            }
            case "SET-CONFIG-EPOCH":
                return x.knows.size === 0 ? OK : new Error("ERR The user can assign a config epoch only when the node does not know any other node.");
            case "MEET": {
                const other = this.byPort(Number(args[1]));
                if (other && !other.down && other !== x) this.join(x, other);
                return OK;
            }
            case "ADDSLOTSRANGE": {
                const slots: number[] = [];
                for (let i = 0; i < args.length; i += 2) for (let s = Number(args[i]); s <= Number(args[i + 1]); s++) slots.push(s);
                const busy = slots.find((s) => this.owner[s] !== undefined);
                if (busy !== undefined) return new Error(`ERR Slot ${busy} is already busy`);
                slots.forEach((s) => this.assign(s, x.id));
                return OK;
            }
            case "SETSLOT":
                return this.setSlot(x, Number(args[0]), args[1].toUpperCase(), args[2]);
            case "GETKEYSINSLOT": {
                const keys = [...this.masterOf(x).keys.keys()].filter((k) => calculateSlot(k) === Number(args[0]));
                return keys.slice(0, Number(args[1]));
            }
            case "COUNTKEYSINSLOT":
                return [...this.masterOf(x).keys.keys()].filter((k) => calculateSlot(k) === Number(args[0])).length;
            case "REPLICATE": {
                const master = this.byId(args[0]);
                if (!master || !x.knows.has(master.id)) return new Error(`ERR Unknown node ${args[0]}`);
                if (master.role !== "master") return new Error("ERR I can only replicate a master, not a replica.");
                if (x.role === "master" && (this.owned.get(x.id) || x.keys.size > 0)) return new Error("ERR To set a master the node must be empty and without assigned slots.");
                Object.assign(x, { role: "slave", masterId: master.id, keys: new Map() });
                x.importing.clear();
                x.migrating.clear();
                return OK;
            }
            case "FAILOVER": {
                if (x.role !== "slave") return new Error("ERR You should send CLUSTER FAILOVER to a replica");
                const master = this.byId(x.masterId!)!;
                // Without FORCE a replica waits for its master to pause writes; a master that does not answer never does.
                if (this.abandonFailovers > 0) this.abandonFailovers--;
                else if (!master.down) this.promote(x, master);
                return OK;
            }
            case "FORGET": {
                if (args[0] === x.id) return new Error("ERR I tried hard but I can't forget myself...");
                if (args[0] === x.masterId) return new Error("ERR Can't forget my master!");
                if (!x.knows.delete(args[0])) return new Error(`ERR Unknown node ${args[0]}`);
                return OK;
            }
            case "RESET": {
                if (x.role === "master" && x.keys.size > 0) return new Error("ERR CLUSTER RESET can't be called with master nodes containing keys");
                this.slotsOf(x).forEach((s) => this.assign(s, undefined));
                Object.assign(x, { role: "master", masterId: undefined, keys: new Map() });
                x.knows.clear();
                x.importing.clear();
                x.migrating.clear();
                if (args[0]?.toUpperCase() === "HARD") {
                    this.retired.set(x.id, x.server.port);
                    x.id = newId();
                }
                return OK;
            }
        }
        return new Error(`ERR unknown subcommand '${sub}'`);
    }

    /** MEET: each learns the other's cluster (gossip, made instant). */
    private join(a: FakeNode, b: FakeNode): void {
        const members = new Set([a, b, ...this.known(a), ...this.known(b)]);
        for (const n of members) for (const m of members) if (m !== n) n.knows.add(m.id);
    }

    private setSlot(x: FakeNode, slot: number, how: string, id?: string): Reply {
        if (x.role !== "master") return new Error("ERR Please use SETSLOT only with masters.");
        const target = id === undefined ? undefined : id === x.id ? x : x.knows.has(id) ? this.byId(id) : undefined;
        if (how === "STABLE") {
            x.importing.delete(slot);
            x.migrating.delete(slot);
            return OK;
        }
        if (!target) return new Error(`ERR I don't know about node ${id}`);
        if (how === "IMPORTING") {
            if (this.owner[slot] === x.id) return new Error(`ERR I'm already the owner of hash slot ${slot}`);
            x.importing.set(slot, target.id);
            return OK;
        }
        if (how === "MIGRATING") {
            if (this.owner[slot] !== x.id) return new Error(`ERR I'm not the owner of hash slot ${slot}`);
            x.migrating.set(slot, target.id);
            return OK;
        }
        if (how !== "NODE") return new Error("ERR Invalid CLUSTER SETSLOT action or number of arguments");
        if (target.role !== "master") return new Error("ERR Please use SETSLOT only with masters.");
        if (this.owner[slot] === x.id && target !== x && [...x.keys.keys()].some((k) => calculateSlot(k) === slot)) {
            return new Error(`ERR Can't assign hashslot ${slot} to a different node while I still hold keys for this hash slot.`);
        }
        x.migrating.delete(slot);
        if (target === x) x.importing.delete(slot);
        const previous = this.byId(this.owner[slot] ?? "");
        this.assign(slot, target.id);
        if (previous && previous !== target && !this.owned.get(previous.id)) {
            // cluster-allow-replica-migration: a master that lost its last slot follows the new owner, its replicas too.
            for (const n of this.nodes.filter((r) => r.masterId === previous.id)) n.masterId = target.id;
            Object.assign(previous, { role: "slave", masterId: target.id, keys: new Map() });
            previous.importing.clear();
            previous.migrating.clear();
        }
        return OK;
    }

    private promote(heir: FakeNode, master: FakeNode): void {
        for (const s of this.slotsOf(master)) this.assign(s, heir.id);
        for (const n of this.nodes.filter((r) => r.masterId === master.id && r !== heir)) n.masterId = heir.id;
        Object.assign(heir, { role: "master", masterId: undefined, keys: master.keys });
        Object.assign(master, { role: "slave", masterId: heir.id, keys: new Map() });
    }

    private migrate(x: FakeNode, args: string[]): Reply {
        const target = this.byPort(Number(args[1]));
        if (!target || target.down) return new Error("IOERR error or timeout connecting to the client");
        const keysAt = args.findIndex((a) => a.toUpperCase() === "KEYS");
        const keys = keysAt < 0 ? [args[2]] : args.slice(keysAt + 1);
        const replace = args.some((a) => a.toUpperCase() === "REPLACE");
        const present = keys.filter((k) => x.keys.has(k));
        if (present.length === 0) return { status: "NOKEY" };
        if (target.role !== "master") return new Error("ERR Target instance replied with error: MOVED");
        for (const k of present) {
            if (!replace && target.keys.has(k)) return new Error("ERR Target instance replied with error: BUSYKEY Target key name already exists.");
            target.keys.set(k, x.keys.get(k)!);
            x.keys.delete(k);
        }
        return OK;
    }
}

function ranges(slots: number[]): string[] {
    const out: string[] = [];
    for (let i = 0; i < slots.length; ) {
        let j = i;
        while (j + 1 < slots.length && slots[j + 1] === slots[j] + 1) j++;
        out.push(i === j ? `${slots[i]}` : `${slots[i]}-${slots[j]}`);
        i = j + 1;
    }
    return out;
}
