#!/usr/bin/env python3
"""CPU spent per acknowledged complaint, by process: where the two shared cores go.

  cpu.py snapshot NAME=PID ...          prints {"NAME": cpu seconds} now (user + system, every
                                        thread); NAME=postgres sums every `postgres` process
  cpu.py attach BEFORE.json AFTER.json LOADGEN_TIME
                                        reads the loadgen's JSON result line on stdin, adds
                                        "cpu_us_per_ok": {NAME: µs per acknowledged complaint}
                                        (the load generator's own from /usr/bin/time -f '%U %S')
                                        and prints it again

With both cores busy, throughput is about 2 cores ÷ the sum of these: a path that costs more CPU
per complaint in any process (the gateway's extra hop, a heavier HTTP client) serves fewer.
"""
import json
import os
import sys

TICKS = os.sysconf("SC_CLK_TCK")


def seconds_of(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    # utime and stime are fields 14 and 15 of stat; after the ")" they are the 12th and 13th.
    return (int(fields[11]) + int(fields[12])) / TICKS


def postgres_pids():
    for pid in os.listdir("/proc"):
        if pid.isdigit():
            try:
                with open(f"/proc/{pid}/comm") as f:
                    if f.read().strip() == "postgres":
                        yield pid
            except OSError:
                pass


def snapshot(pairs):
    out = {}
    for pair in pairs:
        name, _, pid = pair.partition("=")
        if name == "postgres":
            out[name] = sum(seconds_of(p) for p in postgres_pids())
        else:
            out[name] = seconds_of(pid)
    print(json.dumps(out))


def attach(before_path, after_path, loadgen_time_path):
    before = json.load(open(before_path))
    after = json.load(open(after_path))
    user, system = open(loadgen_time_path).read().split()[-2:]
    line = sys.stdin.readline()
    result = json.loads(line)
    ok = max(result.get("ok", 0), 1)
    per_ok = {name: (after[name] - before[name]) * 1e6 / ok for name in before}
    per_ok["loadgen"] = (float(user) + float(system)) * 1e6 / ok
    result["cpu_us_per_ok"] = {name: round(us, 1) for name, us in per_ok.items()}
    print(json.dumps(result))


if __name__ == "__main__":
    if sys.argv[1] == "snapshot":
        snapshot(sys.argv[2:])
    elif sys.argv[1] == "attach":
        attach(*sys.argv[2:5])
    else:
        sys.exit(__doc__)
