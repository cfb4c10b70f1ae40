"""Time the site build: dealbook's share, a plain-Markdown baseline, growth with size, search index size.

Usage:
    python benchmarks/site.py                      # 250 and 1,000 customers (× 10 follow-ups)
    python benchmarks/site.py --sizes 250,1000,4000
    python benchmarks/site.py --demo               # the product repo's demo site only
    python benchmarks/site.py --sizes 1000,3000,10000 --serve   # the issue's sizes, with mkdocs serve

For each size it generates a records repo (benchmarks/generate.py, kept under benchmarks/data/)
and measures, in separate processes:
  * `mkdocs build` with the dealbook plugin (records parsed cold, then again with the parse cache);
  * the baseline: MkDocs + Material + search building the very same pages from plain Markdown
    files on disk (the HTML each page gets, written as .md), without the plugin;
  * dealbook's own part in-process: reading the Book, rules, agenda, reports, rendering every page.
Wall seconds on a shared machine wander with the load, so CPU seconds (user + sys of the build
process and its children) are printed too and the ratios use them. Prints figures, asserts nothing.
"""

from __future__ import annotations

import argparse
import datetime as dt
import itertools
import os
import re
import resource
import shutil
import subprocess
import sys
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


def run_timed(command: list[str], cwd: Path) -> tuple[float, float, float | None]:
    """(wall, cpu, peak RSS in MB or None) of a subprocess, children included in the CPU."""
    timed = os.path.exists(TIME)
    cpu0, wall0 = cpu_children(), time.perf_counter()
    done = subprocess.run([TIME, "-v", *command] if timed else command, cwd=cwd, env=ENV, capture_output=True,
                          text=True)
    wall, cpu = time.perf_counter() - wall0, cpu_children() - cpu0
    if done.returncode != 0:
        sys.exit(f"{' '.join(command)} failed in {cwd}:\n{done.stderr[-3000:]}")
    found = re.search(r"Maximum resident set size \(kbytes\): (\d+)", done.stderr) if timed else None
    return wall, cpu, int(found.group(1)) / 1024 if found else None


def serve_rebuild(repo: Path, port: int = 8765) -> tuple[float, float] | None:
    """`mkdocs serve`: after its first build, one follow-up is edited; returns (seconds from the edit
    until the rebuilt site is served, the rebuild's own "built in" seconds), or None on a timeout."""
    log = repo / "serve.log"
    with open(log, "w") as out:
        server = subprocess.Popen([sys.executable, "-m", "mkdocs", "serve", "-a", f"127.0.0.1:{port}"], cwd=repo,
                                  env=ENV, stdout=out, stderr=subprocess.STDOUT)
    try:
        if not _wait_for(log, "Serving on", 1, 900):
            return None
        time.sleep(2)  # past the racy window of the files the first build read
        folder = sorted((repo / "records" / "followups").iterdir())[3]
        path = sorted(folder.iterdir())[-1]
        text = path.read_text("utf-8")
        path.write_text(re.sub(r"^summary: (.*)$", r"summary: \1(改)", text, count=1, flags=re.M), "utf-8")
        began = time.perf_counter()
        try:
            if not _wait_for(log, "Reloading browsers", 1, 900):
                return None
            took = time.perf_counter() - began
        finally:
            path.write_text(text, "utf-8")
        built = re.findall(r"Documentation built in ([0-9.]+) seconds", log.read_text("utf-8", "replace"))
        return took, float(built[-1]) if built else float("nan")
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


def records_repo(size: int) -> Path:
    target = HERE / "data" / f"site-{size}"
    if not (target / "records").is_dir():
        subprocess.run([sys.executable, str(HERE / "generate.py"), "--size", str(size), "--out", str(target)],
                       check=True, env=ENV, capture_output=True)
    shutil.copy(ROOT / "mkdocs.yml", target / "mkdocs.yml")
    (target / "site").mkdir(exist_ok=True)
    return target


def folder_size(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())


def dealbook_part(repo: Path) -> dict[str, float]:
    """CPU seconds of dealbook's own work for one build, measured in a child process."""
    code = f"""
import time, datetime as dt, json
from dealbook.checks.reading import open_book
from dealbook.records.settings import load_settings, today_for
from dealbook.site.labels import Labels
from dealbook.site.views import SiteData
from dealbook.site import pages, urls
from dealbook.site.render import make_environment, render_page
out = {{}}
t = time.process_time()
settings = load_settings({str(repo)!r})
book = open_book({str(repo)!r}, settings=settings)
out["read (warm cache)"] = time.process_time() - t
t = time.process_time()
data = SiteData(book, today_for(settings), Labels(settings), {str(repo)!r})
data.states; data.agenda
out["rules + agenda"] = time.process_time() - t
t = time.process_time()
specs = pages.page_specs(data)
out["page list + reports titles"] = time.process_time() - t
env = make_environment(None, data.labels)
t = time.process_time()
for spec in specs:
    render_page(env, spec, data, "../" * urls.url_of(spec.src_uri).count("/"))
out["render pages"] = time.process_time() - t
out["pages"] = len(specs)
print(json.dumps(out))
"""
    done = subprocess.run([sys.executable, "-c", code], cwd=repo, env=ENV, capture_output=True, text=True, check=True)
    import json

    return json.loads(done.stdout.strip().splitlines()[-1])


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


