// `npm run status`: scripts/status/main.ts, run compiled (runtime/compiled.js) instead of through ts-node,
// which would load the TypeScript compiler on every call.
"use strict";
require("../runtime/compiled").load("scripts/status/main");
