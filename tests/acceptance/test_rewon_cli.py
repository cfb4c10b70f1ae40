"""A deal won, re-opened and won again in one period is one win: every figure of won customers or won
value counts it once, at its contract value once (as of 2024-05-21, the digest's window 05-15…05-21)."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from conftest import RecordRepo
from dealbook.checks.reading import open_book
from dealbook.git.recent import what_changed
from dealbook.reports.history import won_in
from dealbook.reports.periods import named_period
from dealbook.reports.targets import progress

CID = "粤IT2024001"
HISTORY = [{"stage": "lead", "on": "2024-05-02"}, {"stage": "negotiation", "on": "2024-05-06"},
           {"stage": "won", "on": "2024-05-15"}, {"stage": "negotiation", "on": "2024-05-17"},
           {"stage": "won", "on": "2024-05-20"}]


@pytest.fixture
def rewon(repo: RecordRepo) -> RecordRepo:
    """One customer created 05-02, won 05-15 (contract 300,000, factor price), re-opened to negotiation
    05-17 and won again 05-20."""
    repo.settings("as_of: 2024-05-21\nlanguage: en\ntransitions:\n  allow_backward: true\n")
    repo.customer(CID, created="2024-05-02", stage="won", deal={"amount": 100000}, stage_history=HISTORY,
                  contracts=[{"no": "HT-1", "amount": 300000, "signed": "2024-05-15", "win_factors": ["price"]}])
    return repo


def _json(run, repo: RecordRepo, *args: str) -> dict:
    result = run(repo, *args, "--format", "json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_the_rule_a_deal_is_won_once_on_its_first_win(rewon: RecordRepo) -> None:
    customer = open_book(str(rewon.root)).customers[CID]
    settings = open_book(str(rewon.root)).settings
    assert won_in(settings, customer, dt.date(2024, 5, 1), dt.date(2024, 5, 31)) == dt.date(2024, 5, 15)
    assert won_in(settings, customer, dt.date(2024, 5, 18), dt.date(2024, 5, 31)) is None  # the re-win: no new win
    assert won_in(settings, customer, dt.date(2024, 5, 1), dt.date(2024, 5, 14)) is None


def test_the_digest_counts_the_re_won_deal_once_at_its_value_once(run, rewon: RecordRepo) -> None:
    # before: "won 2, ¥600,000" (each move into won a win, each adding the customer's contract value)
    headline = run(rewon, "digest").stdout.splitlines()[2]
    assert "won 1, ¥300,000" in headline, headline
    book = open_book(str(rewon.root))
    feed = what_changed(book, {}, dt.date(2024, 5, 21))
    assert (feed.count("won"), feed.delta("won_amount").now) == (1, 300000)
    # the re-win is still in the list, as what it is
    assert [(e.on.isoformat(), e.kind, e.message) for e in feed.events if e.after == "won"] == [
        ("2024-05-20", "stage_move", "won again: Negotiation → Won"), ("2024-05-15", "won", "won: Negotiation → Won")]


def test_a_re_win_in_a_later_window_is_no_new_win(run, rewon: RecordRepo) -> None:
    book = open_book(str(rewon.root))
    feed = what_changed(book, {}, dt.date(2024, 5, 21), days=3)  # 05-19…05-21: only the re-win
    assert (feed.count("won"), feed.delta("won_amount").now) == (0, 0)
    assert (feed.delta("won").before, feed.delta("won_amount").before) == (0, 0)  # 05-16…05-18: none either
    feed = what_changed(book, {}, dt.date(2024, 5, 15), days=1)  # the day of the first win
    assert (feed.count("won"), feed.delta("won_amount").now) == (1, 300000)


def test_every_report_of_the_month_counts_the_customer_once(run, rewon: RecordRepo) -> None:
    may = ("--period", "2024-05")
    velocity = _json(run, rewon, "report", "velocity", *may)
    assert velocity["totals"]["deals"] == 1
    factors = _json(run, rewon, "report", "win-factors", *may)
    assert [(r["factor"], r["wins"], r["value"]) for r in factors["rows"]] == [("price", 1, 300000)]
    sources = _json(run, rewon, "report", "sources", *may)
    assert (sources["totals"]["wins"], sources["totals"]["won_value"]) == (1, 300000)
    cohort = _json(run, rewon, "report", "cohort", *may)
    assert (cohort["totals"]["customers"], cohort["totals"]["win_rate"]) == (1, 1.0)
    tiers = _json(run, rewon, "report", "value-tiers", *may)
    assert (tiers["totals"]["customers"], tiers["totals"]["value"]) == (1, 300000)
    book = open_book(str(rewon.root))
    target = progress(book, dt.date(2024, 5, 21), "zhang", named_period("2024-05"), "month")
    assert (target.won_deals, target.won) == (1, 300000)


def test_the_funnel_counts_entries_and_says_so(run, rewon: RecordRepo) -> None:
    # the conversion table counts moves, not customers: the re-won customer entered won twice
    funnel = _json(run, rewon, "funnel", "--period", "2024-05")
    won = next(r for r in funnel["rows"] if r["stage"] == "won")
    assert won["entered"] == 2
    assert any("won, re-opened and won again" in note for note in funnel["notes"])
