"""Time `dealbook check` on a generated repo against its yardsticks, one or two versions back to back.

    python benchmarks/check.py --size L                        # benchmarks/data/L, generated if missing
    python benchmarks/check.py --size L --lookalike            # the look-alike names data set
    python benchmarks/check.py --repo /tmp/L --before /path/to/old/tools --rounds 2 --jsonschema

Measured, per round and per version (`--before` and `--after` are tools/ folders put first on
PYTHONPATH; `--after` defaults to this checkout's), each in its own process:

  bare parse     the yardstick: one process, yaml.load(CSafeLoader) of every record file, no checks
  cold check     `dealbook check` with .dealbook-cache/ removed (all cores), and its peak RSS
  warm check     the same again, nothing changed (the stored result answers)
  one file       `dealbook check <customer file>` unchanged (median of --repeat runs)
  one edited     the same after the file was edited each time (a comment line added: the parse cache
                 misses, as in the pre-commit hook); also for one follow-up file
  check-jsonschema  (with --jsonschema, once a round) the follow-ups alone validated by
                 check-jsonschema against the packaged follow-up schema, in batches that fit a command
                 line; it must be installed (`pip install check-jsonschema`): it is not a dependency

CPU is user + sys of the command and its children (getrusage); peak RSS is the largest resident set of
any one process (`/usr/bin/time -v` when present). The machine may be shared: the 1-minute load is
printed with each round, and the cold check is also given as a ratio of the bare parse of the same
round. Each version's tools/ is byte-compiled first (as an installed package is). Edits are undone
at the end. Prints figures; asserts nothing. Goals (issue 16): one file ≤ 0.3 s; cold check CPU ≤ 1.2×
the bare parse, wall ≤ 0.7×; check-jsonschema on the follow-ups ≥ 10× dealbook's cold check.
"""

from __future__ import annotations

import argparse
import os
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

TIME = "/usr/bin/time"
TODAY = "2024-05-20"


def bare_parse(repo: str) -> tuple[float, float]:
    """(wall, CPU) seconds to parse every record file with libyaml in this one process."""
    paths = sorted(generate.iter_files(repo))
    began, cpu = time.perf_counter(), time.process_time()
    for path in paths:
        with open(path, "rb") as handle:
            yaml.load(handle, Loader=yaml.CSafeLoader)
    return time.perf_counter() - began, time.process_time() - cpu


def timed(command: list[str], env: dict[str, str] | None = None) -> tuple[float, float, float | None, int, str]:
    """(wall, CPU, peak RSS in MB or None, exit code, output) of one command."""
    if os.path.exists(TIME):
        command = [TIME, "-v", *command]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    began = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, env=env)
    wall = time.perf_counter() - began
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    found = re.search(r"Maximum resident set size \(kbytes\): (\d+)", done.stderr)
    peak = int(found.group(1)) / 1024 if found else None
    return wall, cpu, peak, done.returncode, done.stdout + done.stderr


class Version:
    """One version of dealbook's code, run as `python -m dealbook` with its tools/ first on PYTHONPATH."""

    def __init__(self, label: str, tools: str) -> None:
        self.label, self.tools = label, os.path.abspath(tools)
        self.env = {**os.environ, "PYTHONPATH": self.tools, "DEALBOOK_TODAY": TODAY, "NO_MKDOCS_2_WARNING": "1"}
        subprocess.run([sys.executable, "-m", "compileall", "-q", self.tools], check=False,
                       env={**self.env, "PYTHONDONTWRITEBYTECODE": ""}, stdout=subprocess.DEVNULL)

    def check(self, repo: str, *paths: str) -> tuple[float, float, float | None]:
        wall, cpu, peak, code, output = timed([sys.executable, "-m", "dealbook", "--repo", repo, "check", "-q",
                                               *paths], self.env)
        if code not in (0, 1):
            sys.exit(f"{self.label}: dealbook check {' '.join(paths)} failed ({code}):\n{output[-2000:]}")
        return wall, cpu, peak


class Edits:
    """Edits a record file (a comment line added) and puts the old bytes back at the end."""

    def __init__(self) -> None:
        self.originals: dict[str, bytes] = {}
        self.count = 0

    def edit(self, path: str) -> None:
        if path not in self.originals:
            with open(path, "rb") as handle:
                self.originals[path] = handle.read()
        self.count += 1
        with open(path, "ab") as handle:
            handle.write(f"# edited {self.count}\n".encode())

    def undo(self) -> None:
        for path, raw in self.originals.items():
            with open(path, "wb") as handle:
                handle.write(raw)
        self.originals.clear()


def median(rows: list[tuple]) -> tuple:
    return tuple(statistics.median(r[i] for r in rows if r[i] is not None) if any(r[i] is not None for r in rows)
                 else None for i in range(len(rows[0])))


