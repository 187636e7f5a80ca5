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


import subprocess
import sys


def ratio(a, b):
    return a / b if b else float("nan")


def verdict(ok):
    return "meets" if ok else "**misses**"


def baseline_label(store, c):
    return f"postgres-baseline-c{c}" if store == "postgres" else f"sqlite-baseline-c{c}"


if len(sys.argv) == 3 and sys.argv[1] == "--quick":
    # bench/run.sh --quick: the concurrency-16 ratios per store, for a commit message.
    quick = {r["label"]: r for r in (json.loads(l) for l in open(sys.argv[2]) if l.strip().startswith("{"))}
    for store in ("postgres", "sqlite"):
        base, grpc, http = (quick.get(k) for k in (baseline_label(store, 16), f"{store}-grpc-c16", f"{store}-http-c16"))
        if not (base and grpc and http):
            print(f"{store}: incomplete quick run")
            continue
        rows = quick.get("postgres-baseline-rows-c16") if store == "postgres" else None
        extra = f", {grpc['throughput'] / rows['throughput']:.2f}x pgbench of an intake's rows" if rows else ""
        print(f"{store} (100k stored, burst, c16): baseline {base['throughput']:.0f}/s, gRPC {grpc['throughput']:.0f}/s "
              f"(p50 {grpc['p50_ms']:.1f} ms) = {grpc['throughput'] / base['throughput']:.2f}x baseline (target 1.0x){extra}; "
              f"gateway {http['throughput']:.0f}/s = {http['throughput'] / grpc['throughput']:.2f}x gRPC (target 0.7x); "
              f"exactly once: {'yes' if grpc['exactly_once'] and http['exactly_once'] else 'NO'}")
        for r in (grpc, http):
            if r.get("cpu_us_per_ok"):
                parts = ", ".join(f"{k} {v:.0f}" for k, v in r["cpu_us_per_ok"].items())
                print(f"  {r['label']} CPU µs per complaint: {parts} (all {sum(r['cpu_us_per_ok'].values()):.0f})")
    sys.exit(0)

commit = sys.argv[1] if len(sys.argv) > 1 else "(unknown commit)"
runs = {r["label"]: r for r in records("results.jsonl")}
concurrencies = sorted({int(k.rsplit("-c", 1)[1]) for k in runs if k.startswith("postgres-grpc-c")})
meta = next((r for r in runs.values() if r.get("tool") == "pgbench"), {})


def machine():
    model = "unknown CPU"
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
        mem = next(int(l.split()[1]) for l in open("/proc/meminfo") if l.startswith("MemTotal")) // (1024 * 1024)
    except (OSError, StopIteration):
        mem = 0
    try:
        pg = subprocess.run(["pgbench", "--version"], capture_output=True, text=True).stdout.strip()
    except OSError:
        pg = "pgbench ?"
    return f"{platform.machine()}, {os.cpu_count()} cores ({model}), {mem} GiB, Linux {platform.release()}, {pg}"


out = []
out.append("# Benchmarks: complaint intake\n")
out.append(
    f"Measured by `bench/run.sh` on {meta.get('date', 'an earlier run')} at commit `{commit}`, on {machine()}; "
    "the load generator, the four services and the database share those cores. Absolute numbers drift on these "
    "machines; the targets are ratios, and each compares two measurements taken in the same run on the same "
    "database server.\n"
)
out.append(
    f"The shape: the demo county with **{runs.get('postgres-preload', {}).get('tickets', '?'):,} tickets already "
    "stored** (a year of copies of the demo tickets), a third of the submissions about one estate's repairs (an "
    "outage) and the rest spread over the town's estates and six categories; gRPC to dispatch with a service "
    "token (the 12345 hotline, a key on every call), HTTP through the gateway with a town-office token. "
    f"{meta.get('seconds', '?')} s per closed-loop run. Closed loop (fixed concurrency) finds the peak; open loop "
    "(fixed rate) measures latency from each request's scheduled start, so queueing is counted (no coordinated "
    "omission). After every run the load generator lists the run's tickets and checks that each acknowledged "
    "complaint exists exactly once.\n"
)


def row(r):
    if not r:
        return "– | – | –"
    return f"{r['throughput']:.0f} | {r['p50_ms']:.1f} | {r['p99_ms']:.1f}"


def cpu_table(store):
    """CPU µs per acknowledged complaint by process (bench/cpu.py), for each closed-loop run:
    with both cores busy, the path that costs more CPU per complaint serves fewer."""
    measured = [(c, t, runs[f"{store}-{t}-c{c}"]) for c in concurrencies for t in ("grpc", "http")
                if runs.get(f"{store}-{t}-c{c}", {}).get("cpu_us_per_ok")]
    if not measured:
        return
    names = list(measured[0][2]["cpu_us_per_ok"])
    out.append("\nCPU per acknowledged complaint, µs, by process (user + system over the run ÷ complaints "
               "acknowledged; `bench/cpu.py`). Two cores give 2,000,000 µs a second to share:\n")
    out.append("| run | " + " | ".join(names) + " | all | 2 cores ÷ all |")
    out.append("|---|" + "---|" * (len(names) + 2))
    for c, t, r in measured:
        us = r["cpu_us_per_ok"]
        total = sum(us.values())
        out.append(f"| {'gRPC' if t == 'grpc' else 'gateway'} c{c} | " + " | ".join(f"{us[n]:.0f}" for n in names)
                   + f" | {total:.0f} | {2e6 / total:.0f} /s (measured {r['throughput']:.0f} /s) |")


