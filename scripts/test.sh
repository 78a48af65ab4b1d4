#!/usr/bin/env bash
# The project's test command (README, CI): prepares the toolchain, then runs the type check
# and the unit tests beside the end-to-end suites against real Docker.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$PROJECT_ROOT"

bash scripts/bootstrap.sh
# The suites give their test stacks a passphrase of their own (tests/support/env.ts): none is made for the user.
export PULUMI_CONFIG_PASSPHRASE="${PULUMI_CONFIG_PASSPHRASE-}"
pulumi_env
# The type check and the unit tests use one CPU at most and mostly wait (timers, engine child
# processes), while the end-to-end lanes keep both busy: run side by side, the whole takes about
# the lanes' time alone instead of two and a half minutes more.
UNIT_LOG=.build/unit-tests.log
mkdir -p .build
say "Type check and unit tests, beside the end-to-end tests (log: $UNIT_LOG)"
( node_modules/.bin/tsc --noEmit -p . && node_modules/.bin/mocha 'tests/unit/**/*.test.ts' ) >"$UNIT_LOG" 2>&1 &
unit=$!
say "End-to-end tests (real Pulumi engine, Docker and Redis), in lanes side by side"
# Arguments go to the runner (e.g. --lanes 4, or some tests/e2e files). A SIGTERM or SIGINT for this
# script reaches the runner, which stops the lanes and cleans up, and the unit tests.
node_modules/.bin/ts-node --transpile-only tests/support/lanes.ts "$@" &
lanes=$!
trap 'kill -TERM "$lanes" 2>/dev/null; pkill -TERM -P "$unit" 2>/dev/null; kill -TERM "$unit" 2>/dev/null; true' TERM INT
unit_status=0
wait "$unit" || unit_status=$?
if [ "$unit_status" -eq 0 ]; then
  say "Type check clean; unit tests passed: $(grep -E '^ +[0-9]+ passing' "$UNIT_LOG" | tr -s ' ')"
elif grep -qE '^ +[0-9]+ passing' "$UNIT_LOG"; then
  say "Unit tests FAILED; their log ($UNIT_LOG) from the summary on:"
  sed -n '/^ *[0-9]* passing/,$p' "$UNIT_LOG" >&2
else
  say "Type check or unit tests FAILED (exit $unit_status); their log ($UNIT_LOG):"
  tail -n 60 "$UNIT_LOG" >&2
fi
lanes_status=0
wait "$lanes" || lanes_status=$?
# A signal interrupts the wait above: wait again for the runner's own cleanup.
while kill -0 "$lanes" 2>/dev/null; do wait "$lanes" || lanes_status=$?; done
[ "$unit_status" -eq 0 ] || { say "Type check or unit tests FAILED: see above or $UNIT_LOG"; exit 1; }
exit "$lanes_status"
