"""Page reuse: after an edit, `mkdocs serve` and `mkdocs build` render again only the pages whose
inputs changed, and the site is the one a fresh build of the same records writes (search index
included). `mkdocs build` with the generated pages rendered by worker processes writes the site a
one-process build writes, file by file; an error in one page stops the build and names it."""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from urllib.parse import quote, urlsplit

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from mkdocs.commands.build import build
from mkdocs.config import load_config

ROOT = Path(__file__).resolve().parents[2]
# The log-a-follow-up links carry the minute of the build (the page script puts the reader's clock
# in them); the calendar feeds their DTSTAMP; the sitemap's gzip its time.
CLOCK = re.compile(r"20\d\d-\d\d-\d\d(?:-|%20| )\d\d(?:%3A|:)?\d\d|DTSTAMP:\w+")


def serve_build(root: Path, site: Path, startup: bool = False):
    """One rebuild as `mkdocs serve` does it: a fresh config, the same plugin object."""
    config = load_config(config_file=str(root / "mkdocs.yml"), site_dir=str(site))
    if startup:
        config.plugins.on_startup(command="serve", dirty=False)
    build(config, serve_url="http://127.0.0.1:8000/")
    return config.plugins["dealbook"]


def mkdocs_build(root: Path, site: Path) -> str:
    """`mkdocs build` in a new process; its log."""
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    done = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--site-dir", str(site)], cwd=root,
                          capture_output=True, text=True, env=env, timeout=600)
    assert done.returncode == 0, done.stderr
    return done.stderr


def fresh_build(root: Path, site: Path) -> None:
    """`mkdocs build` with no pages kept from an earlier build."""
    (root / ".dealbook-cache" / "site-pages").unlink(missing_ok=True)
    assert "0 reused" in mkdocs_build(root, site)


def counts(log: str) -> tuple[int, int]:
    found = re.findall(r"dealbook: (\d+) generated pages rendered, (\d+) reused", log)
    assert found, log[-3000:]
    return int(found[-1][0]), int(found[-1][1])


def site_files(site: Path) -> dict[str, str]:
    return {str(p.relative_to(site)): CLOCK.sub("<clock>", p.read_text("utf-8", "replace"))
            for p in sorted(site.rglob("*")) if p.is_file() and p.suffix != ".gz"}


def assert_same_site(served: Path, fresh: Path) -> None:
    a, b = site_files(served), site_files(fresh)
    assert sorted(a) == sorted(b)
    differ = [name for name in a if a[name] != b[name]]
    assert differ == [], f"served pages differ from a fresh build: {differ[:5]}"


def latest_followup(root: Path, cid: str) -> Path:
    return sorted((root / "records" / "followups" / cid).glob("*.yaml"))[-1]


@pytest.fixture
def served_demo(demo_repo):
    root = demo_repo.root
    shutil.copy(ROOT / "mkdocs.yml", root / "mkdocs.yml")
    (root / "site").mkdir()
    demo_repo.git_init()
    demo_repo.commit("demo records", date="2024-05-01T10:00:00+08:00")
    return demo_repo


