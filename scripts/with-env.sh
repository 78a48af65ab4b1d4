#!/usr/bin/env bash
# Runs a command with the project's Pulumi environment (see pulumi_env in lib.sh).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$PROJECT_ROOT"
pulumi_env
# The dev stack (preview, destroy, status) made with the empty passphrase of earlier releases.
adopt_passphrase_file "${PULUMI_STACK:-dev}"
exec "$@"
