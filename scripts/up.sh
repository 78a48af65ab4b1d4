#!/usr/bin/env bash
# Brings the dev cluster up: prepares the toolchain, then `pulumi up` on the
# `dev` stack with a local file state backend (.pulumi-state/).
# Extra arguments go to `pulumi up`, e.g. `npm run up -- --diff`.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$PROJECT_ROOT"

bash scripts/bootstrap.sh
pulumi_env
stack="${PULUMI_STACK:-dev}"
say "Selecting stack $stack (state: ${PULUMI_BACKEND_URL:-.pulumi-state/})"
adopt_passphrase_file "$stack" create
pulumi stack select --create "$stack" >/dev/null
pin_image "$stack"
# The bootstrap finishes whatever a killed up left half done (open slots, a half-formed cluster); the
# containers it had Docker create without recording them would block their names (scripts/recover/strays.ts).
if release_stale_lock "$stack"; then node scripts/strays.js "$stack"; fi
say "pulumi up --stack $stack"
if ! pulumi up --yes --stack "$stack" "$@"; then
  # A container an earlier, stopped up created without recording it would hold its name on every later up:
  # if the failure left any such container, it is removed and the up runs once more.
  removed="$(node scripts/strays.js "$stack" | tee /dev/stderr | grep -c 'removing it' || true)"
  [[ "$removed" -gt 0 ]] \
    || die "pulumi up failed: read the diagnostics above, fix the config with 'pulumi config set', and run 'npm run up' again."
  say "pulumi up --stack $stack (again)"
  pulumi up --yes --stack "$stack" "$@" \
    || die "pulumi up failed: read the diagnostics above, fix the config with 'pulumi config set', and run 'npm run up' again."
fi
