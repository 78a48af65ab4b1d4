/**
 * The environment every real Pulumi run in the tests uses: the toolchain
 * scripts/bootstrap.sh prepared, a local file backend, no downloads.
 */
import * as path from "path";
import * as fs from "fs";
import { cacheDir } from "../../scripts/preparedImage";

export const PROJECT_ROOT = path.resolve(__dirname, "../..");
export const TEST_STATE_DIR = path.join(PROJECT_ROOT, ".pulumi-state", "tests");
export const TEST_PASSPHRASE = "e2e-test-stacks-passphrase";

export function pulumiEnv(): Record<string, string> {
    fs.mkdirSync(TEST_STATE_DIR, { recursive: true });
    return {
        PATH: `${path.join(cacheDir(), "bin")}:${process.env.PATH}`,
        PULUMI_BACKEND_URL: `file://${TEST_STATE_DIR}`,
        // Not empty, as no user's is: the suites can then show that the state's secrets do not open without it.
        PULUMI_CONFIG_PASSPHRASE: TEST_PASSPHRASE,
        PULUMI_SKIP_UPDATE_CHECK: "true",
        PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
        // The program runs compiled (program.js); only the previous release in the upgrade test runs
        // TypeScript through ts-node, and `npm test` has type-checked everything already.
        PULUMI_NODEJS_TRANSPILE_ONLY: "true",
    };
}

// The Automation API looks `pulumi` up on this process's PATH.
Object.assign(process.env, pulumiEnv());
// Test stacks use TEST_PASSPHRASE only, not a file a script (scripts/lib.sh: pulumi_env) chose for the user.
delete process.env.PULUMI_CONFIG_PASSPHRASE_FILE;
