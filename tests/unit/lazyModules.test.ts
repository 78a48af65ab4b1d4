// runtime/lazyModules.js, in fresh Node processes (the module cache of this one already holds the SDK):
// the SDK starts without the TypeScript compiler and Arborist, and what uses them still works.
import { strict as assert } from "assert";
import { execFileSync } from "child_process";
import * as path from "path";

const ROOT = path.resolve(__dirname, "../..");

/** Runs `body` in a new Node process in the project, with or without the module loaded first; returns what it prints as JSON. */
function inNode(body: string, lazy: boolean): any {
    const preamble = lazy ? 'require("./runtime/lazyModules");' : "";
    const out = execFileSync(process.execPath, ["-e", `${preamble}(async () => { ${body} })().catch((e) => { console.log(JSON.stringify({ error: String(e) })); })`], {
        cwd: ROOT,
        encoding: "utf8",
        stdio: ["ignore", "pipe", "ignore"],
    });
    return JSON.parse(out.trim().split("\n").pop()!);
}

const LOADED = `const loaded = () => Object.keys(require.cache).filter((f) => /node_modules[\\\\/](typescript|@npmcli[\\\\/]arborist|@pulumi[\\\\/]pulumi[\\\\/]automation|@opentelemetry[\\\\/](?!api[\\\\/]))/.test(f)).length;`;

describe("deferred SDK modules (runtime/lazyModules.js)", function () {
    this.timeout(60000);

    it("starts the SDK, its runner's tracing module and the docker SDK without loading TypeScript, Arborist, the Automation API or the tracer", () => {
        const body = `${LOADED} require("@pulumi/pulumi"); require("@pulumi/docker"); require("@pulumi/pulumi/cmd/dynamic-provider/config"); require("@pulumi/pulumi/cmd/run/tracing"); console.log(JSON.stringify({ loaded: loaded() }));`;
        assert.equal(inNode(body, true).loaded, 0);
        // Without it the SDK loads both at once (the reason for the module): the check above can fail.
        assert.ok(inNode(body, false).loaded > 0);
    });

    it("loads them in full the moment they are used: closures serialize and code paths compute as without it", async () => {
        const body = `${LOADED} const pulumi = require("@pulumi/pulumi");
            const text = (await pulumi.runtime.serializeFunction(() => 40 + 2)).text;
            const paths = await pulumi.runtime.computeCodePaths();
            console.log(JSON.stringify({ text, paths: paths.size, loaded: loaded() }));`;
        const lazy = inNode(body, true);
        const eager = inNode(body, false);
        assert.equal(lazy.error, undefined, lazy.error);
        assert.equal(lazy.text, eager.text);
        assert.equal(lazy.paths, eager.paths);
        assert.ok(lazy.paths > 0);
        assert.ok(lazy.loaded > 0);
    });

    it("loads the Automation API in full on first use, through the SDK and by its own path", () => {
        const body = `${LOADED} const pulumi = require("@pulumi/pulumi");
            const viaSdk = typeof pulumi.automation.LocalWorkspace.create;
            const direct = require("@pulumi/pulumi/automation");
            console.log(JSON.stringify({ viaSdk, same: direct.LocalWorkspace === pulumi.automation.LocalWorkspace, keys: Object.keys(pulumi.automation).length, loaded: loaded() }));`;
        const lazy = inNode(body, true);
        const eager = inNode(body, false);
        assert.equal(lazy.error, undefined, lazy.error);
        assert.equal(lazy.viaSdk, "function");
        assert.equal(lazy.same, true);
        assert.equal(lazy.keys, eager.keys);
        assert.ok(lazy.loaded > 0);
    });

    it("loads the tracer in full when tracing starts", () => {
        const body = `${LOADED} const tracing = require("@pulumi/pulumi/cmd/run/tracing");
            const before = loaded();
            tracing.start("http://127.0.0.1:9/api/v2/spans");
            tracing.newSpan("test").end();
            console.log(JSON.stringify({ before, after: loaded() }));`;
        const lazy = inNode(body, true);
        const eager = inNode(body, false);
        assert.equal(lazy.error, undefined, lazy.error);
        assert.equal(lazy.before, 0);
        assert.ok(eager.before > 0);
        assert.equal(lazy.after, eager.after);
    });

    it("leaves requires from outside the SDK alone: this project's own require of TypeScript gets the real module", () => {
        const body = `const ts = require("typescript"); console.log(JSON.stringify({ version: ts.version, proxy: require("util").types.isProxy(ts) }));`;
        const got = inNode(body, true);
        assert.equal(got.proxy, false);
        assert.equal(got.version, require("typescript").version);
    });
});
