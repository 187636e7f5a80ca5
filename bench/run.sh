#!/usr/bin/env bash
# Complaint-intake benchmark, on the shape of a real day with an outage: the demo county with
# BENCH_HISTORY tickets already stored (100,000), a third of the submissions about one estate's
# repairs and the rest spread over the town's estates and categories (wuguan-loadgen --burst-share).
# For each store, in the same run and on the same database server:
#   baselines  Postgres: pgbench inserting one ticket row per transaction (the target's floor) and
#              the same rows as an intake (ticket, two events, key) per transaction; SQLite: sqlx
#              inserting an intake's rows per transaction. fsync / synchronous on throughout.
#   peaks      closed loop at each of BENCH_CONCURRENCIES (1 16 64): gRPC to dispatch with a
#              service token (the 12345 hotline), HTTP through the gateway with a town-office token.
#   latency    open loop at half the 16-peak (latency from each request's scheduled start: no
#              coordinated omission) and overload at twice the highest peak (2 s deadline:
#              refused fast, goodput kept?).
#   decay      one BENCH_LONG_SECONDS (60) run: its first ten seconds against its last ten.
#   growth     after adding tickets up to BENCH_BIG_HISTORY (1,000,000): the long run and the
#              gateway peak again.
#   cross-check wrk against the gateway at concurrency 16 (same shape, its own keys), if wrk is
#              installed (apt-get install wrk).
# After every loadgen run it checks that each acknowledged complaint exists exactly once.
# Results go to bench/results/results.jsonl; bench/report.py writes BENCHMARKS.md with the date,
# the commit and the machine. Traffic goes to 127.0.0.1 only; every run is bounded in time.
#
# `bench/run.sh --quick`: 100,000 stored, concurrency 16 only, 5 s each, both stores, the ratios
# printed in about two minutes after the build; BENCHMARKS.md is left alone. Run it after any
# change to the request path and quote it in the commit.
set -euo pipefail
cd "$(dirname "$0")/.."
QUICK=0
if [ "${1:-}" = "--quick" ]; then QUICK=1; fi
HISTORY=${BENCH_HISTORY:-100000}
if [ "$QUICK" = 1 ]; then
  CONCURRENCIES=16; D=${BENCH_SECONDS:-5}
else
  CONCURRENCIES=${BENCH_CONCURRENCIES:-"1 16 64"}; D=${BENCH_SECONDS:-15}
fi
LONG=${BENCH_LONG_SECONDS:-60}
BIG=${BENCH_BIG_HISTORY:-1000000}
# The per-process CPU figures time the load generator with GNU time (Debian package `time`).
[ -x /usr/bin/time ] || { apt-get install -y -q time >/dev/null || { echo "bench/run.sh needs /usr/bin/time" >&2; exit 1; }; }
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
note() { echo "[${SECONDS}s] $*" >&2; }
record() { tee -a "$out/results.jsonl" | cut -c1-200; }
peak_of() { python3 -c 'import json,sys; print([json.loads(l) for l in open(sys.argv[1]) if json.loads(l)["label"] == sys.argv[2]][-1]["throughput"])' "$out/results.jsonl" "$1"; }

# One closed-loop loadgen run whose result also says how much CPU each process of the stack
# ($PROCS: NAME=PID …, postgres summed over its processes) and the load generator spent per
# acknowledged complaint (bench/cpu.py): the profile behind each ratio.
profiled_run() {
  python3 bench/cpu.py snapshot $PROCS > "$work/cpu-before.json"
  /usr/bin/time -o "$work/loadgen-time" -f '%U %S' "$LG" run "$@" > "$work/run.json"
  python3 bench/cpu.py snapshot $PROCS > "$work/cpu-after.json"
  python3 bench/cpu.py attach "$work/cpu-before.json" "$work/cpu-after.json" "$work/loadgen-time" < "$work/run.json"
}

