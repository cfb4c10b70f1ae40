"""Pipeline and forecast against hand-computed figures (forecast.min_history is 3 in the fixture)."""

from __future__ import annotations

import datetime as dt

import pytest
from dealbook.reports.periods import ALL, named_period
from dealbook.reports.pipeline import forecast, pipeline
from reports_fixtures import TODAY, C, sales_book

MAY = named_period("2024-05")


@pytest.fixture(scope="module")
def book(tmp_path_factory):
    return sales_book(tmp_path_factory.mktemp("sales"))


def test_pipeline_per_stage(book):
    report = pipeline(book, MAY, TODAY)
    keys = ["deals", "value", "probability", "weighted", "observed_rate", "sample", "observed_weighted", "history"]
    got = {r["stage"]: tuple(r[k] for k in keys) for r in report.rows}
    # Open today: C8 lead (no amount), C6 proposal 80,000, C1 negotiation 150,000.
    # Closed histories: won C7 (lead..negotiation) and C9 (lead, discovery, negotiation);
    # lost C2 (lead), C3 (..discovery), C4 (..proposal), C5 (..negotiation).
    assert got == {
        "lead": (1, 0, 0.05, 0, 0.3333, 6, 0, ""),
        "discovery": (0, 0, 0.15, 0, 0.4, 5, 0, ""),
        "proposal": (1, 80000, 0.35, 28000, 0.3333, 3, 26664, ""),
        "negotiation": (1, 150000, 0.6, 90000, 0.6667, 3, 100005, ""),
    }
    assert report.totals == {"deals": 3, "value": 230000, "weighted": 118000, "observed_weighted": 126669}
    assert any(n.startswith("1 ") and "没有填写商机金额" in n for n in report.notes)


def test_not_enough_history_below_the_minimum(book):
    book.settings.raw["forecast"]["min_history"] = 4
    try:
        report = pipeline(book, MAY, TODAY)
    finally:
        book.settings.raw["forecast"]["min_history"] = 3
    rows = {r["stage"]: r for r in report.rows}
    assert rows["proposal"]["observed_rate"] is None and rows["proposal"]["observed_weighted"] is None
    assert rows["proposal"]["sample"] == 3 and rows["proposal"]["history"] == "历史数据不足"
    assert rows["discovery"]["observed_rate"] == 0.4
    assert report.totals["observed_weighted"] is None  # an open deal sits in a stage without enough history


def test_forecast_by_close_month_flags_past_close(book):
    report = forecast(book, ALL, TODAY)
    keys = ["deals", "value", "weighted", "observed_weighted", "past_close"]
    assert [(r["month"], *(r[k] for k in keys)) for r in report.rows] == [
        ("2024-05", 1, 80000, 28000, 26664, 1),   # C6, close_by 2024-05-31 < today
        ("2024-06", 1, 150000, 90000, 100005, 0),  # C1
        ("", 1, 0, 0, 0, 0),                       # C8 has no close date
    ]
    assert report.totals == {"deals": 3, "value": 230000, "weighted": 118000, "observed_weighted": 126669,
                             "past_close": 1}
    assert any(f"{C[6]} (2024-05-31)" in n for n in report.notes)


def test_snapshot_as_of_an_earlier_day(book):
    # On 2024-05-20 C1 is in proposal, C6 back in discovery, C5 in negotiation, C4 in proposal; C8 does not exist yet.
    report = pipeline(book, MAY, dt.date(2024, 5, 20))
    assert {r["stage"]: r["deals"] for r in report.rows} == {"lead": 0, "discovery": 1, "proposal": 2,
                                                            "negotiation": 1}


def test_forecast_over_a_period_lists_only_deals_closing_in_it(book):
    """The site's 本季度 page must not list July: a bounded period keeps the deals expected to close
    in it and counts the others in a note."""
    report = forecast(book, named_period("2024-06"), TODAY)
    assert [(r["month"], r["deals"], r["value"]) for r in report.rows] == [("2024-06", 1, 150000)]
    assert report.totals["deals"] == 1 and report.period == named_period("2024-06")
    assert any("1 个的预计签约日早于本期、0 个晚于本期、1 个未填预计签约日" in n for n in report.notes)
    quarter = forecast(book, named_period("2024-Q2"), TODAY)
    assert [r["month"] for r in quarter.rows] == ["2024-05", "2024-06"]
    assert forecast(book, named_period("2024-Q3"), TODAY).rows == []
