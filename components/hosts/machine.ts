/** What validation needs to know of the machine whose Docker engine runs the nodes, when it is this one. */
import * as fs from "fs";
import * as os from "os";
import { LocalMachine } from "../planning/settings";

const NEIGHBOUR_LIMIT = "/proc/sys/net/ipv4/neigh/default/gc_thresh3";

/** This machine's CPU count and, on Linux, its kernel's neighbour table limit. */
export function thisMachine(): LocalMachine {
    let neighbourEntries: number | undefined;
    try {
        neighbourEntries = Number(fs.readFileSync(NEIGHBOUR_LIMIT, "utf8").trim()) || undefined;
    } catch {
        // not Linux, or not readable: nothing to judge by
    }
    return { cpus: os.cpus().length, ...(neighbourEntries !== undefined ? { neighbourEntries } : {}) };
}
