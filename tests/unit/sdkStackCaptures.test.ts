// runtime/sdkStackCaptures.js in a fresh Node process: the SDK's position captures skip the installed
// stack mapper (source-map support, stood in for by a counting one), every other stack still goes through it.
import { strict as assert } from "assert";
import { execFileSync } from "child_process";
import * as path from "path";

const ROOT = path.resolve(__dirname, "../..");

describe("the SDK's stack captures left unmapped (runtime/sdkStackCaptures.js)", function () {
    this.timeout(30000);

    it("maps an error's stack as before, and leaves Resource.callsites() and debuggablePromise to V8's own text", () => {
        const body = `
            let mapped = 0;
            Error.prepareStackTrace = (error, frames) => { mapped++; return "mapped"; };
            require("./runtime/sdkStackCaptures");
            const thrown = new Error("boom").stack;
            const afterThrown = mapped;
            const { Resource } = require("@pulumi/pulumi/resource");
            const sites = Resource.callsites();
            const promise = Promise.resolve(1);
            require("@pulumi/pulumi/runtime/debuggable").debuggablePromise(promise, "test");
            console.log(JSON.stringify({ thrown, afterThrown, mappedAfter: mapped, sites: sites.filter((s) => s.file).length, captured: promise._debugStackTrace.split("\\n")[0] }));`;
        const out = execFileSync(process.execPath, ["-e", body], { cwd: ROOT, encoding: "utf8" });
        const got = JSON.parse(out.trim().split("\n").pop()!);
        assert.equal(got.thrown, "mapped");
        assert.equal(got.afterThrown, 1);
        // Neither capture went through the mapper, and each still has its frames.
        assert.equal(got.mappedAfter, 1);
        assert.ok(got.sites > 0);
        assert.equal(got.captured, "Error");
    });
});
