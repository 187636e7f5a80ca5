#!/usr/bin/env bash
# Complaint-intake benchmark. For each store it measures a baseline in the same run (pgbench
# inserting the same rows at the same concurrency and durability on Postgres; the same inserts
# through sqlx on SQLite), then the dispatch gRPC path and the gateway HTTP path closed-loop at
# that concurrency (peak), open-loop at half the peak (latency) and at twice the peak
# (overload). Results go to bench/results/results.jsonl; bench/report.py writes BENCHMARKS.md.
# Traffic goes to 127.0.0.1 only; every run is bounded by BENCH_SECONDS.
#
# `bench/run.sh --quick`: the peaks only (baseline, gRPC and HTTP closed loop, 5 s each, both
# stores) and their two ratios printed, in under two minutes after the build; BENCHMARKS.md is
# left alone. Run it after any change to the request path and quote it in the commit.
set -euo pipefail
cd "$(dirname "$0")/.."
QUICK=0
if [ "${1:-}" = "--quick" ]; then QUICK=1; fi
C=${BENCH_CONCURRENCY:-16}
if [ "$QUICK" = 1 ]; then D=${BENCH_SECONDS:-5}; else D=${BENCH_SECONDS:-15}; fi
cargo build --release -q -p wuguan -p wuguan-loadgen
BIN=$PWD/target/release/wuguan
LG=$PWD/target/release/wuguan-loadgen
work=$(mktemp -d /tmp/wuguan-bench.XXXXXX)
out=bench/results
[ "$QUICK" = 1 ] && out=$(mktemp -d /tmp/wuguan-bench-quick.XXXXXX)
mkdir -p "$out"
: > "$out/results.jsonl"
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  [ -n "${pg_bin:-}" ] && "${as_pg[@]}" "$pg_bin/pg_ctl" -D "$work/pg" -m fast stop >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
wait_healthy() { for _ in $(seq 1 100); do curl -sf "$1/healthz" >/dev/null && return 0; sleep 0.2; done; echo "stack at $1 not healthy" >&2; exit 1; }
note() { echo "$*" >&2; }

# Runs the four loadgen passes against a stack; $1 names the store.
measure() {
  local store=$1 grpc=$2 http=$3 key=$4
  local common=(--dispatch "$grpc" --gateway "$http" --jwt-private-key "$key" --duration-secs "$D")
  note "[$store] gRPC closed loop, concurrency $C"
  "$LG" run --target grpc --concurrency "$C" "${common[@]}" --label "$store-grpc-peak" | tee -a "$out/results.jsonl"
  local peak
  peak=$(tail -n 1 "$out/results.jsonl" | python3 -c 'import json,sys; print(json.load(sys.stdin)["throughput"])')
  note "[$store] HTTP closed loop, concurrency $C"
  "$LG" run --target http --concurrency "$C" "${common[@]}" --label "$store-http-peak" | tee -a "$out/results.jsonl"
  [ "$QUICK" = 1 ] && return 0
  note "[$store] gRPC open loop at half the peak ($peak/2 per s)"
  "$LG" run --target grpc --rate "$(python3 -c "print($peak/2)")" "${common[@]}" --label "$store-grpc-half" | tee -a "$out/results.jsonl"
  note "[$store] gRPC open loop at twice the peak"
  "$LG" run --target grpc --rate "$(python3 -c "print($peak*2)")" --deadline-ms 2000 "${common[@]}" --label "$store-grpc-double" | tee -a "$out/results.jsonl"
}

# --- Postgres ---------------------------------------------------------------------------
pg_bin=$(dirname "$(command -v initdb 2>/dev/null || ls -d /usr/lib/postgresql/*/bin/initdb | sort -V | tail -n 1)")
as_pg=()
if [ "$(id -u)" = 0 ]; then chown postgres "$work"; as_pg=(runuser -u postgres --); fi
"${as_pg[@]}" "$pg_bin/initdb" -D "$work/pg" -U postgres -A trust -E UTF8 >/dev/null
pg_port=$(free_port)
# Durable commits for both the baseline and wuguan: fsync and synchronous_commit stay on.
"${as_pg[@]}" "$pg_bin/pg_ctl" -D "$work/pg" -l "$work/pg.log" -w \
  -o "-p $pg_port -k $work -c listen_addresses=127.0.0.1 -c max_connections=300 -c shared_buffers=256MB" start >/dev/null
