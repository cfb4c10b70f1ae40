"""Logging from the site in a real headless Chromium: 记录跟进 opens the git host's new-file page
(the navigation is intercepted, nothing is fetched), the prefilled file is decoded, written into
a records repo and checked; the copy button copies the `dealbook log` line."""

from __future__ import annotations

import datetime as dt
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

import pytest
from conftest import RecordRepo
from test_site_browser import browser, site  # noqa: F401 - the built demo and Chromium, shared fixtures

pytestmark = pytest.mark.browser
CID = "粤IT2024001"
HOST = "git.example.com"  # the demo's repo_url (a GitHub Enterprise server, repo_kind: github)


@pytest.fixture
def page(browser, site):  # noqa: F811
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.grant_permissions(["clipboard-read", "clipboard-write"])
    opened: list[str] = []

    def route(route) -> None:
        url = route.request.url
        if urlsplit(url).hostname == HOST:
            opened.append(url)
            route.fulfill(status=200, content_type="text/html", body="<p>the git host</p>")
        elif urlsplit(url).hostname in ("127.0.0.1", "localhost"):
            route.continue_()
        else:
            route.abort()

    context.route("**/*", route)
    page = context.new_page()
    page.opened = opened
    page.goto(f"{site}customers/{CID}/")
    yield page
    context.close()


def test_log_a_follow_up_opens_the_host_editor_with_a_file_that_checks_once_by_is_filled(page, demo_repo: RecordRepo,
                                                                                          run) -> None:
    button = page.locator("a.db-log-new")
    assert button.inner_text() == "记录跟进"
    with page.expect_popup() as popup:
        button.click()
    popup.value.wait_for_load_state()
    [url] = page.opened
    parts = urlsplit(url)
    assert (parts.hostname, parts.path) == (HOST, "/sales/dealbook/new/main")
    query = parse_qs(parts.query)
    [path], [text] = query["filename"], query["value"]
    # "now" is the reader's clock in the team's timezone, not the build's, on the day the demo pins
    # (as_of: 2024-05-20): the site is a snapshot of that day
    now = dt.datetime.now(ZoneInfo("Asia/Shanghai")).replace(tzinfo=None)
    at = next(line for line in text.splitlines() if line.startswith("at: "))[4:]
    assert at.startswith("2024-05-20 ")
    apart = (dt.datetime.combine(dt.date(2024, 5, 20), now.time()) - dt.datetime.strptime(at, "%Y-%m-%d %H:%M"))
    assert min(apart % dt.timedelta(days=1), -apart % dt.timedelta(days=1)) < dt.timedelta(minutes=3)
    assert path == f"records/followups/{CID}/{dt.datetime.strptime(at, '%Y-%m-%d %H:%M'):%Y-%m-%d-%H%M}.yaml"
    assert text.startswith("# yaml-language-server: $schema=../../../schemas/followup.schema.json\n")
    assert f"customer: {CID}\n" in text and "\nby:  # ← 填写你的成员代号:zhang(张伟)" in text
    demo_repo.write(path, text)
    target = str(demo_repo.root / path)
    assert run(demo_repo, "check", target).exit_code == 1  # `by` is still empty
    demo_repo.write(path, text.replace("\nby:  #", "\nby: zhang  #"))
    done = run(demo_repo, "check", target)
    assert done.exit_code == 0, done.output


def test_move_the_stage_opens_the_customer_file_and_commands_are_copied(page) -> None:
    move = page.locator("a.db-log-move")
    assert move.get_attribute("href") == (f"https://{HOST}/sales/dealbook/edit/main/records/customers/"
                                          "%E7%B2%A4IT2024001.yaml")
    command = page.locator("code.db-log-command").first.inner_text()
    assert command.startswith(f"dealbook log {CID} -m phone -c ")
    page.locator(".db-log-commands button.db-copy").first.click()
    assert page.evaluate("navigator.clipboard.readText()") == command
