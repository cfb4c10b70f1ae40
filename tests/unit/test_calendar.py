"""The agenda as iCalendar: parsed back with icalendar, events against items, UIDs, overdue on today."""

from __future__ import annotations

import datetime as dt
import os
import re
import subprocess
import sys

import pytest
from dealbook.records.siteconfig import site_config
from dealbook.reports.calendar import agenda_calendar, calendar_domain, calendar_name, escape_text, fold, item_uid
from dealbook.rules.agenda import AgendaItem, agenda_items
from hypothesis import given, settings
from hypothesis import strategies as st
from icalendar import Calendar, vText
from test_rules import book, cust, fu

TODAY = dt.date(2024, 5, 20)
D = dt.date.fromisoformat
STAMP = dt.datetime(2024, 5, 20, 1, 0, tzinfo=dt.timezone.utc)
SITE = site_config("https://sales.example.com/crm", "https://git.example.com/sales/book")


def item(due: str, kind: str = "next_action", reason: str = "下一步「现场演示」截止", cid: str = "粤IT2024001",
         key: str = "") -> AgendaItem:
    day = D(due)
    late = max(0, (TODAY - day).days)
    return AgendaItem(cid, "A科技有限公司, 深圳; 分公司", "zhang", day, kind, reason, late, "", key)


def events(data: bytes) -> list:
    return [c for c in Calendar.from_ical(data).walk() if c.name == "VEVENT"]


def feed(items: list[AgendaItem], language: str = "zh") -> bytes:
    return agenda_calendar(items, TODAY, name="dealbook · 张伟", language=language, link=SITE.customer_link,
                           owner_name={"zhang": "张伟"}.get, domain=calendar_domain(SITE.site_url), stamp=STAMP)


def test_one_all_day_event_per_item_with_name_reason_owner_and_link() -> None:
    calendar = Calendar.from_ical(feed([item("2024-05-22")]))
    assert str(calendar["X-WR-CALNAME"]) == "dealbook · 张伟"
    assert calendar["REFRESH-INTERVAL"].dt == dt.timedelta(hours=4)
    [event] = events(calendar.to_ical())
    assert event.decoded("DTSTART") == D("2024-05-22") and event.decoded("DTEND") == D("2024-05-23")
    assert str(event["SUMMARY"]) == "A科技有限公司, 深圳; 分公司:下一步「现场演示」截止"
    url = "https://sales.example.com/crm/customers/%E7%B2%A4IT2024001/"
    assert str(event["URL"]) == url
    assert str(event["DESCRIPTION"]).splitlines() == [
        "下一步「现场演示」截止", "客户:A科技有限公司, 深圳; 分公司(粤IT2024001)", "负责人:张伟", "应办日期:2024-05-22",
        f"客户页面:{url}"]
    assert (str(event["TRANSP"]), str(event["CLASS"]), event["CATEGORIES"].cats) == (
        "TRANSPARENT", "PRIVATE", ["next_action"])
    assert event.decoded("DTSTAMP") == STAMP


def test_an_overdue_item_is_shown_on_today_and_says_so() -> None:
    [event] = events(feed([item("2024-05-17")]))
    assert event.decoded("DTSTART") == TODAY
    assert str(event["SUMMARY"]).startswith("【逾期 3 天】A科技有限公司")
    assert "应办日期:2024-05-17(已逾期 3 天,显示在今天)" in str(event["DESCRIPTION"])
    [english] = events(feed([item("2024-05-19")], language="en"))
    assert str(english["SUMMARY"]).startswith("[overdue 1 day] A科技有限公司")


