"""The read commands, two versions interleaved: nothing changed, one edited follow-up, ten edited follow-ups.

    python benchmarks/reads.py --repo /tmp/L --before /tmp/old/tools --after tools --rounds 5
    python benchmarks/reads.py --repo /tmp/L --before /tmp/old/tools --command agenda --format text

`benchmarks/incremental.py` runs each version's whole series in turn (cold checks included), so
on a shared machine the two halves can run at very different loads. This script answers the
narrower question "which version reads faster" under the same load: every round runs the
command once per version with nothing changed, then edits one follow-up (a changed summary
line, as a rep logging a call), waits past the racy window (`filecache.RACY_NS`, so the edited
file is stamped as settled, as it is by the time a person types the next command) and runs each
version, then the same with ten follow-ups edited. The order of the versions alternates from
round to round. Each version runs as `python -m dealbook` with its `tools/` first on PYTHONPATH,
byte-compiled first. Their outputs must be identical (a difference is printed). The two versions
must not share a `.dealbook-cache` (each would throw the other's stored views away), so the old
version reads a twin of the repo: `<repo>.twin`, its records hard links to the repo's (made afresh
on each run), so an edit in place is seen by both and their stamps are equal, with its own cache.
Each version first runs once to store its views.

Prints, per case and version, CPU seconds (user + sys of the command and its children) as
median, minimum and every run, and the median wall time; the 1-minute load before and after.
The edits are undone at the end (the old bytes written back). Asserts nothing.
"""

from __future__ import annotations

import argparse
import compileall
import contextlib
import os
import resource
import shutil
import statistics
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from incremental import Editor  # one editor for both benchmarks

TODAY = "2024-05-20"
SETTLE = 2.1  # seconds: past filecache.RACY_NS


def run(repo: str, tools: str, command: list[str]) -> tuple[float, float, bytes]:
    """(wall, CPU, stdout) of one command."""
    env = {**os.environ, "PYTHONPATH": os.path.abspath(tools), "NO_MKDOCS_2_WARNING": "1", "DEALBOOK_TODAY": TODAY}
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    began = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "dealbook", "--repo", repo, *command], env=env,
                          capture_output=True)
    wall = time.perf_counter() - began
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode not in (0, 1):
        sys.exit(f"{tools}: dealbook {' '.join(command)} failed ({done.returncode}):\n{done.stderr[-2000:]!r}")
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime), done.stdout


def _files(root: str) -> dict[str, int]:
    """Every file of dealbook.yaml and records/ under `root` → its inode."""
    found = {}
    for folder, _, files in os.walk(os.path.join(root, "records")):
        for name in files:
            path = os.path.join(folder, name)
            found[os.path.relpath(path, root)] = os.lstat(path).st_ino
    with contextlib.suppress(OSError):
        found["dealbook.yaml"] = os.lstat(os.path.join(root, "dealbook.yaml")).st_ino
    return found


def twin(repo: str) -> str:
    """`<repo>.twin`: dealbook.yaml and records/ as hard links to the repo's files, its own cache kept.
    An existing twin whose files are all links to the repo's is kept: linking sets every file's
    ctime, so a new twin costs both versions a fresh parse of every file."""
    repo = os.path.abspath(repo)
    target = repo.rstrip("/") + ".twin"
    if os.path.isdir(target) and _files(target) == _files(repo):
        return target
    shutil.rmtree(os.path.join(target, "records"), ignore_errors=True)
    os.makedirs(target, exist_ok=True)
    settings = os.path.join(target, "dealbook.yaml")
    if os.path.exists(settings):
        os.unlink(settings)
    os.link(os.path.join(repo, "dealbook.yaml"), settings)
    for folder, _, files in os.walk(os.path.join(repo, "records")):
        inside = os.path.join(target, os.path.relpath(folder, repo))
        os.makedirs(inside, exist_ok=True)
        for name in files:
            os.link(os.path.join(folder, name), os.path.join(inside, name))
    time.sleep(SETTLE)  # the links' ctime: let the files settle before they are stamped
    return target


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repo", required=True, help="a generated repo (benchmarks/generate.py)")
    parser.add_argument("--before", required=True, help="the old version's tools/ folder")
    here = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    parser.add_argument("--after", default=os.path.join(here, "tools"),
                        help="the new version's tools/ (default: this checkout's)")
    parser.add_argument("--command", default="customers", help="customers (default), agenda, funnel, ...")
    parser.add_argument("--format", default="json", help="the command's --format (default json)")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--seed", type=int, default=11)
    args = parser.parse_args(argv)
    versions = {"before": (args.before, twin(args.repo)), "after": (args.after, args.repo)}
    for tools, _ in versions.values():
        compileall.compile_dir(tools, quiet=1)
    command = [*args.command.split(), "--format", args.format]
    editor = Editor(args.repo, args.seed)
    times: dict[tuple[str, str], list[tuple[float, float]]] = {}
    load = os.getloadavg()[0]
    try:
        for tools, repo in versions.values():
            run(repo, tools, command)  # stores the version's views
            run(repo, tools, command)  # (again: stamps taken while a file was racy are replaced once)
        for number in range(args.rounds):
            order = list(versions.items()) if number % 2 == 0 else list(versions.items())[::-1]
            for case, edits in (("nothing changed", 0), ("1 edited follow-up", 1), ("10 edited follow-ups", 10)):
                if edits:
                    editor.edit(edits)
                    time.sleep(SETTLE)
                outputs = {}
                for label, (tools, repo) in order:
                    wall, cpu, outputs[label] = run(repo, tools, command)
                    times.setdefault((case, label), []).append((wall, cpu))
                if len(set(outputs.values())) != 1:
                    print(f"round {number + 1}, {case}: the outputs differ", flush=True)
    finally:
        editor.undo()
    print(f"## dealbook {' '.join(command)} on {args.repo}, {args.rounds} rounds; 1-minute load "
          f"{load:.1f} before, {os.getloadavg()[0]:.1f} after\n")
    print("| case | version | CPU median | CPU min | CPU each run | wall median |")
    print("|---|---|---|---|---|---|")
    for (case, label), runs in times.items():
        cpus = [cpu for _, cpu in runs]
        print(f"| {case} | {label} | {statistics.median(cpus):.2f} | {min(cpus):.2f} | "
              f"{' '.join(f'{c:.2f}' for c in cpus)} | {statistics.median(w for w, _ in runs):.2f} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
