// What Pulumi runs (Pulumi.yaml main): index.ts, compiled ahead of time by runtime/compiled.js and
// rebuilt when a source changes. Loading compiled JavaScript keeps TypeScript off every run;
// runtime/lazyModules.js keeps the SDK from loading what it would not use here (Pulumi.yaml's
// nodeargs load it before the runner already; here for a host that ignores them), and
// runtime/sdkStackCaptures.js from source-mapping the stacks it reads only to note positions.
require("./runtime/lazyModules");
require("./runtime/sdkStackCaptures");
module.exports = require("./runtime/compiled").load("index");
