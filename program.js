// What Pulumi runs (Pulumi.yaml main): index.ts, compiled ahead of time by runtime/compiled.js and
// rebuilt when a source changes. Loading compiled JavaScript keeps TypeScript off every run.
module.exports = require("./runtime/compiled").load("index");
