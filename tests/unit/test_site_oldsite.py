"""The old site folder under `mkdocs serve`: moved aside, the reused pages' files moved back, the rest
deleted after the rebuild (site/oldsite.py)."""

from __future__ import annotations

import logging
from pathlib import Path

from dealbook.site import plugin
from dealbook.site.oldsite import PREFIX, OldSite


def test_kept_files_are_moved_back_and_the_rest_deleted_after_the_rebuild(tmp_path: Path) -> None:
    site = tmp_path / "site"
    for name in ("customers/a/index.html", "customers/b/index.html", "index.html", ".git/HEAD"):
        (site / name).parent.mkdir(parents=True, exist_ok=True)
        (site / name).write_text(name, "utf-8")
    old = OldSite()
    old.clear(str(site), fork=False, later=True)
    assert sorted(p.name for p in site.iterdir() if not p.name.startswith(PREFIX)) == [".git"]
    assert old.restore("customers/a/index.html")
    assert not old.restore("customers/gone/index.html") and not old.restore("../outside.html")
    assert (site / "customers/a/index.html").read_text("utf-8") == "customers/a/index.html"
    old.delete()
    assert old.thread is not None
    old.thread.join(30)
    assert sorted(str(p.relative_to(site)) for p in site.rglob("*") if p.is_file()) == [
        ".git/HEAD", "customers/a/index.html"]
    assert not old.restore("index.html")  # nothing is kept aside any more


def test_mkdocs_says_nothing_of_a_page_moved_back(caplog) -> None:
    from mkdocs.commands import build as mkdocs_build

    plugin._quiet_restored()
    plugin._quiet_restored()
    assert mkdocs_build.log.filters.count(plugin._not_restored) == 1
    plugin.RESTORED.add("customers/a.md")
    try:
        with caplog.at_level(logging.INFO, logger="mkdocs.commands.build"):
            mkdocs_build.log.info("Page skipped: 'customers/a.md'. Generated empty output.")
            mkdocs_build.log.info("Page skipped: 'customers/b.md'. Generated empty output.")
    finally:
        plugin.RESTORED.clear()
        mkdocs_build.log.removeFilter(plugin._not_restored)
    assert [r.getMessage()[:30] for r in caplog.records] == ["Page skipped: 'customers/b.md'"]
