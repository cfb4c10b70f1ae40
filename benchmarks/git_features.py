"""Time the git features on a generated repo with history, and print a table.

    python benchmarks/git_features.py                    # L with 1,000 commits, generated if missing
    python benchmarks/git_features.py --size S --commits 200

Measured (each in a fresh `dealbook` process, as a user runs it):
  cold check        `dealbook check` of the working tree, parse cache removed (the 1.5x yardstick)
  at-rev funnel     `dealbook --at HEAD~N funnel` with the blob cache removed, then warm
  diff N apart      `dealbook diff HEAD~N HEAD --format json`: every cache removed (cold); the
                    review cache removed (the first review of a day: sides are per day); warm
  change log        `git.history.customer_changelog` (every customer, one git log pass)
  first commits     `git.history.first_commit_times`
Targets (issue 6, L with 1,000 commits): diff of revisions 500 commits apart <= 2 s; change log
of every customer <= 5 s; --at replay of funnel <= 1.5x a cold check of the working tree.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import resource
import shutil
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)


CPU: list[float] = []  # CPU seconds (user + system, children included) of the last measurement


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def dealbook(repo: str, *args: str) -> float:
    """Seconds one `dealbook` process takes (output discarded; a failure stops the benchmark)."""
    start, cpu = time.perf_counter(), _children_cpu()
    done = subprocess.run([sys.executable, "-m", "dealbook", "--repo", repo, *args], capture_output=True, text=True)
    took = time.perf_counter() - start
    CPU.append(_children_cpu() - cpu)
    if done.returncode not in (0, 1):
        raise SystemExit(f"dealbook {' '.join(args)} failed:\n{done.stderr}")
    return took


def python(code: str) -> tuple[float, str]:
    """Seconds a fresh interpreter takes to run `code` (import included), and what it printed."""
    start, cpu = time.perf_counter(), _children_cpu()
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    took = time.perf_counter() - start
    CPU.append(_children_cpu() - cpu)
    return took, done.stdout.strip()


def forget(repo: str, name: str) -> None:
    with contextlib.suppress(FileNotFoundError):
        os.unlink(os.path.join(repo, ".dealbook-cache", name))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", default="L")
    parser.add_argument("--commits", type=int, default=1000)
    parser.add_argument("--apart", type=int, default=500, help="commits between the two revisions diffed")
    parser.add_argument("--regenerate", action="store_true")
    options = parser.parse_args()
    repo = os.path.join(HERE, "data", f"{options.size}-c{options.commits}")
    if options.regenerate or not os.path.isdir(os.path.join(repo, ".git")):
        subprocess.run([sys.executable, os.path.join(HERE, "generate.py"), "--size", options.size,
                        "--commits", str(options.commits), "--out", repo], check=True)
    files = sum(len(f) for _, _, f in os.walk(os.path.join(repo, "records")))
    base = f"HEAD~{options.apart}"
    changed = subprocess.run(["git", "diff", "--name-only", base, "HEAD", "--", "records"], cwd=repo,
                             capture_output=True, text=True, check=True).stdout.count("\n")
    print(f"load average {os.getloadavg()[0]:.1f}; repo {repo}: {files:,} record files, {options.commits} commits; "
          f"{changed:,} files differ between {base} and HEAD; {os.cpu_count()} cores")
    rows: list[tuple[str, float, str]] = []

    shutil.rmtree(os.path.join(repo, ".dealbook-cache"), ignore_errors=True)
    cold_check = dealbook(repo, "check", "--quiet")
    rows.append(("cold check (working tree)", cold_check, "yardstick"))
    forget(repo, "blobs.sqlite")
    head_at = dealbook(repo, "--at", "HEAD", "funnel", "--period", "all")
    rows.append(("--at HEAD funnel, cold", head_at, f"{head_at / cold_check:.2f}x cold check (target <= 1.5x)"))
    forget(repo, "blobs.sqlite")
    cold_at = dealbook(repo, "--at", base, "funnel", "--period", "all")
    rows.append((f"--at {base} funnel, cold", cold_at, f"{cold_at / cold_check:.2f}x cold check (target <= 1.5x)"))
    warm_at = dealbook(repo, "--at", base, "funnel", "--period", "all")
    rows.append((f"--at {base} funnel, warm", warm_at, f"{warm_at / cold_check:.2f}x cold check"))
    near = dealbook(repo, "--at", f"HEAD~{options.apart - 1}", "funnel", "--period", "all")
    rows.append((f"--at HEAD~{options.apart - 1} funnel (1 commit on)", near, "re-parses only the differing blobs"))

    for name in ("blobs.sqlite", "review.sqlite", "names.marshal", "duplicates.marshal"):
        forget(repo, name)
    cold_diff = dealbook(repo, "diff", base, "HEAD", "--format", "json")
    rows.append((f"diff {base} HEAD, cold", cold_diff, "every cache removed"))
    forget(repo, "review.sqlite")
    day_diff = dealbook(repo, "diff", base, "HEAD", "--format", "json")
    rows.append((f"diff {base} HEAD, first of the day", day_diff, "parse cache warm, review sides cold"))
    warm_diff = dealbook(repo, "diff", base, "HEAD", "--format", "json")
    rows.append((f"diff {base} HEAD, warm", warm_diff, "target <= 2 s"))
    small = dealbook(repo, "diff", "HEAD~5", "HEAD", "--format", "markdown")
    rows.append(("diff HEAD~5 HEAD (a typical PR)", small, ""))

    for state in ("cold", "warm"):
        if state == "cold":
            forget(repo, "log.marshal")
            forget(repo, "tracked.marshal")
        took, out = python("from dealbook.git.history import customer_changelog as c; "
                           f"log = c({repo!r}); print(len(log), sum(map(len, log.values())))")
        customers, entries = out.split()
        rows.append((f"change log of every customer, {state}", took,
                     f"{int(customers):,} customers, {int(entries):,} entries (target <= 5 s)"))
    took, out = python(f"from dealbook.git.history import first_commit_times as f; print(len(f({repo!r})))")
    rows.append(("first commit time of every file", took, f"{int(out):,} paths"))

    print(f"load average at the end {os.getloadavg()[0]:.1f}")
    width = max(len(r[0]) for r in rows)
    print(f"{'':<{width}}     wall      CPU")
    for (name, seconds, note), cpu in zip(rows, CPU, strict=True):
        print(f"{name:<{width}}  {seconds:7.2f} s {cpu:7.2f} s  {note}")


if __name__ == "__main__":
    main()
