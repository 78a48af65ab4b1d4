// What Pulumi runs (Pulumi.yaml main): index.ts, compiled ahead of time by scripts/compiled.js and
// rebuilt when a source changes. Loading compiled JavaScript keeps TypeScript off every run.
module.exports = require("./scripts/compiled").load("index");
