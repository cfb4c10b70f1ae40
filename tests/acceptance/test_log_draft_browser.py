"""The follow-up draft beside 记录跟进, in a real headless Chromium, for when the git host's editor
opens empty or the draft is too long for a link: the box holds the path and the text, the copy
buttons copy them at the reader's time (the browser's clock is pinned), named as `dealbook log`
would, and what is copied passes `dealbook check` once `by` is filled. A hostile, long customer
name is shown as text, never run."""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import http.server
import threading
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from conftest import RecordRepo, customer_data
from dealbook.site.editor_links import MAX_URL
from test_site_browser import ROOT, Quiet, browser, site  # noqa: F401 - Chromium, the demo site, shared
from test_site_build import build

pytestmark = pytest.mark.browser
CID = "粤IT2024001"
HOST = "git.example.com"
NAME = "<script>alert(1)</script> & \"Co\" " + "华辰精密电子" * 40 + "有限公司"
PINNED = dt.datetime(2024, 5, 20, 6, 30, tzinfo=dt.timezone.utc)  # 14:30 in Asia/Shanghai
LATER = dt.datetime(2026, 3, 6, 22, 45, tzinfo=dt.timezone.utc)  # 2026-03-07 06:45 in Asia/Shanghai


@contextlib.contextmanager
def served(root) -> Iterator[str]:
    """The site of the records repo at `root`, built with its mkdocs.yml and served on a free port."""
    (root / "site").mkdir()
    public = root.parent / "public"
    done = build(root, site_dir=public)
    assert done.returncode == 0, done.stderr
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=str(public)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="module")
def long_site(tmp_path_factory) -> Iterator[tuple[str, Path]]:
    """A records repo whose customer has a long, hostile name, sixty contacts and a follow-up at
    14:30 already, built with a GitLab repo_kind and served; yields (base URL, repo root)."""
    root = tmp_path_factory.mktemp("draft") / "book"
    repo = RecordRepo(root)
    repo.write("records/team.yaml", {"members": [
        {"handle": "zhang", "name": "张伟", "role": "rep", "email": "zhang@example.com"},
        {"handle": "li", "name": "李娜", "role": "rep", "email": "li@example.com"}]})
    repo.settings("as_of: 2024-05-20\n")
    contacts = [{"name": f"联系人{n:02d}号采购部经理", "title": "经理", "role": "decision_maker" if n == 0 else "user"}
                for n in range(60)]
    repo.write(f"records/customers/{CID}.yaml", customer_data(CID, name=NAME, contacts=contacts))
    repo.followup(CID, "2024-05-20 14:30")
    config = (ROOT / "mkdocs.yml").read_text(encoding="utf-8").replace("repo_kind: github", "repo_kind: gitlab")
    (root / "mkdocs.yml").write_text(config, encoding="utf-8")
    with served(root) as url:
        yield url, root


def pinned_page(browser, url: str, clock: dt.datetime = PINNED, script: bool = True):  # noqa: F811
    context = browser.new_context(viewport={"width": 390, "height": 844}, java_script_enabled=script)
    context.grant_permissions(["clipboard-read", "clipboard-write"])
    context.route("**/*", lambda route: route.continue_() if urlsplit(route.request.url).hostname == "127.0.0.1"
                  else route.abort())
    page = context.new_page()
    page.dialogs = []
    page.on("dialog", lambda d: (page.dialogs.append(d.message), d.dismiss()))
    page.clock.set_fixed_time(clock)
    page.goto(url)
    return context, page


@pytest.fixture
def page(browser, long_site):  # noqa: F811
    base, _ = long_site
    context, page = pinned_page(browser, f"{base}customers/{CID}/")
    yield page
    context.close()


def test_a_draft_too_long_for_a_link_is_in_the_copy_box_and_checks_as_copied(page, long_site, run) -> None:
    _, root = long_site
    link = page.locator("a.db-log-new")
    link.dispatch_event("mousedown")  # the script puts the reader's time in
    href = link.get_attribute("href")
    assert len(href) <= MAX_URL
    query = parse_qs(urlsplit(href).query)
    path = f"records/followups/{CID}/2024-05-20-1430-2.yaml"  # 14:30 is taken: the next name, as `dealbook log`
    assert query["file_name"] == [path] and "content" not in query
    assert "太长" in page.locator(".db-log-hint").inner_text()  # and the hint says why
    box = page.locator("details.db-log-draft")
    assert box.get_attribute("open") is not None  # shown without a click: the link carries no text
    assert page.locator(".db-log-draft-path").inner_text() == path
    page.locator("button.db-copy[data-copy-from='.db-log-draft-path']").click()
    assert page.evaluate("navigator.clipboard.readText()") == path
    page.locator("button.db-copy[data-copy-from='.db-log-draft-text']").click()
    text = page.evaluate("navigator.clipboard.readText()")
    assert text == page.locator(".db-log-draft-text").text_content()
    assert "\nat: 2024-05-20 14:30\n" in text and "#     due: 2024-05-23\n" in text
    assert NAME in text  # the name as written, shown as text
    assert page.dialogs == []  # never run
    assert not page.evaluate("Array.from(document.scripts).some(s => s.text.includes('alert(1)'))")  # nor markup
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the page is {width} px wide on a phone"
    repo = RecordRepo(root)
    repo.write(path, text)
    assert run(repo, "check", str(root / path)).exit_code == 1  # `by` is still empty
    repo.write(path, text.replace("\nby:  #", "\nby: zhang  #"))
    done = run(repo, "check", str(root / path))
    assert done.exit_code == 0, done.output
    (root / path).unlink()


