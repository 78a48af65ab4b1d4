/** A scratch directory to run a node's start script in with sh, redis-server replaced by a recorder. */
import { strict as assert } from "assert";
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

export interface StartScriptBed {
    dir: string;
    /** Runs `script` (its paths already moved into `dir`) and asserts redis-server was started with `config`. */
    run(script: string, config: string): void;
}

/** Made before each test of the enclosing describe and removed after it. */
export function startScriptBed(name: string): StartScriptBed {
    const bed = { dir: "" } as StartScriptBed;
    beforeEach(() => {
        bed.dir = fs.mkdtempSync(path.join(os.tmpdir(), `${name}-`));
        fs.mkdirSync(path.join(bed.dir, "bin"));
        // A stand-in for redis-server that records what it was started with.
        fs.writeFileSync(path.join(bed.dir, "bin", "redis-server"), `#!/bin/sh\necho "$@" > '${bed.dir}/started'\n`, { mode: 0o755 });
    });
    afterEach(() => fs.rmSync(bed.dir, { recursive: true, force: true }));
    bed.run = (script, config) => {
        execFileSync("sh", ["-c", script], { env: { PATH: `${bed.dir}/bin:/usr/bin:/bin` }, stdio: "pipe" });
        assert.equal(fs.readFileSync(path.join(bed.dir, "started"), "utf8").trim(), config);
    };
    return bed;
}
