#!/bin/sh
# The application: writes $KEYS keys through redis-cli in cluster mode (-c follows MOVED to the node
# that owns each slot), reads every one back, records the outcome under "<name>:result", then keeps
# running as a service would. Its log's last line says how it went. Plain sh: it runs in any Redis image.
set -u
command -v sleep >/dev/null 2>&1 || sleep() { busybox sleep "$@"; }
name=$APP_NAME
cli() { redis-cli -c -h "$SEED" "$@"; }
# The cluster is formed before this container starts; a node restarting meanwhile is waited for.
tries=0
until cli cluster info 2>/dev/null | grep -q "cluster_state:ok"; do
  tries=$((tries + 1)); [ $tries -gt 120 ] && { echo "$name: the cluster at $SEED never became ok"; exit 1; }
  sleep 1
done
n=1
while [ $n -le "$KEYS" ]; do
  [ "$(cli set "$name:key:$n" "value-$n")" = "OK" ] || { echo "$name: SET $n failed"; exit 1; }
  n=$((n + 1))
done
read_back=0 n=1
while [ $n -le "$KEYS" ]; do
  [ "$(cli get "$name:key:$n")" = "value-$n" ] && read_back=$((read_back + 1))
  n=$((n + 1))
done
cli set "$name:result" "wrote $KEYS, read back $read_back" >/dev/null
echo "$name: wrote $KEYS keys through $SEED, read back $read_back"
[ "$read_back" -eq "$KEYS" ] || exit 1
while :; do sleep 3600; done
