"""Reporting periods: a month, quarter, year or date range of calendar days in the team's timezone."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from ..text.catalog import N_, SaidError, said

_MONTH = re.compile(r"^([0-9]{4})-([0-9]{1,2})$")
_QUARTER = re.compile(r"^([0-9]{4})-?[Qq]([1-4])$")
_YEAR = re.compile(r"^([0-9]{4})$")

PERIOD_HELP = N_("a month 2024-05, a quarter 2024-Q2, a year 2024, a day 2024-05-20, or all")
_WRITE = said(PERIOD_HELP)


class PeriodError(SaidError):
    """A period that cannot be read; the message says what to write instead: `str()` in English,
    `text(_)` in the translator's language."""


@dataclass(frozen=True)
class Period:
    """The calendar days `start`..`end`, both included, named `label` (2024-05, 2024-Q2, …)."""

    start: dt.date
    end: dt.date
    label: str

    def __contains__(self, value: object) -> bool:
        """A date, or a team-local time (its calendar date), inside the period.

        Record times are naive and already local to the team's timezone, so 23:30 on
        the last day of a month belongs to that month."""
        if isinstance(value, dt.datetime):
            value = value.date()
        if not isinstance(value, dt.date):
            return False
        return self.start <= value <= self.end

    @property
    def times(self) -> tuple[dt.datetime, dt.datetime]:
        """The first instant of the period and the first instant after it, as naive local times
        (for fast `first <= at < after` checks over many follow-ups)."""
        after = dt.datetime.combine(self.end, dt.time.min) + dt.timedelta(days=1) if self.end < dt.date.max else \
            dt.datetime.max
        return dt.datetime.combine(self.start, dt.time.min), after

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def months(self) -> list[Period]:
        """The calendar months the period touches, each clipped to the period."""
        found: list[Period] = []
        year, month = self.start.year, self.start.month
        while dt.date(year, month, 1) <= self.end:
            first = max(dt.date(year, month, 1), self.start)
            last = min(_month_end(year, month), self.end)
            found.append(Period(first, last, f"{year:04d}-{month:02d}"))
            year, month = (year + 1, 1) if month == 12 else (year, month + 1)
        return found

    def as_dict(self) -> dict[str, str]:
        return {"label": self.label, "start": self.start.isoformat(), "end": self.end.isoformat()}


ALL = Period(dt.date(1, 1, 1), dt.date(9999, 12, 31), "all")


def _month_end(year: int, month: int) -> dt.date:
    following = dt.date(year + 1, 1, 1) if month == 12 else dt.date(year, month + 1, 1)
    return following - dt.timedelta(days=1)


def month_of(day: dt.date) -> Period:
    """The calendar month holding `day`."""
    return Period(day.replace(day=1), _month_end(day.year, day.month), f"{day.year:04d}-{day.month:02d}")


def month_key(day: dt.date | dt.datetime) -> str:
    """`YYYY-MM` of a date or team-local time."""
    return f"{day.year:04d}-{day.month:02d}"


def named_period(text: str) -> Period:
    """A period written as `2024-05`, `2024-Q2`, `2024`, `2024-05-20` or `all`."""
    value = text.strip()
    if value.lower() == "all":
        return ALL
    if m := _MONTH.match(value):
        year, month = int(m[1]), int(m[2])
        if not 1 <= month <= 12:
            raise PeriodError(said(N_("%(text)s: there is no month %(month)s; write %(help)s"), text=repr(text),
                                   month=month, help=_WRITE))
        first = dt.date(year, month, 1)
        return Period(first, _month_end(year, month), f"{year:04d}-{month:02d}")
    if m := _QUARTER.match(value):
        year, quarter = int(m[1]), int(m[2])
        first_month = 3 * (quarter - 1) + 1
        return Period(dt.date(year, first_month, 1), _month_end(year, first_month + 2), f"{year:04d}-Q{quarter}")
    if m := _YEAR.match(value):
        year = int(m[1])
        if year < 1:
            raise PeriodError(said(N_("%(text)s is not a year; write %(help)s"), text=repr(text), help=_WRITE))
        return Period(dt.date(year, 1, 1), dt.date(year, 12, 31), f"{year:04d}")
    day = _date(value, "--period")
    return Period(day, day, day.isoformat())


def _date(text: str, option: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text.strip())
    except ValueError:
        raise PeriodError(said(N_("%(option)s %(text)s is not a period; write %(help)s"), option=option,
                               text=repr(text), help=_WRITE)) from None


def parse_period(
    period: str | None = None,
    start: str | dt.date | None = None,
    end: str | dt.date | None = None,
    today: dt.date | None = None,
) -> Period:
    """The period the options name; without any, the month holding `today`.

    `--from` alone runs to `today`; `--to` needs `--from`; `--period` excludes both."""
    if period is not None and (start is not None or end is not None):
        raise PeriodError(said(N_("give either --period or --from/--to, not both")))
    if period is not None:
        return named_period(period)
    if start is None and end is None:
        if today is None:
            raise PeriodError(said(N_("no period given and no date to default to")))
        return month_of(today)
    if start is None:
        raise PeriodError(said(N_("--to needs --from (or use --period)")))
    first = start if isinstance(start, dt.date) else _date(start, "--from")
    if end is None:
        if today is None:
            raise PeriodError(said(N_("--from needs --to")))
        last = today
    else:
        last = end if isinstance(end, dt.date) else _date(end, "--to")
    if last < first:
        raise PeriodError(said(N_("--to %(last)s is before --from %(first)s"), last=last, first=first))
    return Period(first, last, f"{first.isoformat()}..{last.isoformat()}")
