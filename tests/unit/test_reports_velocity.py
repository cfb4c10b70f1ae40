"""Velocity (days created → won, per stage and per owner) and the slowest open deals."""

from __future__ import annotations

import pytest
from dealbook.reports.periods import named_period
from dealbook.reports.report import median
from dealbook.reports.velocity import slowest_deals, velocity
from reports_fixtures import TODAY, C, sales_book

MAY = named_period("2024-05")


@pytest.fixture(scope="module")
def book(tmp_path_factory):
    return sales_book(tmp_path_factory.mktemp("sales"))


def test_velocity_per_stage(book):
    # Won in May: C7 (created 01-10, won 05-06: 117 days) and C9 (03-01 → 05-20: 80 days, skipped proposal).
    report = velocity(book, MAY, TODAY)
    got = {r["stage"]: (r["deals"], r["avg_days"], r["median_days"]) for r in report.rows}
    assert got == {"lead": (2, 16.0, 16.0), "discovery": (2, 34.5, 34.5), "proposal": (1, 31.0, 31.0),
                   "negotiation": (2, 32.5, 32.5)}
    assert report.totals == {"deals": 2, "avg_days": 98.5, "median_days": 98.5}


def test_velocity_per_owner(book):
    report = velocity(book, MAY, TODAY, by="owner")
    assert [(r["owner"], r["deals"], r["avg_days"]) for r in report.rows] == [("li", 1, 117.0), ("zhang", 1, 80.0)]


def test_velocity_empty_period(book):
    report = velocity(book, named_period("2023"), TODAY)
    assert report.totals == {"deals": 0, "avg_days": None, "median_days": None}
    assert all(r["avg_days"] is None for r in report.rows)


def test_median():
    assert median([5, 1, 3]) == 3.0 and median([4, 1, 3, 10]) == 3.5 and median([]) is None


def test_slowest_open_deals(book):
    report = slowest_deals(book, MAY, TODAY)
    got = [(r["id"], r["stage"], r["days_open"], r["days_in_stage"], r["past_close"]) for r in report.rows]
    assert got == [(C[6], "proposal", 75, 14, True), (C[1], "negotiation", 44, 15, False),
                   (C[8], "lead", 14, 14, False)]