def measure(version: Version, repo: str, repeat: int, edits: Edits) -> dict[str, tuple]:
    customers = sorted(os.listdir(os.path.join(repo, "records", "customers")))
    customer = os.path.join(repo, "records", "customers", customers[len(customers) // 3])
    folder = os.path.join(repo, "records", "followups", os.path.splitext(customers[len(customers) // 2])[0])
    followup = os.path.join(folder, sorted(os.listdir(folder))[0])
    rows: dict[str, tuple] = {}
    shutil.rmtree(os.path.join(repo, ".dealbook-cache"), ignore_errors=True)
    rows["cold check"] = version.check(repo)
    rows["warm check"] = version.check(repo)
    version.check(repo, customer)  # the first one-file check brings the customer index up to date
    rows["one file, unchanged"] = median([version.check(repo, customer) for _ in range(repeat)])
    for label, path in (("one customer file, edited", customer), ("one follow-up file, edited", followup)):
        runs = []
        for _ in range(repeat):
            edits.edit(path)
            runs.append(version.check(repo, path))
        rows[label] = median(runs)
    return rows


def check_jsonschema(repo: str) -> tuple[float, float, int] | None:
    """(wall, CPU, files) of check-jsonschema over every follow-up, batched to fit a command line;
    None when it is not installed."""
    program = shutil.which("check-jsonschema", path=os.path.dirname(sys.executable) + os.pathsep
                           + os.environ.get("PATH", ""))
    if program is None:
        return None
    schema = os.path.join(os.path.dirname(HERE), "tools", "dealbook", "records", "schemas", "followup.schema.json")
    files = sorted(p for p in generate.iter_files(repo) if "/followups/" in p.replace(os.sep, "/"))
    limit = 1_500_000  # bytes of arguments per run, well within ARG_MAX
    batches, batch, size = [], [], 0
    for path in files:
        if batch and size + len(path) + 1 > limit:
            batches.append(batch)
            batch, size = [], 0
        batch.append(path)
        size += len(path.encode()) + 1
    batches.append(batch)
    wall = cpu = 0.0
    for batch in batches:
        took, used, _peak, code, output = timed([program, "--schemafile", schema, *batch])
        if code != 0:
            print(f"check-jsonschema exited {code}: {output[-500:]}", file=sys.stderr)
        wall, cpu = wall + took, cpu + used
    return wall, cpu, len(files)


def _cell(row: tuple) -> str:
    return f"{row[0]:.2f} / {row[1]:.2f}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--size", default="L", help="S, M, L or a number of customers (default L)")
    parser.add_argument("--lookalike", action="store_true", help="the look-alike names data set (generate.py)")
    parser.add_argument("--repo", help="a generated repo to use instead of benchmarks/data/<size>")
    parser.add_argument("--before", help="a tools/ folder of the old code (e.g. a worktree at an older commit)")
    parser.add_argument("--after", default=os.path.join(os.path.dirname(HERE), "tools"),
                        help="a tools/ folder of the new code (default: this checkout's)")
    parser.add_argument("--rounds", type=int, default=1, help="rounds (each version once per round, alternating)")
    parser.add_argument("--repeat", type=int, default=3, help="runs per one-file figure (the median is printed)")
    parser.add_argument("--jsonschema", action="store_true", help="also time check-jsonschema on the follow-ups")
    args = parser.parse_args(argv)
    repo = os.path.abspath(args.repo or generate.default_out(args.size, 0, args.lookalike))
    if not os.path.exists(os.path.join(repo, "records")):
        print(f"generating {repo} …", flush=True)
        generate.generate(repo, generate.parse_size(args.size), lookalike=args.lookalike)
    versions = ([Version("before", args.before)] if args.before else []) + [Version("after", args.after)]
    files = sum(1 for _ in generate.iter_files(repo))
    print(f"{repo}: {files} record files; {os.cpu_count()} cores. Seconds: wall / CPU (user + sys of every "
          "process); peak RSS of the largest process", flush=True)
    edits = Edits()
    try:
        for number in range(1, args.rounds + 1):
            order = versions if number % 2 else versions[::-1]
            results, bares, loads = {}, {}, {}
            for version in order:
                bares[version.label] = bare_parse(repo)
                results[version.label] = measure(version, repo, args.repeat, edits)
                loads[version.label] = os.getloadavg()[0]
            schema = check_jsonschema(repo) if args.jsonschema else None
            print(f"\n## round {number} (in this order: {', '.join(v.label for v in order)}); "
                  "1-minute load after each: " + ", ".join(f"{k} {v:.1f}" for k, v in loads.items()))
            labels = [v.label for v in versions]
            print("| what | " + " | ".join(labels) + " |")
            print("|---|" + "---|" * len(labels))
            print("| bare parse (one process) | " + " | ".join(_cell(bares[k]) for k in labels) + " |")
            for what in results[labels[-1]]:
                cells = []
                for label in labels:
                    row = results[label][what]
                    cell = _cell(row)
                    if what == "cold check":
                        bare = bares[label]
                        cell += f" = {row[0] / bare[0]:.2f}× / {row[1] / bare[1]:.2f}× bare; peak {row[2] or 0:.0f} MB"
                    cells.append(cell)
                print(f"| {what} | " + " | ".join(cells) + " |")
            if args.jsonschema:
                if schema is None:
                    print("check-jsonschema: not installed (pip install check-jsonschema), skipped")
                else:
                    cold = {k: results[k]["cold check"] for k in labels}
                    print(f"| check-jsonschema, {schema[2]} follow-ups only | {_cell(schema)} = "
                          + ", ".join(f"{schema[0] / cold[k][0]:.1f}× / {schema[1] / cold[k][1]:.1f}× {k}'s cold "
                                      "check" for k in labels) + " |")
            sys.stdout.flush()
    finally:
        edits.undo()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