# Runs the loadgen passes against a running stack; $1 names the store, $5 is dispatch's database.
measure() {
  local store=$1 grpc=$2 http=$3 key=$4 dispatch_db=$5
  local common=(--dispatch "$grpc" --gateway "$http" --jwt-private-key "$key")
  note "[$store] storing history: $HISTORY tickets"
  "$LG" preload --dispatch-database-url "$dispatch_db" --tickets "$HISTORY" | sed "s/\"preload\"/\"$store-preload\"/" | record
  for c in $CONCURRENCIES; do
    note "[$store] gRPC closed loop (service token), concurrency $c"
    profiled_run --target grpc --as service --concurrency "$c" --duration-secs "$D" "${common[@]}" --label "$store-grpc-c$c" | record
    note "[$store] HTTP closed loop via the gateway (town-office token), concurrency $c"
    profiled_run --target http --as town-office --concurrency "$c" --duration-secs "$D" "${common[@]}" --label "$store-http-c$c" | record
  done
  [ "$QUICK" = 1 ] && return 0
  local peak best
  peak=$(peak_of "$store-grpc-c16")
  # Overload is twice the highest peak of any concurrency (open loop has no cap in flight).
  best=$(for c in $CONCURRENCIES; do peak_of "$store-grpc-c$c"; done | sort -g | tail -n 1)
  note "[$store] gRPC open loop at half the concurrency-16 peak ($peak/2 per s)"
  "$LG" run --target grpc --rate "$(python3 -c "print($peak/2)")" --duration-secs "$D" "${common[@]}" --label "$store-grpc-half" | record
  note "[$store] gRPC open loop at twice the highest peak ($best per s × 2)"
  "$LG" run --target grpc --rate "$(python3 -c "print($best*2)")" --deadline-ms 2000 --duration-secs "$D" "${common[@]}" --label "$store-grpc-double" | record
  note "[$store] gRPC closed loop for ${LONG} s (decay)"
  "$LG" run --target grpc --concurrency 16 --duration-secs "$LONG" "${common[@]}" --label "$store-grpc-long" | record
  if command -v wrk >/dev/null; then
    note "[$store] wrk against the gateway, 16 connections"
    local estates token
    token=$("$LG" token --as town-office --jwt-private-key "$key")
    estates=$(curl -sf -H "Authorization: Bearer $token" "$http/api/v1/towns/zhongxing/estates?page_size=100" \
      | python3 -c 'import json,sys; print(",".join(e["id"] for e in json.load(sys.stdin)["items"]))')
    wrk -t 2 -c 16 -d "${D}s" --latency -s bench/wrk-intake.lua "$http" -- "$token" "$estates" "wrk$(date +%s)" \
      | grep '^{' | sed "s/\"label\":\"wrk\"/\"label\":\"$store-wrk-c16\"/" | record
  fi
  note "[$store] growing the history to $BIG tickets"
  "$LG" preload --dispatch-database-url "$dispatch_db" --tickets "$BIG" | sed "s/\"preload\"/\"$store-preload-big\"/" | record
  note "[$store] gRPC closed loop for ${LONG} s with $BIG stored"
  "$LG" run --target grpc --concurrency 16 --duration-secs "$LONG" "${common[@]}" --label "$store-grpc-long-big" | record
  "$LG" run --target http --as town-office --concurrency 16 --duration-secs "$D" "${common[@]}" --label "$store-http-c16-big" | record
}

