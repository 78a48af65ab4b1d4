// The SDK notes where each resource and each of its promises was made by reading `new Error().stack`
// (whole stacks for resources), and with source-map support installed by Pulumi's runner each of
// those reads maps every frame through source maps: about a third of a second of CPU per run of this
// program, for positions nothing here shows. Those captures get V8's own, unmapped text; every other
// stack (an error thrown by this program or the SDK) is still mapped to its TypeScript source.
//
// Loaded by program.js, after Pulumi's runner installed the source-map support.
"use strict";
const path = require("path");

const SDK = `${path.sep}node_modules${path.sep}@pulumi${path.sep}pulumi${path.sep}`;
/** The SDK files whose functions read a stack only to record a position. */
const CAPTURING = [`${SDK}resource.js`, `${SDK}runtime${path.sep}debuggable.js`];

const mapped = Error.prepareStackTrace;
if (typeof mapped === "function" && !mapped.leavesSdkCapturesUnmapped) {
    const prepare = function (error, frames) {
        const top = frames.length > 0 && typeof frames[0].getFileName === "function" ? frames[0].getFileName() || "" : "";
        if (CAPTURING.some((file) => top.endsWith(file))) {
            return `${error}${frames.map((f) => `\n    at ${f}`).join("")}`;
        }
        return mapped(error, frames);
    };
    prepare.leavesSdkCapturesUnmapped = true;
    Error.prepareStackTrace = prepare;
}
