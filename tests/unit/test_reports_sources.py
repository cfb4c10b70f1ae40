"""Sources (lead conversion by channel / lead type), win/loss and win factors."""

from __future__ import annotations

import pytest
from dealbook.reports.periods import named_period
from dealbook.reports.sources import sources
from dealbook.reports.winloss import win_factors, win_loss
from reports_fixtures import TODAY, sales_book

MAY = named_period("2024-05")
YEAR = named_period("2024")


@pytest.fixture(scope="module")
def book(tmp_path_factory):
    return sales_book(tmp_path_factory.mktemp("sales"))


def test_sources_by_channel_for_the_year(book):
    report = sources(book, YEAR, TODAY)
    got = [(r["channel"], r["leads"], r["wins"], r["lost"], r["win_rate"], r["won_value"]) for r in report.rows]
    assert got == [
        ("referral", 3, 1, 2, 0.3333, 680000),  # C3 C4 lost, C7 won (two contracts)
        ("trade_show", 2, 0, 1, 0.0, 0),        # C1 open, C2 lost
        ("website", 2, 0, 1, 0.0, 0),           # C5 lost, C6 open
        ("visit", 1, 1, 0, 1.0, 90000),         # C9
        ("online", 1, 0, 0, 0.0, 0),            # C8
    ]
    assert report.totals == {"leads": 9, "wins": 2, "lost": 4, "win_rate": 0.2222, "won_value": 770000}


def test_sources_by_lead_type_and_empty_period(book):
    report = sources(book, YEAR, TODAY, by="lead_type")
    assert {r["lead_type"]: (r["leads"], r["wins"]) for r in report.rows} == {
        "prospect": (7, 1), "referral": (1, 0), "competitor_churn": (1, 1)}
    empty = sources(book, named_period("2023"), TODAY)
    assert empty.rows == [] and empty.totals["win_rate"] is None
    with pytest.raises(ValueError, match="lead_type"):
        sources(book, YEAR, TODAY, by="owner")


def test_win_loss_lost_from_each_stage(book):
    report = win_loss(book, MAY, TODAY)
    keys = ["lost", "value", "from_lead", "from_discovery", "from_proposal", "from_negotiation"]
    assert [(r["reason"], *(r[k] for k in keys)) for r in report.rows] == [
        ("competitor", 2, 500000, 0, 0, 1, 1),  # C4 from proposal 200,000; C5 from negotiation 300,000
        ("budget", 1, 0, 0, 1, 0, 0),           # C3 from discovery
        ("no_response", 1, 0, 1, 0, 0, 0),      # C2 from lead
    ]
    assert report.totals == {"lost": 4, "customers": 4, "value": 500000, "from_lead": 1, "from_discovery": 1,
                             "from_proposal": 1, "from_negotiation": 1}
    assert win_loss(book, named_period("2024-06"), TODAY).rows == []


def test_win_factors(book):
    report = win_factors(book, MAY, TODAY)
    assert [(r["factor"], r["wins"], r["value"]) for r in report.rows] == [
        ("本地化服务", 2, 770000), ("价格优势", 1, 680000)]