all_once = True
for store in ("postgres", "sqlite"):
    out.append(f"\n## {store.capitalize()}\n")
    if not any(k.startswith(f"{store}-grpc-c") for k in runs):
        out.append(f"incomplete run: {sorted(k for k in runs if k.startswith(store))}\n")
        continue
    if store == "postgres":
        out.append("Baselines, same server, fsync and synchronous_commit on: pgbench inserting **one ticket row per "
                   "transaction** (the target's floor) and pgbench inserting **an intake's rows** per transaction "
                   "(the ticket, its two events and its key).\n")
        out.append("| concurrency | pgbench one row /s | pgbench an intake's rows /s |")
        out.append("|---|---|---|")
        for c in concurrencies:
            one, rows_ = runs.get(f"postgres-baseline-c{c}"), runs.get(f"postgres-baseline-rows-c{c}")
            out.append(f"| {c} | {one['throughput']:.0f} | {rows_['throughput']:.0f} |" if one and rows_ else f"| {c} | – | – |")
    else:
        out.append("Baseline: sqlx inserting an intake's rows (ticket, two events, key) per transaction into a "
                   "file of its own, WAL + synchronous=FULL, like dispatch's store.\n")
        out.append("| concurrency | sqlx an intake's rows /s | p50 ms | p99 ms |")
        out.append("|---|---|---|---|")
        for c in concurrencies:
            out.append(f"| {c} | {row(runs.get(f'sqlite-baseline-c{c}'))} |")
    out.append("")
    out.append("| concurrency | gRPC /s | p50 ms | p99 ms | gateway /s | p50 ms | p99 ms | gRPC ÷ baseline "
               + ("| gRPC ÷ intake rows " if store == "postgres" else "") + "| gateway ÷ gRPC | exactly once |")
    out.append("|---|---|---|---|---|---|---|---|" + ("---|" if store == "postgres" else "") + "---|---|")
    for c in concurrencies:
        g, h, b = runs.get(f"{store}-grpc-c{c}"), runs.get(f"{store}-http-c{c}"), runs.get(baseline_label(store, c))
        if not (g and h and b):
            continue
        once = g["exactly_once"] and h["exactly_once"]
        all_once &= once
        extra = ""
        if store == "postgres":
            rows_ = runs.get(f"postgres-baseline-rows-c{c}")
            extra = f"| {ratio(g['throughput'], rows_['throughput']):.2f} × " if rows_ else "| – "
        out.append(f"| {c} | {row(g)} | {row(h)} | {ratio(g['throughput'], b['throughput']):.2f} × {extra}"
                   f"| {ratio(h['throughput'], g['throughput']):.2f} × | {'yes' if once else 'NO'} |")
    cpu_table(store)
    half, double = runs.get(f"{store}-grpc-half"), runs.get(f"{store}-grpc-double")
    long_, big = runs.get(f"{store}-grpc-long"), runs.get(f"{store}-grpc-long-big")
    http_big, wrk = runs.get(f"{store}-http-c16-big"), runs.get(f"{store}-wrk-c16")
    out.append("")
    out.append("| run | throughput /s | p50 ms | p99 ms | p99.9 ms | refused | failed | exactly once |")
    out.append("|---|---|---|---|---|---|---|---|")
    for name, r in (("gRPC, open loop at ½ peak", half), ("gRPC, open loop at 2× peak (2 s deadline)", double),
                    (f"gRPC, c16 for {long_['seconds']:.0f} s" if long_ else "gRPC, long run", long_),
                    (f"gRPC, c16, {runs.get(f'{store}-preload-big', {}).get('tickets', 0):,} stored", big),
                    ("gateway, c16, same", http_big)):
        if r:
            all_once &= r["exactly_once"]
            out.append(f"| {name} | {r['throughput']:.0f} | {r['p50_ms']:.1f} | {r['p99_ms']:.1f} | {r['p999_ms']:.1f} "
                       f"| {r['refused']} | {r['failed']} | {'yes' if r['exactly_once'] else 'NO'} |")
    if wrk:
        h16 = runs.get(f"{store}-http-c16")
        out.append(f"\nCross-check with an independent load generator: wrk (`bench/wrk-intake.lua`, the same shape, 16 "
                   f"connections) got **{wrk['throughput']:.0f} /s** through the gateway (p50 {wrk['p50_ms']:.1f} ms, "
                   f"{wrk['failed']} failed) where wuguan-loadgen got {h16['throughput']:.0f} /s: "
                   f"{ratio(wrk['throughput'], h16['throughput']):.2f} ×.")
    out.append("")
    out.append("| target | measured | |")
    out.append("|---|---|---|")
    for c in (16, 64):
        g, b = runs.get(f"{store}-grpc-c{c}"), runs.get(baseline_label(store, c))
        if g and b:
            x = ratio(g["throughput"], b["throughput"])
            what = "pgbench one row" if store == "postgres" else "sqlx, an intake's rows"
            out.append(f"| gRPC ≥ 1.0 × {what}, concurrency {c} | {x:.2f} × | {verdict(x >= 1.0)} |")
    for c in (16, 64):
        g, h = runs.get(f"{store}-grpc-c{c}"), runs.get(f"{store}-http-c{c}")
        if g and h:
            x = ratio(h["throughput"], g["throughput"])
            out.append(f"| gateway ≥ 0.7 × gRPC, concurrency {c} | {x:.2f} × | {verdict(x >= 0.7)} |")
    one = runs.get(f"{store}-grpc-c1")
    if one:
        out.append(f"| one connection, gRPC p50 ≤ 2 ms | {one['p50_ms']:.2f} ms | {verdict(one['p50_ms'] <= 2.0)} |")
    for name, r in (("", long_), (" with the big history", big)):
        if r and r.get("first_10s"):
            x = ratio(r["last_10s"], r["first_10s"])
            out.append(f"| no decay{name}: last 10 s ≥ 0.9 × first 10 s | {x:.2f} × "
                       f"({r['first_10s']:.0f} → {r['last_10s']:.0f} /s) | {verdict(x >= 0.9)} |")
    if long_ and big:
        x = ratio(big["throughput"], long_["throughput"])
        out.append(f"| the same figures with {runs.get(f'{store}-preload-big', {}).get('tickets', 0):,} stored (≥ 0.9 ×) "
                   f"| {x:.2f} × | {verdict(x >= 0.9)} |")
    if half:
        x = ratio(half["p99_ms"], half["p50_ms"])
        out.append(f"| at ½ peak, p99 ≤ 10 × p50 | {x:.1f} × | {verdict(x <= 10)} |")
    if double and double.get("offered_rate"):
        # The peak the overload was offered from: half its rate (bench/run.sh offers twice it).
        peak = double["offered_rate"] / 2
        x = ratio(double["throughput"], peak)
        overloaded = double["refused"] > 0 or double["failed"] > 0 or double["throughput"] < 1.8 * peak
        out.append(f"| at 2× peak offered ({peak:.0f} /s), goodput ≥ 0.8 × peak | {x:.2f} × | "
                   + (verdict(x >= 0.8) if overloaded else "not an overload: all of it was served (see below)") + " |")
        out.append(f"| refusals within the 2 s deadline | slowest {double['slowest_refusal_ms']:.0f} ms "
                   f"({double['refused']} refused) | {verdict(double['slowest_refusal_ms'] <= 2000)} |")
        if not overloaded:
            out.append(f"\nTwice {peak:.0f} /s did not overload this store: open loop, with no cap on requests in "
                       "flight, it served everything offered (bigger batches), so this run does not test overload.")
        if double["failed"]:
            out.append(f"\nAt twice the peak, {double['failed']} submissions ran past their 2 s deadline without an "
                       "answer (neither acknowledged nor refused); none was lost or doubled: the exactly-once check "
                       "covers them.")
