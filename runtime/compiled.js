// The stack's TypeScript, compiled ahead of time and rebuilt when a source changes. Pulumi runs the
// program (program.js) and the dynamic providers' methods from this output, and `npm run status`
// its script: no TypeScript compiler is loaded on an ordinary run. Plain JavaScript, so that it can
// run before anything is compiled.
"use strict";
const crypto = require("crypto");
const fs = require("fs");
const path = require("path");
const { execFileSync } = require("child_process");

const ROOT = path.resolve(__dirname, "..");
const OUT = path.join(ROOT, ".build", "program");
const TSCONFIG = path.join(ROOT, "tsconfig.program.json");
const SOURCES = ["index.ts", "components", "scripts/status", "scripts/recover"];
/** Builds of earlier sources kept beside the current one: a run still using one keeps working. */
const KEEP = 4;

function sourceFiles() {
    const files = [];
    const walk = (rel) => {
        const abs = path.join(ROOT, rel);
        if (fs.statSync(abs).isDirectory()) {
            for (const name of fs.readdirSync(abs).sort()) walk(path.join(rel, name));
        } else if (rel.endsWith(".ts")) {
            files.push(rel);
        }
    };
    SOURCES.forEach(walk);
    return files;
}

/** Names the build by what it is built from: the sources, the compiler settings and the compiler. */
function buildId() {
    const hash = crypto.createHash("sha256");
    for (const rel of [...sourceFiles(), "tsconfig.json", "tsconfig.program.json"]) {
        hash.update(rel).update("\0").update(fs.readFileSync(path.join(ROOT, rel))).update("\0");
    }
    hash.update(require("typescript/package.json").version);
    return hash.digest("hex").slice(0, 16);
}

function compile(dir) {
    const tmp = `${dir}.tmp-${process.pid}`;
    fs.rmSync(tmp, { recursive: true, force: true });
    const tsc = require.resolve("typescript/bin/tsc");
    try {
        // Type-checks too: a type error stops the run here, as it would under ts-node.
        execFileSync(process.execPath, [tsc, "-p", TSCONFIG, "--outDir", tmp], { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"], encoding: "utf8" });
    } catch (err) {
        fs.rmSync(tmp, { recursive: true, force: true });
        throw new Error(`Compiling the stack's TypeScript failed:\n${err.stdout || ""}${err.stderr || ""}`);
    }
    fs.writeFileSync(path.join(tmp, ".complete"), "");
    try {
        fs.renameSync(tmp, dir);
    } catch {
        // Another run built the same sources first: use that one.
        fs.rmSync(tmp, { recursive: true, force: true });
    }
    prune(path.basename(dir));
}

function prune(current) {
    const builds = fs
        .readdirSync(OUT)
        .filter((d) => d !== current && !d.includes(".tmp-"))
        .map((d) => ({ d, at: fs.statSync(path.join(OUT, d)).mtimeMs }))
        .sort((a, b) => b.at - a.at);
    for (const { d } of builds.slice(KEEP)) fs.rmSync(path.join(OUT, d), { recursive: true, force: true });
}

let current;
/** The directory of the build for the sources as they are now, compiling it first if needed. */
function buildDir() {
    if (current === undefined) {
        const dir = path.join(OUT, buildId());
        if (!fs.existsSync(path.join(dir, ".complete"))) {
            fs.mkdirSync(OUT, { recursive: true });
            compile(dir);
        }
        current = dir;
    }
    return current;
}

/** Loads a module of the stack by its path without extension, e.g. "components/providers/gate". */
function load(modulePath) {
    return require(path.join(buildDir(), modulePath));
}

module.exports = { load, buildDir };
