"""Time the editing commands (new, log, move, set) and the round-trip splicer on a generated repo.

Usage: python benchmarks/editing.py [REPO]   (default benchmarks/data/L; make it with
`python benchmarks/generate.py --size L`). The repo is copied to a temporary folder first.
"""

from __future__ import annotations

import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

from click.testing import CliRunner
from dealbook.cli import cli
from dealbook.editing import roundtrip


def timed(label: str, repo: str, *args: str, repeat: int = 3) -> None:
    runs = []
    for _ in range(repeat):
        start = time.perf_counter()
        result = CliRunner().invoke(cli, ["--repo", repo, "--today", "2024-06-30", *args], input="y\n")
        runs.append(time.perf_counter() - start)
        if result.exit_code not in (0, 1):
            print(result.output)
            raise SystemExit(f"{label}: exit {result.exit_code}")
    print(f"{label:<48} median {statistics.median(runs):6.3f} s  (runs: {', '.join(f'{r:.3f}' for r in runs)})")


def main() -> None:
    source = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "data", "L")
    work = tempfile.mkdtemp(prefix="dealbook-edit-bench-")
    repo = os.path.join(work, "repo")
    shutil.copytree(source, repo, ignore=shutil.ignore_patterns(".git"))
    customers = sorted(os.listdir(os.path.join(repo, "records", "customers")))
    files = sum(len(f) for _, _, f in os.walk(os.path.join(repo, "records")))
    print(f"{len(customers)} customers, {files} record files")
    first = customers[0][:-5]
    folder = Path(repo, "records", "customers")
    owner = next(line.split(":", 1)[1].strip()
                 for line in (folder / customers[0]).read_text(encoding="utf-8").splitlines()
                 if line.startswith("owner:"))

    CliRunner().invoke(cli, ["--repo", repo, "check", "-q"])  # warm the parse cache
    timed("log ID (warm cache)", repo, "log", first, "-s", "bench", "--by", owner, "--at", "2024-06-30 10:00")
    timed("set ID field=value", repo, "set", first, "need.budget.max=900000")
    timed("new customer", repo, "new", "customer", "--name", "基准测试有限公司", "--industry", "C3970",
          "--region", "广东 深圳", "--owner", owner, "--channel", "referral", "--contact", "王总,总经理,decision_maker",
          "--no-interactive")
    timed("move ID lost --dry-run", repo, "move", first, "lost", "--reason", "timing", "--dry-run")
    bulk = sum(1 for name in customers if f"owner: {owner}\n" in (folder / name).read_text(encoding="utf-8"))
    timed(f"set --where owner={owner} ({bulk} files) --dry-run", repo, "set", "--where", f"owner={owner}",
          "tags=bench", "--dry-run", repeat=1)

    texts = [(folder / name).read_text(encoding="utf-8") for name in customers[:1000]]
    start = time.perf_counter()
    for text in texts:
        doc = roundtrip.loads(text)
        doc.set("owner", "someone")
        doc.append("stage_history", {"stage": "lost", "on": "2030-01-01"})
    elapsed = time.perf_counter() - start
    label = "roundtrip: set + append on 1,000 files"
    print(f"{label:<48} {elapsed:6.3f} s  ({elapsed / len(texts) * 1000:.2f} ms a file)")
    shutil.rmtree(work)


if __name__ == "__main__":
    main()
