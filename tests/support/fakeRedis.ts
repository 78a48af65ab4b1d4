/**
 * A Redis that answers what a test scripts, on a loopback port, over the real protocol (RESP): the
 * engine reaches it with its own ioredis clients, unchanged, and a test injects what a real node
 * rarely does on cue (a failed AOF rewrite, LOADING, a refused FORGET).
 */
import * as net from "net";

/** A reply: a bulk string, `{ status }` (+OK), an integer, null, an Error (-ERR ...), or an array of replies. */
export type Reply = string | { status: string } | number | null | Error | Reply[];

function encode(r: Reply): string {
    if (r === null) return "$-1\r\n";
    if (typeof r === "number") return `:${r}\r\n`;
    if (typeof r === "string") return `$${Buffer.byteLength(r)}\r\n${r}\r\n`;
    if (r instanceof Error) return `-${r.message}\r\n`;
    if (Array.isArray(r)) return `*${r.length}\r\n${r.map(encode).join("")}`;
    return `+${r.status}\r\n`;
}

/** Parses complete RESP arrays of bulk strings from `buffer`; returns them and the unparsed rest. */
function parseCommands(buffer: Buffer): { commands: string[][]; rest: Buffer } {
    const commands: string[][] = [];
    let at = 0;
    for (;;) {
        const start = at;
        const lineEnd = (from: number) => buffer.indexOf("\r\n", from);
        let end = lineEnd(at);
        if (end < 0 || buffer[at] !== 0x2a) return { commands, rest: buffer.subarray(start) };
        const count = Number(buffer.toString("utf8", at + 1, end));
        at = end + 2;
        const args: string[] = [];
        for (let i = 0; i < count; i++) {
            end = lineEnd(at);
            if (end < 0) return { commands, rest: buffer.subarray(start) };
            const length = Number(buffer.toString("utf8", at + 1, end));
            if (buffer.length < end + 2 + length + 2) return { commands, rest: buffer.subarray(start) };
            args.push(buffer.toString("utf8", end + 2, end + 2 + length));
            at = end + 2 + length + 2;
        }
        commands.push(args);
    }
}

export class FakeRedis {
    private server?: net.Server;
    private readonly sockets = new Set<net.Socket>();
    /** Every command received, upper-cased name first. */
    readonly received: string[][] = [];
    port = 0;
    /** Whether to carry out a command; when it says no, the command is dropped and its connection closed. */
    accept: (command: string[]) => boolean = () => true;

    /** `answer` gets each command (name upper-cased) and returns its reply. */
    constructor(private readonly answer: (args: string[]) => Reply) {}

    async start(): Promise<this> {
        this.server = net.createServer((socket) => {
            this.sockets.add(socket);
            socket.on("close", () => this.sockets.delete(socket));
            socket.on("error", () => undefined);
            // Kept as latin1 text: one character per byte, so lengths in the protocol still count bytes.
            let pending = "";
            socket.on("data", (chunk) => {
                const { commands, rest } = parseCommands(Buffer.from(pending + chunk.toString("latin1"), "latin1"));
                pending = rest.toString("latin1");
                for (const [name, ...args] of commands) {
                    const command = [name.toUpperCase(), ...args];
                    if (!this.accept(command)) {
                        socket.destroy();
                        return;
                    }
                    this.received.push(command);
                    socket.write(encode(this.answer(command)));
                }
            });
        });
        await new Promise<void>((resolve) => this.server!.listen(0, "127.0.0.1", resolve));
        this.port = (this.server.address() as net.AddressInfo).port;
        return this;
    }

    async close(): Promise<void> {
        this.sockets.forEach((s) => s.destroy());
        await new Promise((r) => this.server?.close(r));
    }
}

/** INFO text from fields. */
export const infoText = (fields: Record<string, string | number>) => Object.entries(fields).map(([k, v]) => `${k}:${v}`).join("\r\n") + "\r\n";
