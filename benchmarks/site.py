"""Time the site build: dealbook's share, a plain-Markdown baseline, growth with size, search index size.

Usage:
    python benchmarks/site.py                      # 250 and 1,000 customers (× 10 follow-ups)
    python benchmarks/site.py --sizes 250,1000,4000
    python benchmarks/site.py --demo               # the product repo's demo site only
    python benchmarks/site.py --sizes 1000,3000,10000 --serve   # the issue's sizes, with mkdocs serve
    python benchmarks/site.py --sizes 1000,10000 --before /tmp/old/tools --no-cold   # old and new code, same run
    python benchmarks/site.py --sizes 10000 --data /tmp/sitedata --repeat 3 --parts plugin   # data kept elsewhere

For each size it generates a records repo (benchmarks/generate.py, kept under benchmarks/data/ or
--data) and measures, in separate processes:
  * `mkdocs build` with the dealbook plugin: records parsed cold (no .dealbook-cache), then "warm"
    (the parse cache filled, no pages kept from an earlier build: every page rendered, what a CI
    checkout that keeps the parse cache does), then "kept" (nothing changed since the last build:
    the kept pages reused);
  * the baseline: MkDocs + Material + search building the very same pages from plain Markdown
    files on disk (the HTML each page gets, written as .md), without the plugin;
Wall seconds on a shared machine wander with the load, so CPU seconds (user + sys of the build
process and its children, page workers included) are printed too and the ratios use them. Memory:
the peak resident set of the largest single process (GNU time) and the peak of the summed
proportional set size (PSS, shared pages split between the processes sharing them) of the build and
its workers, sampled every second. The previous build's site folder is deleted (untimed) before each
build (`--old-site`: left for the timed build to empty, as a second `mkdocs build` finds it). Prints
figures, asserts nothing.

`--before DIR` also times the code in DIR (a `tools/` folder of another checkout, put first on
PYTHONPATH) on the same data in the same run, the two versions alternating (`--repeat N` times);
each version keeps its own `.dealbook-cache` (swapped in before its builds: the cache keys differ).
Every figure is printed when it is measured (run it with `nohup ... > log &`: a stopped run still
reports what it finished). `--serve` times
`mkdocs serve` after one edited follow-up: the seconds until "Reloading browsers" and the CPU the
server spent on the rebuild.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import itertools
import os
import re
import resource
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
# Scripts here could shadow installed modules: import from the venv.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != HERE]
ROOT = HERE.parent
ENV = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}


def cpu_children() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


TIME = "/usr/bin/time"


def code_env(tools: str | None) -> dict[str, str]:
    """The environment that runs the code in `tools` (None: the code this script imports)."""
    if not tools:
        return ENV
    return {**ENV, "PYTHONPATH": os.pathsep.join(p for p in (tools, ENV.get("PYTHONPATH")) if p)}


def say(line: str) -> None:
    print(line, flush=True)


LAST_PSS: list[float] = [0.0]  # the summed PSS peak of the last run_timed, MB
LAST_LOG: list[str] = [""]


def _tree(root: int) -> set[int]:
    """`root` and its descendants (Linux /proc)."""
    parents: dict[int, int] = {}
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            with contextlib.suppress(OSError, IndexError, ValueError):
                parents[int(entry.name)] = int(Path(entry.path, "stat").read_text().rsplit(")", 1)[1].split()[1])
    tree, grew = {root}, True
    while grew:
        more = {pid for pid, parent in parents.items() if parent in tree} - tree
        tree |= more
        grew = bool(more)
    return tree


def _pss(tree: set[int]) -> float:
    """Summed PSS (MB) of the processes (Linux /proc; 0.0 elsewhere)."""
    total = 0
    for pid in tree:
        try:
            for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
                if line.startswith("Pss:"):
                    total += int(line.split()[1])
                    break
        except OSError:
            pass
    return total / 1024


def run_timed(command: list[str], cwd: Path, env: dict[str, str] | None = None) -> tuple[float, float, float | None]:
    """(wall, cpu, peak RSS in MB or None) of a subprocess, children included in the CPU; the peak
    summed PSS of it and its children goes to LAST_PSS, its stderr to LAST_LOG."""
    timed = os.path.exists(TIME)
    cpu0, wall0 = cpu_children(), time.perf_counter()
    process = subprocess.Popen([TIME, "-v", *command] if timed else command, cwd=cwd, env=env or ENV,
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    peak = [0.0]

    def sample() -> None:  # (reading smaps of a 1 GB process costs the kernel: once a second)
        tree, ticks = {process.pid}, 0
        while process.poll() is None:
            if ticks % 3 == 0:
                tree = _tree(process.pid)
            peak[0] = max(peak[0], _pss(tree))
            ticks += 1
            time.sleep(1)

    sampler = threading.Thread(target=sample, daemon=True)
    if os.path.isdir("/proc"):
        sampler.start()
    stderr = process.communicate()[1]
    wall, cpu = time.perf_counter() - wall0, cpu_children() - cpu0
    LAST_PSS[0], LAST_LOG[0] = peak[0], stderr
    if process.returncode != 0:
        sys.exit(f"{' '.join(command)} failed in {cwd}:\n{stderr[-3000:]}")
    found = re.search(r"Maximum resident set size \(kbytes\): (\d+)", stderr) if timed else None
    return wall, cpu, int(found.group(1)) / 1024 if found else None


def process_cpu(pid: int) -> float:
    """User + system seconds of a running process (Linux /proc), 0.0 where unknown."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return 0.0


