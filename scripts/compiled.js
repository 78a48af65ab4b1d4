// Every dynamic resource's state names this file (its one-line provider loads the project through
// it: components/resources/dynamic.ts), so it stays for stacks made by any release. The loader
// itself is runtime code, in runtime/compiled.js.
"use strict";
module.exports = require("../runtime/compiled");
