"""Reports: each a pure function (book, period, today[, by]) -> Report, registered by name in REPORTS."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from ..book import Book
from ..periods import Period
from .funnel import cohort, funnel, funnel_rows
from .report import Column, Report, format_cell, render

ReportFunction = Callable[..., Report]

# name -> function(book, period, today, by=None) -> Report
REPORTS: dict[str, ReportFunction] = {
    "funnel": funnel,
    "cohort": cohort,
}

# name -> the `by` values it accepts (the first is its default; absent: no split)
SPLITS: dict[str, tuple[str | None, ...]] = {
    "funnel": (None, "owner", "source", "industry", "region"),
}


def run_report(name: str, book: Book, period: Period, today: dt.date, by: str | None = None) -> Report:
    """The named report; `by` only for reports listed in SPLITS."""
    function = REPORTS[name]
    if by is None:
        return function(book, period, today)
    if by not in SPLITS.get(name, ()):
        allowed = [b for b in SPLITS.get(name, ()) if b]
        raise ValueError(f"report {name} cannot be split by {by!r}"
                         + (f"; use one of {', '.join(allowed)}" if allowed else ""))
    return function(book, period, today, by=by)


def summary(name: str) -> str:
    """The first line of the report function's docstring."""
    return (REPORTS[name].__doc__ or "").strip().splitlines()[0]


__all__ = ["REPORTS", "SPLITS", "Column", "Report", "format_cell", "funnel_rows", "render", "run_report", "summary"]
