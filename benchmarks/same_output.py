"""Do two versions of dealbook print the same thing on the demo? (`python benchmarks/same_output.py BASE`)

Runs the machine-readable commands — `check`, `customers`, `agenda`, `funnel --period 2024-05`,
every `report NAME` (and each of its `--by` splits), `grade ID` for every customer, all with
`--format json` — once with the code of git revision BASE and once with the code of HEAD (a
revision, or the working tree by default), and prints the difference, command by command.

Both sides read the same data: a fresh clone of this checkout's committed demo (records,
dealbook.yaml, its git history), one clone per side so no cache is shared. With `--lang en`
the clones' dealbook.yaml is switched to English first (the demo is Chinese), so both
languages' texts are compared. Exit status 0 when every output is identical, 1 otherwise.

    python benchmarks/same_output.py main~3                  # main~3 vs the working tree
    python benchmarks/same_output.py main~3 main --lang en   # two commits, in English
"""

from __future__ import annotations

import argparse
import difflib
import json
import os
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def git(*args: str, cwd: str = ROOT) -> str:
    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, text=True).stdout


def code_of(revision: str | None, into: str) -> str:
    """The `tools` folder holding the `dealbook` package of `revision` (None: the working tree)."""
    if revision is None:
        return os.path.join(ROOT, "tools")
    archive = subprocess.run(["git", "archive", revision, "tools"], cwd=ROOT, check=True, capture_output=True).stdout
    subprocess.run(["tar", "-x", "-C", into], input=archive, check=True)
    return os.path.join(into, "tools")


def demo_clone(into: str, language: str | None) -> str:
    repo = os.path.join(into, "demo")
    git("clone", "--quiet", "--no-hardlinks", ROOT, repo)
    if language:
        path = os.path.join(repo, "dealbook.yaml")
        with open(path, encoding="utf-8") as handle:
            text = handle.read()
        with open(path, "w", encoding="utf-8") as handle:
            handle.write(text.replace("\nlanguage: zh", f"\nlanguage: {language}", 1))
    return repo


def run(tools: str, repo: str, args: list[str]) -> tuple[int, str]:
    env = dict(os.environ, PYTHONPATH=tools, NO_MKDOCS_2_WARNING="1")
    env.pop("DEALBOOK_TODAY", None)
    done = subprocess.run([sys.executable, "-m", "dealbook", *args], cwd=repo, env=env,
                          capture_output=True, text=True)
    return done.returncode, done.stdout + (f"\n[stderr]\n{done.stderr}" if done.returncode else "")


def commands(tools: str, repo: str) -> list[list[str]]:
    """The commands to compare (the report list and customer ids read with the base's code)."""
    found = [["check", "--format", "json"], ["customers", "--format", "json"], ["agenda", "--format", "json"],
             ["funnel", "--period", "2024-05", "--format", "json"]]
    _, listing = run(tools, repo, ["report", "--list"])
    for line in listing.splitlines():
        if not line.strip():
            continue
        name = line.split()[0]
        found.append(["report", name, "--format", "json"])
        if "[--by " in line:
            for split in line.rsplit("[--by ", 1)[1].rstrip("]").split("|"):
                found.append(["report", name, "--by", split, "--format", "json"])
    _, customers = run(tools, repo, ["customers", "--format", "json"])
    for customer in json.loads(customers)["customers"]:
        found.append(["grade", customer["id"], "--format", "json"])
    return found


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("base", help="the git revision to compare against")
    parser.add_argument("head", nargs="?", default=None, help="a git revision (default: the working tree)")
    parser.add_argument("--lang", default=None, help="switch the demo's language first (e.g. en)")
    options = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="same-output-") as tmp:
        sides = {}
        for side, revision in (("base", options.base), ("head", options.head)):
            folder = os.path.join(tmp, side)
            os.makedirs(folder)
            sides[side] = (code_of(revision, folder), demo_clone(folder, options.lang))
        listed = commands(*sides["base"])
        differ = 0
        started = time.perf_counter()
        for args in listed:
            base = run(*sides["base"], args)
            head = run(*sides["head"], args)
            shown = "dealbook " + " ".join(args)
            if base == head:
                print(f"same    {shown}")
                continue
            differ += 1
            print(f"DIFFERS {shown} (exit {base[0]} -> {head[0]})")
            diff = difflib.unified_diff(base[1].splitlines(), head[1].splitlines(), "base", "head", lineterm="", n=1)
            print("\n".join(f"    {line}" for line in list(diff)[:60]))
    head_name = options.head or "working tree"
    base_sha = git("rev-parse", "--short", options.base).strip()
    print(f"\n{len(listed)} commands, {differ} differ: {options.base} ({base_sha}) vs {head_name}; "
          f"language {options.lang or 'as in dealbook.yaml'}; "
          f"{time.perf_counter() - started:.0f} s")
    return 1 if differ else 0


if __name__ == "__main__":
    sys.exit(main())
