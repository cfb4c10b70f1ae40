"""Periods: months, quarters, years, ranges, defaults, and which dates and local times they hold."""

from __future__ import annotations

import datetime as dt

import pytest
from dealbook.reports.periods import ALL, Period, PeriodError, month_of, named_period, parse_period

D = dt.date


def test_month_quarter_year_day():
    assert named_period("2024-05") == Period(D(2024, 5, 1), D(2024, 5, 31), "2024-05")
    assert named_period("2024-02") == Period(D(2024, 2, 1), D(2024, 2, 29), "2024-02")  # leap year
    assert named_period("2024-Q2") == Period(D(2024, 4, 1), D(2024, 6, 30), "2024-Q2")
    assert named_period("2024q4") == Period(D(2024, 10, 1), D(2024, 12, 31), "2024-Q4")
    assert named_period("2024") == Period(D(2024, 1, 1), D(2024, 12, 31), "2024")
    assert named_period("2024-05-20") == Period(D(2024, 5, 20), D(2024, 5, 20), "2024-05-20")
    assert named_period("all") is ALL


def test_default_is_the_month_of_today():
    assert parse_period(today=D(2024, 5, 20)) == named_period("2024-05")
    assert month_of(D(2024, 12, 31)) == named_period("2024-12")


def test_from_to_ranges():
    period = parse_period(start="2024-01-15", end="2024-02-10", today=D(2024, 5, 20))
    assert (period.start, period.end, period.label) == (D(2024, 1, 15), D(2024, 2, 10), "2024-01-15..2024-02-10")
    assert parse_period(start="2024-05-01", today=D(2024, 5, 20)).end == D(2024, 5, 20)


@pytest.mark.parametrize("kwargs, message", [
    ({"period": "2024-13"}, "no month 13"),
    ({"period": "May"}, "is not a period"),
    ({"period": "2024-05", "start": "2024-01-01"}, "not both"),
    ({"end": "2024-05-01"}, "--to needs --from"),
    ({"start": "2024-05-02", "end": "2024-05-01"}, "before --from"),
    ({"start": "2024-02-30", "end": "2024-05-01"}, "is not a period"),
])
def test_bad_periods_say_what_to_write(kwargs, message):
    with pytest.raises(PeriodError, match=message):
        parse_period(today=D(2024, 5, 20), **kwargs)


def test_local_time_at_2330_on_the_last_day_belongs_to_that_month():
    may, june = named_period("2024-05"), named_period("2024-06")
    late = dt.datetime(2024, 5, 31, 23, 30)
    assert late in may and late not in june
    assert dt.datetime(2024, 6, 1, 0, 0) in june
    assert D(2024, 5, 31) in may and D(2024, 6, 1) not in may
    assert "2024-05-10" not in may  # strings are not dates


def test_months_of_a_quarter_and_a_clipped_range():
    assert [m.label for m in named_period("2024-Q2").months()] == ["2024-04", "2024-05", "2024-06"]
    months = parse_period(start="2024-01-20", end="2024-03-05").months()
    assert [(m.start, m.end) for m in months] == [
        (D(2024, 1, 20), D(2024, 1, 31)), (D(2024, 2, 1), D(2024, 2, 29)), (D(2024, 3, 1), D(2024, 3, 5))]
    assert named_period("2023-12").months()[0].label == "2023-12"


def test_a_bad_period_is_said_in_the_team_language():
    from dealbook.text.catalog import translator

    with pytest.raises(PeriodError) as caught:
        parse_period("2024-13")
    assert str(caught.value) == ("'2024-13': there is no month 13; write a month 2024-05, a quarter 2024-Q2, a year "
                                 "2024, a day 2024-05-20, or all")
    assert caught.value.text(translator("en")) == str(caught.value)
    assert caught.value.text(translator("zh")) == \
        "'2024-13':没有 13 月;请写月份 2024-05、季度 2024-Q2、年份 2024、某一天 2024-05-20,或 all"