# One pgbench pass: $1 label, $2 script, $3 concurrency.
pgbench_pass() {
  local label=$1 script=$2 c=$3
  pgbench -n -c "$c" -j "$(( c < 2 ? 1 : 2 ))" -T "$D" -f "$script" "$pg/baseline" > "$work/pgbench.txt" 2>&1
  python3 - "$work/pgbench.txt" "$label" "$c" "$D" <<'PY' | record
import datetime, json, re, sys
text = open(sys.argv[1]).read()
tps = float(re.search(r"tps = ([0-9.]+)", text).group(1))
lat = float(re.search(r"latency average = ([0-9.]+) ms", text).group(1))
print(json.dumps({"label": sys.argv[2], "tool": "pgbench", "date": str(datetime.date.today()), "concurrency": int(sys.argv[3]),
                  "seconds": float(sys.argv[4]), "throughput": tps, "latency_avg_ms": lat}))
PY
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
for c in $CONCURRENCIES; do
  note "[postgres] pgbench baselines, concurrency $c"
  pgbench_pass "postgres-baseline-c$c" bench/pgbench-one-row.sql "$c"
  pgbench_pass "postgres-baseline-rows-c$c" bench/pgbench-intake.sql "$c"
done

"$BIN" keygen --dir "$work/keys" >/dev/null
key=$work/keys/jwt-private.pem
reg_port=$(free_port); dis_port=$(free_port); ass_port=$(free_port); gw_port=$(free_port)
export RUST_LOG=warn
"$BIN" registry --listen 127.0.0.1:$reg_port --database-url "$pg/registry" --jwt-public-key "$work/keys/jwt-public.pem" --demo &
pids+=($!)
sleep 1
token=$("$BIN" token --role county --subject wuguan-dispatch --county demo --days 1 --jwt-private-key "$key")
"$BIN" dispatch --listen 127.0.0.1:$dis_port --database-url "$pg/dispatch" --jwt-public-key "$work/keys/jwt-public.pem" \
  --registry-url http://127.0.0.1:$reg_port --registry-token "$token" --demo &
pids+=($!)
assessment_token=$("$BIN" token --role county --subject wuguan-assessment --county demo --days 1 --jwt-private-key "$key")
"$BIN" assessment --listen 127.0.0.1:$ass_port --database-url "$pg/assessment" --jwt-public-key "$work/keys/jwt-public.pem" \
  --registry-url http://127.0.0.1:$reg_port --dispatch-url http://127.0.0.1:$dis_port --service-token "$assessment_token" &
pids+=($!)
"$BIN" gateway --listen 127.0.0.1:$gw_port --registry-url http://127.0.0.1:$reg_port --dispatch-url http://127.0.0.1:$dis_port \
  --assessment-url http://127.0.0.1:$ass_port --jwt-private-key "$key" &
pids+=($!)
wait_healthy "http://127.0.0.1:$gw_port"
PROCS="registry=${pids[0]} dispatch=${pids[1]} assessment=${pids[2]} gateway=${pids[3]} postgres="
measure postgres "http://127.0.0.1:$dis_port" "http://127.0.0.1:$gw_port" "$key" "$pg/dispatch"
for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
wait 2>/dev/null || true
pids=()

# --- SQLite -----------------------------------------------------------------------------
for c in $CONCURRENCIES; do
  note "[sqlite] baseline inserts, concurrency $c"
  "$LG" baseline-sqlite --path "$work/baseline.db" --concurrency "$c" --duration-secs "$D" --label "sqlite-baseline-c$c" | record
done
mkdir -p "$work/sqlite"
cp "$work/keys/"jwt-*.pem "$work/sqlite/"
reg_port=$(free_port); dis_port=$(free_port); ass_port=$(free_port); gw_port=$(free_port)
"$BIN" up --data-dir "$work/sqlite" --registry-listen 127.0.0.1:$reg_port --dispatch-listen 127.0.0.1:$dis_port \
  --assessment-listen 127.0.0.1:$ass_port --gateway-listen 127.0.0.1:$gw_port --metrics-listen 127.0.0.1:$(free_port) >/dev/null &
pids+=($!)
wait_healthy "http://127.0.0.1:$gw_port"
# `wuguan up` runs the four services in one process: its CPU is the stack's.
PROCS="stack=${pids[0]}"
measure sqlite "http://127.0.0.1:$dis_port" "http://127.0.0.1:$gw_port" "$work/sqlite/jwt-private.pem" "sqlite://$work/sqlite/dispatch.db"

if [ "$QUICK" = 1 ]; then
  python3 bench/report.py --quick "$out/results.jsonl"
  rm -rf "$out"
  exit 0
fi
python3 bench/report.py "$(git rev-parse --short HEAD)$(git diff --quiet HEAD -- . ':!BENCHMARKS.md' ':!bench/results' || echo '+changes')" > BENCHMARKS.md
note "wrote BENCHMARKS.md"
