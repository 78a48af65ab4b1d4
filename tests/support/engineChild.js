// One engine run in a process of its own, so that a test can kill it between two steps as Ctrl-C or a
// lost machine kills `pulumi up`: argv[2] is a file holding the ClusterSpec. Loads the engine compiled
// ahead of time (as the dynamic providers do), so a run starts without a TypeScript compiler. Logs to
// stdout; exits 0 when the cluster is ensured, 1 with the error on stderr.
"use strict";
const fs = require("fs");
const { ensureCluster } = require("../../runtime/compiled").load("components/engine/cluster");

const clock = () => new Date().toISOString().slice(17, 23);
ensureCluster(JSON.parse(fs.readFileSync(process.argv[2], "utf8")), (m) => console.log(`${clock()} ${m}`)).then(
    () => process.exit(0),
    (err) => {
        console.error(String((err && err.message) || err));
        process.exit(1);
    },
);
