"""Time `dealbook check` on a generated repo against its yardsticks, one or two versions back to back.

    python benchmarks/check.py --size L                        # benchmarks/data/L, generated if missing
    python benchmarks/check.py --size L --lookalike            # the look-alike names data set
    python benchmarks/check.py --repo /tmp/L --before /path/to/old/tools --rounds 2 --jsonschema

Measured, per round and per version (`--before` and `--after` are tools/ folders put first on
PYTHONPATH; `--after` defaults to this checkout's), each in its own process:

  bare parse     the yardstick: one process, yaml.load(CSafeLoader) of every record file, no checks;
                 run twice per version and round, just before and just after its cold check, and the
                 cold check's ratios are to the faster of the two (wall and CPU each): this machine's
                 speed can change by half within a minute, and a slow yardstick flatters the ratio
  cold check     `dealbook check` with .dealbook-cache/ removed (all cores), and its peak RSS
  --no-cache     `dealbook check --no-cache`: every file read afresh, nothing stored for the commands that
                 follow (no Book snapshot, views or customer index); – for a version without the option
  warm check     the same again, nothing changed (the stored result answers)
  one file       `dealbook check <customer file>` unchanged (median of --repeat runs)
  one edited     the same after the file was edited each time (a comment line added: the parse cache
                 misses, as in the pre-commit hook); also for one follow-up file
  check-jsonschema  (with --jsonschema, once a round) the follow-ups alone validated by
                 check-jsonschema against the packaged follow-up schema, in batches that fit a command
                 line; it must be installed (`pip install check-jsonschema`): it is not a dependency

CPU is user + sys of the command and every process it started (`wait4` usage, children of children
included). On Linux this script makes itself a child subreaper (prctl PR_SET_CHILD_SUBREAPER), so a
process the command leaves running (orphaned) is reparented here and waited for too: its CPU counts,
and the cold check line says when the last such process ended. Wall is until the command returned.
Peak RSS is the largest resident set of any one process (ru_maxrss). The machine may be shared: the 1-minute load is
printed with each round, and the cold check is also given as a ratio of the bare parse of the same
round. Each version's tools/ is byte-compiled first (as an installed package is). Edits are undone
at the end. Prints figures; asserts nothing. Goals (issue 16): one file ≤ 0.3 s; cold check CPU ≤ 1.2×
the bare parse, wall ≤ 0.7×; check-jsonschema on the follow-ups ≥ 10× dealbook's cold check.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import generate  # noqa: E402

TODAY = "2024-05-20"


def bare_parse(repo: str) -> tuple[float, float]:
    """(wall, CPU) seconds to parse every record file with libyaml in this one process."""
    paths = sorted(generate.iter_files(repo))
    began, cpu = time.perf_counter(), time.process_time()
    for path in paths:
        with open(path, "rb") as handle:
            yaml.load(handle, Loader=yaml.CSafeLoader)
    return time.perf_counter() - began, time.process_time() - cpu


PR_SET_CHILD_SUBREAPER = 36  # linux/prctl.h


def _become_subreaper() -> bool:
    """Make this process the reaper of its orphaned descendants (Linux), so a process a command leaves
    running (a snapshot writer, a views process) is reparented here and waited for: its CPU is then
    counted, in RUSAGE_CHILDREN and in `wait4`'s usage, as the command's own. False elsewhere."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        return libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0
    except (OSError, AttributeError):
        return False


SUBREAPER = _become_subreaper()


class Timing(tuple):
    """(wall until the command returned, CPU of it and every process it started, peak RSS in MB of the
    largest one) plus `.tail`: wall until its last descendant ended, `.late`: how many outlived it."""

    tail: float
    late: int