def test_the_uid_does_not_depend_on_the_date_and_tells_kinds_and_keys_apart() -> None:
    first, moved = item("2024-05-22"), item("2024-05-30", reason="下一步「签约」截止")
    assert item_uid(first, "x") == item_uid(moved, "x")
    assert item_uid(first, "x") != item_uid(item("2024-05-22", kind="cadence"), "x")
    assert item_uid(first, "x") != item_uid(item("2024-05-22", cid="粤IT2024002"), "x")
    assert item_uid(item("2024-05-22", key="HT-1#2"), "x") != item_uid(item("2024-05-22", key="HT-1#3"), "x")
    assert item_uid(first, "sales.example.com").endswith("@sales.example.com")
    # two items with the same customer, kind and key still get two UIDs
    uids = [str(e["UID"]) for e in events(feed([item("2024-05-22"), item("2024-05-23")]))]
    assert len(set(uids)) == 2 and uids[1] == uids[0].replace("@", "-2@")


def test_events_match_the_agenda_of_a_fixed_day() -> None:
    b = book(cust(grade={"value": "A", "reason": "重点"}),
             [fu("2024-05-15 15:30", contact="王总监", objections=["competitor"])])
    items = agenda_items(b, TODAY)
    found = events(feed(items))
    assert [(str(e["CATEGORIES"].cats[0]), e.decoded("DTSTART")) for e in found] == [
        (i.kind, max(i.due, TODAY)) for i in items]
    assert {i.kind for i in items} == {"cadence", "differentiation_due"}
    assert all(i.reason in str(e["SUMMARY"]) for i, e in zip(items, found, strict=True))


def test_no_link_without_a_site_url_and_calendar_names() -> None:
    plain = agenda_calendar([item("2024-05-22")], TODAY, name="x", stamp=STAMP)
    [event] = events(plain)
    assert "URL" not in event and "客户页面" not in str(event["DESCRIPTION"])
    assert str(event["UID"]).endswith("@dealbook")
    assert calendar_name("星河", "zhang", {"zhang": "张伟"}, "zh") == "星河 · 张伟"
    assert calendar_name("星河", None, {}, "zh") == "星河 · 全队"
    assert calendar_name("Acme", None, {}, "en") == "Acme · team"


def test_an_empty_agenda_is_a_valid_empty_calendar() -> None:
    calendar = Calendar.from_ical(feed([]))
    assert calendar.name == "VCALENDAR" and events(calendar.to_ical()) == []


# --- the writer itself: RFC 5545 text, checked against the icalendar library's parser ---------------

TEXTS = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00\r"), max_size=200)


@settings(max_examples=150, deadline=None)
@given(name=TEXTS, reason=TEXTS, customer=TEXTS.filter(lambda s: s.strip() != ""))
def test_any_text_survives_escaping_and_folding(name: str, reason: str, customer: str) -> None:
    """Commas, semicolons, backslashes, newlines, CJK and emoji: icalendar reads back exactly what went in."""
    one = AgendaItem("粤IT2024001", customer, "zhang", D("2024-05-22"), "next_action", reason, 0, "", "")
    data = agenda_calendar([one], TODAY, name=name, link=SITE.customer_link, domain="x", stamp=STAMP)
    assert data.endswith(b"\r\n") and b"\n" not in data.replace(b"\r\n", b"")
    for line in data.split(b"\r\n"):
        assert len(line) <= 75  # octets, the folding limit
        line.decode("utf-8")  # never folded inside a character
    assert not re.search(rb"[\x00-\x08\x0a-\x1f\x7f]", data.replace(b"\r\n", b""))  # no CONTROL (RFC 5545)
    calendar = Calendar.from_ical(data)
    # icalendar keeps X- properties raw: they must equal its own escaping of the name
    assert calendar["X-WR-CALNAME"].to_ical() == vText(spaced(name)).to_ical()
    [event] = events(data)
    customer, reason = spaced(customer), spaced(reason)
    assert str(event["SUMMARY"]) == f"{customer}:{reason}"
    assert str(event["DESCRIPTION"]).startswith(f"{reason}\n客户:{customer}(粤IT2024001)\n负责人:zhang\n")


def spaced(text: str) -> str:
    """What the feed shows of `text`: each control character but tab and line breaks a space."""
    return "".join(" " if (ord(c) < 0x20 and c not in "\t\r\n") or c == "\x7f" else c for c in text)


