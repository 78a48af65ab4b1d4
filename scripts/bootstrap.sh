#!/usr/bin/env bash
# Provisions what this project needs and verifies what is already there:
#   npm packages, a Docker engine, the Pulumi CLI with a Node.js language
#   host (and a YAML one), the docker resource plugin, the Redis, redis_exporter, Prometheus and Alertmanager images,
#   and the component's package for templates/redis-cluster.
# Idempotent: a second run only verifies. Builds are cached outside the git
# tree ($REDIS_CLUSTER_CACHE, default ~/.cache/redis-cluster).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$PROJECT_ROOT"

started=$SECONDS
PULUMI_VERSION=""   # filled in from the lockfile below
export PULUMI_SKIP_UPDATE_CHECK=true PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION=true

as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else
    die "this step needs root ($*): run scripts/bootstrap.sh as root or install sudo."
  fi
}

apt_install() {
  say "Installing Debian packages: $*"
  if [ ! -f /var/lib/apt/lists/.redis-cluster-updated ] || [ -n "$(find /var/lib/apt/lists/.redis-cluster-updated -mmin +1440 2>/dev/null)" ]; then
    as_root apt-get update -qq
    as_root touch /var/lib/apt/lists/.redis-cluster-updated
  fi
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq --no-install-recommends "$@" >/dev/null \
    || die "apt-get could not install $*; check that Debian's package mirror is reachable."
}

