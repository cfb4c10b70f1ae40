"""Time `dealbook check` on generated repos against a bare libyaml parse, and print a table.

    python benchmarks/check.py                 # sizes L and S, generated if missing
    python benchmarks/check.py --size S --regenerate

Measured per size:
  bare parse   one process, yaml.load(CSafeLoader) of every record file (no checks at all)
  cold check   `dealbook check` with the parse cache removed (all cores)
  warm check   the same again, nothing changed (the cache answers)
  one file     `dealbook check <one customer file>` with a warm cache (the pre-commit case)
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


def bare_parse(repo: str) -> tuple[float, int]:
    """Seconds to parse every record file with libyaml in this one process."""
    paths = sorted(generate.iter_files(repo))
    began = time.perf_counter()
    for path in paths:
        with open(path, "rb") as handle:
            yaml.load(handle, Loader=yaml.CSafeLoader)
    return time.perf_counter() - began, len(paths)


def run_check(repo: str, *paths: str) -> tuple[float, int, int | None, str]:
    """(seconds, exit code, peak RSS in KB or None, last output line) of one `dealbook check`."""
    command = [*dealbook_command(), "--repo", repo, "check", *paths]
    timed = os.path.exists(TIME)
    if timed:
        command = [TIME, "-v", *command]
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    began = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True)
    took = time.perf_counter() - began
    peak = None
    if timed:
        found = re.search(r"Maximum resident set size \(kbytes\): (\d+)", done.stderr)
        peak = int(found.group(1)) if found else None
    else:
        after = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        peak = after if after > before else None
    lines = [line for line in (done.stdout + done.stderr).splitlines()
             if line.strip() and not line.startswith("\t") and "Command being timed" not in line]
    summary = next((line for line in reversed(lines) if "error" in line), lines[-1] if lines else "")
    return took, done.returncode, peak, summary.strip()


def measure(size: str, regenerate: bool) -> dict:
    repo = generate.default_out(size, 0)
    if regenerate or not os.path.exists(os.path.join(repo, "records")):
        print(f"generating {size} …", flush=True)
        generate.generate(repo, generate.parse_size(size))
    bare, files = bare_parse(repo)
    shutil.rmtree(os.path.join(repo, ".dealbook-cache"), ignore_errors=True)
    cold, code, peak, summary = run_check(repo)
    warm, warm_code, _, _ = run_check(repo)
    one_file = sorted(os.listdir(os.path.join(repo, "records", "customers")))[files % 7]
    one, one_code, _, _ = run_check(repo, os.path.join(repo, "records", "customers", one_file))
    return {"size": size, "files": files, "bare": bare, "cold": cold, "warm": warm, "one": one,
            "peak_mb": peak / 1024 if peak else None, "codes": (code, warm_code, one_code), "summary": summary}


def print_table(rows: list[dict]) -> None:
    print()
    print(f"{'size':<5} {'files':>7} {'bare parse':>11} {'cold check':>11} {'warm':>7} {'one file':>9} "
          f"{'peak RSS':>9}  exit codes  result")
    for r in rows:
        peak = f"{r['peak_mb']:.0f} MB" if r["peak_mb"] else "n/a"
        print(f"{r['size']:<5} {r['files']:>7} {r['bare']:>10.2f}s {r['cold']:>10.2f}s {r['warm']:>6.2f}s "
              f"{r['one']:>8.2f}s {peak:>9}  {','.join(map(str, r['codes'])):<10}  {r['summary']}")
    print(f"\n{os.cpu_count()} cores; targets for L: cold ≤ bare parse, warm ≤ 1 s, one file ≤ 0.5 s, ≤ 500 MB")


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