def test_a_control_character_in_a_name_never_reaches_the_feed(repo, run) -> None:
    """A vertical tab (Word's line break) in a name went into SUMMARY as is: RFC 5545 allows no control
    character in a text value, and a calendar app may refuse the whole feed."""
    repo.customer("粤IT2024001", name="A科技\v有限\x1b[31m公司", created="2024-05-18",
                  stage_history=[{"stage": "lead", "on": "2024-05-18"}])
    result = run(repo, "agenda", "--format", "ics")
    assert result.exit_code == 0, result.output
    data = result.stdout_bytes
    assert not re.search(rb"[\x00-\x08\x0a-\x1f\x7f]", data.replace(b"\r\n", b""))
    assert {str(e["SUMMARY"]).split(":")[0].split("】")[-1] for e in events(data)} == {"A科技 有限 [31m公司"}


def test_folding_and_escaping_by_hand() -> None:
    assert escape_text('a,b;c\\d\ne\r\nf') == 'a\\,b\\;c\\\\d\\ne\\nf'
    line = "DESCRIPTION:" + "深圳华辰" * 20  # 12 + 240 octets
    folded = fold(line).encode("utf-8").split(b"\r\n")
    assert [len(part) for part in folded] == [75, 73, 73, 34]  # 75, then a space + 72 (whole 3-octet characters)
    assert all(part.startswith(b" ") for part in folded[1:])
    assert b"".join(part[1:] if i else part for i, part in enumerate(folded)).decode("utf-8") == line
    assert fold("x" * 75) == "x" * 75 and fold("x" * 76) == "x" * 75 + "\r\n x"


def test_all_day_dates_and_stamp_are_in_the_rfc_forms() -> None:
    text = feed([item("2024-05-22")]).decode("utf-8")
    assert "\r\nDTSTART;VALUE=DATE:20240522\r\n" in text and "\r\nDTEND;VALUE=DATE:20240523\r\n" in text
    assert "\r\nDTSTAMP:20240520T010000Z\r\n" in text
    assert text.startswith("BEGIN:VCALENDAR\r\nVERSION:2.0\r\n") and text.endswith("END:VCALENDAR\r\n")


def test_events_kept_by_the_caller_give_the_same_feed() -> None:
    """The site writes each item's event once (the team's feed, then the owner's) and a server keeps
    them between rebuilds: a feed made from kept events is the one made afresh, UIDs numbered per feed."""
    items = [item("2024-05-22"), item("2024-05-10", kind="cadence", reason="该联系了" * 30),
             item("2024-05-10", kind="cadence", reason="该联系了" * 30), item("2024-06-01", cid="粤IT2024002")]
    kept: dict = {}

    def made(chosen: list[AgendaItem], events: dict | None) -> bytes:
        return agenda_calendar(chosen, TODAY, name="dealbook · 张伟", link=SITE.customer_link,
                               owner_name={"zhang": "张伟"}.get, domain="x", stamp=STAMP, events=events)

    assert made(items, kept) == made(items, None) and len(kept) == 3  # two equal items: one event text
    before = dict(kept)
    assert made(items[1:], kept) == made(items[1:], None) and kept == before  # nothing written again
    kept[items[0]] = ("BEGIN:VEVENT", "END:VEVENT")  # what is kept is what is used
    assert b"SUMMARY" not in made(items[:1], kept)


# --- the site's address, as mkdocs.yml or --site-url gives it -----------------------------------------

