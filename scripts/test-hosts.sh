#!/usr/bin/env bash
# Docker hosts for tests, on this machine: each host is its own network
# namespace, joined to one bridge by a veth pair, running its own dockerd
# (own data root, exec root, socket and pidfile) with the Redis and monitoring images loaded.
#
#   scripts/test-hosts.sh up N       hosts 1..N (idempotent: what runs is kept)
#   scripts/test-hosts.sh add I      host I alone (a new machine beside the others)
#   scripts/test-hosts.sh stop I     host I dies: its dockerd and containers stop, its data stays
#   scripts/test-hosts.sh start I    host I comes back (containers with a restart policy restart)
#   scripts/test-hosts.sh destroy I  host I is gone for good: its dockerd stops, its containers, volumes
#                                    and images are deleted, its namespace and address removed
#   scripts/test-hosts.sh down       every test host, its namespace and data removed
#   scripts/test-hosts.sh env I      prints HOST_ADDR and DOCKER_HOST of host I
#
# Host I is at 10.77.0.(10+I) on bridge rcbr0 (10.77.0.1); its engine at unix:///run/rch-I.sock, and
# as a remote engine is, at tcp://10.77.0.(10+I):2376 with TLS: clients present the certificate in
# /var/lib/redis-cluster-test-hosts/tls/client (ca.pem, cert.pem, key.pem: a docker certPath).
# Only daemons started here are stopped, by the pid in their pidfile; the machine's dockerd is never touched.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

BRIDGE=rcbr0
PREFIX_LEN=24
NET=10.77.0
DATA_ROOT=/var/lib/redis-cluster-test-hosts

ns() { echo "rch$1"; }
addr() { echo "$NET.$((10 + $1))"; }
sock() { echo "/run/rch-$1.sock"; }
pidfile() { echo "/run/rch-$1.pid"; }
# containerd's socket path lives under the exec root and must stay short (a unix socket path limit).
exec_root() { echo "/run/rch-$1"; }
dockerh() { docker -H "unix://$(sock "$1")" "${@:2}"; }
TLS_DIR="$DATA_ROOT/tls"

# A CA (made once), a client certificate, and host I's server certificate naming its address.
tls_material() {
  local i="$1" d="$TLS_DIR"
  mkdir -p "$d/client" "$d/h$i"
  sign() { # name, subject, extensions, output directory
    openssl req -newkey rsa:2048 -nodes -subj "$2" -keyout "$4/key.pem" -out "$d/$1.csr" 2>/dev/null
    printf '%b' "$3" >"$d/$1.ext"
    openssl x509 -req -in "$d/$1.csr" -CA "$d/ca.pem" -CAkey "$d/ca-key.pem" -CAcreateserial -days 30 -extfile "$d/$1.ext" -out "$4/cert.pem" 2>/dev/null
  }
  [ -s "$d/ca.pem" ] || openssl req -x509 -newkey rsa:2048 -nodes -days 30 -subj "/CN=redis-cluster test hosts CA" -keyout "$d/ca-key.pem" -out "$d/ca.pem" 2>/dev/null
  if [ ! -s "$d/client/cert.pem" ]; then
    sign client "/CN=redis-cluster tests" "extendedKeyUsage=clientAuth\n" "$d/client"
    cp "$d/ca.pem" "$d/client/ca.pem"
  fi
  [ -s "$d/h$i/cert.pem" ] || sign "h$i" "/CN=$(addr "$i")" "subjectAltName=IP:$(addr "$i")\nextendedKeyUsage=serverAuth\n" "$d/h$i"
}

running() {
  local pid
  pid="$(cat "$(pidfile "$1")" 2>/dev/null)" || return 1
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null
}

require_root() {
  [ "$(id -u)" = 0 ] || die "test hosts need root (network namespaces, dockerd): run as root."
  command -v dockerd >/dev/null || die "dockerd is missing: run scripts/bootstrap.sh first."
  command -v nsenter >/dev/null && command -v ip >/dev/null || die "ip and nsenter are missing: install iproute2 and util-linux."
}