def measure(repo: Path, label: str, serve: bool = False) -> dict[str, float]:
    mkdocs = [sys.executable, "-m", "mkdocs", "build", "-q"]
    shutil.rmtree(repo / ".dealbook-cache", ignore_errors=True)
    cold = run_timed(mkdocs, repo)
    warm = run_timed(mkdocs, repo)
    base_repo = baseline_repo(repo)
    base = run_timed(mkdocs, base_repo)
    part = dealbook_part(repo)
    index = repo / "public" / "search" / "search_index.json"
    base_index = base_repo / "public" / "search" / "search_index.json"
    customers = len(list((repo / "records" / "customers").glob("*.yaml")))
    print(f"\n== {label}: {customers} customers, {int(part['pages'])} generated pages")
    print(f"  mkdocs build, dealbook plugin, cold parse : {cold[0]:6.1f} s wall  {cold[1]:6.1f} s cpu  "
          f"{_mb(cold[2])} peak")
    print(f"  mkdocs build, dealbook plugin, warm cache : {warm[0]:6.1f} s wall  {warm[1]:6.1f} s cpu  "
          f"{_mb(warm[2])} peak")
    print(f"  baseline: same pages as Markdown files   : {base[0]:6.1f} s wall  {base[1]:6.1f} s cpu  "
          f"{_mb(base[2])} peak")
    print(f"  plugin build vs baseline (cpu, warm)     : {100 * (warm[1] - base[1]) / base[1]:+6.1f} %")
    for key, value in part.items():
        if key != "pages":
            print(f"    dealbook part: {key:<28} {value:6.2f} s cpu")
    print(f"  search index: {index.stat().st_size / 1e6:.2f} MB, {index.stat().st_size / customers / 1e3:.1f} KB "
          f"per customer (baseline, whole pages: {base_index.stat().st_size / 1e6:.2f} MB); "
          f"site: {folder_size(repo / 'public') / 1e6:.0f} MB")
    if serve:
        rebuilt = serve_rebuild(repo)
        print("  mkdocs serve, one follow-up edited: " + (
            f"{rebuilt[0]:.1f} s from the edit to the reload ({rebuilt[1]:.1f} s of it the rebuild)" if rebuilt
            else "timed out"))
    return {"customers": customers, "warm_cpu": warm[1], "cold_cpu": cold[1], "base_cpu": base[1], "warm_wall": warm[0]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="250,1000", help="customer counts, comma-separated")
    parser.add_argument("--demo", action="store_true", help="time the product repo's demo site only")
    parser.add_argument("--serve", action="store_true",
                        help="also time `mkdocs serve`'s rebuild after one edited follow-up (each size)")
    args = parser.parse_args()
    print(f"dealbook site benchmark · {dt.date.today()} · {os.cpu_count()} cores · load {os.getloadavg()[0]:.1f}")
    if args.demo:
        import tempfile

        with tempfile.TemporaryDirectory() as tmp:
            wall, cpu, _ = run_timed([sys.executable, "-m", "mkdocs", "build", "-q", "--strict", "--site-dir", tmp],
                                     ROOT)
            index = Path(tmp) / "search" / "search_index.json"
            print(f"demo site: {wall:.1f} s wall, {cpu:.1f} s cpu; search index {index.stat().st_size / 1e3:.0f} KB")
        return
    results = [measure(records_repo(int(n)), f"size {n}", args.serve) for n in args.sizes.split(",")]
    for small, large in itertools.pairwise(results):
        factor = large["customers"] / small["customers"]
        warm = large["warm_cpu"] / small["warm_cpu"]
        cold = large["cold_cpu"] / small["cold_cpu"]
        print(f"\ngrowth {small['customers']} → {large['customers']} customers (×{factor:.0f}): "
              f"cpu ×{warm:.2f} warm, ×{cold:.2f} cold; baseline ×{large['base_cpu'] / small['base_cpu']:.2f}")


if __name__ == "__main__":
    main()
