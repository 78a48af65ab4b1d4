#!/usr/bin/env bash
# Builds a small image from binaries of this machine's Debian packages: each
# binary with the libraries it loads (and any other file of the package named), root and nobody (65534) in /etc/passwd,
# an empty data/ directory the Dockerfile may give to nobody, and DIR/Dockerfile.
# Nothing is downloaded. Usage:
#   images/build-binaries.sh IMAGE_NAME DIR PACKAGE SOURCE:DEST [SOURCE:DEST...]
# e.g. images/build-binaries.sh local/prometheus:2.42.0 prometheus prometheus /usr/bin/prometheus:/bin/prometheus
set -euo pipefail
image="${1:?usage: images/build-binaries.sh IMAGE_NAME DIR PACKAGE SOURCE:DEST...}"
dir="$(cd "$(dirname "$0")/${2:?DIR}" && pwd)"
package="${3:?PACKAGE}"
shift 3
ctx="$(mktemp -d)"
trap 'rm -rf "$ctx"' EXIT
mkdir -p "$ctx/rootfs/etc" "$ctx/data"
sources=()
for pair in "$@"; do
  src="${pair%%:*}" dest="${pair#*:}"
  [ -e "$src" ] || { echo "error: $src is missing; install Debian's $package first." >&2; exit 1; }
  mkdir -p "$ctx/rootfs$(dirname "$dest")"
  cp -L "$src" "$ctx/rootfs$dest"
  [ ! -x "$src" ] || sources+=("$src")
done
# Every library the binaries load, including the dynamic loader itself.
for lib in $(ldd "${sources[@]}" | awk '$2 == "=>" && $3 ~ /^\// {print $3} $1 ~ /^\// && NF == 2 {print $1}' | sort -u); do
  mkdir -p "$ctx/rootfs$(dirname "$lib")"
  cp -L "$lib" "$ctx/rootfs$lib"
done
printf 'root:x:0:0:root:/root:/sbin/nologin\nnobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin\n' > "$ctx/rootfs/etc/passwd"
printf 'root:x:0:\nnogroup:x:65534:\n' > "$ctx/rootfs/etc/group"
cp "$dir/Dockerfile" "$ctx/Dockerfile"
version="$(dpkg-query -W -f '${Version}' "$package" 2>/dev/null | sed 's/[+~-].*//')"
# Docker's notice that the legacy builder is deprecated is shown only with an error.
if ! out="$(DOCKER_BUILDKIT=0 docker build -q \
  --label org.opencontainers.image.title="$(basename "$dir") (local build from Debian's $package)" \
  --label org.opencontainers.image.version="$version" \
  -t "$image" "$ctx" 2>&1)"; then
  echo "$out" >&2
  exit 1
fi
echo "$image"