bridge_up() {
  ip link show "$BRIDGE" >/dev/null 2>&1 || ip link add "$BRIDGE" type bridge
  # Output captured first: under pipefail, `... | grep -q` fails when grep exits before the writer (SIGPIPE).
  grep -q "$NET.1/$PREFIX_LEN" <<<"$(ip addr show dev "$BRIDGE")" || ip addr add "$NET.1/$PREFIX_LEN" dev "$BRIDGE"
  ip link set "$BRIDGE" up
  # The machine's own dockerd sets FORWARD to DROP, and bridged frames pass through it
  # (br_netfilter): let the hosts reach each other over the bridge.
  iptables -C FORWARD -i "$BRIDGE" -o "$BRIDGE" -j ACCEPT 2>/dev/null || iptables -I FORWARD -i "$BRIDGE" -o "$BRIDGE" -j ACCEPT
}

namespace_up() {
  local i="$1" n veth
  n="$(ns "$i")"
  veth="rchv$i"
  grep -qw "$n" <<<"$(ip netns list)" || ip netns add "$n"
  if ! ip link show "$veth" >/dev/null 2>&1; then
    ip link add "$veth" type veth peer name "rchp$i"
    ip link set "rchp$i" netns "$n"
    ip netns exec "$n" sh -c "ip link set rchp$i name eth0 && ip addr add $(addr "$i")/$PREFIX_LEN dev eth0 && ip link set eth0 up && ip link set lo up && ip route add default via $NET.1"
  fi
  ip link set "$veth" master "$BRIDGE" up
}

daemon_start() {
  local i="$1"
  running "$i" && return 0
  mkdir -p "$DATA_ROOT/h$i" "$(exec_root "$i")"
  tls_material "$i"
  # nsenter, not `ip netns exec`: the latter remounts /sys and dockerd then misses the cgroup mounts.
  setsid nsenter --net="/run/netns/$(ns "$i")" dockerd \
    --data-root "$DATA_ROOT/h$i" --exec-root "$(exec_root "$i")" \
    -H "unix://$(sock "$i")" -p "$(pidfile "$i")" --bip "172.31.$((200 + i)).1/24" \
    -H "tcp://$(addr "$i"):2376" --tlsverify --tlscacert "$TLS_DIR/ca.pem" --tlscert "$TLS_DIR/h$i/cert.pem" --tlskey "$TLS_DIR/h$i/key.pem" \
    >"/var/log/rch-$i.log" 2>&1 </dev/null &
  for _ in $(seq 1 60); do
    dockerh "$i" info >/dev/null 2>&1 && return 0
    sleep 0.5
  done
  die "the dockerd of test host $i did not answer within 30 s; read /var/log/rch-$i.log."
}

image_load() {
  local i="$1" image
  image="$(cat "$REDIS_CLUSTER_CACHE/redis-image" 2>/dev/null || true)"
  [ -n "$image" ] || die "no Redis image prepared: run scripts/bootstrap.sh first."
  dockerh "$i" image inspect "$image" >/dev/null 2>&1 || docker save "$image" | dockerh "$i" load >/dev/null
  # The monitoring images too, for stacks with metrics and Prometheus.
  for cache in exporter-image prometheus-image alertmanager-image; do
    image="$(cat "$REDIS_CLUSTER_CACHE/$cache" 2>/dev/null || true)"
    [ -n "$image" ] || die "no $cache prepared: run scripts/bootstrap.sh first."
    dockerh "$i" image inspect "$image" >/dev/null 2>&1 || docker save "$image" | dockerh "$i" load >/dev/null
  done
}

