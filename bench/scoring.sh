#!/usr/bin/env bash
# Bulletin and annual-assessment cost as a town grows. For each store it starts the services
# with the demo data, then grows dispatch's tickets for last year to about 1 k, 10 k, 100 k and
# 1 M (copies of the demo tickets written straight into the database) and, after each step,
# times in the same run a baseline (the database alone aggregating the year's tickets per unit)
# and the monthly bulletin and annual assessment over gRPC. Results go to
# bench/results/scoring.jsonl; bench/report.py writes BENCHMARKS.md from both result files.
# Traffic goes to 127.0.0.1 only.
set -euo pipefail
cd "$(dirname "$0")/.."
STEPS=${SCORING_STEPS:-"1000 9000 90000 900000"}
REPS=${SCORING_REPS:-5}
cargo build --release -q -p wuguan -p wuguan-loadgen
BIN=$PWD/target/release/wuguan
LG=$PWD/target/release/wuguan-loadgen
work=$(mktemp -d /tmp/wuguan-scoring.XXXXXX)
out=bench/results
mkdir -p "$out"
: > "$out/scoring.jsonl"
year=$(( $(date -u +%Y) - 1 ))
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  [ -n "${pg_bin:-}" ] && "${as_pg[@]}" "$pg_bin/pg_ctl" -D "$work/pg" -m fast stop >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
# Every service answers the gateway's health check only once its demo data is in place.
wait_healthy() { for _ in $(seq 1 300); do curl -sf "$1/healthz" >/dev/null && return 0; sleep 0.2; done; echo "stack at $1 not healthy" >&2; exit 1; }
note() { echo "$*" >&2; }

# Grows the tickets step by step and measures after each; $1 names the store.
measure() {
  local store=$1 dispatch_db=$2 assessment=$3 key=$4
  for add in $STEPS; do
    note "[$store] adding $add tickets, then timing bulletin and annual assessment"
    "$LG" scoring --dispatch-database-url "$dispatch_db" --assessment "$assessment" --jwt-private-key "$key" \
      --year "$year" --add "$add" --reps "$REPS" --label "$store" | tee -a "$out/scoring.jsonl"
  done
}

# --- SQLite: the `up` stack with its demo -------------------------------------------------
mkdir -p "$work/sqlite"
reg_port=$(free_port); dis_port=$(free_port); ass_port=$(free_port); gw_port=$(free_port)
RUST_LOG=warn "$BIN" up --data-dir "$work/sqlite" --registry-listen 127.0.0.1:$reg_port --dispatch-listen 127.0.0.1:$dis_port \
  --assessment-listen 127.0.0.1:$ass_port --gateway-listen 127.0.0.1:$gw_port >/dev/null &
pids+=($!)
wait_healthy "http://127.0.0.1:$gw_port"
measure sqlite "sqlite://$work/sqlite/dispatch.db" "http://127.0.0.1:$ass_port" "$work/sqlite/jwt-private.pem"
for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
wait 2>/dev/null || true
pids=()

# --- Postgres: one database per service -----------------------------------------------------
pg_bin=$(dirname "$(command -v initdb 2>/dev/null || ls -d /usr/lib/postgresql/*/bin/initdb | sort -V | tail -n 1)")
as_pg=()
if [ "$(id -u)" = 0 ]; then chown postgres "$work"; as_pg=(runuser -u postgres --); fi
"${as_pg[@]}" "$pg_bin/initdb" -D "$work/pg" -U postgres -A trust -E UTF8 >/dev/null
pg_port=$(free_port)
"${as_pg[@]}" "$pg_bin/pg_ctl" -D "$work/pg" -l "$work/pg.log" -w \
  -o "-p $pg_port -k $work -c listen_addresses=127.0.0.1 -c shared_buffers=256MB" start >/dev/null
pg="postgres://postgres@127.0.0.1:$pg_port"
for db in registry dispatch assessment; do psql -q "$pg/postgres" -c "CREATE DATABASE $db"; done
"$BIN" keygen --dir "$work/keys" >/dev/null
key=$work/keys/jwt-private.pem
pub=$work/keys/jwt-public.pem
reg_port=$(free_port); dis_port=$(free_port); ass_port=$(free_port); gw_port=$(free_port)
export RUST_LOG=warn
"$BIN" registry --listen 127.0.0.1:$reg_port --database-url "$pg/registry" --jwt-public-key "$pub" --demo &
pids+=($!)
# The registry loads its demo (estates, accounts) before dispatch's demo can read it.
for _ in $(seq 1 100); do (echo > "/dev/tcp/127.0.0.1/$reg_port") 2>/dev/null && break; sleep 0.2; done
sleep 3
token=$("$BIN" token --role county --subject wuguan-dispatch --county demo --days 1 --jwt-private-key "$key")
"$BIN" dispatch --listen 127.0.0.1:$dis_port --database-url "$pg/dispatch" --jwt-public-key "$pub" \
  --registry-url http://127.0.0.1:$reg_port --registry-token "$token" --demo &
pids+=($!)
assessment_token=$("$BIN" token --role county --subject wuguan-assessment --county demo --days 1 --jwt-private-key "$key")
"$BIN" assessment --listen 127.0.0.1:$ass_port --database-url "$pg/assessment" --jwt-public-key "$pub" \
  --registry-url http://127.0.0.1:$reg_port --dispatch-url http://127.0.0.1:$dis_port --service-token "$assessment_token" --demo &
pids+=($!)
"$BIN" gateway --listen 127.0.0.1:$gw_port --registry-url http://127.0.0.1:$reg_port --dispatch-url http://127.0.0.1:$dis_port \
  --assessment-url http://127.0.0.1:$ass_port --jwt-private-key "$key" &
pids+=($!)
wait_healthy "http://127.0.0.1:$gw_port"
measure postgres "$pg/dispatch" "http://127.0.0.1:$ass_port" "$key"

python3 bench/report.py > BENCHMARKS.md
note "wrote BENCHMARKS.md"
