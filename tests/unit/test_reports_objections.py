"""Objection tags in follow-ups: per stage at the time, customers, how many eventually won."""

from __future__ import annotations

import pytest
from dealbook.reports.objections import objections
from dealbook.reports.periods import named_period
from reports_fixtures import TODAY, sales_book


@pytest.fixture(scope="module")
def book(tmp_path_factory):
    return sales_book(tmp_path_factory.mktemp("sales"))


def test_objections_in_may(book):
    # 05-05 C1 price (lead); 05-31 23:30 C1 price+integration (negotiation); 05-02 C7 price (negotiation).
    # 04-30 23:59 (April) and 06-01 00:10 (June) stay out.
    report = objections(book, named_period("2024-05"), TODAY)
    keys = ["mentions", "at_lead", "at_negotiation", "at_won", "customers", "won", "win_rate"]
    assert [(r["tag"], *(r[k] for k in keys)) for r in report.rows] == [
        ("price", 3, 1, 2, 0, 2, 1, 0.5),
        ("integration", 1, 0, 1, 0, 1, 0, 0.0),
    ]
    assert report.totals["mentions"] == 4 and report.totals["customers"] == 2 and report.totals["win_rate"] == 0.5


def test_objections_month_boundaries(book):
    april = objections(book, named_period("2024-04"), TODAY)
    june = objections(book, named_period("2024-06"), TODAY)
    assert [(r["tag"], r["at_discovery"]) for r in april.rows] == [("budget", 1)]
    assert [(r["tag"], r["at_lost"], r["won"]) for r in june.rows] == [("competitor", 1, 0)]


def test_no_objections_gives_none_rate(book):
    report = objections(book, named_period("2023"), TODAY)
    assert report.rows == [] and report.totals["win_rate"] is None