def test_a_site_url_with_spaces_and_chinese_gives_a_valid_url_in_the_feed_and_the_digest(repo, run) -> None:
    """site_url went into URL: and the digest's links as typed: `URL:https://x/销售 部/…` is no URI
    (RFC 5545's URL value) and the Markdown link `[name](https://x/销售 部/…)` ends at the space."""
    repo.write("mkdocs.yml", 'site_url: "https://sales.example.com/销售 部/(2024)"\n')
    repo.customer("粤IT2024001", created="2024-05-18", stage_history=[{"stage": "lead", "on": "2024-05-18"}])
    base = "https://sales.example.com/%E9%94%80%E5%94%AE%20%E9%83%A8/%282024%29/"
    page = base + "customers/%E7%B2%A4IT2024001/"
    result = run(repo, "agenda", "--format", "ics")
    assert result.exit_code == 0 and result.stderr == "", result.output
    found = events(result.stdout_bytes)
    assert found and {str(e["URL"]) for e in found} == {page}
    assert all(str(e["DESCRIPTION"]).endswith(page) for e in found)
    digest = run(repo, "digest").stdout
    assert f"]({page})" in digest and digest.rstrip().endswith(f"]({base})")
    assert run(repo, "check").exit_code == 0


def test_a_site_url_links_cannot_start_from_leaves_links_out_and_says_where(repo, run) -> None:
    """A site_url with a line break wrote `URL:https://x/` and a second line of its own into the feed (a
    property of the user's choosing; many apps refuse the file); one with `#` or `?` pointed every link
    at one page. Now the feed and the digest leave the links out, say so with the line, and check fails."""
    repo.write("mkdocs.yml", 'site_name: x\nsite_url: "https://sales.example.com/crm/\\nX-INJECTED:1"\n')
    repo.customer("粤IT2024001", created="2024-05-18", stage_history=[{"stage": "lead", "on": "2024-05-18"}])
    result = run(repo, "agenda", "--format", "ics")
    assert result.exit_code == 0
    assert "警告:mkdocs.yml:2: site_url" in result.stderr and "换行符" in result.stderr  # the zh team's language
    data = result.stdout_bytes
    assert b"X-INJECTED" not in data and b"URL:" not in data and b"sales.example.com" not in data
    assert all("URL" not in e for e in events(data))
    digest = run(repo, "digest")
    assert "mkdocs.yml:2" in digest.stderr and "](" not in digest.stdout
    check = run(repo, "check")
    assert check.exit_code == 1 and "mkdocs.yml:2:1: error bad-url: site_url" in check.stdout
    assert run(repo, "check", str(repo.root / "mkdocs.yml")).exit_code == 1
    given = run(repo, "agenda", "--format", "ics", "--site-url", "https://crm.example.com/#agenda")
    assert given.exit_code == 2 and "--site-url" in given.output and "含有 ? 或 #" in given.output
    assert run(repo, "digest", "--site-url", "https://crm example.com/").exit_code == 2


def test_each_open_help_request_keeps_its_uid_when_another_one_is_answered(repo, run) -> None:
    """Help requests had no key: two open ones of a customer were `help_due-…` and `help_due-…-2` in the
    agenda's order, so when the first was answered the second took its UID, and a calendar rewrote the
    first one's event (with any reminder set on it) into the second."""
    repo.customer("粤IT2024001", created="2024-05-01", stage_history=[{"stage": "lead", "on": "2024-05-01"}])
    repo.followup("粤IT2024001", "2024-05-10 10:00", by="li", help={"from": "chen", "detail": "审批折扣"})
    repo.followup("粤IT2024001", "2024-05-12 10:00", by="li", help={"from": "技术部", "detail": "出技术方案"})

    def helps() -> dict[str, str]:
        result = run(repo, "agenda", "--format", "ics")
        assert result.exit_code == 0, result.output
        return {str(e["UID"]): str(e["SUMMARY"]) for e in events(result.stdout_bytes)
                if str(e["CATEGORIES"].cats[0]) == "help_due"}

    before = helps()
    assert len(before) == 2
    [kept] = [uid for uid, summary in before.items() if "出技术方案" in summary]
    repo.followup("粤IT2024001", "2024-05-14 10:00", by="chen", summary="已批折扣")  # answers the first
    after = helps()
    assert len(after) == 1 and "出技术方案" in after[kept]


