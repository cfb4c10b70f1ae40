"""Value tiers of won customers and repeat purchase."""

from __future__ import annotations

import pytest
from dealbook.reports.periods import named_period
from dealbook.reports.tiers import value_tiers
from reports_fixtures import TODAY, sales_book


@pytest.fixture(scope="module")
def book(tmp_path_factory):
    return sales_book(tmp_path_factory.mktemp("sales"))


def test_value_tiers(book):
    # C7: contracts in 2023 and 2024 (repeat) -> high, 680,000; C9: 90,000 -> low.
    report = value_tiers(book, named_period("2024-05"), TODAY)
    keys = ["customers", "share", "value", "avg_value", "repeat", "repeat_rate"]
    assert [(r["tier"], *(r[k] for k in keys)) for r in report.rows] == [
        ("high", 1, 0.5, 680000, 680000, 1, 1.0),
        ("medium", 0, 0.0, 0, None, 0, None),
        ("low", 1, 0.5, 90000, 90000, 0, 0.0),
    ]
    assert report.totals == {"customers": 2, "share": 1.0, "value": 770000, "avg_value": 385000, "repeat": 1,
                             "repeat_rate": 0.5}
    # the thresholds are written as the amounts in the table are, thousands separated (not 500000)
    assert "≥ ¥500,000" in report.notes[0] and "≥ ¥100,000" in report.notes[0]