def serve_rebuild(repo: Path, port: int = 8765, env: dict[str, str] | None = None) -> tuple[float, float, float] | None:
    """`mkdocs serve`: after its first build, one follow-up is edited; returns (seconds from the edit
    until the rebuilt site is served, the rebuild's own "built in" seconds, the server's CPU seconds
    over that time), or None on a timeout."""
    log = repo / "serve.log"
    with open(log, "w") as out:
        server = subprocess.Popen([sys.executable, "-m", "mkdocs", "serve", "-a", f"127.0.0.1:{port}"], cwd=repo,
                                  env=env or ENV, stdout=out, stderr=subprocess.STDOUT)
    try:
        if not _wait_for(log, "Serving on", 1, 900):
            return None
        time.sleep(2)  # past the racy window of the files the first build read
        folder = sorted((repo / "records" / "followups").iterdir())[3]
        path = sorted(folder.iterdir())[-1]
        text = path.read_text("utf-8")
        path.write_text(re.sub(r"^summary: (.*)$", r"summary: \1(改)", text, count=1, flags=re.M), "utf-8")
        began, cpu = time.perf_counter(), process_cpu(server.pid)
        try:
            if not _wait_for(log, "Reloading browsers", 1, 1800):
                return None
            took, cpu = time.perf_counter() - began, process_cpu(server.pid) - cpu
        finally:
            path.write_text(text, "utf-8")
        built = re.findall(r"Documentation built in ([0-9.]+) seconds", log.read_text("utf-8", "replace"))
        return took, float(built[-1]) if built else float("nan"), cpu
    finally:
        server.terminate()
        server.wait(30)


def _wait_for(log: Path, needle: str, count: int, timeout: float) -> bool:
    """Wait until `needle` appears in the log more than `count` - 1 times after now."""
    start = log.read_text("utf-8", "replace").count(needle) if log.exists() else 0
    if needle == "Serving on":
        start = 0
    deadline = time.perf_counter() + timeout
    while time.perf_counter() < deadline:
        if log.read_text("utf-8", "replace").count(needle) >= start + count:
            return True
        time.sleep(0.2)
    return False


def records_repo(size: int, data: Path | None = None) -> Path:
    target = (data or HERE / "data") / f"site-{size}"
    if not (target / "records").is_dir():
        subprocess.run([sys.executable, str(HERE / "generate.py"), "--size", str(size), "--out", str(target)],
                       check=True, env=ENV, capture_output=True)
    shutil.copy(ROOT / "mkdocs.yml", target / "mkdocs.yml")
    (target / "site").mkdir(exist_ok=True)
    return target


def folder_size(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())


