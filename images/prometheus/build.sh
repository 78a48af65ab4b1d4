#!/usr/bin/env bash
# Builds a small Prometheus image from this machine's Debian package prometheus:
# prometheus and promtool with the libraries they load, a data directory the
# server's user owns, nothing else. Usage: images/prometheus/build.sh IMAGE_NAME
set -euo pipefail
image="${1:?usage: images/prometheus/build.sh IMAGE_NAME}"
here="$(cd "$(dirname "$0")" && pwd)"
for bin in /usr/bin/prometheus /usr/bin/promtool; do
  [ -x "$bin" ] || { echo "error: $bin is missing; install Debian's prometheus first." >&2; exit 1; }
done

ctx="$(mktemp -d)"
trap 'rm -rf "$ctx"' EXIT
mkdir -p "$ctx/rootfs/bin" "$ctx/rootfs/etc/prometheus" "$ctx/data"
cp -L /usr/bin/prometheus /usr/bin/promtool "$ctx/rootfs/bin/"
for lib in $(ldd /usr/bin/prometheus /usr/bin/promtool | awk '$2 == "=>" && $3 ~ /^\// {print $3} $1 ~ /^\// && NF == 2 {print $1}' | sort -u); do
  mkdir -p "$ctx/rootfs$(dirname "$lib")"
  cp -L "$lib" "$ctx/rootfs$lib"
done
printf 'root:x:0:0:root:/root:/sbin/nologin\nnobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin\n' > "$ctx/rootfs/etc/passwd"
printf 'root:x:0:\nnogroup:x:65534:\n' > "$ctx/rootfs/etc/group"
cp "$here/Dockerfile" "$ctx/Dockerfile"
version="$(dpkg-query -W -f '${Version}' prometheus 2>/dev/null | sed 's/[+~-].*//')"
DOCKER_BUILDKIT=0 docker build -q \
  --label org.opencontainers.image.title="prometheus (local build from Debian packages)" \
  --label org.opencontainers.image.version="$version" \
  -t "$image" "$ctx" >/dev/null
echo "$image"
