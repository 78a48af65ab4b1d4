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

# Environment every Pulumi command of this project runs with: our tools first
# on PATH, no update checks, no plugin downloads. The state backend is the one
# Pulumi.yaml names (.pulumi-state/) unless PULUMI_BACKEND_URL says otherwise.
# Secrets in state are encrypted with PULUMI_CONFIG_PASSPHRASE (empty unless set).
pulumi_env() {
  export PATH="$TOOL_BIN:$PATH"
  export PULUMI_SKIP_UPDATE_CHECK=true
  export PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION=true
  export PULUMI_CONFIG_PASSPHRASE="${PULUMI_CONFIG_PASSPHRASE-}"
  mkdir -p "$PROJECT_ROOT/.pulumi-state"
}

# The stack's image comes from its config, the same on every machine. A stack without one would
# run the official image, which a machine without a registry cannot pull: record the image
# scripts/bootstrap.sh prepared in the stack's config (Pulumi.<stack>.yaml) on first use.
pin_image() {
  local stack="$1" prepared current
  # Pulumi.yaml declares the key with an empty default, which `config get` reports as set.
  current="$(pulumi config get redis-cluster:image --stack "$stack" 2>/dev/null || true)"
  [ -z "$current" ] || return 0
  prepared="$(cat "$REDIS_CLUSTER_CACHE/redis-image" 2>/dev/null || true)"
  [ -n "$prepared" ] || return 0
  note "recording the image this machine prepared in the stack's config: redis-cluster:image $prepared"
  pulumi config set redis-cluster:image "$prepared" --stack "$stack"
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
# a process that no longer exists; a running up keeps its lock.
release_stale_lock() {
  local stack="$1" url="${PULUMI_BACKEND_URL:-file://./.pulumi-state}" dir f host pid
  [[ "$url" == file://* ]] || return 0
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
}