# A host dies as a machine does: every process in its namespace (dockerd, containerd, shims,
# docker-proxy) and its containers are killed at once, not stopped through the API, so that
# containers with a restart policy start again with the host; its data root stays for `start`.
daemon_stop() {
  local i="$1" containers="" pids
  grep -qw "$(ns "$i")" <<<"$(ip netns list)" || return 0
  running "$i" && containers="$(dockerh "$i" ps -q 2>/dev/null | xargs -r docker -H "unix://$(sock "$i")" inspect -f '{{.State.Pid}}' 2>/dev/null || true)"
  pids="$(ip netns pids "$(ns "$i")" 2>/dev/null || true)"
  [ -z "$pids" ] || kill -STOP $pids 2>/dev/null || true
  [ -z "$containers" ] || kill -9 $containers 2>/dev/null || true
  [ -z "$pids" ] || kill -9 $pids 2>/dev/null || true
  for _ in $(seq 1 40); do
    if [ -z "$(ip netns pids "$(ns "$i")" 2>/dev/null)" ] && ! running "$i"; then
      rm -f "$(pidfile "$i")"
      return 0
    fi
    sleep 0.25
  done
  die "processes of test host $i survived SIGKILL: $(ip netns pids "$(ns "$i")" | tr '\n' ' ')"
}

# A killed daemon leaves its containers' overlay and netns mounts behind: unmount them, deepest first.
unmount_under() {
  local dir
  for dir in "$@"; do
    awk -v d="$dir" '$2 == d || index($2, d "/") == 1 {print $2}' /proc/mounts | sort -r | xargs -r -n1 umount -l 2>/dev/null || true
  done
}

# Host I and everything it held: daemon, containers, volumes, images, namespace and address.
host_remove() {
  local i="$1"
  daemon_stop "$i"
  unmount_under "$DATA_ROOT/h$i" "$(exec_root "$i")"
  ip netns del "$(ns "$i")" 2>/dev/null || true
  ip link del "rchv$i" 2>/dev/null || true
  rm -rf "${DATA_ROOT:?}/h$i" "$(exec_root "$i")" "$(sock "$i")" "$(pidfile "$i")"
}

# Every host an earlier run left anything of: a namespace, an exec root, a data root.
hosts_known() {
  {
    ip netns list 2>/dev/null | awk '{print $1}' | sed -n 's/^rch\([0-9][0-9]*\)$/\1/p'
    ls -d /run/rch-* 2>/dev/null | sed -n 's#^/run/rch-\([0-9][0-9]*\)$#\1#p'
    ls "$DATA_ROOT" 2>/dev/null | sed -n 's/^h\([0-9][0-9]*\)$/\1/p'
  } | sort -nu
}

case "${1:-}" in
  up)
    require_root
    count="${2:?usage: scripts/test-hosts.sh up N}"
    bridge_up
    for i in $(seq 1 "$count"); do
      namespace_up "$i"
      daemon_start "$i"
      image_load "$i"
      note "test host $i: $(addr "$i"), unix://$(sock "$i")"
    done
    ;;
  add)
    require_root
    i="${2:?usage: scripts/test-hosts.sh add I}"
    bridge_up
    namespace_up "$i"
    daemon_start "$i"
    image_load "$i"
    note "test host $i: $(addr "$i"), unix://$(sock "$i")"
    ;;
  stop)
    require_root
    daemon_stop "${2:?usage: scripts/test-hosts.sh stop I}"
    ;;
  start)
    require_root
    daemon_start "${2:?usage: scripts/test-hosts.sh start I}"
    ;;
  destroy)
    require_root
    host_remove "${2:?usage: scripts/test-hosts.sh destroy I}"
    ;;
  down)
    require_root
    for i in $(hosts_known); do
      host_remove "$i"
    done
    rm -rf "${TLS_DIR:?}"
    ip link del "$BRIDGE" 2>/dev/null || true
    while iptables -D FORWARD -i "$BRIDGE" -o "$BRIDGE" -j ACCEPT 2>/dev/null; do :; done
    ;;
  env)
    i="${2:?usage: scripts/test-hosts.sh env I}"
    echo "HOST_ADDR=$(addr "$i")"
    echo "DOCKER_HOST=unix://$(sock "$i")"
    ;;
  *)
    die "usage: scripts/test-hosts.sh up N | add I | stop I | start I | destroy I | down | env I"
    ;;
esac