out.append(f"\nEvery acknowledged complaint stored exactly once, in every run: {'yes' if all_once else '**NO**'}.\n")
out.append("Reproduce: `bench/run.sh` (`BENCH_CONCURRENCIES`, `BENCH_SECONDS`, `BENCH_HISTORY`, `BENCH_LONG_SECONDS`, "
           "`BENCH_BIG_HISTORY` change the shape); `bench/run.sh --quick` prints the concurrency-16 ratios per store "
           "in about two minutes.\n")
out.append(open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixes.md")).read())

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
        "Dispatch counts per local day as tickets change (`ticket_day_counts`, kept by triggers in the same "
        "transaction as every ticket write, migration 0005): `TallyTickets` reads at most 365 × (estate, "
        "category, unit) summary rows for the whole days of the period, corrects them for the tickets whose "
        "deadline is still ahead (an index on the later deadline), and counts the tickets themselves only for "
        "part-days at either end. The baseline still scans the year, so its time grows with the tickets; the "
        "assessment's should not.\n"
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
    for store in ("postgres", "sqlite"):
        rows = [r for r in scoring if r["label"] == store]
        if rows:
            last = rows[-1]
            out.append(f"\n{store.capitalize()} at {last['tickets']:,} tickets: the annual assessment takes "
                       f"{last['annual_ms']:.0f} ms, {verdict(last['annual_ms'] < 1000)} the goal of under one "
                       f"second ({ratio(last['annual_ms'], last['baseline_ms']):.2f} × the bare scan of the year).")
    out.append("\nReproduce: `bench/scoring.sh` (`SCORING_STEPS`, `SCORING_REPS` to change the shape).\n")
print("\n".join(out))