def test_a_feed_of_a_revision_names_owners_as_that_revision_s_team_does(repo, run) -> None:
    """`agenda --at REV --format ics` took the owners' names from the working tree's team file."""
    repo.customer("粤IT2024001", created="2024-05-18", stage_history=[{"stage": "lead", "on": "2024-05-18"}])
    repo.git_init()
    repo.commit("the team as it was")
    team = (repo.root / "records" / "team.yaml").read_text(encoding="utf-8")
    repo.write("records/team.yaml", team.replace("张伟", "张大伟"))
    result = run(repo, "--at", "HEAD", "agenda", "--owner", "zhang", "--format", "ics")
    assert result.exit_code == 0, result.output
    calendar = Calendar.from_ical(result.stdout_bytes)
    assert str(calendar["X-WR-CALNAME"]) == "dealbook · 张伟"
    assert all("负责人:张伟\n" in str(e["DESCRIPTION"]) for e in calendar.walk("VEVENT"))


def test_an_instalment_falling_overdue_and_a_quote_expiring_keep_their_uid(demo_repo, run) -> None:
    """The kind is in the UID, and an instalment due on 05-20 is `instalment_due` that day and
    `instalment_overdue` the next: the calendar deleted its event and made another (reminders lost),
    as it did for a quote going from expiring to expired."""
    def uids(today: str) -> dict[tuple[str, str], tuple[str, str]]:
        result = run(demo_repo, "--today", today, "agenda", "--format", "ics")
        assert result.exit_code == 0, result.output
        return {(str(e["CATEGORIES"].cats[0]), str(e["DESCRIPTION"]).split("\n")[1]): (str(e["UID"]), str(e["SUMMARY"]))
                for e in events(result.stdout_bytes)}

    before, after = uids("2024-05-20"), uids("2024-05-21")
    moved = [(kind, who) for kind, who in before if kind in ("instalment_due", "quote_expiring")
             and (kind.replace("_due", "_overdue").replace("expiring", "expired"), who) in after]
    assert moved, "the demo has an instalment due on 2024-05-20"
    for kind, who in moved:
        later = kind.replace("_due", "_overdue").replace("expiring", "expired")
        assert before[(kind, who)][0] == after[(later, who)][0]
    assert item_uid(item("2024-05-22", kind="instalment_due", key="HT-1#2024-05-22"), "x") == item_uid(
        item("2024-05-22", kind="instalment_overdue", key="HT-1#2024-05-22"), "x")
    assert item_uid(item("2024-05-22", kind="quote_expiring", key="BJ-1"), "x") == item_uid(
        item("2024-05-22", kind="quote_expired", key="BJ-1"), "x")
    assert item_uid(item("2024-05-22", kind="quote_expiring", key="BJ-1"), "x") != item_uid(
        item("2024-05-22", kind="quote_to_send", key="BJ-1"), "x")


@pytest.mark.parametrize("args", [["agenda", "--format", "ics"], ["digest", "--webhook", "wecom"],
                                  ["digest", "--format", "html"]], ids=" ".join)
def test_a_feed_and_a_webhook_body_are_utf8_whatever_the_output_s_encoding(repo, args: list[str]) -> None:
    """`dealbook agenda --format ics > zhang.ics` on a Chinese Windows wrote the feed in GBK (Python writes
    a redirected stdout in the locale's encoding): RFC 5545 wants UTF-8 and calendars showed garbage; so
    for the webhook's JSON and the html saying charset=utf-8. GBK stands in for it here."""
    repo.customer("粤IT2024001", created="2024-05-18", stage_history=[{"stage": "lead", "on": "2024-05-18"}])
    env = {**os.environ, "PYTHONIOENCODING": "gbk", "DEALBOOK_TODAY": "2024-05-20"}
    done = subprocess.run([sys.executable, "-m", "dealbook", "--repo", str(repo.root), *args], capture_output=True,
                          env=env, timeout=120)
    assert done.returncode == 0, done.stderr.decode("utf-8", "replace")
    assert "A科技有限公司" in done.stdout.decode("utf-8")  # GBK's bytes for it are no UTF-8
