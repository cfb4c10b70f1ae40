"""Reports: each a pure function (book, period, today[, by]) -> Report, registered by name in
REPORTS; reporting periods (`periods`) and a customer's stage history (`history`).

May import: `text`, `records`, `checks`, `rules`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from ..records.book import Book
from ..text.catalog import N_, Translator, translator
from .activity import RecordedTimes, team_activity
from .funnel import cohort, funnel, funnel_rows, reach_rows, stage_reach
from .objections import objections
from .periods import Period
from .pipeline import forecast, pipeline
from .receivables import receivables
from .report import Column, Report, format_cell, render
from .sources import sources
from .tiers import value_tiers
from .velocity import slowest_deals, velocity
from .winloss import win_factors, win_loss

ReportFunction = Callable[..., Report]

# name -> function(book, period, today, by=None) -> Report
REPORTS: dict[str, ReportFunction] = {
    "funnel": funnel,
    "stage-reach": stage_reach,
    "cohort": cohort,
    "pipeline": pipeline,
    "forecast": forecast,
    "velocity": velocity,
    "slowest-deals": slowest_deals,
    "sources": sources,
    "win-loss": win_loss,
    "win-factors": win_factors,
    "objections": objections,
    "team-activity": team_activity,
    "value-tiers": value_tiers,
    "receivables": receivables,
}

# How a report reads its period. "window" (every report not listed): it counts what happened in
# the period. "snapshot": the state as of today, the period is ignored. "ahead": what is expected
# in the period (the forecast: deals by expected close date); `all` lists every open deal.
PERIOD_USE: dict[str, str] = {
    "pipeline": "snapshot",
    "slowest-deals": "snapshot",
    "value-tiers": "snapshot",
    "receivables": "snapshot",
    "forecast": "ahead",
}


def period_use(name: str) -> str:
    """window | snapshot | ahead (see PERIOD_USE)."""
    return PERIOD_USE.get(name, "window")


# name -> the `by` values it accepts (the first is its default; absent: no split)
SPLITS: dict[str, tuple[str | None, ...]] = {
    "funnel": (None, "owner", "source", "industry", "region"),
    "velocity": ("stage", "owner"),
    "sources": ("channel", "lead_type"),
}


# reports that use the records' first-commit times (see activity.RecordedTimes)
USES_RECORDED = frozenset({"team-activity"})


def run_report(name: str, book: Book, period: Period, today: dt.date, by: str | None = None,
               recorded: RecordedTimes | None = None) -> Report:
    """The named report; `by` only for reports listed in SPLITS, `recorded` for USES_RECORDED."""
    function = REPORTS[name]
    if name in USES_RECORDED:
        return function(book, period, today, recorded=recorded)
    if by is None:
        return function(book, period, today)
    check_split(name, by)
    return function(book, period, today, by=by)


def check_split(name: str, by: str | None) -> None:
    """ValueError when report `name` cannot be split `by` (see SPLITS)."""
    if by is not None and by not in SPLITS.get(name, ()):
        allowed = [b for b in SPLITS.get(name, ()) if b]
        raise ValueError(f"report {name} cannot be split by {by!r}"
                         + (f"; use one of {', '.join(allowed)}" if allowed else ""))


# name -> what `dealbook report --list` says the report shows: the first line of the report
# function's docstring (a test keeps them the same), marked for the catalog.
SUMMARIES: dict[str, str] = {
    "funnel": N_("Stage conversion: per stage, entered, converted, lost, converted and lost per entered, average "
                 "days."),
    "stage-reach": N_("Funnel: of the customers created in the period, how many reached each stage, with the "
                      "step-to-step conversion."),
    "cohort": N_("Of the customers created in each month of the period: how many reached each stage so far, and the "
                 "win rate."),
    "pipeline": N_("Open deal value per stage, weighted by the settings' stage probability and by the observed win "
                   "rate."),
    "forecast": N_("Expected close by month from deal.close_by, weighted two ways; deals past their close date "
                   "flagged."),
    "velocity": N_("Average and median days from created to won for deals won in the period, per stage or per "
                   "owner."),
    "slowest-deals": N_("The open deals open longest as of today, with days in the current stage and past-close "
                        "flags."),
    "sources": N_("Leads created in the period by source channel (or lead type): wins so far, win rate, won value."),
    "win-loss": N_("Losses in the period by reason: count, customers, value lost, and the stage each was lost from."),
    "win-factors": N_("The win factors (contracts[].win_factors) of deals first won in the period, with counts and "
                      "value."),
    "objections": N_("Objection tags in the period's follow-ups: mentions, per stage, customers, and how many of "
                     "them won."),
    "team-activity": N_("Per person: follow-ups logged by method, open customers per grade, overdue, records entered "
                        "late."),
    "value-tiers": N_("Won customers per value tier: how many, contract value, average, and how many bought again."),
    "receivables": N_("Money still to be received on contracts, per owner and by days overdue, as of today."),
}


def summary(name: str, _: Translator | None = None) -> str:
    """What the report shows, in one line (the first of its function's docstring), in the translator's
    language (default English)."""
    return (_ or translator("en"))(SUMMARIES[name])


__all__ = [
    "PERIOD_USE",
    "REPORTS",
    "SPLITS",
    "SUMMARIES",
    "Column",
    "Report",
    "check_split",
    "format_cell",
    "funnel_rows",
    "period_use",
    "reach_rows",
    "render",
    "run_report",
    "summary",
]
