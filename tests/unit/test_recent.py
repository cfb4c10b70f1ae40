"""What changed: the feed and the week-over-week deltas on a real git history, worked by hand.

Today is 2024-05-20 and the window 7 days: this week is 05-14…05-20, the week before 05-07…05-13.
The history (commit dates in the team's timezone):

- 05-02  A 粤IT2024001 created as a lead; B 粤IT2024002 in negotiation since 04-20, 500,000, close 05-31
- 05-10  A moves to discovery (dated 05-10); B's amount 500,000 → 450,000
- 05-15  C 粤IT2024003 created (05-15); B's close date 05-31 → 06-30 and amount 450,000 → 480,000
- 05-17  B won on 05-16 (contract 480,000); A gets quote Q-1 dated 05-16, 120,000
- 05-19  A moves to proposal (dated 05-19)
- 05-21  (after today) B's amount edited again: not seen as of 05-20
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from conftest import RecordRepo, customer_data
from dealbook.checks.reading import open_book
from dealbook.git.recent import KINDS, Event, changelog_of, events_between, what_changed

TODAY = dt.date(2024, 5, 20)
D = dt.date.fromisoformat
A, B, C = "粤IT2024001", "粤IT2024002", "粤IT2024003"
NEED = {"summary": "质检效率低", "budget": {"status": "clear"}}


def when(day: str) -> str:
    return f"{day}T10:00:00+08:00"


def history(*pairs: str) -> list[dict[str, str]]:
    return [{"stage": s, "on": on} for s, on in (p.split("@") for p in pairs)]


def b_data(**overrides: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "name": "B精密有限公司", "owner": "li", "created": "2024-03-01", "stage": "negotiation", "need": NEED,
        "stage_history": history("lead@2024-03-01", "negotiation@2024-04-20"),
        "deal": {"amount": 500000, "close_by": "2024-05-31"},
    }
    return base | overrides


@pytest.fixture
def history_repo(repo: RecordRepo) -> RecordRepo:
    repo.git_init()
    repo.customer(A, created="2024-05-02", stage_history=history("lead@2024-05-02"))
    repo.customer(B, **b_data())
    repo.commit("A and B", when("2024-05-02"))
    repo.customer(A, created="2024-05-02", stage="discovery", need=NEED,
                  stage_history=history("lead@2024-05-02", "discovery@2024-05-10"))
    repo.customer(B, **b_data(deal={"amount": 450000, "close_by": "2024-05-31"}))
    repo.commit("A to discovery, B cheaper", when("2024-05-10"))
    repo.customer(C, name="C电子有限公司", created="2024-05-15", stage_history=history("lead@2024-05-15"))
    repo.customer(B, **b_data(deal={"amount": 480000, "close_by": "2024-06-30"}))
    repo.commit("C, B slips", when("2024-05-15"))
    won = b_data(stage="won", deal={"amount": 480000, "close_by": "2024-06-30"},
                 stage_history=history("lead@2024-03-01", "negotiation@2024-04-20", "won@2024-05-16"),
                 contracts=[{"no": "HT-1", "amount": 480000, "signed": "2024-05-16"}])
    repo.customer(B, **won)
    quote = [{"no": "Q-1", "date": "2024-05-16", "total": 120000}]
    repo.customer(A, created="2024-05-02", stage="discovery", need=NEED, quotes=quote,
                  stage_history=history("lead@2024-05-02", "discovery@2024-05-10"))
    repo.commit("B won, quote for A", when("2024-05-17"))
    repo.customer(A, created="2024-05-02", stage="proposal", need=NEED, quotes=quote,
                  stage_history=history("lead@2024-05-02", "discovery@2024-05-10", "proposal@2024-05-19"))
    repo.commit("A to proposal", when("2024-05-19"))
    repo.customer(B, **(won | {"deal": {"amount": 999999, "close_by": "2024-06-30"}}))
    repo.commit("B edited after today", when("2024-05-21"))
    return repo


def summary(events: list[Event] | tuple[Event, ...]) -> list[tuple[str, str, str, Any, Any, str]]:
    return [(e.on.isoformat(), e.kind, e.customer_id, e.before, e.after, e.source) for e in events]


def test_the_feed_of_the_last_seven_days(history_repo: RecordRepo) -> None:
    book = open_book(str(history_repo.root))
    feed = what_changed(book, changelog_of(str(history_repo.root)), TODAY, 7)
    assert (feed.start, feed.today, feed.days) == (D("2024-05-14"), TODAY, 7)
    assert summary(feed.events) == [
        ("2024-05-19", "stage_move", A, "discovery", "proposal", "record"),
        ("2024-05-16", "won", B, "negotiation", "won", "record"),
        ("2024-05-16", "new_quote", A, None, "Q-1", "record"),
        ("2024-05-15", "new_lead", C, None, None, "record"),
        ("2024-05-15", "amount_up", B, 450000, 480000, "git"),
        ("2024-05-15", "close_date_slipped", B, D("2024-05-31"), D("2024-06-30"), "git"),
    ]
    by_kind = {e.kind: e for e in feed.events}
    assert by_kind["won"].amount == 480000 and by_kind["won"].owner == "li"
    assert by_kind["new_quote"].amount == 120000
    assert by_kind["stage_move"].message == "需求挖掘 → 方案呈现"
    assert by_kind["won"].message == "成交:商务谈判 → 成交签约"
    assert by_kind["close_date_slipped"].message == "预计签约 2024-05-31 → 2024-06-30"
    # record events name the commit that recorded them; git events are that commit
    shas = history_repo.git("log", "--format=%H", "--reverse").split()
    assert by_kind["stage_move"].commit == shas[4] and by_kind["won"].commit == shas[3]
    assert by_kind["new_lead"].commit == shas[2] and by_kind["amount_up"].commit == shas[2]
    assert by_kind["new_lead"].author == "Test"


def test_week_over_week_deltas(history_repo: RecordRepo) -> None:
    book = open_book(str(history_repo.root))
    feed = what_changed(book, changelog_of(str(history_repo.root)), TODAY, 7)
    deltas = {d.key: (d.now, d.before) for d in feed.deltas}
    assert deltas == {
        "new_lead": (1, 0), "stage_move": (1, 1), "won": (1, 0), "lost": (0, 0), "amount_down": (0, 1),
        "amount_up": (1, 0), "close_date_slipped": (1, 0), "close_date_earlier": (0, 0), "new_quote": (1, 0),
        "won_amount": (480000, 0),
        # open at the end of 05-20: A (proposal, no amount), C (lead); at the end of 05-13: A, and B at
        # 450,000 as git had it then (the record now says 480,000 and won)
        "open_deals": (2, 2), "open_amount": (0, 450000), "weighted_amount": (0, 270000),
    }
    assert feed.delta("open_amount").change == -450000
    assert set(KINDS) <= set(deltas)


def test_the_week_before_and_an_owner(history_repo: RecordRepo) -> None:
    book = open_book(str(history_repo.root))
    log = changelog_of(str(history_repo.root))
    assert summary(events_between(book, log, D("2024-05-07"), D("2024-05-13"))) == [
        ("2024-05-10", "stage_move", A, "lead", "discovery", "record"),
        ("2024-05-10", "amount_down", B, 500000, 450000, "git"),
    ]
    assert [e.customer_id for e in events_between(book, log, D("2024-05-01"), TODAY, owner="li")] == [B] * 4
    assert what_changed(book, log, TODAY, 7, owner="chen").events == ()


def test_a_longer_window_and_json(history_repo: RecordRepo) -> None:
    book = open_book(str(history_repo.root))
    feed = what_changed(book, changelog_of(str(history_repo.root)), TODAY, 30)
    assert feed.count("new_lead") == 2  # A 05-02, C 05-15; B, created 03-01, is in neither window
    payload = feed.as_dict()
    assert payload["days"] == 30 and payload["deltas"]["new_lead"] == {"now": 2, "before": 0, "change": 2}
    assert payload["events"][0]["kind"] == "stage_move"


def test_the_window_comes_from_settings(history_repo: RecordRepo) -> None:
    history_repo.settings("as_of: 2024-05-20\nwhat_changed: {days: 2}\n")
    book = open_book(str(history_repo.root))
    feed = what_changed(book, changelog_of(str(history_repo.root)), TODAY)
    assert feed.days == 2
    assert summary(feed.events) == [("2024-05-19", "stage_move", A, "discovery", "proposal", "record")]


def test_without_git_the_records_still_date_what_happened(repo: RecordRepo) -> None:
    repo.customer(A, created="2024-05-15", stage_history=history("lead@2024-05-15"))
    book = open_book(str(repo.root))
    assert changelog_of(str(repo.root)) == {}
    feed = what_changed(book, {}, TODAY)
    assert summary(feed.events) == [("2024-05-15", "new_lead", A, None, None, "record")]
    assert feed.events[0].commit is None


def test_the_records_not_git_date_an_imported_history(repo: RecordRepo) -> None:
    """A team that adopts dealbook commits its history in one go: nothing is new this week."""
    repo.git_init()
    repo.customer(A, **customer_data(A, created="2023-01-05"))
    repo.commit("import", when("2024-05-20"))
    book = open_book(str(repo.root))
    assert what_changed(book, changelog_of(str(repo.root)), TODAY).events == ()
