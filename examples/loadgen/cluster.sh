#!/usr/bin/env bash
# Measures the cluster figures of docs/performance.md: three nodes on a
# throwaway PostgreSQL and Redis against one SQLite node, same machine, same
# run; then 50,000 sockets over the three nodes, and one fan-out to them.
# Needs Debian's postgresql and redis-server; run as root (PostgreSQL runs
# as the `postgres` user). Nothing is pinned: everything shares the cores.
#   examples/loadgen/cluster.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
cargo build --release --locked -p community-messenger -p loadgen --features community-messenger/cluster >&2

work=$(mktemp -d)
chmod 755 "$work"
pgbin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
as_pg() { runuser -u postgres -- "$@"; }
cleanup() {
  kill $(jobs -p) 2>/dev/null || true
  wait 2>/dev/null || true
  as_pg "$pgbin/pg_ctl" -D "$work/pg" -m immediate stop >/dev/null 2>&1 || true
  [ -n "${redis_pid:-}" ] && kill "$redis_pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

pg_port=$(free_port)
install -d -o postgres "$work/pg"
as_pg "$pgbin/initdb" -D "$work/pg" -U postgres --auth=trust --no-locale -E UTF8 >/dev/null
as_pg "$pgbin/pg_ctl" -D "$work/pg" -l "$work/pg/log" -w \
  -o "-p $pg_port -k $work/pg -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200" start >/dev/null
as_pg "$pgbin/psql" -h 127.0.0.1 -p "$pg_port" -qc "create database chat" postgres
redis_port=$(free_port)
redis-server --port "$redis_port" --bind 127.0.0.1 --save '' --appendonly no >"$work/redis.log" &
redis_pid=$!
DB="postgres://postgres@127.0.0.1:$pg_port/chat"
RD="redis://127.0.0.1:$redis_port/0"

node_pids=()
urls=()
for i in 1 2 3; do
  port=$(free_port)
  RUST_LOG=warn target/release/community-messenger --addr "127.0.0.1:$port" \
    --database-url "$DB" --redis-url "$RD" --send-limit 0 --register-limit 0 --max-connections 200000 --max-connections-per-addr 200000 >/dev/null 2>"$work/node$i.log" &
  node_pids+=($!)
  urls+=("http://127.0.0.1:$port")
  # One at a time: the first applies the migrations.
  until curl -sf "http://127.0.0.1:$port/healthz" >/dev/null; do sleep 0.05; done
done
single_port=$(free_port)
RUST_LOG=warn target/release/community-messenger --addr "127.0.0.1:$single_port" \
  --db "$work/single.db" --send-limit 0 --register-limit 0 --max-connections 200000 --max-connections-per-addr 200000 >/dev/null 2>"$work/single.log" &
single_pid=$!
until curl -sf "http://127.0.0.1:$single_port/healthz" >/dev/null; do sleep 0.05; done

cluster=$(IFS=,; echo "${urls[*]}")
pids=$(IFS=,; echo "${node_pids[*]}")
ticks() { awk '{print $14+$15}' "/proc/$1/stat" 2>/dev/null || echo 0; }
pg_ticks() { local t=0; for p in $(ps -u postgres -o pid=); do t=$((t + $(ticks "$p"))); done; echo $t; }

echo "== fan-out C=200 S=20 M=500: one SQLite node, then three nodes on PostgreSQL + Redis"
for round in 1 2 3; do
  target/release/loadgen fanout --url "http://127.0.0.1:$single_port" --users-file "$work/users.json" \
    -c 200 -s 20 -m 500 --server-pid "$single_pid" 2>&1 >/dev/null | grep -v creating | sed 's/^/1 node, SQLite: /'
  pg0=$(pg_ticks); r0=$(ticks "$redis_pid")
  target/release/loadgen fanout --url "$cluster" --users-file "$work/users.json" \
    -c 200 -s 20 -m 500 --server-pid "$pids" 2>&1 >/dev/null | grep -v creating | sed 's/^/3 nodes: /'
  echo "3 nodes: PostgreSQL CPU $(( ($(pg_ticks) - pg0) * 10 )) ms, Redis CPU $(( ($(ticks "$redis_pid") - r0) * 10 )) ms"
done

echo "== 50,000 sockets joined to general over the three nodes, then one message to all"
kill "$single_pid"
target/release/loadgen crowd --url "$cluster" --users-file "$work/users.json" \
  -c 50000 --users 1000 --server-pid "$pids" 2>&1 >/dev/null | grep -v creating
