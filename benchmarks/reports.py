"""Time every report on a large Book, after the Book is loaded; prints seconds per report.

Usage:
    python benchmarks/generate.py --size L                  # once: benchmarks/data/L (helper "demo")
    python benchmarks/reports.py                            # benchmarks/data/L, or a synthetic 10k × 10 Book
    python benchmarks/reports.py --repo benchmarks/data/L-c1000 --period 2024-Q1
Asserts nothing about time; the target is ≤ 1 s per report. Printed first and separately:
git first-commit times (team activity's late entries; one `git log` pass, cached per process)
and the rules' `evaluate` (grades and due dates; memoised on the Book and shared with the
agenda and the site), so each report's figure is its own cost. Each report runs three times: the first run and the
best are printed (a full garbage collection over a 110k-record heap can add a second to any
one run).
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
# keep the script folder off sys.path so no script here can shadow an installed module.
sys.path[:] = [p for p in sys.path if os.path.abspath(p or os.curdir) != HERE]

from dealbook.records.settings import load_settings, today_for  # noqa: E402
from dealbook.reports import REPORTS, SPLITS, run_report  # noqa: E402
from dealbook.reports.periods import parse_period  # noqa: E402


def load(repo: str | None):
    """The Book to measure on, and how long loading it took."""
    began = time.perf_counter()
    if repo:
        from dealbook.checks.reading import open_book

        book = open_book(repo, settings=load_settings(repo))
    else:
        # the in-memory 10k × 10 Book of benchmarks/rules.py
        spec = importlib.util.spec_from_file_location("rules_benchmark", os.path.join(HERE, "rules.py"))
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        book = module.synthetic(10_000, 10)
    return book, time.perf_counter() - began


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    default = os.path.join(HERE, "data", "L")
    parser.add_argument("--repo", default=default if os.path.isdir(default) else None)
    parser.add_argument("--period", default="all", help="2024-05, 2024-Q2, 2024 or all (default)")
    args = parser.parse_args()
    book, seconds = load(args.repo)
    settings = book.settings
    today = today_for(settings)
    period = parse_period(args.period, today=today)
    followups = sum(1 for _ in book.all_followups())
    print(f"book: {args.repo or 'synthetic'} — {len(book.customers):,} customers, {followups:,} follow-ups, "
          f"loaded in {seconds:.2f} s; period {period.label}, today {today}")
    if book.root:
        try:
            from dealbook.git.history import first_commit_times
            from dealbook.git.store import GitStoreError

            began = time.perf_counter()
            times = first_commit_times(book.root)
            print(f"{'git first-commit times':<34} {time.perf_counter() - began:7.3f} s  ({len(times):,} paths)")
        except (ImportError, GitStoreError) as exc:
            print(f"git first-commit times: skipped ({exc})")
    from dealbook.git.history import recorded_times
    from dealbook.rules.state import evaluate

    began = time.perf_counter()
    evaluate(book, today)  # memoised on the Book: team-activity reuses it, as the site and agenda do
    print(f"{'rules evaluate (cold, shared)':<34} {time.perf_counter() - began:7.3f} s")
    worst = 0.0
    for name in REPORTS:
        for by in [None, *(b for b in SPLITS.get(name, ()) if b and b != SPLITS[name][0])]:
            runs = []
            for _ in range(3):
                began = time.perf_counter()
                report = run_report(name, book, period, today, by=by, recorded=recorded_times)
                runs.append(time.perf_counter() - began)
            worst = max(worst, runs[0])
            label = name + (f" --by {by}" if by else "")
            print(f"{label:<34} {runs[0]:7.3f} s  best of 3 {min(runs):7.3f} s  ({len(report.rows)} rows)")
    print(f"{'slowest report (first run)':<34} {worst:7.3f} s")


if __name__ == "__main__":
    main()
