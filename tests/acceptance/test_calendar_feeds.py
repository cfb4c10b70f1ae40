"""Calendar feeds for real: `mkdocs build` twice on the demo, `dealbook agenda --format ics`, parsed back."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest
from conftest import ROOT, RecordRepo
from dealbook.checks.reading import open_book
from dealbook.rules.agenda import agenda_items
from icalendar import Calendar
from test_site_build import build, site_repo

TODAY = dt.date(2024, 5, 20)  # the demo's as_of


def events(path_or_text: Path | str) -> dict[str, tuple[dt.date, str, str]]:
    """UID → (shown on, kind, summary)."""
    data = path_or_text.read_bytes() if isinstance(path_or_text, Path) else path_or_text.encode("utf-8")
    found = {}
    for event in Calendar.from_ical(data).walk("VEVENT"):
        found[str(event["UID"])] = (event.decoded("DTSTART"), str(event["CATEGORIES"].cats[0]), str(event["SUMMARY"]))
    return found


@pytest.fixture(scope="module")
def two_builds(tmp_path_factory) -> tuple[Path, Path, Path, Path]:
    """The demo built, then built again after zhang records a follow-up with a new next step."""
    root = tmp_path_factory.mktemp("calendar") / "demo"
    root.mkdir()
    shutil.copytree(ROOT / "records", root / "records")
    shutil.copy(ROOT / "dealbook.yaml", root / "dealbook.yaml")
    repo = RecordRepo(root)
    site_repo(repo)
    first = root.parent / "first"
    done = build(root, site_dir=first)
    assert done.returncode == 0, done.stderr
    repo.followup("粤IT2024001", "2024-05-20 09:00", by="zhang", contact="王总监", summary="确认演示",
                  next=[{"action": "现场演示", "due": "2024-05-24"}])
    second = root.parent / "second"
    done = build(root, site_dir=second)
    assert done.returncode == 0, done.stderr
    return root, first, second, ROOT


def test_each_owner_and_the_team_get_a_feed_matching_the_agenda(two_builds) -> None:
    _, first, _, product = two_builds
    before = open_book(str(product))  # the first build had the demo as it is in the product repo
    items = agenda_items(before, TODAY)
    team = events(first / "calendar.ics")
    assert sorted((d, k) for d, k, _ in team.values()) == sorted((max(i.due, TODAY), i.kind) for i in items)
    owners = sorted({c.owner for c in before.customers.values()} | set(before.members))
    for handle in owners:
        mine = events(first / "calendar" / f"{handle}.ics")
        assert len(mine) == sum(handle in i.who for i in items), handle  # what each person must act on
        assert set(mine) <= set(team)
    overdue = [i for i in items if i.due < TODAY]
    assert overdue, "the demo has overdue items"
    for i in overdue:
        assert any(d == TODAY and s.startswith(f"【逾期 {i.overdue_days} 天】{i.name}") for d, _, s in team.values())


def test_uids_are_stable_across_builds_and_an_update_moves_the_same_event(two_builds) -> None:
    _, first, second, _ = two_builds
    a, b = events(first / "calendar" / "zhang.ics"), events(second / "calendar" / "zhang.ics")
    changed = {uid for uid in a if a[uid] != b.get(uid)}
    # 粤IT2024001's next action moved to the new one: the same event (same UID) on its new date,
    # no event added or removed, every other event as it was
    assert set(a) == set(b) and len(changed) == 1
    [uid] = changed
    assert a[uid][1] == "next_action" and b[uid][:2] == (dt.date(2024, 5, 24), "next_action")
    assert "现场演示" in b[uid][2] and "现场演示" not in a[uid][2]


def test_the_agenda_page_and_owner_pages_link_their_feeds(two_builds) -> None:
    _, first, _, _ = two_builds
    agenda = (first / "agenda" / "index.html").read_text("utf-8")
    assert 'href="../calendar.ics"' in agenda
    owner = (first / "owners" / "zhang" / "index.html").read_text("utf-8")
    assert 'href="../../calendar/zhang.ics"' in owner


def test_the_command_line_prints_the_same_feed(two_builds, run) -> None:
    root, _, second, _ = two_builds
    result = run(root, "agenda", "--owner", "zhang", "--format", "ics")
    assert result.exit_code == 0, result.output
    assert events(result.output) == events(second / "calendar" / "zhang.ics")
    calendar = Calendar.from_ical(result.output.encode("utf-8"))
    url = next(str(e["URL"]) for e in calendar.walk("VEVENT"))
    assert url.startswith("https://sales.example.com/dealbook/customers/")
    other = run(root, "agenda", "--format", "ics", "--site-url", "https://crm.example.org")
    assert "URL:https://crm.example.org/customers/" in other.output.replace("\r\n ", "")


def test_a_site_url_links_cannot_start_from_is_a_build_warning_and_no_feed_carries_it(repo: RecordRepo) -> None:
    """MkDocs takes a site_url with a line break (it checks only for a scheme and a host): the feeds
    wrote it into URL: as is, a second line that calendar apps read as a property of its own."""
    repo.customer("粤IT2024001", created="2024-05-18", stage_history=[{"stage": "lead", "on": "2024-05-18"}])
    root = site_repo(repo)
    text = (root / "mkdocs.yml").read_text(encoding="utf-8")
    line = text.splitlines().index("site_url: https://sales.example.com/dealbook/") + 1
    (root / "mkdocs.yml").write_text(text.replace("site_url: https://sales.example.com/dealbook/",
                                                  'site_url: "https://sales.example.com/crm/\\nX-INJECTED:1"'),
                                     encoding="utf-8")
    done = build(root, site_dir=root / "public")
    assert done.returncode == 0, done.stderr
    assert f"mkdocs.yml:{line}: site_url" in done.stderr and "含有换行符或其他控制字符" in done.stderr  # zh demo
    feed = (root / "public" / "calendar.ics").read_bytes()
    assert events(feed.decode("utf-8")) and b"X-INJECTED" not in feed and b"\r\nURL:" not in feed
