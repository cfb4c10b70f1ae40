"""Time the rules on a large Book: `evaluate` (cold and memoised), the agenda, and the customers rows.

Usage:
    python benchmarks/rules.py                      # a synthetic 10k × 10 Book built in memory
    python benchmarks/rules.py --repo benchmarks/data/L   # a repo from benchmarks/generate.py --size L
Prints figures; asserts nothing about time.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import time

from dealbook.records.book import Book
from dealbook.records.settings import default_settings


def synthetic(customers: int, followups: int, seed: int = 7) -> Book:
    """A Book of `customers` × `followups` plausible records, built without touching disk."""
    rng = random.Random(seed)
    stages = ["lead", "discovery", "proposal", "negotiation", "won", "after_sales", "lost"]
    records = []
    start = dt.date(2023, 1, 1)
    for i in range(customers):
        cid = f"粤IT2023{i:05d}"
        created = start + dt.timedelta(days=rng.randrange(400))
        stage = rng.choice(stages)
        data = {
            "id": cid, "name": f"客户{i}", "owner": rng.choice(["zhang", "li", "chen"]), "stage": stage,
            "created": created.isoformat(), "region": "广东 深圳", "industry": "I6510",
            "contacts": [{"name": "王总监", "title": "技术总监", "role": "decision_maker"},
                         {"name": "李经理", "title": "生产部经理", "role": "influencer"}],
            "need": {"summary": "质检", "budget": {"status": rng.choice(["clear", "partial", "undetermined"])},
                     "timeline": {"start": (created + dt.timedelta(days=rng.randrange(30, 300))).isoformat()}},
        }
        if stage in ("won", "after_sales"):
            data["contracts"] = [{"no": f"HT{i}", "amount": rng.randrange(50_000, 900_000),
                                  "signed": (created + dt.timedelta(days=60)).isoformat(),
                                  "delivered": (created + dt.timedelta(days=90)).isoformat()}]
        records.append((f"records/customers/{cid}.yaml", data))
        day = created
        for n in range(followups):
            day += dt.timedelta(days=rng.randrange(1, 12))
            fu = {"customer": cid, "at": f"{day.isoformat()} 10:{n:02d}",
                  "method": rng.choice(["phone", "visit", "im"]),
                  "by": "zhang", "summary": "跟进", "contact": rng.choice(["王总监", "李经理"]),
                  "outcome": rng.choice(["held", "held", "held", "no_answer", "missed"]),
                  "next": [{"action": "回访", "due": (day + dt.timedelta(days=5)).isoformat()}]}
            records.append((f"records/followups/{cid}/{day.isoformat()}-10{n:02d}.yaml", fu))
    return Book(default_settings(), records)


def timed(label: str, work):
    """Run `work`, print wall-clock and CPU seconds (CPU time is the steadier figure on a busy machine)."""
    began, cpu = time.perf_counter(), time.process_time()
    result = work()
    print(f"{label:<40} {time.perf_counter() - began:8.3f} s wall {time.process_time() - cpu:8.3f} s cpu")
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repo", help="a records repo (e.g. made by benchmarks/generate.py --size L)")
    parser.add_argument("--customers", type=int, default=10_000)
    parser.add_argument("--followups", type=int, default=10)
    parser.add_argument("--today", default="2024-06-30")
    args = parser.parse_args()
    today = dt.date.fromisoformat(args.today)
    if args.repo:
        from dealbook.checks.reading import open_book
        from dealbook.records.settings import load_settings

        settings = load_settings(args.repo)
        book = timed("open_book (warm cache if run before)", lambda: open_book(args.repo, settings=settings))
    else:
        book = timed(f"build synthetic Book {args.customers}×{args.followups}",
                     lambda: synthetic(args.customers, args.followups))
    n_follow = sum(1 for _ in book.all_followups())
    print(f"customers: {len(book.customers)}, follow-ups: {n_follow}")

    from dealbook.rules.state import evaluate

    timed("evaluate (cold)", lambda: evaluate(book, today))
    timed("evaluate (memoised)", lambda: evaluate(book, today))
    timed("evaluate (another day, cold)", lambda: evaluate(book, today + dt.timedelta(days=1)))
    try:
        from dealbook.rules.agenda import agenda_items
    except ImportError:
        return
    items = timed("agenda_items (evaluate memoised)", lambda: agenda_items(book, today))
    print(f"agenda items: {len(items)}")

    from dealbook.cli.commands.customers import customers_view, render_text, select_rows
    from dealbook.text.output import to_json

    rows = timed("customers rows (filter + sort by due)",
                 lambda: select_rows(customers_view(book, today), book.settings, sort="due"))
    timed("customers JSON rendering", lambda: to_json({"customers": rows}))
    timed("customers text table rendering", lambda: render_text(rows))
    if args.repo:
        commands(args.repo, args.today)


def commands(repo: str, today: str) -> None:
    """The whole commands as a user runs them (issue 3 target: ≤ 1.5 s each, warm)."""
    import glob
    import os
    import subprocess
    import sys

    script = os.path.join(os.path.dirname(sys.executable), "dealbook")
    cache = os.path.join(repo, ".dealbook-cache")
    for args in (["customers", "--format", "json"], ["agenda"]):
        for path in glob.glob(os.path.join(cache, "view-*.marshal")) + glob.glob(os.path.join(cache, "book.pickle")):
            os.unlink(path)
        for label in ("first run (Book from the parse cache)", "warm (nothing changed)"):
            start = time.perf_counter()
            subprocess.run([script, "--repo", repo, "--today", today, *args], check=True,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            print(f"{'dealbook ' + ' '.join(args) + ', ' + label:<60}{time.perf_counter() - start:6.2f} s wall")


if __name__ == "__main__":
    main()
