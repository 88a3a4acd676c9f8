#!/usr/bin/env bash
# Measures the targets of docs/performance.md on this machine: the server
# (and the bare floor) pinned to core 0, the loadgen to core 1, a fresh
# database in a temp dir. Prints one line per figure.
#   examples/loadgen/targets.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
cargo build --release --locked -p community-messenger -p loadgen >&2
T=${CARGO_TARGET_DIR:-target}/release

work=$(mktemp -d)
server_pid=""
cleanup() { kill $(jobs -p) 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
LG=(taskset -c 1 $T/loadgen)
SRV=http://127.0.0.1:18080
FLOOR=http://127.0.0.1:19090

start_server() {
  RUST_LOG=warn taskset -c 0 $T/community-messenger \
    --addr 127.0.0.1:18080 --db "$work/m.db" --send-limit 0 --react-limit 0 --register-limit 0 --max-connections 200000 --max-connections-per-addr 200000 >"$work/server.log" &
  server_pid=$!
}
wait_healthz() { until curl -sf "$SRV/healthz" >/dev/null; do sleep 0.002; done; }
rss() { awk '/VmRSS/ {print $2}' "/proc/$1/status"; }

# Start to /healthz on an existing database, and idle RSS.
start_server; wait_healthz; kill -TERM "$server_pid"; wait "$server_pid" || true
t0=$(date +%s%N); start_server; wait_healthz; t1=$(date +%s%N)
echo "start to /healthz (existing db): $(( (t1 - t0) / 1000000 )) ms"
sleep 1
echo "idle RSS after start: $(rss "$server_pid") KiB"

taskset -c 0 $T/loadgen bare --addr 127.0.0.1:19090 >/dev/null &
floor_pid=$!
sleep 0.3
u=(--users-file "$work/users.json")

echo "== durable fan-out, C=200 S=20 M=500, as fast as a window of 16 allows"
for round in $(seq "${ROUNDS:-3}"); do
  "${LG[@]}" fanout --url "$FLOOR" "${u[@]}" -c 200 -s 20 -m 500 --server-pid "$floor_pid" 2>&1 >/dev/null | sed 's/^/floor:  /'
  "${LG[@]}" fanout --url "$SRV" "${u[@]}" -c 200 -s 20 -m 500 --server-pid "$server_pid" 2>&1 >/dev/null | sed 's/^/server: /'
done

echo "== the same fan-out with 10 % of each sender's items reactions (v2 sockets), beside the plain one"
for round in $(seq "${ROUNDS:-3}"); do
  "${LG[@]}" fanout --url "$SRV" "${u[@]}" -c 200 -s 20 -m 500 --server-pid "$server_pid" 2>&1 >/dev/null | sed 's/^/plain:     /'
  "${LG[@]}" fanout --url "$SRV" "${u[@]}" -c 200 -s 20 -m 500 --react-percent 10 --server-pid "$server_pid" 2>&1 >/dev/null | sed 's/^/reactions: /'
done

echo "== steady 500 posts/s into 200 clients (20 senders x 25/s, 10 s)"
"${LG[@]}" fanout --url "$FLOOR" "${u[@]}" -c 200 -s 20 -m 250 --rate 25 --server-pid "$floor_pid" 2>&1 >/dev/null | sed 's/^/floor:  /'
"${LG[@]}" fanout --url "$SRV" "${u[@]}" -c 200 -s 20 -m 250 --rate 25 --server-pid "$server_pid" 2>&1 >/dev/null | sed 's/^/server: /'

echo "== login storm: 200 logins at 16 during a chat of 50 clients, 10 senders x 20/s"
"${LG[@]}" login --url "$SRV" "${u[@]}" -l 200 -k 16 -c 50 -s 10 -m 100 --rate 20 2>&1 >/dev/null

echo "== 10,000 idle sockets joined to general, 1,000 distinct users"
"${LG[@]}" connect --url "$SRV" "${u[@]}" -c 10000 --users 1000 --hold 5 --server-pid "$server_pid" 2>&1 >/dev/null

echo "== durable fan-out with /metrics on (--metrics-addr), beside the same binary without"
kill -TERM "$floor_pid"; wait "$floor_pid" || true
SRV_M=http://127.0.0.1:18081
RUST_LOG=warn taskset -c 0 $T/community-messenger \
  --addr 127.0.0.1:18081 --metrics-addr 127.0.0.1:18082 --db "$work/metrics.db" \
  --send-limit 0 --register-limit 0 --max-connections 200000 --max-connections-per-addr 200000 >"$work/server-metrics.log" &
metrics_pid=$!
until curl -sf "$SRV_M/healthz" >/dev/null; do sleep 0.002; done
for round in $(seq "${ROUNDS:-3}"); do
  "${LG[@]}" fanout --url "$SRV" "${u[@]}" -c 200 -s 20 -m 500 --server-pid "$server_pid" 2>&1 >/dev/null | sed 's/^/metrics off: /'
  "${LG[@]}" fanout --url "$SRV_M" "${u[@]}" -c 200 -s 20 -m 500 --server-pid "$metrics_pid" 2>&1 >/dev/null | sed 's/^/metrics on:  /'
done
curl -sf http://127.0.0.1:18082/metrics | grep -E '^messenger_messages_(posted|delivered)_total' | sed 's/^/scraped: /'
