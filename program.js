// What Pulumi runs (Pulumi.yaml main): index.ts, compiled ahead of time by runtime/compiled.js and
// rebuilt when a source changes. Loading compiled JavaScript keeps TypeScript off every run, and
// runtime/lazyModules.js keeps the SDK from loading what it would not use here.
require("./runtime/lazyModules");
module.exports = require("./runtime/compiled").load("index");
