// scripts/recover/strays.ts, run compiled (runtime/compiled.js); scripts/up.sh calls it after a killed up.
"use strict";
require("../runtime/compiled").load("scripts/recover/strays").main(process.argv[2]);
