#!/usr/bin/env bash
# Build the Pulumi Docker resource plugin (pulumi-resource-docker).
#
#   build.sh OUTPUT_PATH VERSION
#
# 1. builds pulumi-tfgen-docker and runs it to generate the Pulumi package
#    schema and bridge metadata (into a temporary directory);
# 2. builds pulumi-resource-docker with both files embedded (go build -overlay
#    maps them in; nothing generated is written to the source tree), and the
#    upstream's fixed 2 s waits for networks and volumes shortened (a patched
#    copy of the upstream module, swapped in by a temporary go.work);
# 3. checks that the binary reports VERSION.
#
# Set DOCKER_PROVIDER_SCHEMA_OUT=FILE to also keep a copy of the schema.
#
# Everything comes from the Go module proxy via go.mod/go.sum. Builds are
# static (CGO_ENABLED=0) and use -trimpath, so the same inputs give the same
# binary.
set -euo pipefail

die() { echo "build.sh: error: $*" >&2; exit 1; }
step() { echo "==> $*"; }

[[ $# -eq 2 ]] || die "usage is 'build.sh OUTPUT_PATH VERSION'."
output=$1
version=${2#v}
[[ -n $output ]] || die "OUTPUT_PATH must not be empty."
[[ $output == /* ]] || output=$PWD/$output
[[ ! -d $output ]] || die "OUTPUT_PATH $output is a directory, not a file path."
[[ $version =~ ^[0-9]+\.[0-9]+\.[0-9]+([-+][0-9A-Za-z.+-]+)?$ ]] ||
  die "VERSION '$2' is not a semantic version such as 5.0.0."
command -v go >/dev/null || die "the go command is not on PATH."

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
cd "$here"
module=$(go list -m)
version_flag="-X $module/provider.Version=$version"
upstream_module=github.com/terraform-providers/terraform-provider-docker

export CGO_ENABLED=0
export GOFLAGS="-mod=readonly -buildvcs=false"
# no_compose: leave out the upstream's docker_compose resource; it belongs to
# the terraform-plugin-framework half of the provider, which is not bridged.
build_flags=(-trimpath -tags no_compose -ldflags "-s -w $version_flag")

# go_build OUT PKG [FLAGS...]: go build -v, numbering the packages it compiles.
go_build() {
  local out=$1 pkg=$2
  shift 2
  go build -v "${build_flags[@]}" "$@" -o "$out" "$pkg" 2>&1 | awk '{ n++; printf "    [%4d] %s\n", n, $0; fflush() }'
}

work=$(mktemp -d "${TMPDIR:-/tmp}/docker-provider-build.XXXXXX")
trap 'rm -rf "$work"' EXIT

step "Resolving the upstream provider source (Go module proxy: $(go env GOPROXY))"
go mod download "$upstream_module" || die "downloading $upstream_module failed."
upstream_dir=$(go list -m -f '{{.Dir}}' "$upstream_module")
[[ -d $upstream_dir/docs ]] || die "upstream provider docs were not found in $upstream_dir."

step "Building pulumi-tfgen-docker (go $(go env GOVERSION), $(go env GOOS)/$(go env GOARCH))"
go_build "$work/pulumi-tfgen-docker" ./cmd/pulumi-tfgen-docker ||
  die "building pulumi-tfgen-docker failed (see the go output above)."

step "Generating the Pulumi schema (docs from $upstream_dir)"
mkdir -p "$work/gen"
if ! (cd "$work" && HOME="$work/home" PULUMI_HOME="$work/home/.pulumi" \
  DOCKER_PROVIDER_UPSTREAM_DIR="$upstream_dir" \
  ./pulumi-tfgen-docker schema --out "$work/gen" --skip-examples >"$work/tfgen.log" 2>&1); then
  cat "$work/tfgen.log" >&2
  die "pulumi-tfgen-docker failed to generate the schema."
fi
for f in schema.json bridge-metadata.json; do
  [[ -s $work/gen/$f ]] || die "pulumi-tfgen-docker did not write $f."
done
if [[ -n ${DOCKER_PROVIDER_SCHEMA_OUT:-} ]]; then
  cp "$work/gen/schema.json" "$DOCKER_PROVIDER_SCHEMA_OUT"
  echo "    copied schema.json to $DOCKER_PROVIDER_SCHEMA_OUT"
fi
echo "    schema.json: $(wc -c <"$work/gen/schema.json") bytes, sha256 $(sha256sum <"$work/gen/schema.json" | cut -c1-16)"

step "Shortening the upstream's fixed waits (a patched copy of the upstream module)"
# The upstream sleeps 2 s before it first looks at a network it created, and before it first tries to
# remove a network or a volume: 2 s on every cold up and 4 s on every destroy, doing nothing. The
# waits that follow (retries while a network still has endpoints or a volume is in use) stay as they are.
# Go may not overlay files in the module cache, so the module is copied, patched, and swapped in for
# this one build by a temporary go.work (go.mod and go.sum are untouched).
patched=$work/upstream
cp -r "$upstream_dir" "$patched"
chmod -R u+w "$patched"
shorten_waits() { # FILE: rewrites its `...RefreshDelay = 2 * time.Second` constants to 100 ms
  local file=$patched/internal/provider/$1 count
  sed -E -i 's/^([[:space:]]*[a-zA-Z]+RefreshDelay[[:space:]]*=[[:space:]]*)2 \* time\.Second/\1100 * time.Millisecond/' "$file"
  count=$(grep -cE 'RefreshDelay[[:space:]]*=[[:space:]]*100 \* time\.Millisecond' "$file" || true)
  [[ $count -ge 1 ]] || die "no fixed wait found to shorten in $1: the upstream changed; update build.sh."
  echo "    $1: $count wait(s) of 2 s -> 100 ms"
}
shorten_waits resource_docker_network_funcs.go
shorten_waits resource_docker_volume.go
cat >"$work/go.work" <<EOF
go $(go list -m -f '{{.GoVersion}}')

use $here

replace $upstream_module => $patched
EOF

step "Building pulumi-resource-docker $version"
embed_dir=$here/cmd/pulumi-resource-docker/generated
cat >"$work/overlay.json" <<EOF
{"Replace": {
  "$embed_dir/schema.json": "$work/gen/schema.json",
  "$embed_dir/bridge-metadata.json": "$work/gen/bridge-metadata.json"
}}
EOF
mkdir -p "$(dirname "$output")"
GOWORK="$work/go.work" go_build "$work/pulumi-resource-docker" ./cmd/pulumi-resource-docker -overlay "$work/overlay.json" ||
  die "building pulumi-resource-docker failed (see the go output above)."

step "Checking the reported version"
reported=$("$work/pulumi-resource-docker" -version) || die "the built plugin did not run."
[[ $reported == "$version" ]] || die "the built plugin reports version '$reported' instead of '$version'."

step "Installing $output"
cp "$work/pulumi-resource-docker" "$output.tmp.$$"
mv -f "$output.tmp.$$" "$output"
echo "    $(wc -c <"$output") bytes, sha256 $(sha256sum <"$output" | cut -d' ' -f1)"
step "Done"
