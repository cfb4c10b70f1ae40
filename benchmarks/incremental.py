"""Cost follows the change: time dealbook's commands after 0, 1 and 10 edited follow-ups, before and after.

    python benchmarks/incremental.py --size M --size L
    python benchmarks/incremental.py --size L --before /path/to/old/checkout/tools   # compare two versions
    python benchmarks/incremental.py --repo /tmp/L-c200 --before /tmp/old-tools --after /tmp/new-tools

For each size (a repo from benchmarks/generate.py, made once under benchmarks/data/) and each
version of the code (`--before` and `--after` are folders put first on PYTHONPATH; `--after`
defaults to this checkout's tools/), in separate processes, in this order:

  bare parse      the yardstick: one process, yaml.load(CSafeLoader) of every record file
  cold check      `dealbook check` with .dealbook-cache/ removed (run twice: before each command below)
  one file        `dealbook check records/customers/<one>.yaml` (what pre-commit runs), warm
  first run       `customers` / `agenda` right after a cold check (the parse cache is warm)
  unchanged       the same command again, nothing changed
  1 edit          the same command after one follow-up file was edited (its summary changed)
  10 edits        after ten follow-ups (of ten customers) were edited
  funnel, pipeline  `dealbook funnel` / `dealbook report pipeline` after one edit and unchanged
  --at HEAD~1     `dealbook --at HEAD~1 customers` (and `report pipeline`), first and second run, when
                  the repo has a git history (`--repo` a folder made by `generate.py --commits N`)

Each figure is the median of --repeat runs (first runs: one run): wall seconds and CPU seconds
(user + sys of the command and its children, from getrusage). The machine may be shared, so the
1-minute load average is printed after each version and the cold check is also given as a ratio
of the bare parse measured in the same run. Edits are undone at the end (old bytes written back).
Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import resource
import shutil
import statistics
import subprocess
import sys
import time

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import generate  # noqa: E402

TODAY = "2024-05-20"


def bare_parse(repo: str) -> tuple[float, float]:
    """(wall, CPU) seconds to parse every record file with libyaml in one process."""
    paths = sorted(generate.iter_files(repo))
    began, cpu = time.perf_counter(), time.process_time()
    for path in paths:
        with open(path, "rb") as handle:
            yaml.load(handle, Loader=yaml.CSafeLoader)
    return time.perf_counter() - began, time.process_time() - cpu


class Version:
    """One version of dealbook's code, run as `python -m dealbook` with its tools/ first on PYTHONPATH."""

    def __init__(self, label: str, tools: str) -> None:
        self.label = label
        self.env = {**os.environ, "PYTHONPATH": os.path.abspath(tools), "NO_MKDOCS_2_WARNING": "1",
                    "DEALBOOK_TODAY": TODAY}

    def run(self, repo: str, *args: str) -> tuple[float, float]:
        """(wall, CPU) seconds of one command; exits on an internal error."""
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        began = time.perf_counter()
        done = subprocess.run([sys.executable, "-m", "dealbook", "--repo", repo, *args], env=self.env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        took = time.perf_counter() - began
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        if done.returncode not in (0, 1):
            sys.exit(f"{self.label}: dealbook {' '.join(args)} failed ({done.returncode}):\n{done.stderr[-2000:]}")
        return took, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


class Editor:
    """Edits follow-up files in place (a changed summary line) and puts the old bytes back at the end."""

    def __init__(self, repo: str, seed: int = 5) -> None:
        folder = os.path.join(repo, "records", "followups")
        self.folders = sorted(os.listdir(folder))
        self.root = folder
        self.rng = random.Random(seed)
        self.originals: dict[str, bytes] = {}
        self.count = 0

    def edit(self, n: int) -> None:
        for folder in self.rng.sample(self.folders, n):
            names = sorted(os.listdir(os.path.join(self.root, folder)))
            path = os.path.join(self.root, folder, names[-1])
            with open(path, "rb") as handle:
                raw = handle.read()
            self.originals.setdefault(path, raw)
            self.count += 1
            text, found = re.subn(r"^summary: (.*)$", rf"summary: \1(改 {self.count})", raw.decode(), count=1,
                                  flags=re.M)
            assert found, path
            with open(path, "w", encoding="utf-8") as handle:
                handle.write(text)

    def undo(self) -> None:
        for path, raw in self.originals.items():
            with open(path, "wb") as handle:
                handle.write(raw)
        self.originals.clear()


def median(pairs: list[tuple[float, float]]) -> tuple[float, float]:
    return statistics.median(p[0] for p in pairs), statistics.median(p[1] for p in pairs)


def measure(version: Version, repo: str, repeat: int) -> dict[str, tuple[float, float]]:
    cache = os.path.join(repo, ".dealbook-cache")
    editor = Editor(repo)
    rows: dict[str, tuple[float, float]] = {}
    customers = sorted(os.listdir(os.path.join(repo, "records", "customers")))
    one_file = os.path.join(repo, "records", "customers", customers[7])
    colds = []
    try:
        for command in (["customers", "--format", "json"], ["agenda", "--format", "json"]):
            name = command[0]
            shutil.rmtree(cache, ignore_errors=True)
            colds.append(version.run(repo, "check"))
            if name == "customers":
                version.run(repo, "check", one_file)  # the first one-file check builds what it keeps
                rows["check ONE_FILE"] = median([version.run(repo, "check", one_file) for _ in range(repeat)])
            rows[f"{name}: first run after a cold check"] = version.run(repo, *command)
            rows[f"{name}: nothing changed"] = median([version.run(repo, *command) for _ in range(repeat)])
            one, ten = [], []
            for _ in range(repeat):
                editor.edit(1)
                one.append(version.run(repo, *command))
            for _ in range(repeat):
                editor.edit(10)
                ten.append(version.run(repo, *command))
            rows[f"{name}: 1 edited follow-up"] = median(one)
            rows[f"{name}: 10 edited follow-ups"] = median(ten)
        for command in (["funnel", "--period", "2024", "--format", "json"],
                        ["report", "pipeline", "--format", "json"]):
            label = " ".join(command[:2]) if command[0] == "report" else command[0]
            version.run(repo, *command)
            one, same = [], []
            for _ in range(repeat):
                editor.edit(1)
                one.append(version.run(repo, *command))
                same.append(version.run(repo, *command))
            rows[f"{label}: 1 edited follow-up"] = median(one)
            rows[f"{label}: nothing changed"] = median(same)
        if os.path.isdir(os.path.join(repo, ".git")):
            for command in (["customers", "--format", "json"], ["report", "pipeline", "--format", "json"]):
                label = " ".join(command[:2]) if command[0] == "report" else command[0]
                shutil.rmtree(os.path.join(cache, "at"), ignore_errors=True)
                rows[f"--at HEAD~1 {label}: first run"] = version.run(repo, "--at", "HEAD~1", *command)
                rows[f"--at HEAD~1 {label}: second run"] = median(
                    [version.run(repo, "--at", "HEAD~1", *command) for _ in range(repeat)])
    finally:
        editor.undo()
    rows = {"cold check": median(colds), **rows}
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--size", action="append", help="S, M, L or a number of customers (repeatable; default M)")
    parser.add_argument("--before", help="a tools/ folder of the old code (e.g. a worktree at an older commit)")
    parser.add_argument("--after", default=os.path.join(os.path.dirname(HERE), "tools"),
                        help="a tools/ folder of the new code (default: this checkout's)")
    parser.add_argument("--repeat", type=int, default=3, help="runs per figure (the median is printed)")
    parser.add_argument("--repo", action="append", default=[],
                        help="a generated repo to use as it is (repeatable; e.g. one made with --commits)")
    args = parser.parse_args(argv)
    versions = ([Version("before", args.before)] if args.before else []) + [Version("after", args.after)]
    targets = [(size, generate.default_out(size, 0)) for size in args.size or ([] if args.repo else ["M"])]
    targets += [(os.path.basename(os.path.abspath(r)), r) for r in args.repo]
    for size, repo in targets:
        if not os.path.exists(os.path.join(repo, "records")):
            if repo in args.repo:
                sys.exit(f"{repo} holds no records/: make it with benchmarks/generate.py --out {repo}")
            print(f"generating {size} …", flush=True)
            generate.generate(repo, generate.parse_size(size))
        results, loads, bares = {}, {}, {}
        for version in versions:
            bares[version.label] = bare_parse(repo)  # the yardstick, next to each version's runs
            results[version.label] = measure(version, repo, args.repeat)
            loads[version.label] = os.getloadavg()[0]
        files = sum(1 for _ in generate.iter_files(repo))
        print(f"\n## {size}: {files} files; bare parse (wall / CPU): "
              + ", ".join(f"{k} {b[0]:.2f} / {b[1]:.2f} s" for k, b in bares.items())
              + "; 1-minute load after each version: " + ", ".join(f"{k} {v:.1f}" for k, v in loads.items()))
        print("seconds: wall / CPU (user + sys of the command's processes)\n")
        labels = [v.label for v in versions] + (["CPU after ÷ before"] if len(versions) == 2 else [])
        print("| what | " + " | ".join(labels) + " |")
        print("|---|" + "---|" * len(labels))
        for label in results[versions[-1].label]:
            cells = []
            for version in versions:
                wall, cpu = results[version.label].get(label, (float("nan"), float("nan")))
                cell = f"{wall:.2f} / {cpu:.2f}"
                if label == "cold check":
                    bare = bares[version.label]
                    cell += f" ({wall / bare[0]:.2f}× / {cpu / bare[1]:.2f}× bare)"
                cells.append(cell)
            if len(versions) == 2:
                old_cpu, new_cpu = (results[v.label][label][1] for v in versions)
                cells.append(f"{new_cpu / old_cpu:.2f}×" if old_cpu else "")
            print(f"| {label} | " + " | ".join(cells) + " |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