step_node_modules() {
  command -v node >/dev/null || die "Node.js is missing: install Node.js 20 or newer, then run this again."
  if [ ! -d node_modules/@pulumi/pulumi ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
    say "Installing npm packages (npm ci)"
    npm ci --no-audit --no-fund --loglevel=error || die "npm ci failed; check that the npm registry is reachable."
  fi
  PULUMI_VERSION="v$(locked_version @pulumi/pulumi)"
  note "npm packages ok (@pulumi/pulumi ${PULUMI_VERSION#v}, @pulumi/docker $(locked_version @pulumi/docker))"
}

step_docker() {
  if docker info >/dev/null 2>&1; then
    note "Docker engine ok ($(docker version --format '{{.Server.Version}}' 2>/dev/null))"
    return
  fi
  if ! command -v dockerd >/dev/null; then
    apt_install docker.io
  fi
  command -v docker >/dev/null || apt_install docker.io
  say "Starting dockerd in the background (log: /var/log/dockerd.log)"
  as_root sh -c 'nohup dockerd >/var/log/dockerd.log 2>&1 &'
  for _ in $(seq 1 60); do
    docker info >/dev/null 2>&1 && { note "Docker engine ok ($(docker version --format '{{.Server.Version}}'))"; return; }
    sleep 1
  done
  die "dockerd did not answer within 60 s; read /var/log/dockerd.log for why it failed to start."
}

go_build() { # go_build MODULE_DIR OUTPUT PACKAGE LDFLAGS
  command -v go >/dev/null || die "Go is missing, and it is needed to build $(basename "$2") offline: install Go 1.25 or newer."
  # -v names each package as it is compiled: show counts of downloads and packages as progress,
  # and every other line (errors) as is.
  (cd "$1" && CGO_ENABLED=0 go build -v -trimpath -ldflags "$4" -o "$2" "$3" 2>&1 \
    | awk '/^go: downloading / { if (++d % 100 == 0) { printf "    %d modules downloaded\n", d; fflush() } next }
           /^[^ :]+$/ { if (++n % 100 == 0) { printf "    %d packages compiled\n", n; fflush() } next }
           { print; fflush() }') \
    || die "building $(basename "$2") failed (see the Go errors above); check that the Go module proxy is reachable."
}

step_pulumi() {
  local stamp="-s -w -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=$PULUMI_VERSION"
  local existing
  existing="$(readlink -f "$(command -v pulumi || true)" 2>/dev/null || true)"
  # An install of Pulumi's own (not our build, nor our link to it) is used as it is.
  if [ -n "$existing" ] && [ "$existing" != "$(readlink -f "$TOOL_BIN/pulumi")" ] && command -v pulumi-language-nodejs >/dev/null; then
    note "using the Pulumi CLI at $existing ($(pulumi version))"
    return
  fi
  mkdir -p "$TOOL_BIN"
  if [ "$("$TOOL_BIN/pulumi" version 2>/dev/null)" != "$PULUMI_VERSION" ]; then
    say "Building the Pulumi CLI $PULUMI_VERSION from the Go module proxy (fresh machine: about 8 minutes on 2 cores)"
    go_build tools/pulumi-cli "$TOOL_BIN/pulumi" github.com/pulumi/pulumi/pkg/v3/cmd/pulumi "$stamp"
  fi
  # Rebuilt whenever its source changes; Go's build cache makes that a few seconds.
  if [ "$("$TOOL_BIN/pulumi-language-nodejs" -version 2>/dev/null)" != "$PULUMI_VERSION" ] \
     || [ tools/pulumi-cli/cmd/pulumi-language-nodejs/main.go -nt "$TOOL_BIN/pulumi-language-nodejs" ]; then
    say "Building the Node.js language host"
    go_build tools/pulumi-cli "$TOOL_BIN/pulumi-language-nodejs" ./cmd/pulumi-language-nodejs "$stamp"
  fi
  # The dynamic providers' host (the one @pulumi/pulumi ships, starting lighter); the engine looks
  # for it beside `pulumi`. Replaced only when it changed, and by a rename: `npm run up` runs this
  # while other stacks' engines start it (the test lanes), and `install` alone leaves a moment with no file.
  if ! cmp -s runtime/pulumi-resource-pulumi-nodejs "$TOOL_BIN/pulumi-resource-pulumi-nodejs"; then
    install -m 0755 runtime/pulumi-resource-pulumi-nodejs "$TOOL_BIN/.pulumi-resource-pulumi-nodejs.$$"
    mv -f "$TOOL_BIN/.pulumi-resource-pulumi-nodejs.$$" "$TOOL_BIN/pulumi-resource-pulumi-nodejs"
  fi
  note "Pulumi CLI ok ($("$TOOL_BIN/pulumi" version) in $TOOL_BIN)"
}

step_docker_plugin() {
  local version binary installed ours
  version="$(docker_plugin_version)"
  # Named by its build inputs: a change under tools/docker-provider builds and installs it again.
  binary="$REDIS_CLUSTER_CACHE/plugins/pulumi-resource-docker-v$version-$(docker_plugin_build_id)"
  installed="${PULUMI_HOME:-$HOME/.pulumi}/plugins/resource-docker-v$version/pulumi-resource-docker"
  if [ -x "$binary" ] && cmp -s "$binary" "$installed"; then
    note "docker resource plugin ok ($version, built here)"
    return
  fi
  [ "$(readlink -f "$(command -v pulumi)")" = "$(readlink -f "$TOOL_BIN/pulumi")" ] && ours=1 || ours=0
  # With Pulumi's own CLI on a connected machine, the released plugin is installed or one download away.
  if [ "$ours" = 0 ] && grep -qx "$version" <<<"$(PATH="$TOOL_BIN:$PATH" pulumi plugin ls 2>/dev/null | awk '$1 == "docker" && $2 == "resource" {print $3}')"; then
    note "docker resource plugin ok ($version)"
    return
  fi
  if [ "$ours" = 0 ] \
     && PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION= timeout 120 pulumi plugin install resource docker "$version" >/dev/null 2>&1; then
    note "docker resource plugin ok ($version, downloaded)"
    return
  fi
  if [ ! -x "$binary" ]; then
    say "Building the docker resource plugin $version from the Go module proxy (fresh machine: about 19 minutes on 2 cores)"
    # build.sh numbers every line go build -v prints ("    [  12] <package>", "... go: downloading ..."):
    # shown as a count; its own steps and any error as they are.
    bash tools/docker-provider/build.sh "$binary" "$version" 2>&1 \
      | awk '/^    \[ *[0-9]+\] (go: downloading |[^ :]+$)/ { if (++n % 200 == 0) { printf "    %d modules downloaded or packages compiled\n", n; fflush() } next }
             { print; fflush() }' \
      || die "building the docker resource plugin failed (see above); check that the Go module proxy is reachable."
  fi
  say "Installing the docker resource plugin $version"
  PATH="$TOOL_BIN:$PATH" pulumi plugin install resource docker "$version" --file "$binary" --reinstall >/dev/null \
    || die "pulumi could not install $binary as the docker plugin $version."
  note "docker resource plugin ok ($version)"
}

# The image a stack runs when redis-cluster:image is not set (Pulumi.yaml's description names it),
# or, where no registry serves it, one built from Debian's packages: recorded in the cache, and
# from there in a new stack's config (scripts/lib.sh) and the tests' stacks (scripts/preparedImage.ts).
step_redis_image() {
  local official local_image chosen=""
  official="$(sed -n '/redis-cluster:image:/,/description:/s/.*(default - \([^;)]*\).*/\1/p' Pulumi.yaml | head -n 1)"
  [ -n "$official" ] || die "Pulumi.yaml names no default image for redis-cluster:image."
  if docker image inspect "$official" >/dev/null 2>&1; then
    chosen="$official"
  elif [ -f "$REDIS_CLUSTER_CACHE/redis-image" ] && docker image inspect "$(cat "$REDIS_CLUSTER_CACHE/redis-image")" >/dev/null 2>&1; then
    chosen="$(cat "$REDIS_CLUSTER_CACHE/redis-image")"
  elif timeout 30 docker pull -q "$official" >/dev/null 2>&1; then
    chosen="$official"
  else
    command -v redis-server >/dev/null && command -v redis-cli >/dev/null && [ -x /bin/busybox ] \
      || apt_install redis-server redis-tools busybox-static
    # Debian starts a redis-server service on install; this machine needs only the binaries.
    as_root sh -c 'command -v systemctl >/dev/null && systemctl disable --now redis-server >/dev/null 2>&1 || service redis-server stop >/dev/null 2>&1 || true'
    local_image="redis-cluster-local/redis:$(redis-server --version | sed -n 's/.*v=\([0-9.]*\).*/\1/p')"
    say "No registry reachable: building $local_image from Debian's Redis packages"
    bash images/redis/build.sh "$local_image" >/dev/null || die "building $local_image failed; see the docker build output above."
    chosen="$local_image"
  fi
  mkdir -p "$REDIS_CLUSTER_CACHE"
  echo "$chosen" > "$REDIS_CLUSTER_CACHE/redis-image"
  note "Redis image ok ($chosen)"
}

# The images of the monitoring pieces (redis-cluster:metrics, redis-cluster:prometheus), each chosen
# the same way: the official one where a registry serves it, else one built from Debian's package.
# Usage: step_debian_image CONFIG_KEY CACHE_FILE PACKAGE IMAGE_DIR LOCAL_NAME SOURCE:DEST...
# (the package's binaries and where the image has them; images/build-binaries.sh)
step_debian_image() {
  local key="$1" cache="$2" package="$3" dir="$4" name="$5" official local_image chosen="" binary recorded build
  shift 5
  binary="${1%%:*}"
  official="$(sed -n "/redis-cluster:$key:/,/description:/s/.*(default - \([^;)]*\).*/\1/p" Pulumi.yaml | head -n 1)"
  [ -n "$official" ] || die "Pulumi.yaml names no default image for redis-cluster:$key."
  # A local build is tagged with the package's version and a hash of how it is built: a change there builds it again.
  build="$(cat images/build-binaries.sh "images/$dir/Dockerfile" <(echo "$@") | sha256sum | cut -c1-8)"
  recorded="$(cat "$REDIS_CLUSTER_CACHE/$cache" 2>/dev/null || true)"
  if docker image inspect "$official" >/dev/null 2>&1; then
    chosen="$official"
  elif [ -n "$recorded" ] && { [ "$recorded" = "$official" ] || [[ "$recorded" == *"-$build" ]]; } && docker image inspect "$recorded" >/dev/null 2>&1; then
    chosen="$recorded"
  elif timeout 30 docker pull -q "$official" >/dev/null 2>&1; then
    chosen="$official"
  else
    [ -x "$binary" ] || apt_install "$package"
    # Debian starts the package's service on install; this machine needs only the binary.
    as_root sh -c "command -v systemctl >/dev/null && systemctl disable --now $package >/dev/null 2>&1 || service $package stop >/dev/null 2>&1 || true"
    local_image="redis-cluster-local/$name:$(dpkg-query -W -f '${Version}' "$package" | sed 's/[+~-].*//')-$build"
    say "No registry reachable: building $local_image from Debian's $package package"
    bash images/build-binaries.sh "$local_image" "$dir" "$package" "$@" >/dev/null || die "building $local_image failed; see the docker build output above."
    chosen="$local_image"
  fi
  mkdir -p "$REDIS_CLUSTER_CACHE"
  echo "$chosen" > "$REDIS_CLUSTER_CACHE/$cache"
  note "$name image ok ($chosen)"
}

# The Pulumi YAML language host, for programs that declare the component through its plugin
# (examples/yaml): built from tools/pulumi-yaml, again whenever that module's pins change.
step_yaml_host() {
  local stamp="$TOOL_BIN/.pulumi-language-yaml.sources" sources
  sources="$(cat tools/pulumi-yaml/go.mod tools/pulumi-yaml/go.sum | sha256sum | cut -c1-16)"
  if [ -x "$TOOL_BIN/pulumi-language-yaml" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$sources" ]; then
    note "Pulumi YAML language host ok"
    return
  fi
  say "Building the Pulumi YAML language host from the Go module proxy (fresh machine: about 4 minutes on 2 cores)"
  go_build tools/pulumi-yaml "$TOOL_BIN/.pulumi-language-yaml.$$" github.com/pulumi/pulumi-yaml/cmd/pulumi-language-yaml "-s -w"
  mv -f "$TOOL_BIN/.pulumi-language-yaml.$$" "$TOOL_BIN/pulumi-language-yaml"
  echo "$sources" > "$stamp"
}

# The package (npm pack: components/ compiled, with declarations) inside templates/redis-cluster, which
# `pulumi new` copies into a new project whose package.json installs it from there: offline, and the
# same code as this checkout's. Packed again only when a source of it changed (3 s).
step_template_package() {
  local tarball=templates/redis-cluster/redis-cluster.tgz stamp="$REDIS_CLUSTER_CACHE/template-package.sources" sources out
  sources="$( (cat package.json tsconfig.json tsconfig.package.json; find components -name '*.ts' | LC_ALL=C sort | xargs cat) | sha256sum | cut -c1-16)"
  if [ -f "$tarball" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$sources" ]; then
    note "template package ok ($tarball)"
    return
  fi
  say "Packing the RedisCluster component into $tarball (npm pack)"
  out="$(mktemp -d)"
  npm pack --pack-destination "$out" --loglevel=error >/dev/null || die "npm pack failed; run it in $PROJECT_ROOT to see why."
  mv "$out"/redis-cluster-*.tgz "$tarball.tmp" && mv "$tarball.tmp" "$tarball" && rm -rf "$out"
  mkdir -p "$REDIS_CLUSTER_CACHE" && echo "$sources" > "$stamp"
}

step_path() {
  local found
  found="$(readlink -f "$(command -v pulumi || true)" 2>/dev/null || true)"
  if [ -n "$found" ] && [ "$found" != "$(readlink -f "$TOOL_BIN/pulumi")" ]; then
    return
  fi
  if [ "$(id -u)" = 0 ] && [ -d /usr/local/bin ]; then
    for tool in pulumi pulumi-language-nodejs pulumi-language-yaml pulumi-resource-pulumi-nodejs; do
      ln -sf "$TOOL_BIN/$tool" "/usr/local/bin/$tool"
    done
    note "pulumi is on PATH (linked into /usr/local/bin)"
  else
    note "add the Pulumi tools to your PATH: export PATH=\"$TOOL_BIN:\$PATH\""
  fi
}

say "Checking the toolchain (cache: $REDIS_CLUSTER_CACHE)"
step_node_modules
step_docker
step_pulumi
step_yaml_host
step_docker_plugin
step_redis_image
step_debian_image exporterImage exporter-image prometheus-redis-exporter exporter redis-exporter /usr/bin/prometheus-redis-exporter:/bin/redis_exporter
step_debian_image prometheusImage prometheus-image prometheus prometheus prometheus /usr/bin/prometheus:/bin/prometheus /usr/bin/promtool:/bin/promtool
step_debian_image alertmanagerImage alertmanager-image prometheus-alertmanager alertmanager alertmanager /usr/bin/prometheus-alertmanager:/bin/alertmanager /usr/bin/amtool:/bin/amtool \
  /usr/share/prometheus/alertmanager/default.tmpl:/usr/share/prometheus/alertmanager/default.tmpl \
  /usr/share/prometheus/alertmanager/email.tmpl:/usr/share/prometheus/alertmanager/email.tmpl
step_template_package
step_path
say "Toolchain ready in $((SECONDS - started)) s"