def draft_of_link(page) -> tuple[str, str]:
    """The (file name, text) the page's new-file link carries, once its script has filled them."""
    link = page.locator("a.db-log-new")
    link.dispatch_event("mousedown")
    query = parse_qs(urlsplit(link.get_attribute("href")).query)
    [path], [text] = query["filename"], query["value"]
    return path, text


def test_the_demo_page_offers_the_text_the_link_carries_to_copy(browser, site, demo_repo, run) -> None:  # noqa: F811
    """The demo's host (repo_kind github) gets the whole draft in the link; the box, closed, holds
    the same path and text for an editor that opens empty."""
    context, page = pinned_page(browser, f"{site}customers/{CID}/")
    try:
        path, text = draft_of_link(page)
        assert path == f"records/followups/{CID}/2024-05-20-1430.yaml"
        box = page.locator("details.db-log-draft")
        assert box.get_attribute("open") is None
        assert "如果编辑器打开后是空的" in page.locator(".db-log-hint").inner_text()
        box.locator("summary").click()
        assert page.locator(".db-log-draft-path").inner_text() == path
        page.locator("button.db-copy[data-copy-from='.db-log-draft-text']").click()
        copied = page.evaluate("navigator.clipboard.readText()")
        assert copied == text and "\nat: 2024-05-20 14:30\n" in copied
        note = page.locator(".db-log-time")  # seen with the box closed: whose clock, and to correct it
        assert note.is_visible() and "Asia/Shanghai" in note.inner_text() and "网站构建的时间" in note.inner_text()
        demo_repo.write(path, copied.replace("\nby:  #", "\nby: zhang  #"))
        done = run(demo_repo, "check", str(demo_repo.root / path))
        assert done.exit_code == 0, done.output
    finally:
        context.close()


def test_a_site_pinned_to_as_of_dates_the_draft_on_that_day_at_the_readers_time(browser, site, demo_repo,  # noqa: F811
                                                                                run) -> None:
    """The demo pins `as_of: 2024-05-20`: every page shows that day, so the draft is dated on it,
    at the reader's time of day (their browser says 2026-03-07 06:45 in Shanghai), as `dealbook
    log` dates a follow-up in a pinned repo; without the script, at the build's time of day."""
    context, page = pinned_page(browser, f"{site}customers/{CID}/", clock=LATER)
    try:
        path, text = draft_of_link(page)
        assert path == f"records/followups/{CID}/2024-05-20-0645.yaml"
        assert "\nat: 2024-05-20 06:45\n" in text and "#     due: 2024-05-23\n" in text
        assert page.locator(".db-log-draft-path").text_content() == path
        assert page.locator(".db-log-draft-text").text_content() == text
        note = page.locator(".db-log-time").inner_text()
        assert "2024-05-20" in note and "快照" in note  # says whose day, and why
        assert page.locator(".db-log-actions").get_attribute("data-day") == "2024-05-20"
        demo_repo.write(path, text.replace("\nby:  #", "\nby: zhang  #"))
        done = run(demo_repo, "check", str(demo_repo.root / path))
        assert done.exit_code == 0, done.output
    finally:
        context.close()
    context, page = pinned_page(browser, f"{site}customers/{CID}/", clock=LATER, script=False)
    try:  # no script: the build's time, on the pinned day all the same
        query = parse_qs(urlsplit(page.locator("a.db-log-new").get_attribute("href")).query)
        assert query["filename"][0].startswith(f"records/followups/{CID}/2024-05-20-")
        assert "\nat: 2024-05-20 " in query["value"][0]
        assert page.locator(".db-log-draft-path").text_content().startswith(f"records/followups/{CID}/2024-05-20-")
    finally:
        context.close()


@pytest.fixture(scope="module")
def unpinned_site(tmp_path_factory) -> Iterator[str]:
    """A records repo without `as_of` (nor DEALBOOK_TODAY), built with the demo's mkdocs.yml and served."""
    root = tmp_path_factory.mktemp("unpinned") / "book"
    repo = RecordRepo(root)
    repo.write("records/team.yaml", {"members": [
        {"handle": "zhang", "name": "张伟", "role": "rep", "email": "zhang@example.com"}]})
    repo.settings("timezone: Asia/Shanghai\n")
    repo.write(f"records/customers/{CID}.yaml", customer_data(CID))
    (root / "mkdocs.yml").write_text((ROOT / "mkdocs.yml").read_text(encoding="utf-8"), encoding="utf-8")
    with served(root) as url:
        yield url


def test_a_site_not_pinned_dates_the_draft_by_the_readers_clock(browser, unpinned_site) -> None:  # noqa: F811
    context, page = pinned_page(browser, f"{unpinned_site}customers/{CID}/", clock=LATER)
    try:
        assert page.locator(".db-log-actions").get_attribute("data-day") is None
        link = page.locator("a.db-log-new")
        link.dispatch_event("mousedown")
        query = parse_qs(urlsplit(link.get_attribute("href")).query)
        assert query["filename"] == [f"records/followups/{CID}/2026-03-07-0645.yaml"]
        assert "\nat: 2026-03-07 06:45\n" in query["value"][0] and "#     due: 2026-03-10\n" in query["value"][0]
        assert "快照" not in page.locator(".db-log-time").inner_text()
    finally:
        context.close()
