#!/usr/bin/env bash
# Builds a small redis_exporter image from this machine's Debian package
# prometheus-redis-exporter: the binary with the libraries it loads, nothing
# else (it needs no shell). Usage: images/exporter/build.sh IMAGE_NAME
set -euo pipefail
image="${1:?usage: images/exporter/build.sh IMAGE_NAME}"
here="$(cd "$(dirname "$0")" && pwd)"
bin=/usr/bin/prometheus-redis-exporter
[ -x "$bin" ] || { echo "error: $bin is missing; install Debian's prometheus-redis-exporter first." >&2; exit 1; }

ctx="$(mktemp -d)"
trap 'rm -rf "$ctx"' EXIT
mkdir -p "$ctx/rootfs/usr/local/bin" "$ctx/rootfs/etc"
cp -L "$bin" "$ctx/rootfs/usr/local/bin/redis_exporter"
for lib in $(ldd "$bin" | awk '$2 == "=>" && $3 ~ /^\// {print $3} $1 ~ /^\// && NF == 2 {print $1}' | sort -u); do
  mkdir -p "$ctx/rootfs$(dirname "$lib")"
  cp -L "$lib" "$ctx/rootfs$lib"
done
printf 'root:x:0:0:root:/root:/sbin/nologin\nexporter:x:59000:59000:exporter:/:/sbin/nologin\n' > "$ctx/rootfs/etc/passwd"
printf 'root:x:0:\nexporter:x:59000:\n' > "$ctx/rootfs/etc/group"
cp "$here/Dockerfile" "$ctx/Dockerfile"
version="$(dpkg-query -W -f '${Version}' prometheus-redis-exporter 2>/dev/null | sed 's/[+~-].*//')"
DOCKER_BUILDKIT=0 docker build -q \
  --label org.opencontainers.image.title="redis_exporter (local build from Debian packages)" \
  --label org.opencontainers.image.version="$version" \
  -t "$image" "$ctx" >/dev/null
echo "$image"