def test_an_edit_renders_only_what_changed_and_serves_what_a_fresh_build_writes(served_demo, tmp_path):
    root = served_demo.root
    site = tmp_path / "served"
    plugin = serve_build(root, site, startup=True)
    customers = sorted(p.stem for p in (root / "records" / "customers").glob("*.yaml"))
    generated = len(plugin.store.rendered)
    assert plugin.store.reused == [] and generated > len(customers)

    # nothing changed: nothing is rendered again (but the process page, whose context is the settings
    # object: the values it computes lazily may have been computed by then, which changes its key)
    serve_build(root, site)
    assert set(plugin.store.rendered) <= {"process.md"} and len(plugin.store.reused) >= generated - 1

    # one follow-up edited: that customer's page shows it; an unrelated customer's is reused
    edited, other = customers[0], customers[-1]
    path = latest_followup(root, edited)
    time.sleep(0.05)
    path.write_text(re.sub(r"^summary: .*$", "summary: 客户确认下周二现场演示改期", path.read_text("utf-8"),
                           count=1, flags=re.M), "utf-8")
    serve_build(root, site)
    assert f"customers/{edited}.md" in plugin.store.rendered
    assert f"customers/{other}.md" in plugin.store.reused
    assert len(plugin.store.rendered) <= generated // 4, plugin.store.rendered
    assert "客户确认下周二现场演示改期" in (site / "customers" / edited / "index.html").read_text("utf-8")
    fresh_build(root, tmp_path / "fresh1")
    assert_same_site(site, tmp_path / "fresh1")

    # a commit moves HEAD: change logs and recorded times are read again; still the fresh build's site
    served_demo.commit("edit", date="2024-05-21T09:00:00+08:00")
    serve_build(root, site)
    fresh_build(root, tmp_path / "fresh2")
    assert_same_site(site, tmp_path / "fresh2")

    # the team or the settings change what every page shows: everything is rendered again
    team = root / "records" / "team.yaml"
    team.write_text(team.read_text("utf-8").replace("张伟", "张伟伟", 1), "utf-8")
    serve_build(root, site)
    assert plugin.store.reused == [] and len(plugin.store.rendered) == generated
    settings = root / "dealbook.yaml"
    settings.write_text(settings.read_text("utf-8") + "\n# a comment changes nothing\n", "utf-8")
    serve_build(root, site)
    assert len(plugin.store.reused) >= generated - 1
    settings.write_text(settings.read_text("utf-8").replace("as_of: 2024-05-20", "as_of: 2024-05-21"), "utf-8")
    serve_build(root, site)
    assert plugin.store.reused == []
    fresh_build(root, tmp_path / "fresh3")
    assert_same_site(site, tmp_path / "fresh3")


EDITS = ("summary", "added this week", "added before the window", "removed", "customer renamed", "comment",
         "stage dates", "team", "day", "commit")


def apply_edit(demo, edit: str, index: int) -> None:
    """One change to the demo's records: `index` picks the customer."""
    root = demo.root
    customers = sorted((root / "records" / "customers").glob("*.yaml"))
    customer = customers[index % len(customers)]
    cid = customer.stem
    followups = sorted((root / "records" / "followups" / cid).glob("*.yaml"))
    if edit == "summary" and followups:
        path = followups[-1]
        path.write_text(re.sub(r"^summary: (.*)$", r"summary: \1(改)", path.read_text("utf-8"), count=1,
                               flags=re.M), "utf-8")
    elif edit == "added this week":
        demo.followup(cid, f"2024-05-1{8 + index % 2} 1{index % 10}:00", contact="王总", summary=f"新的跟进 {index}")
    elif edit == "added before the window":
        demo.followup(cid, f"2024-04-2{index % 10} 09:00", contact="王总", summary=f"补记 {index}")
    elif edit == "removed" and followups:
        followups[-1].unlink()
    elif edit == "customer renamed":
        customer.write_text(re.sub(r"^name: (.*)$", r"name: \1分公司", customer.read_text("utf-8"), count=1,
                                   flags=re.M), "utf-8")
    elif edit == "stage dates":  # its stage moves a year earlier: the funnel's and the reports' counts change
        customer.write_text(customer.read_text("utf-8").replace("    on: 2024-", "    on: 2023-"), "utf-8")
    elif edit == "comment":  # the file changes, its data does not
        customer.write_text(customer.read_text("utf-8") + "# checked\n", "utf-8")
    elif edit == "team":
        team = root / "records" / "team.yaml"
        text = team.read_text("utf-8")
        renamed = text.replace("张伟伟", "张伟") if "张伟伟" in text else text.replace("张伟", "张伟伟", 1)
        team.write_text(renamed, "utf-8")
    elif edit == "day":
        settings_file = root / "dealbook.yaml"
        text = settings_file.read_text("utf-8")
        day = "as_of: 2024-05-21" if "as_of: 2024-05-20" in text else "as_of: 2024-05-20"
        settings_file.write_text(re.sub(r"^as_of: .*$", day, text, count=1, flags=re.M), "utf-8")
    elif edit == "commit":  # HEAD moves (with or without changes): change logs and recorded times read again
        demo.git("add", "-A")
        demo.git("commit", "-q", "--allow-empty", "-m", f"edit {index}")


