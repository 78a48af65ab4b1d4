#!/usr/bin/env bash
# The project's test command (README, CI): prepares the toolchain, type-checks,
# then runs the unit tests and the end-to-end suites against real Docker.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$PROJECT_ROOT"

bash scripts/bootstrap.sh
# The suites give their test stacks a passphrase of their own (tests/support/env.ts): none is made for the user.
export PULUMI_CONFIG_PASSPHRASE="${PULUMI_CONFIG_PASSPHRASE-}"
pulumi_env
say "Type check"
npx tsc --noEmit -p .
say "Unit tests"
npx mocha 'tests/unit/**/*.test.ts'
say "End-to-end tests (real Pulumi engine, Docker and Redis), in lanes side by side"
# exec: a SIGTERM for this script reaches the lane runner, which stops the lanes and cleans up.
# Arguments go to the runner (e.g. --lanes 4, or some tests/e2e files).
exec node_modules/.bin/ts-node --transpile-only tests/support/lanes.ts "$@"
