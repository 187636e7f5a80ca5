"""Writes BENCHMARKS.md from bench/results/results.jsonl (complaint intake, bench/run.sh) and
bench/results/scoring.jsonl (bulletin and annual assessment as the town grows, bench/scoring.sh),
one JSON object per run."""
import json
import os
import platform

here = os.path.join(os.path.dirname(os.path.abspath(__file__)), "results")


def records(name):
    path = os.path.join(here, name)
    if not os.path.exists(path):
        return []
    return [json.loads(line) for line in open(path) if line.strip().startswith("{")]


import sys

if len(sys.argv) == 3 and sys.argv[1] == "--quick":
    # bench/run.sh --quick: the two peak ratios per store, for a commit message.
    quick = {r["label"]: r for r in (json.loads(l) for l in open(sys.argv[2]) if l.strip().startswith("{"))}
    for store in ("postgres", "sqlite"):
        base, grpc, http = (quick.get(f"{store}-{k}") for k in ("baseline", "grpc-peak", "http-peak"))
        if not (base and grpc and http):
            print(f"{store}: incomplete quick run")
            continue
        print(f"{store}: baseline {base['throughput']:.0f}/s, gRPC {grpc['throughput']:.0f}/s = "
              f"{grpc['throughput'] / base['throughput']:.2f}x baseline (target 0.5x), gateway {http['throughput']:.0f}/s = "
              f"{http['throughput'] / grpc['throughput']:.2f}x gRPC (target 0.6x); exactly once: "
              f"{'yes' if grpc['exactly_once'] and http['exactly_once'] else 'NO'}")
    sys.exit(0)

runs = {r["label"]: r for r in records("results.jsonl")}
meta = runs.get("postgres-baseline", {})
concurrency, seconds = meta.get("concurrency", "?"), meta.get("seconds", "?")


def ratio(a, b):
    return a / b if b else float("nan")


def verdict(ok):
    return "meets" if ok else "**misses**"


out = []
out.append("# Benchmarks: complaint intake\n")
out.append(
    f"Measured by `bench/run.sh` on {meta.get('date', 'an earlier run')} ({platform.machine()}, 2 cores shared by "
    f"the load generator, the services and the database), concurrency {concurrency}, {seconds} s per run. "
    "Absolute numbers drift on these machines; the ratios are what the targets are about, and each "
    "ratio compares two measurements taken in the same run.\n"
)
out.append(
    "Closed loop (fixed concurrency) finds the peak. Open loop (fixed rate) measures latency from each "
    "request's scheduled start, so queueing behind a slow server is counted (no coordinated omission). "
    "After every run the load generator lists the tickets it created and checks that each acknowledged "
    "complaint exists exactly once.\n"
)
for store in ("postgres", "sqlite"):
    base = runs.get(f"{store}-baseline")
    peak = runs.get(f"{store}-grpc-peak")
    http = runs.get(f"{store}-http-peak")
    half = runs.get(f"{store}-grpc-half")
    double = runs.get(f"{store}-grpc-double")
    if not (base and peak and http and half and double):
        out.append(f"\n## {store}\n\nincomplete run: {sorted(k for k in runs if k.startswith(store))}\n")
        continue
    tool = "pgbench, same rows, same concurrency, fsync and synchronous_commit on" if store == "postgres" else \
        "sqlx inserts of the same rows, same concurrency, WAL + synchronous=FULL"
    out.append(f"\n## {store.capitalize()}\n")
    out.append(f"Baseline: {tool}: **{base['throughput']:.0f} intakes/s**.\n")
    out.append("| run | throughput /s | p50 ms | p99 ms | p99.9 ms | refused | failed | exactly once |")
    out.append("|---|---|---|---|---|---|---|---|")
    for name, r in (("gRPC, closed loop", peak), ("HTTP via gateway, closed loop", http),
                    ("gRPC, open loop at ½ peak", half), ("gRPC, open loop at 2× peak", double)):
        out.append(f"| {name} | {r['throughput']:.0f} | {r['p50_ms']:.1f} | {r['p99_ms']:.1f} | {r['p999_ms']:.1f} "
                   f"| {r['refused']} | {r['failed']} | {'yes' if r['exactly_once'] else 'NO'} |")
    g = ratio(peak["throughput"], base["throughput"])
    h = ratio(http["throughput"], peak["throughput"])
    tail = ratio(half["p99_ms"], half["p50_ms"])
    keep = ratio(double["throughput"], peak["throughput"])
    out.append("")
    out.append("| target | measured | |")
    out.append("|---|---|---|")
    out.append(f"| gRPC intake ≥ 0.5 × baseline | {g:.2f} × | {verdict(g >= 0.5)} |")
    out.append(f"| gateway ≥ 0.6 × gRPC | {h:.2f} × | {verdict(h >= 0.6)} |")
    out.append(f"| at ½ peak, p99 ≤ 10 × p50 | {tail:.1f} × | {verdict(tail <= 10)} |")
    out.append(f"| at 2× peak offered, success ≥ 0.8 × peak | {keep:.2f} × | {verdict(keep >= 0.8)} |")
    out.append(f"| refusals within the 2 s deadline | slowest {double['slowest_refusal_ms']:.0f} ms "
               f"({double['refused']} refused) | {verdict(double['slowest_refusal_ms'] <= 2000)} |")
    if double["failed"]:
        out.append(f"\nAt twice the peak, {double['failed']} submissions ran past their 2 s deadline without an answer "
                   "(neither acknowledged nor refused); none was lost or doubled: the exactly-once check covers them.")
    if store == "sqlite" and base.get("p99_ms"):
        half_tail = ("at half the peak the tail stays short" if tail <= 10 else
                     f"this run the tail reached the half-peak run too (p99 {half['p99_ms']:.0f} ms against a p50 of "
                     f"{half['p50_ms']:.1f} ms): checkpoints stall the single writer even below the peak")
        out.append(f"\nSQLite's own tail is long under write contention (the baseline's p99 is {base['p99_ms']:.0f} ms: "
                   f"WAL checkpoints and the single writer), and the closed-loop tail follows it; {half_tail}.")