@settings(max_examples=4, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(edits=st.lists(st.tuples(st.sampled_from(EDITS), st.integers(0, 400)), min_size=1, max_size=3))
@example(edits=[("summary", 3)])
@example(edits=[("added before the window", 5), ("removed", 6), ("customer renamed", 7)])
@example(edits=[("comment", 8), ("team", 0), ("day", 0)])
@example(edits=[("commit", 0), ("added this week", 9), ("commit", 1)])
@example(edits=[("stage dates", 10), ("stage dates", 11)])
def test_serve_after_any_edits_writes_what_a_fresh_build_writes(served_demo, tmp_path_factory, edits):
    """Whatever is edited between two rebuilds (a follow-up's text, follow-ups added or removed, a
    customer file, a comment, the team, the day, a commit), the rebuilt site is the fresh build's,
    file by file, search index included. (Each example on its own copy of the demo repo.)"""
    root = tmp_path_factory.mktemp("demo") / "repo"
    shutil.copytree(served_demo.root, root, symlinks=True)
    demo = type(served_demo)(root)
    site = tmp_path_factory.mktemp("served")
    serve_build(root, site, startup=True)
    for edit, index in edits:
        time.sleep(0.02)
        apply_edit(demo, edit, index)
        plugin = serve_build(root, site)
    fresh = tmp_path_factory.mktemp("fresh")
    fresh_build(root, fresh)
    assert_same_site(site, fresh)
    if all(edit in ("summary", "removed", "added this week", "comment") for edit, _ in edits):
        assert len(plugin.store.reused) > len(plugin.store.rendered)  # one customer's files: most pages kept


def test_mkdocs_build_reuses_the_pages_of_the_last_build(served_demo, tmp_path):
    root = served_demo.root
    mkdocs_build(root, tmp_path / "first")
    generated = sum(counts(mkdocs_build(root, tmp_path / "second")))
    rendered, reused = counts(mkdocs_build(root, tmp_path / "third"))  # nothing changed
    # (a few pages are keyed on sets, whose order differs between two processes: rendered again)
    assert rendered <= 10 and reused == generated - rendered
    cid = sorted(p.stem for p in (root / "records" / "customers").glob("*.yaml"))[2]
    path = latest_followup(root, cid)
    path.write_text(re.sub(r"^summary: .*$", "summary: 两次构建之间修改", path.read_text("utf-8"), count=1,
                           flags=re.M), "utf-8")
    rendered, reused = counts(mkdocs_build(root, tmp_path / "edited"))
    assert rendered <= generated // 4 and "两次构建之间修改" in (
        tmp_path / "edited" / "customers" / cid / "index.html").read_text("utf-8")
    fresh_build(root, tmp_path / "fresh")
    assert_same_site(tmp_path / "edited", tmp_path / "fresh")
    # reuse_pages: false renders every page
    config = root / "mkdocs.yml"
    config.write_text(config.read_text("utf-8").replace("      branch: main", "      branch: main\n"
                                                        "      reuse_pages: false"), "utf-8")
    assert "reused" not in mkdocs_build(root, tmp_path / "off")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(log: Path, needle: str, count: int, timeout: float = 300) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if log.read_text("utf-8", "replace").count(needle) >= count:
            return
        time.sleep(0.2)
    raise AssertionError(f"no {needle!r} ×{count} in:\n{log.read_text('utf-8', 'replace')[-3000:]}")