def baseline_repo(repo: Path) -> Path:
    """The same pages as plain Markdown files (their HTML), built by MkDocs + Material + search alone."""
    from dealbook.checks.reading import open_book
    from dealbook.records.settings import load_settings, today_for
    from dealbook.site import pages, urls
    from dealbook.site.labels import Labels
    from dealbook.site.render import make_environment, render_page
    from dealbook.site.views import SiteData

    target = repo.parent / (repo.name + "-baseline")
    shutil.rmtree(target, ignore_errors=True)
    docs = target / "docs"
    settings = load_settings(str(repo))
    data = SiteData(open_book(str(repo), settings=settings), today_for(settings), Labels(settings), str(repo))
    env = make_environment(None, data.labels)
    nav = []
    for spec in pages.page_specs(data):
        html = render_page(env, spec, data, "../" * urls.url_of(spec.src_uri).count("/"))
        path = docs / spec.src_uri
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(html + "\n", "utf-8")
        if spec.nav:
            nav.append(spec.src_uri)
    assets = docs / "assets" / "dealbook"
    assets.mkdir(parents=True, exist_ok=True)
    for name in ("dealbook.css", "dealbook.js"):
        shutil.copy(ROOT / "tools" / "dealbook" / "site" / "assets" / name, assets / name)
    (target / "mkdocs.yml").write_text(
        "site_name: baseline\ndocs_dir: docs\nsite_dir: public\n"
        "theme:\n  name: material\n  font: false\n  language: zh\n  features: [navigation.sections]\n"
        "plugins: [search]\nmarkdown_extensions: [tables, attr_list, md_in_html, admonition]\n"
        "extra_css: [assets/dealbook/dealbook.css]\nextra_javascript: [assets/dealbook/dealbook.js]\n"
        "nav:\n" + "".join(f"  - {uri}\n" for uri in nav), "utf-8")
    return target


def _mb(value: float | None) -> str:
    return f"{value:5.0f} MB" if value else "   n/a"


def use_cache(repo: Path, name: str) -> None:
    """Swap in version `name`'s .dealbook-cache (each version keeps its own: their cache keys differ)."""
    cache, marker = repo / ".dealbook-cache", repo / ".dealbook-cache" / "bench-version"
    current = marker.read_text().strip() if marker.exists() else None
    if current == name:
        return
    if cache.is_dir():
        if current:
            shutil.rmtree(repo / f".dealbook-cache.{current}", ignore_errors=True)
            cache.rename(repo / f".dealbook-cache.{current}")
        else:
            shutil.rmtree(cache)
    mine = repo / f".dealbook-cache.{name}"
    if mine.is_dir():
        mine.rename(cache)
    else:
        cache.mkdir()
    marker.write_text(name)


def _stats(values: list[float]) -> str:
    ordered = sorted(values)
    return f"min {ordered[0]:.1f} median {ordered[len(ordered) // 2]:.1f}" + (f" (n={len(values)})" if len(values) > 1
                                                                               else "")