pg="postgres://postgres@127.0.0.1:$pg_port"
for db in baseline registry dispatch assessment; do psql -q "$pg/postgres" -c "CREATE DATABASE $db" ; done
psql -q "$pg/baseline" -f bench/baseline-schema.sql
note "[postgres] pgbench baseline, concurrency $C"
pgbench -n -c "$C" -j 2 -T "$D" -f bench/pgbench-intake.sql "$pg/baseline" > "$work/pgbench.txt" 2>&1
python3 - "$work/pgbench.txt" "$C" "$D" >> "$out/results.jsonl" <<'PY'
import json, re, sys
text = open(sys.argv[1]).read()
tps = float(re.search(r"tps = ([0-9.]+)", text).group(1))
lat = float(re.search(r"latency average = ([0-9.]+) ms", text).group(1))
import datetime
print(json.dumps({"label": "postgres-baseline", "tool": "pgbench", "date": str(datetime.date.today()), "concurrency": int(sys.argv[2]),
                  "seconds": float(sys.argv[3]), "throughput": tps, "latency_avg_ms": lat}))
PY
tail -n 1 "$out/results.jsonl"

"$BIN" keygen --dir "$work/keys" >/dev/null
key=$work/keys/jwt-private.pem
reg_port=$(free_port); dis_port=$(free_port); ass_port=$(free_port); gw_port=$(free_port)
export RUST_LOG=warn
"$BIN" registry --listen 127.0.0.1:$reg_port --database-url "$pg/registry" --jwt-public-key "$work/keys/jwt-public.pem" --demo &
pids+=($!)
sleep 1
token=$("$BIN" token --role county --subject wuguan-dispatch --county demo --days 1 --jwt-private-key "$key")
"$BIN" dispatch --listen 127.0.0.1:$dis_port --database-url "$pg/dispatch" --jwt-public-key "$work/keys/jwt-public.pem" \
  --registry-url http://127.0.0.1:$reg_port --registry-token "$token" &
pids+=($!)
assessment_token=$("$BIN" token --role county --subject wuguan-assessment --county demo --days 1 --jwt-private-key "$key")
"$BIN" assessment --listen 127.0.0.1:$ass_port --database-url "$pg/assessment" --jwt-public-key "$work/keys/jwt-public.pem" \
  --registry-url http://127.0.0.1:$reg_port --dispatch-url http://127.0.0.1:$dis_port --service-token "$assessment_token" &
pids+=($!)
"$BIN" gateway --listen 127.0.0.1:$gw_port --registry-url http://127.0.0.1:$reg_port --dispatch-url http://127.0.0.1:$dis_port \
  --assessment-url http://127.0.0.1:$ass_port --jwt-private-key "$key" &
pids+=($!)
wait_healthy "http://127.0.0.1:$gw_port"
measure postgres "http://127.0.0.1:$dis_port" "http://127.0.0.1:$gw_port" "$key"
for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
wait 2>/dev/null || true
pids=()

# --- SQLite -----------------------------------------------------------------------------
note "[sqlite] baseline inserts, concurrency $C"
"$LG" baseline-sqlite --path "$work/baseline.db" --concurrency "$C" --duration-secs "$D" | tee -a "$out/results.jsonl"
mkdir -p "$work/sqlite"
cp "$work/keys/"jwt-*.pem "$work/sqlite/"
reg_port=$(free_port); dis_port=$(free_port); ass_port=$(free_port); gw_port=$(free_port)
"$BIN" up --data-dir "$work/sqlite" --registry-listen 127.0.0.1:$reg_port --dispatch-listen 127.0.0.1:$dis_port \
  --assessment-listen 127.0.0.1:$ass_port --gateway-listen 127.0.0.1:$gw_port >/dev/null &
pids+=($!)
wait_healthy "http://127.0.0.1:$gw_port"
measure sqlite "http://127.0.0.1:$dis_port" "http://127.0.0.1:$gw_port" "$work/sqlite/jwt-private.pem"

if [ "$QUICK" = 1 ]; then
  python3 bench/report.py --quick "$out/results.jsonl"
  rm -rf "$out"
  exit 0
fi
python3 bench/report.py > BENCHMARKS.md
note "wrote BENCHMARKS.md"