def timed(command: list[str], env: dict[str, str] | None = None) -> tuple[Timing, int, str]:
    """The timing, exit code and output of one command. Every descendant is waited for (`wait4`): the
    command itself, and (as this process is their subreaper) any it left running when it returned."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    with tempfile.TemporaryFile() as out:
        began = time.perf_counter()
        child = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, env=env)
        wall = tail = None
        code, late, peak = 1, 0, 0
        while True:
            try:
                pid, status, usage = os.wait4(-1, 0)
            except ChildProcessError:
                break
            tail = time.perf_counter() - began
            peak = max(peak, usage.ru_maxrss)  # KiB: the largest of this process and those it waited for
            if pid == child.pid:
                wall, code = tail, os.waitstatus_to_exitcode(status)
                child.returncode = code  # reaped here: Popen must not wait for it again
            else:
                late += 1  # an orphan of the command, reparented to this subreaper (or it outlived the command)
        out.seek(0)
        output = out.read().decode(errors="replace")
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    timing = Timing((wall, cpu, peak / 1024))
    timing.tail, timing.late = tail, late
    return timing, code, output


class Version:
    """One version of dealbook's code, run as `python -m dealbook` with its tools/ first on PYTHONPATH."""

    def __init__(self, label: str, tools: str) -> None:
        self.label, self.tools = label, os.path.abspath(tools)
        self.env = {**os.environ, "PYTHONPATH": self.tools, "DEALBOOK_TODAY": TODAY, "NO_MKDOCS_2_WARNING": "1"}
        subprocess.run([sys.executable, "-m", "compileall", "-q", self.tools], check=False,
                       env={**self.env, "PYTHONDONTWRITEBYTECODE": ""}, stdout=subprocess.DEVNULL)

    def check(self, repo: str, *paths: str) -> tuple[float, float, float, float, int] | None:
        """(wall until it returned, CPU of every process, peak RSS in MB, wall until its last process
        ended, how many processes outlived it); None when this version has no such option (`--no-cache`)."""
        timing, code, output = timed([sys.executable, "-m", "dealbook", "--repo", repo, "check", "-q", *paths],
                                     self.env)
        if code == 2 and "--no-cache" in paths:  # a usage error: an older version without the option
            return None
        if code not in (0, 1):
            sys.exit(f"{self.label}: dealbook check {' '.join(paths)} failed ({code}):\n{output[-2000:]}")
        return (*timing, timing.tail, timing.late)


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


def measure(version: Version, repo: str, repeat: int, edits: Edits) -> tuple[dict[str, tuple], tuple[tuple, tuple]]:
    """The version's rows, and the bare parses run just before and just after its cold check."""
    customers = sorted(os.listdir(os.path.join(repo, "records", "customers")))
    customer = os.path.join(repo, "records", "customers", customers[len(customers) // 3])
    folder = os.path.join(repo, "records", "followups", os.path.splitext(customers[len(customers) // 2])[0])
    followup = os.path.join(folder, sorted(os.listdir(folder))[0])
    rows: dict[str, tuple] = {}
    shutil.rmtree(os.path.join(repo, ".dealbook-cache"), ignore_errors=True)
    before = bare_parse(repo)
    rows["cold check"] = version.check(repo)
    after = bare_parse(repo)
    rows["cold check --no-cache"] = version.check(repo, "--no-cache")
    rows["warm check"] = version.check(repo)
    version.check(repo, customer)  # the first one-file check brings the customer index up to date
    rows["one file, unchanged"] = median([version.check(repo, customer) for _ in range(repeat)])
    for label, path in (("one customer file, edited", customer), ("one follow-up file, edited", followup)):
        runs = []
        for _ in range(repeat):
            edits.edit(path)
            runs.append(version.check(repo, path))
        rows[label] = median(runs)
    return rows, (before, after)


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
        (took, used, _peak), code, output = timed([program, "--schemafile", schema, *batch])
        if code != 0:
            print(f"check-jsonschema exited {code}: {output[-500:]}", file=sys.stderr)
        wall, cpu = wall + took, cpu + used
    return wall, cpu, len(files)


def _cell(row: tuple | None) -> str:
    return "–" if row is None else f"{row[0]:.2f} / {row[1]:.2f}"


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
    counted = "those it left running included" if SUBREAPER else "those it left running NOT counted here"
    print(f"{repo}: {files} record files; {os.cpu_count()} cores. Seconds: wall / CPU (user + sys of every "
          f"process, {counted}); peak RSS of the largest process", flush=True)
    edits = Edits()
    try:
        for number in range(1, args.rounds + 1):
            order = versions if number % 2 else versions[::-1]
            results, bares, loads = {}, {}, {}
            for version in order:
                results[version.label], bares[version.label] = measure(version, repo, args.repeat, edits)
                loads[version.label] = os.getloadavg()[0]
            schema = check_jsonschema(repo) if args.jsonschema else None
            print(f"\n## round {number} (in this order: {', '.join(v.label for v in order)}); "
                  "1-minute load after each: " + ", ".join(f"{k} {v:.1f}" for k, v in loads.items()))
            labels = [v.label for v in versions]
            print("| what | " + " | ".join(labels) + " |")
            print("|---|" + "---|" * len(labels))
            print("| bare parse (one process), just before and just after the cold check | "
                  + " | ".join(f"{_cell(bares[k][0])}; {_cell(bares[k][1])}" for k in labels) + " |")
            for what in results[labels[-1]]:
                cells = []
                for label in labels:
                    row = results[label][what]
                    cell = _cell(row)
                    if what.startswith("cold check") and row is not None:
                        wall, cpu = (min(bare[i] for bare in bares[label]) for i in (0, 1))  # the faster
                        cell += f" = {row[0] / wall:.2f}× / {row[1] / cpu:.2f}× the faster bare parse; " \
                                f"peak {row[2]:.0f} MB"
                    if row is not None and row[4]:  # processes it left running: their end and CPU are counted
                        cell += f"; {row[4]:g} process(es) ran on until {row[3]:.2f} s"
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