def test_mkdocs_serve_rebuilds_one_customer_after_an_edit(served_demo):
    root = served_demo.root
    port = free_port()
    log = root / "serve.log"
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    with open(log, "w") as out:
        server = subprocess.Popen([sys.executable, "-m", "mkdocs", "serve", "-a", f"127.0.0.1:{port}"], cwd=root,
                                  env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        wait_for(log, "Serving on", 1)
        cid = sorted(p.stem for p in (root / "records" / "customers").glob("*.yaml"))[1]
        path = latest_followup(root, cid)
        time.sleep(1)
        path.write_text(re.sub(r"^summary: .*$", "summary: 服务中修改的纪要", path.read_text("utf-8"), count=1,
                               flags=re.M), "utf-8")
        wait_for(log, "Reloading browsers", 1)
        text = log.read_text("utf-8", "replace")
        found = re.findall(r"dealbook: (\d+) generated pages rendered, (\d+) reused", text)
        assert len(found) == 2, text[-3000:]
        (first, _), (rendered, reused) = [(int(a), int(b)) for a, b in found]
        assert 1 <= rendered <= first // 4 and rendered + reused == first
        mount = urlsplit(load_config(config_file=str(root / "mkdocs.yml")).site_url or "/").path  # as serve mounts it
        url = f"http://127.0.0.1:{port}{mount}customers/{quote(cid)}/"
        with urllib.request.urlopen(url, timeout=30) as response:
            assert "服务中修改的纪要" in response.read().decode("utf-8")
    finally:
        server.terminate()
        server.wait(30)


# --- pages rendered by worker processes (site/parallel.py) ---------------------------------------

forking = pytest.mark.skipif(not hasattr(os, "fork"), reason="workers are forked")


def parallel_build(root: Path, site: Path, workers: int | None, check: bool = True) -> subprocess.CompletedProcess:
    config = (ROOT / "mkdocs.yml").read_text("utf-8")
    if workers is not None:
        config = config.replace("      branch: main", f"      branch: main\n      workers: {workers}", 1)
    (root / "mkdocs.yml").write_text(config, "utf-8")
    (root / ".dealbook-cache" / "site-pages").unlink(missing_ok=True)  # every page rendered
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    done = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--site-dir", str(site)], cwd=root,
                          capture_output=True, text=True, env=env, timeout=600)
    if check:
        assert done.returncode == 0, done.stderr
    return done


@pytest.fixture
def demo(demo_repo):
    (demo_repo.root / "site").mkdir()
    return demo_repo.root


@forking
def test_workers_write_the_site_one_process_writes(demo, tmp_path):
    one = parallel_build(demo, tmp_path / "one", workers=1)
    assert "worker processes" not in one.stderr
    three = parallel_build(demo, tmp_path / "three", workers=3)
    generated = sum(counts(one.stderr))
    found = re.search(r"(\d+) generated pages handed to 3 worker processes", three.stderr)
    assert found and int(found.group(1)) == generated, three.stderr[-2000:]
    assert_same_site(tmp_path / "three", tmp_path / "one")
    index = (tmp_path / "three" / "search" / "search_index.json").read_text("utf-8")
    assert '"location":"customers/' in index  # customer pages are in the index (from the workers)
    # the automatic choice (too few pages here to fork) renders them in this process, when built
    auto = parallel_build(demo, tmp_path / "auto", workers=None)
    assert "worker processes" not in auto.stderr
    assert_same_site(tmp_path / "auto", tmp_path / "one")
    # and a second build reuses the workers' pages
    again = parallel_build(demo, tmp_path / "again", workers=2)
    assert counts(again.stderr) == (generated, 0)
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    done = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--site-dir", str(tmp_path / "kept")], cwd=demo,
                          capture_output=True, text=True, env=env, timeout=600)
    rendered, reused = counts(done.stderr)
    assert rendered <= 2 and reused >= generated - 2, done.stderr[-2000:]
    assert_same_site(tmp_path / "kept", tmp_path / "one")


@forking
def test_an_error_in_one_page_stops_the_build_and_names_the_page(demo, tmp_path):
    cid = sorted(p.stem for p in (demo / "records" / "customers").glob("*.yaml"))[3]
    overrides = demo / "site" / "overrides" / "dealbook"
    overrides.mkdir(parents=True)
    shutil.copy(ROOT / "tools" / "dealbook" / "site" / "templates" / "customer.html", overrides / "customer.html")
    template = overrides / "customer.html"
    template.write_text(f"{{% if c.id == '{cid}' %}}{{{{ 1 // 0 }}}}{{% endif %}}" + template.read_text("utf-8"),
                        "utf-8")
    done = parallel_build(demo, tmp_path / "broken", workers=2, check=False)
    assert done.returncode != 0
    assert f"customers/{cid}.md" in done.stderr and "ZeroDivisionError" in done.stderr, done.stderr[-3000:]
    serial = parallel_build(demo, tmp_path / "serial", workers=1, check=False)
    assert serial.returncode != 0 and "ZeroDivisionError" in serial.stderr


