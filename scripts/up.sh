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
# The bootstrap finishes whatever a killed up left half done (open slots, a half-formed cluster).
release_stale_lock "$stack"
say "pulumi up --stack $stack"
pulumi up --yes --stack "$stack" "$@" \
  || die "pulumi up failed: read the diagnostics above, fix the config with 'pulumi config set', and run 'npm run up' again."
