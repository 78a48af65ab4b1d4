#!/usr/bin/env bash
# Builds a small Redis image from this machine's Debian packages:
# redis-server and redis-cli with their shared libraries, and busybox for
# the shell the healthcheck needs. Usage: images/redis/build.sh IMAGE_NAME
set -euo pipefail
image="${1:?usage: images/redis/build.sh IMAGE_NAME}"
here="$(cd "$(dirname "$0")" && pwd)"

for bin in /usr/bin/redis-server /usr/bin/redis-cli /bin/busybox; do
  [ -x "$bin" ] || { echo "error: $bin is missing; install Debian's redis-server, redis-tools and busybox-static first." >&2; exit 1; }
done

ctx="$(mktemp -d)"
trap 'rm -rf "$ctx"' EXIT
mkdir -p "$ctx/rootfs/usr/local/bin" "$ctx/rootfs/bin" "$ctx/rootfs/etc" "$ctx/rootfs/tmp" "$ctx/data"
cp -L /usr/bin/redis-server /usr/bin/redis-cli "$ctx/rootfs/usr/local/bin/"
cp /bin/busybox "$ctx/rootfs/bin/busybox"
for applet in sh grep cat ls; do ln -s busybox "$ctx/rootfs/bin/$applet"; done
# Every library the two binaries load, including the dynamic loader itself.
for lib in $(ldd /usr/bin/redis-server /usr/bin/redis-cli | awk '$2 == "=>" && $3 ~ /^\// {print $3} $1 ~ /^\// && NF == 2 {print $1}' | sort -u); do
  mkdir -p "$ctx/rootfs$(dirname "$lib")"
  cp -L "$lib" "$ctx/rootfs$lib"
done
printf 'root:x:0:0:root:/root:/bin/sh\nredis:x:999:999:redis:/data:/bin/sh\n' > "$ctx/rootfs/etc/passwd"
printf 'root:x:0:\nredis:x:999:\n' > "$ctx/rootfs/etc/group"
chmod 1777 "$ctx/rootfs/tmp"
cp "$here/Dockerfile" "$ctx/Dockerfile"
version="$(redis-server --version | sed -n 's/.*v=\([0-9.]*\).*/\1/p')"
DOCKER_BUILDKIT=0 docker build -q \
  --label org.opencontainers.image.title="redis (local build from Debian packages)" \
  --label org.opencontainers.image.version="$version" \
  -t "$image" "$ctx" >/dev/null
echo "$image"
