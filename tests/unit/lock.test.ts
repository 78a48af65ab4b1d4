// scripts/lib.sh release_stale_lock: a lock is released only when the up that took it is gone.
import { strict as assert } from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

const LIB = path.resolve(__dirname, "../../scripts/lib.sh");

/** Runs release_stale_lock against a lock held by `pid`, as the numeric `user`; returns whether it called `pulumi cancel`. */
function cancels(pid: number, user?: number): boolean {
    const state = fs.mkdtempSync(path.join(os.tmpdir(), "lock-test-"));
    try {
        const locks = path.join(state, ".pulumi/locks/organization/redis-cluster/dev");
        fs.mkdirSync(locks, { recursive: true });
        fs.writeFileSync(path.join(locks, "lock.json"), JSON.stringify({ hostname: os.hostname(), pid }));
        fs.chmodSync(state, 0o755);
        // `pulumi` stands in for the CLI: it only says that it was asked to cancel.
        const script = `source ${LIB}; pulumi() { echo "CANCEL $*" >&2; }; release_stale_lock dev`;
        const argv = user ? ["setpriv", `--reuid=${user}`, `--regid=${user}`, "--clear-groups", "bash", "-c", script] : ["bash", "-c", script];
        const r = spawnSync(argv[0], argv.slice(1), { encoding: "utf8", env: { ...process.env, PULUMI_BACKEND_URL: `file://${state}` } });
        // It succeeds exactly when it released the lock (scripts/up.sh then looks for what the killed run left).
        assert.equal(r.status, r.stderr.includes("CANCEL") ? 0 : 1, r.stderr);
        return r.stderr.includes("CANCEL");
    } finally {
        fs.rmSync(state, { recursive: true, force: true });
    }
}

describe("releasing a stale stack lock", () => {
    it("releases the lock of a process that is gone", () => {
        const gone = spawnSync("sh", ["-c", "echo $$"], { encoding: "utf8" });
        assert.equal(cancels(Number(gone.stdout.trim())), true);
    });

    it("keeps the lock of a live process, also one of another user that kill -0 may not signal", function () {
        assert.equal(cancels(process.pid), false);
        if (process.getuid?.() !== 0) this.skip();
        // As nobody, pid 1 (root's) refuses kill -0 with EPERM: it is alive all the same.
        assert.equal(cancels(1, 65534), false);
    });
});