# --- work done once per build instead of once per page (site/sidebar.py, site/segment.py) ------------


def build_in_process(root: Path, site: Path) -> object:
    """`mkdocs build` in this process (so that a test can switch a saving off); every page rendered."""
    (root / ".dealbook-cache" / "site-pages").unlink(missing_ok=True)
    config = load_config(config_file=str(root / "mkdocs.yml"), site_dir=str(site))
    config.plugins["dealbook"].config.workers = 1
    config.plugins.on_startup(command="build", dirty=False)
    build(config)
    return config.plugins["dealbook"]


@pytest.mark.parametrize("directory_urls", [True, False])
def test_sidebars_and_word_cuts_done_once_give_the_site_done_page_by_page(demo, tmp_path, monkeypatch,
                                                                            directory_urls):
    config = (ROOT / "mkdocs.yml").read_text("utf-8")
    if not directory_urls:  # customers/X.html: the pages share their folder
        config = config.replace("site_dir: public\n", "site_dir: public\nuse_directory_urls: false\n", 1)
    (demo / "mkdocs.yml").write_text(config, "utf-8")
    plugin = build_in_process(demo, tmp_path / "once")
    kinds = plugin._sidebars.pieces  # type: ignore[attr-defined]
    customers = len(list((demo / "records" / "customers").glob("*.yaml")))
    assert 1 <= len(kinds) < customers  # the customer pages share one sidebar
    assert any(kind[1] == "customers" for kind in kinds)
    from dealbook.site import plugin as module
    from dealbook.site import segment
    from dealbook.site.sidebar import NavCache

    cuts: list[int] = []
    remember = segment.remember_cuts

    def counting() -> None:
        remember()
        from material.plugins.search import plugin as search

        cuts.append(id(search.jieba))

    monkeypatch.setattr(module, "remember_cuts", counting)
    build_in_process(demo, tmp_path / "counted")
    assert cuts  # the search plugin's jieba was the remembering one during the build…
    from material.plugins.search import plugin as search

    assert not isinstance(search.jieba, segment.RememberedCuts)  # …and is jieba again after it
    # the same site built with the theme rendering every sidebar and jieba cutting every run
    monkeypatch.setattr(NavCache, "piece", lambda self, page: None)
    monkeypatch.setattr(module, "remember_cuts", lambda: None)
    build_in_process(demo, tmp_path / "each")
    assert_same_site(tmp_path / "once", tmp_path / "each")
    index = json.loads((tmp_path / "once" / "search" / "search_index.json").read_text("utf-8"))
    assert any("\u200b" in doc["text"] for doc in index["docs"])  # Chinese words were cut (the demo is Chinese)
    if not directory_urls:
        # a theme folder of the team's own may change the sidebar per page: rendered page by page then
        (demo / "theme-overrides").mkdir()
        (demo / "mkdocs.yml").write_text(config.replace("  name: material\n", "  name: material\n"
                                                        "  custom_dir: theme-overrides\n", 1), "utf-8")
        monkeypatch.undo()
        assert build_in_process(demo, tmp_path / "custom")._sidebars is None  # type: ignore[attr-defined]


@forking
def test_mkdocs_build_empties_the_old_site_folder_beside_the_build(demo, tmp_path):
    site = tmp_path / "site"
    parallel_build(demo, site, workers=None)
    first = site_files(site)
    (site / "stale.html").write_text("from an older build", "utf-8")
    (site / "customers" / "gone").mkdir()
    (site / ".git").mkdir()  # hidden entries stay, as MkDocs leaves them
    (site / ".git" / "HEAD").write_text("ref: refs/heads/pages\n", "utf-8")
    (site / ".dealbook-old-killed" / "customers").mkdir(parents=True)  # left by a build that was killed
    parallel_build(demo, site, workers=None)
    assert not (site / "stale.html").exists() and not (site / "customers" / "gone").exists()
    assert (site / ".git" / "HEAD").read_text("utf-8") == "ref: refs/heads/pages\n"
    shutil.rmtree(site / ".git")
    assert site_files(site) == first
    assert not [p for p in site.iterdir() if p.name.startswith(".dealbook-old-")]  # deleted, not left
