// The dev stack's config as committed: the quickstart's `npm run up` must work on any machine.
import { strict as assert } from "assert";
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as path from "path";

const ROOT = path.resolve(__dirname, "..", "..");

describe("the committed dev stack config", () => {
    it("carries no machine's encryption salt or pinned images (npm run up records them on each machine)", function () {
        // What a fresh checkout gets: the committed file, not this working copy (a local `npm run up` writes to it).
        let committed: string;
        try {
            committed = execFileSync("git", ["show", "HEAD:Pulumi.dev.yaml"], { cwd: ROOT, encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] });
        } catch {
            // Not a git checkout (a packed copy): the file as it is.
            committed = fs.readFileSync(path.join(ROOT, "Pulumi.dev.yaml"), "utf8");
        }
        // A salt made with one machine's passphrase: `npm run up` elsewhere fails with "incorrect passphrase".
        assert.doesNotMatch(committed, /encryptionsalt/);
        // An image one machine built (redis-cluster-local/...) is not on another.
        assert.doesNotMatch(committed, /redis-cluster-local\//);
    });
});
