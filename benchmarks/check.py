"""Time `dealbook check` on generated repos against a bare libyaml parse, and print a table.

    python benchmarks/check.py                 # sizes L and S, generated if missing
    python benchmarks/check.py --size S --regenerate

Measured per size:
  bare parse   one process, yaml.load(CSafeLoader) of every record file (no checks at all)
  cold check   `dealbook check` with the parse cache removed (all cores)
  warm check   the same again, nothing changed (the cache answers)
  one file     `dealbook check <one customer file>` with a warm cache (the pre-commit case)
  CPU          user + sys seconds of the run's processes (the machine may be shared)
  peak RSS     the largest resident set of any one process of the cold check (`/usr/bin/time -v`
               when present, else getrusage of the children)
Targets (issue 2, for L on 2 cores): cold ≤ bare parse, warm ≤ 1 s, one file ≤ 0.5 s, memory ≤ 500 MB.
"""

from __future__ import annotations

import argparse
import os
import re
import resource
import shutil
import subprocess
import sys
import time

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import generate  # noqa: E402

TIME = "/usr/bin/time"


def dealbook_command() -> list[str]:
    found = shutil.which("dealbook", path=os.path.dirname(sys.executable) + os.pathsep + os.environ.get("PATH", ""))
    return [found] if found else [sys.executable, "-m", "dealbook"]


def bare_parse(repo: str) -> tuple[float, float, int]:
    """(wall seconds, CPU seconds, files) to parse every record file with libyaml in this one process."""
    paths = sorted(generate.iter_files(repo))
    began, cpu = time.perf_counter(), time.process_time()
    for path in paths:
        with open(path, "rb") as handle:
            yaml.load(handle, Loader=yaml.CSafeLoader)
    return time.perf_counter() - began, time.process_time() - cpu, len(paths)


def run_check(repo: str, *paths: str) -> tuple[float, float, int, int | None, str]:
    """(wall seconds, CPU seconds, exit code, peak RSS in KB or None, last output line) of one `dealbook check`."""
    command = [*dealbook_command(), "--repo", repo, "check", *paths]
    timed = os.path.exists(TIME)
    if timed:
        command = [TIME, "-v", *command]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    began = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True)
    took = time.perf_counter() - began
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    peak = None
    if timed:
        found = re.search(r"Maximum resident set size \(kbytes\): (\d+)", done.stderr)
        peak = int(found.group(1)) if found else None
    else:
        peak = after.ru_maxrss if after.ru_maxrss > before.ru_maxrss else None
    lines = [line for line in (done.stdout + done.stderr).splitlines()
             if line.strip() and not line.startswith("\t") and "Command being timed" not in line]
    summary = next((line for line in reversed(lines) if "error" in line), lines[-1] if lines else "")
    return took, cpu, done.returncode, peak, summary.strip()


def measure(size: str, regenerate: bool) -> dict:
    repo = generate.default_out(size, 0)
    if regenerate or not os.path.exists(os.path.join(repo, "records")):
        print(f"generating {size} …", flush=True)
        generate.generate(repo, generate.parse_size(size))
    bare = bare_parse(repo)
    files = bare[2]
    shutil.rmtree(os.path.join(repo, ".dealbook-cache"), ignore_errors=True)
    cold = run_check(repo)
    warm = run_check(repo)
    one_file = sorted(os.listdir(os.path.join(repo, "records", "customers")))[files % 7]
    one = run_check(repo, os.path.join(repo, "records", "customers", one_file))
    return {"size": size, "files": files, "bare": bare[:2], "cold": cold[:2], "warm": warm[:2], "one": one[:2],
            "peak_mb": cold[3] / 1024 if cold[3] else None, "codes": (cold[2], warm[2], one[2]),
            "summary": cold[4], "load": os.getloadavg()[0]}


def _pair(times: tuple[float, float]) -> str:
    return f"{times[0]:.2f} ({times[1]:.2f})"


def print_table(rows: list[dict]) -> None:
    print()
    print("seconds: wall (CPU: user + sys of every process)")
    print(f"{'size':<5} {'files':>7} {'bare parse':>14} {'cold check':>14} {'warm':>12} {'one file':>12} "
          f"{'peak RSS':>9} {'load':>5}  exit codes  result")
    for r in rows:
        peak = f"{r['peak_mb']:.0f} MB" if r["peak_mb"] else "n/a"
        print(f"{r['size']:<5} {r['files']:>7} {_pair(r['bare']):>14} {_pair(r['cold']):>14} {_pair(r['warm']):>12} "
              f"{_pair(r['one']):>12} {peak:>9} {r['load']:>5.1f}  {','.join(map(str, r['codes'])):<10}  "
              f"{r['summary']}")
    print(f"\n{os.cpu_count()} cores (load = 1-minute load average after the run: on a shared machine compare CPU "
          "seconds); targets for L: cold ≤ bare parse, warm ≤ 1 s, one file ≤ 0.5 s, ≤ 500 MB")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0],
                                     epilog="Example: python benchmarks/check.py --size S")
    parser.add_argument("--size", action="append", help="S, M, L or a number (repeatable; default L and S)")
    parser.add_argument("--regenerate", action="store_true", help="regenerate the data even if present")
    args = parser.parse_args(argv)
    rows = [measure(size, args.regenerate) for size in (args.size or ["L", "S"])]
    print_table(rows)
    return 0 if all(code == 0 for r in rows for code in r["codes"]) else 1


if __name__ == "__main__":
    raise SystemExit(main())