out.append("\nReproduce: `bench/run.sh` (`BENCH_CONCURRENCY`, `BENCH_SECONDS` to change the shape); "
           "`bench/run.sh --quick` prints the two peak ratios per store in under two minutes.\n")
out.append(
    "### What each fix bought\n\n"
    "Full runs on 2026-12-03, minutes apart on the same machine (ratios, since the baselines "
    "drift between runs):\n\n"
    "| change | Postgres gRPC ÷ pgbench | gateway ÷ gRPC | ½-peak p50 | 2× peak goodput | SQLite gRPC ÷ baseline |\n"
    "|---|---|---|---|---|---|\n"
    "| before (0941fc2) | 0.17 × | 0.53 × | 2,065 ms (queued) | 0.01 × | 0.46 × |\n"
    "| possible-repeat lookup on an index (e881d4f, dispatch migration 0004) | 0.38 × | 0.63 × | 15.5 ms | 0.57 × | 0.49 × |\n"
    "| … planned per call, id in the index (0ab2553) | 0.54 × | 0.88 × | 3.3 ms | 1.18 × | 0.46 × |\n\n"
    "The repeat lookup (an open ticket about the same estate and category within a week) used the "
    "town-and-time index and filtered the town's whole last week, so every intake read more rows "
    "as the run's tickets accumulated. With `tickets (estate_id, category, created_at, id)` "
    "it reads that estate's and category's rows only (EXPLAIN ANALYZE with 100,000 tickets stored: "
    "1,918 rows and 1.3 ms → 2 rows and 0.12 ms). SQLite, with its single writer, was bound elsewhere. "
    "Even with the index, Postgres kept a cached generic plan for the prepared lookup, chosen while the "
    "table was small: pg_stat_statements under load showed it reading 1,552 pages per intake; planned per "
    "call (unprepared) it reads 6 (0.03 ms). Found with pg_stat_statements (`shared_preload_libraries`) and "
    "`perf record -a` during a loadgen run: Postgres took 65 % of the CPU, most of it in that scan. These runs start from the demo's tickets only; the shape of #13 (100,000 stored, a burst on one estate) is not measured yet.\n"
)

scoring = records("scoring.jsonl")
out.append("# Benchmarks: bulletin and annual assessment as the town grows\n")
if not scoring:
    out.append("Not measured yet: run `bench/scoring.sh`.\n")
else:
    out.append(
        f"Measured by `bench/scoring.sh` on {scoring[0].get('date', 'an earlier run')}. The town's tickets grow to "
        "about 1 k, 10 k, 100 k and 1 M, spread over the assessed year (copies of the demo tickets written straight "
        "into dispatch's database). After each step, in the same run: the **baseline** is the database alone "
        "aggregating the year's tickets per unit (one `GROUP BY` over the same rows); the **bulletin** is "
        "`GetBulletin` for November of that year (this month and the previous one, every subject kind); the "
        "**annual** is `GetAssessment` for the year (with the creation targets from the registry). Each time is "
        f"the median of {scoring[0].get('reps', '?')} calls after a warm-up.\n"
    )
    out.append(
        "Dispatch aggregates in its database (`TallyTickets`), so what crosses the wire is one row per unit or "
        "estate, not one per ticket: the cost should follow the baseline's scan, not exceed it by a growing factor.\n"
    )
    for store in ("postgres", "sqlite"):
        rows = [r for r in scoring if r["label"] == store]
        if not rows:
            continue
        out.append(f"\n## {store.capitalize()}\n")
        out.append("| tickets | baseline ms | bulletin ms | annual ms | bulletin ÷ baseline | annual ÷ baseline "
                   "| annual growth vs first row |")
        out.append("|---|---|---|---|---|---|---|")
        first = rows[0]
        for r in rows:
            out.append(f"| {r['tickets']:,} | {r['baseline_ms']:.1f} | {r['bulletin_ms']:.1f} | {r['annual_ms']:.1f} "
                       f"| {ratio(r['bulletin_ms'], r['baseline_ms']):.1f} × "
                       f"| {ratio(r['annual_ms'], r['baseline_ms']):.1f} × "
                       f"| {ratio(r['annual_ms'], first['annual_ms']):.1f} × for "
                       f"{ratio(r['tickets'], first['tickets']):.0f} × the tickets |")
    out.append(
        "\nReading it: both grow linearly with the tickets (the period's rows are scanned once), and the "
        "bulletin, which reads two months, stays a fraction of the year's scan. The annual assessment costs "
        "about the bare scan on SQLite and about twice it on Postgres, where the one aggregate counts ten "
        "conditions per (unit, estate). That aggregate runs unprepared: as a cached prepared statement, "
        "Postgres switched to a generic plan after five runs (planned without the period's bounds), "
        "which made the year 14× the baseline at 1 M tickets. If a county's year outgrows a few hundred "
        "milliseconds, the next step is counting per day as tickets change (a summary table).\n"
    )
    out.append("\nReproduce: `bench/scoring.sh` (`SCORING_STEPS`, `SCORING_REPS` to change the shape).\n")
print("\n".join(out))