def measure(repo: Path, label: str, versions: list[tuple[str, str | None]], serve: bool = False,
            cold: bool = True, plugin: bool = True, baseline: bool = True, repeat: int = 1,
            old_site: bool = False) -> dict[str, dict[str, float]]:
    """Per code version: cold, warm and kept-pages plugin builds (versions alternating, `repeat`
    times), the serve rebuild, then the baseline once. Returns the median CPU seconds."""
    mkdocs = [sys.executable, "-m", "mkdocs", "build"]
    customers = len(list((repo / "records" / "customers").glob("*.yaml")))
    index = repo / "public" / "search" / "search_index.json"
    say(f"\n== {label}: {customers} customers · load {os.getloadavg()[0]:.1f}")
    found: dict[str, dict[str, float]] = {name: {"customers": customers} for name, _ in versions}
    cpus: dict[tuple[str, str], list[float]] = {}
    runs = (("cold parse", "cold"), ("warm cache", "warm"), ("kept pages", "kept")) if cold else (
        ("warm cache", "warm"), ("kept pages", "kept"))
    for _round in range(repeat if plugin else 0):
        for name, tools in versions:
            env = code_env(tools)
            use_cache(repo, name)
            if not cold and not (repo / ".dealbook-cache" / "files-00.marshal").exists():
                run_timed(mkdocs, repo, env)  # the parse cache, filled by an untimed build
            for what, how in runs:
                if how == "cold":
                    use_cache(repo, name + "-cold")
                    shutil.rmtree(repo / ".dealbook-cache", ignore_errors=True)
                if how == "warm":
                    (repo / ".dealbook-cache" / "site-pages").unlink(missing_ok=True)
                if not old_site:
                    shutil.rmtree(repo / "public", ignore_errors=True)
                load = os.getloadavg()[0]
                wall, cpu, rss = run_timed(mkdocs, repo, env)
                if how == "cold":
                    use_cache(repo, name)
                cpus.setdefault((name, what), []).append(cpu)
                say(f"  {name:<7} mkdocs build, dealbook plugin, {what:<10}: {wall:7.1f} s wall {cpu:7.1f} s cpu "
                    f"{_mb(rss)} peak RSS {LAST_PSS[0]:5.0f} MB peak PSS (all processes) · load {load:.1f} → "
                    f"{os.getloadavg()[0]:.1f}")
                for line in re.findall(r"dealbook: ((?:\d+ generated pages|page workers).*)", LAST_LOG[0]):
                    say(f"          {line}")
            size = index.stat().st_size
            found[name]["index"] = size
            say(f"  {name:<7} search index: {size / 1e6:.2f} MB, {size / customers / 1e3:.2f} KB per customer; "
                f"site: {folder_size(repo / 'public') / 1e6:.0f} MB")
    for (name, what), values in cpus.items():
        found[name][what] = sorted(values)[len(values) // 2]
        if len(values) > 1:
            say(f"  {name:<7} {what:<10} cpu: {_stats(values)}")
    for name, tools in versions if serve else ():
        use_cache(repo, name)
        rebuilt = serve_rebuild(repo, env=code_env(tools))
        say(f"  {name:<7} mkdocs serve, one follow-up edited: " + (
            f"{rebuilt[0]:.1f} s wall from the edit to the reload, {rebuilt[2]:.1f} s cpu "
            f"({rebuilt[1]:.1f} s \"built in\") · load {os.getloadavg()[0]:.1f}" if rebuilt else "timed out"))
    if not baseline:
        return found
    base_repo = baseline_repo(repo)
    wall, cpu, rss = run_timed(mkdocs, base_repo)
    base_index = (base_repo / "public" / "search" / "search_index.json").stat().st_size
    say(f"  baseline: same pages as Markdown files          : {wall:7.1f} s wall {cpu:7.1f} s cpu {_mb(rss)} peak"
        f" · index {base_index / 1e6:.2f} MB · load {os.getloadavg()[0]:.1f}")
    for name, result in found.items():
        result["baseline"] = cpu
        if "warm cache" not in result:
            continue
        say(f"  {name:<7} plugin build (warm, every page rendered) vs baseline (cpu): "
            f"{100 * (result['warm cache'] - cpu) / cpu:+6.1f} %")
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="250,1000", help="customer counts, comma-separated")
    parser.add_argument("--demo", action="store_true", help="time the product repo's demo site only")
    parser.add_argument("--before", help="a tools/ folder of older code, timed on the same data in the same run")
    parser.add_argument("--no-cold", action="store_true", help="time warm builds only (the cache filled first)")
    parser.add_argument("--parts", default="plugin,baseline",
                        help="plugin, baseline or both: run the two in two processes at once on a busy machine")
    parser.add_argument("--data", help="the folder holding the generated repos (default benchmarks/data)")
    parser.add_argument("--repeat", type=int, default=1, help="time each plugin build this many times")
    parser.add_argument("--old-site", action="store_true",
                        help="leave the last build's site folder for the next build to empty (what a second "
                             "`mkdocs build` meets), instead of deleting it untimed")
    parser.add_argument("--serve", action="store_true",
                        help="also time `mkdocs serve`'s rebuild after one edited follow-up (each size)")
    args = parser.parse_args()
    say(f"dealbook site benchmark · {dt.date.today()} · {os.cpu_count()} cores · load {os.getloadavg()[0]:.1f}")
    if args.demo:
        import tempfile

        with tempfile.TemporaryDirectory() as tmp:
            wall, cpu, _ = run_timed([sys.executable, "-m", "mkdocs", "build", "-q", "--strict", "--site-dir", tmp],
                                     ROOT)
            index = Path(tmp) / "search" / "search_index.json"
            print(f"demo site: {wall:.1f} s wall, {cpu:.1f} s cpu; search index {index.stat().st_size / 1e3:.0f} KB")
        return
    versions: list[tuple[str, str | None]] = [("after", None)]
    if args.before:
        versions.insert(0, ("before", args.before))
    parts = set(args.parts.split(","))
    data = Path(args.data) if args.data else None
    results = [measure(records_repo(int(n), data), f"size {n}", versions, args.serve, not args.no_cold,
                       "plugin" in parts, "baseline" in parts, args.repeat, args.old_site)
               for n in args.sizes.split(",")]
    if parts != {"plugin", "baseline"}:
        return
    for small, large in itertools.pairwise(results):
        for name in small:
            factor = large[name]["customers"] / small[name]["customers"]
            warm = large[name]["warm cache"] / small[name]["warm cache"]
            base = large[name]["baseline"] / small[name]["baseline"]
            say(f"growth {small[name]['customers']:.0f} → {large[name]['customers']:.0f} customers (×{factor:.0f}), "
                f"{name}: cpu ×{warm:.2f} warm; baseline ×{base:.2f}")


if __name__ == "__main__":
    main()
