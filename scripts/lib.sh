# Shared helpers for the project's shell scripts. Source it; do not run it.

# Where builds and downloads are cached between runs on the same machine.
# Outside the git tree so a clean checkout reuses them.
REDIS_CLUSTER_CACHE="${REDIS_CLUSTER_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/redis-cluster}"
TOOL_BIN="$REDIS_CLUSTER_CACHE/bin"
PROJECT_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

say() { printf '==> %s\n' "$*" >&2; }
note() { printf '    %s\n' "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

# The version of an npm package as locked in package-lock.json.
locked_version() {
  node -e 'const l=require(process.argv[1]); const p=l.packages["node_modules/"+process.argv[2]]; if(!p) process.exit(1); console.log(p.version)' \
    "$PROJECT_ROOT/package-lock.json" "$1"
}

# The plugin version @pulumi/docker asks the engine for (its package.json's pulumi.version).
docker_plugin_version() {
  node -e 'console.log(require(process.argv[1]).pulumi.version)' "$PROJECT_ROOT/node_modules/@pulumi/docker/package.json"
}

# What the docker plugin we build is built from (tools/docker-provider), as a short hash.
docker_plugin_build_id() {
  (cd "$PROJECT_ROOT/tools/docker-provider" \
    && find . -type f \( -name '*.go' -o -name 'go.mod' -o -name 'go.sum' -o -name '*.sh' -o -name '*.json' \) -not -path './.build/*' -print0 \
    | LC_ALL=C sort -z | xargs -0 sha256sum | sha256sum | cut -c1-12)
}

# The passphrase that encrypts a stack's secrets (config and state) when the user names none:
# made for this user on first use, readable by nobody else, and kept outside the project, so
# neither another account on the machine nor a copy of the project or its state can read them.
PASSPHRASE_FILE="${REDIS_CLUSTER_PASSPHRASE_FILE:-${XDG_CONFIG_HOME:-$HOME/.config}/redis-cluster/passphrase}"

# Environment every Pulumi command of this project runs with: our tools first
# on PATH, no update checks, no plugin downloads. The state backend is the one
# Pulumi.yaml names (.pulumi-state/) unless PULUMI_BACKEND_URL says otherwise.
# Secrets are encrypted with PULUMI_CONFIG_PASSPHRASE or PULUMI_CONFIG_PASSPHRASE_FILE when the
# user sets one (an empty PULUMI_CONFIG_PASSPHRASE too), else with this user's PASSPHRASE_FILE.
pulumi_env() {
  export PATH="$TOOL_BIN:$PATH"
  export PULUMI_SKIP_UPDATE_CHECK=true
  export PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION=true
  if [ -z "${PULUMI_CONFIG_PASSPHRASE+set}" ] && [ -z "${PULUMI_CONFIG_PASSPHRASE_FILE:-}" ]; then
    ensure_passphrase_file
    export PULUMI_CONFIG_PASSPHRASE_FILE="$PASSPHRASE_FILE"
  fi
  mkdir -p "$PROJECT_ROOT/.pulumi-state"
}

ensure_passphrase_file() {
  [ -s "$PASSPHRASE_FILE" ] && return 0
  (
    umask 077
    mkdir -p "$(dirname "$PASSPHRASE_FILE")"
    head -c 32 /dev/urandom | base64 > "$PASSPHRASE_FILE.tmp"
    mv "$PASSPHRASE_FILE.tmp" "$PASSPHRASE_FILE"
  )
  note "made the passphrase that encrypts your stacks' secrets: $PASSPHRASE_FILE (only you can read it; keep a copy, without it the secrets cannot be read)"
}

# Whether the passphrase in force opens stack $1's secrets: setting a secret needs the passphrase
# its encryptionsalt was made with, also where the stack holds no secret yet. Set in a scratch copy
# of its config, so the stack's own file is untouched.
passphrase_opens() {
  local stack="$1" copy opens=0
  copy="$(mktemp --suffix=.yaml)"
  cp "Pulumi.$stack.yaml" "$copy"
  pulumi config set --secret --config-file "$copy" --stack "$stack" redis-cluster:passphraseCheck x >/dev/null 2>&1 || opens=1
  rm -f "$copy"
  return "$opens"
}

# Stacks made before the passphrase file existed were encrypted with an empty passphrase, which
# protects nothing: re-encrypt such a stack's config and state with the file's passphrase, once.
# Only when the file is in use (a passphrase the user chose is theirs to manage).
# Run in the project's directory (the stack's Pulumi.<stack>.yaml is there). With "create", a stack
# whose config exists but that has no state yet (a config file from an earlier release) is made first.
adopt_passphrase_file() {
  local stack="$1" create="${2:-}"
  [ "${PULUMI_CONFIG_PASSPHRASE_FILE:-}" = "$PASSPHRASE_FILE" ] || return 0
  grep -q '^encryptionsalt:' "Pulumi.$stack.yaml" 2>/dev/null || return 0
  # Salts this passphrase is known to open: checked once each, not on every command.
  local known="$PASSPHRASE_FILE.salts" salt
  salt="$(grep '^encryptionsalt:' "Pulumi.$stack.yaml")"
  grep -qxF "$salt" "$known" 2>/dev/null && return 0
  if ! pulumi stack ls --json 2>/dev/null | grep -q "\"name\": \"$stack\""; then
    [ -n "$create" ] || return 0
    (unset PULUMI_CONFIG_PASSPHRASE_FILE; PULUMI_CONFIG_PASSPHRASE="" pulumi stack init "$stack" >/dev/null 2>&1) || return 0
  fi
  if ! passphrase_opens "$stack"; then
    (unset PULUMI_CONFIG_PASSPHRASE_FILE; export PULUMI_CONFIG_PASSPHRASE=""; passphrase_opens "$stack") || return 0
    note "stack $stack was encrypted with an empty passphrase: re-encrypting its secrets with $PASSPHRASE_FILE"
    (unset PULUMI_CONFIG_PASSPHRASE_FILE; PULUMI_CONFIG_PASSPHRASE="" pulumi stack change-secrets-provider passphrase --non-interactive --stack "$stack" < "$PASSPHRASE_FILE" >/dev/null) \
      || die "could not re-encrypt stack $stack; its secrets still use the empty passphrase (PULUMI_CONFIG_PASSPHRASE= pulumi ... reads them)"
    salt="$(grep '^encryptionsalt:' "Pulumi.$stack.yaml")"
  fi
  (umask 077; printf '%s\n' "$salt" >> "$known")
}

# The stack's image comes from its config, the same on every machine. A stack without one would
# run the official image, which a machine without a registry cannot pull: record the image
# scripts/bootstrap.sh prepared in the stack's config (Pulumi.<stack>.yaml) on first use.
pin_image() {
  local stack="$1" key file prepared current
  for key in image:redis-image exporterImage:exporter-image prometheusImage:prometheus-image alertmanagerImage:alertmanager-image; do
    file="${key#*:}"; key="redis-cluster:${key%%:*}"
    # Pulumi.yaml declares the key with an empty default, which `config get` reports as set.
    current="$(pulumi config get "$key" --stack "$stack" 2>/dev/null || true)"
    [ -z "$current" ] || continue
    prepared="$(cat "$REDIS_CLUSTER_CACHE/$file" 2>/dev/null || true)"
    [ -n "$prepared" ] || continue
    note "recording the image this machine prepared in the stack's config: $key $prepared"
    pulumi config set "$key" "$prepared" --stack "$stack"
  done
}

# True while process $1 exists. kill -0 also fails for a live process of another user
# (EPERM): that one is alive too, and so is its lock.
process_alive() {
  local err
  err="$(kill -0 "$1" 2>&1)" && return 0
  [[ "$err" == *"not permitted"* ]]
}

# A `pulumi up` that was killed (a second Ctrl-C, the OOM killer, a closed
# laptop) leaves its lock in a file backend, and every later command refuses
# to run. Release it (`pulumi cancel`) only when it was taken on this host by
# a process that no longer exists; a running up keeps its lock. Succeeds only
# when it released one.
release_stale_lock() {
  local stack="$1" url="${PULUMI_BACKEND_URL:-file://./.pulumi-state}" dir f host pid
  [[ "$url" == file://* ]] || return 1
  dir="${url#file://}"
  dir="${dir%%\?*}"
  [[ "$dir" == /* ]] || dir="$PROJECT_ROOT/$dir"
  for f in "$dir/.pulumi/locks/organization/redis-cluster/$stack"/*.json; do
    [[ -e "$f" ]] || continue
    read -r host pid < <(node -e 'const l = require(process.argv[1]); console.log(l.hostname, l.pid)' "$f")
    if [[ "$host" == "$(hostname)" ]] && ! process_alive "$pid"; then
      note "an earlier pulumi up (pid $pid) was killed and left the stack locked: releasing it (pulumi cancel)"
      pulumi cancel --yes --stack "$stack" >/dev/null
      return 0
    fi
  done
  return 1
}
