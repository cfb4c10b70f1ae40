"""Time `mkdocs serve`'s rebuild after one edited follow-up, old and new code alternating.

Usage:
    python benchmarks/serve.py --repo /tmp/sitedata/site-1000 --before /tmp/old/tools --rounds 3
    python benchmarks/serve.py --repo R1 --repo R2 --before /tmp/old/tools --rounds 2   # several sizes

For each repo (a records repo with mkdocs.yml, as `benchmarks/site.py` makes them) and each round,
each version (the code this script runs with, and `--before`'s `tools/` folder when given) starts
`mkdocs serve`, waits for its first build, edits the summary of the last follow-up of the 4th
customer and waits for "Reloading browsers" (the edit is undone afterwards). Printed per run: wall
seconds from the edit to the reload, MkDocs' own "built in" seconds, the server's CPU seconds (user
+ system, all its threads) from the edit to the reload and until 3 seconds after it (the old site
folder is deleted after the reload: that CPU shows there), and the load average. Each version keeps
its own `.dealbook-cache` (`site.use_cache`). Prints figures, asserts nothing.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import re
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != HERE]
_spec = importlib.util.spec_from_file_location("site_benchmark", HERE / "site.py")
assert _spec is not None and _spec.loader is not None
bench = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(bench)


def one_rebuild(repo: Path, env: dict[str, str], port: int) -> tuple[float, float, float, float, float]:
    """(edit → reload wall s, "built in" s, CPU to the reload, CPU to 3 s after it, load) of one server."""
    log = repo / "serve.log"
    with open(log, "w") as out:
        server = subprocess.Popen([sys.executable, "-m", "mkdocs", "serve", "-a", f"127.0.0.1:{port}"], cwd=repo,
                                  env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        if not bench._wait_for(log, "Serving on", 1, 1800):
            raise RuntimeError(f"no first build: {log.read_text('utf-8', 'replace')[-2000:]}")
        time.sleep(3)  # past the racy window of the files the first build read; the first old site folder gone
        folder = sorted((repo / "records" / "followups").iterdir())[3]
        path = sorted(folder.iterdir())[-1]
        text = path.read_text("utf-8")
        path.write_text(re.sub(r"^summary: (.*)$", r"summary: \1(改)", text, count=1, flags=re.M), "utf-8")
        began, cpu = time.perf_counter(), bench.process_cpu(server.pid)
        try:
            if not bench._wait_for(log, "Reloading browsers", 1, 1800):
                raise RuntimeError(f"no rebuild: {log.read_text('utf-8', 'replace')[-2000:]}")
            took, spent = time.perf_counter() - began, bench.process_cpu(server.pid) - cpu
            load = os.getloadavg()[0]
            time.sleep(3)
            after = bench.process_cpu(server.pid) - cpu
        finally:
            path.write_text(text, "utf-8")
        built = re.findall(r"Documentation built in ([0-9.]+) seconds", log.read_text("utf-8", "replace"))
        return took, float(built[-1]) if built else float("nan"), spent, after, load
    finally:
        server.terminate()
        server.wait(60)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repo", action="append", required=True, help="a records repo with mkdocs.yml (repeatable)")
    parser.add_argument("--before", help="a tools/ folder of the old code, timed alternately")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--port", type=int, default=8791)
    args = parser.parse_args()
    versions = [("after", None)] + ([("before", args.before)] if args.before else [])
    for repo in map(Path, args.repo):
        results: dict[str, list[tuple[float, ...]]] = {name: [] for name, _ in versions}
        for round_number in range(args.rounds):
            order = versions if round_number % 2 == 0 else versions[::-1]
            for name, tools in order:
                bench.use_cache(repo, name)
                found = one_rebuild(repo, bench.code_env(tools), args.port)
                results[name].append(found)
                bench.say(f"{repo.name} {name:<6} round {round_number + 1}: edit→reload {found[0]:6.1f} s wall, "
                          f"built in {found[1]:6.1f} s, CPU {found[2]:6.1f} s to the reload, {found[3]:6.1f} s "
                          f"to 3 s after; load {found[4]:.1f}")
        for name, _ in versions:
            cpu = sorted(r[2] for r in results[name])
            wall = sorted(r[0] for r in results[name])
            bench.say(f"{repo.name} {name:<6} CPU min {cpu[0]:.1f} median {cpu[len(cpu) // 2]:.1f}; wall min "
                      f"{wall[0]:.1f} median {wall[len(wall) // 2]:.1f} (n={len(cpu)})")


if __name__ == "__main__":
    main()
