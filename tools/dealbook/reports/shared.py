"""Reports whose sums are per-customer shares, kept between runs like the customer views.

The funnel and the pipeline add up one share per customer (`funnel_share`, `pipeline_share`):
counts, amounts and days per stage. Stored with `per_customer_view`, their totals are updated by
difference after an edit (the changed customers' old shares taken off, their new ones added),
and the report's rates and weighted values are computed from the sums by the same functions
that compute the report from a Book (`funnel_report`, `pipeline_report`).

Each stored share also counts its customer under `counted` (a sum of ones per id), so the view
says which customers its figures cover: the command names the customer files left out of them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from ..checks.customer_views import PerCustomer
from ..records.book import Book
from ..records.model import Customer
from ..records.settings import Settings
from .funnel import funnel_report, funnel_share
from .history import member_names
from .periods import Period
from .pipeline import pipeline_report, pipeline_share
from .report import Report


def _counting(share: Callable[[Book, Customer], dict[str, Any]]) -> Callable[[Book, Customer], dict[str, Any]]:
    """`share` with the customer counted under "counted" (see the module's note)."""
    return lambda book, customer: {"share": share(book, customer), "counted": {customer.id: [1]}}


def _whole(total: dict[str, Any], team: Any) -> dict[str, Any]:
    return {"total": total.get("share", {}), "team": team, "counted": sorted(total.get("counted", {}))}


def _no_team(book: Book) -> None:
    return None


def _funnel_view(settings: Settings, period: Period, today: dt.date, by: str | None) -> PerCustomer:
    return PerCustomer("funnel", _counting(lambda book, customer: funnel_share(book.settings, customer, period, by)),
                       _whole,
                       additive=True, team=member_names,
                       variant=f"{period.start}|{period.end}|{by}")


def _funnel(settings: Settings, value: dict[str, Any], period: Period, today: dt.date, by: str | None) -> Report:
    return funnel_report(settings, value["total"], value["team"], period, by)


def _pipeline_view(settings: Settings, period: Period, today: dt.date, by: str | None) -> PerCustomer:
    return PerCustomer("pipeline", _counting(lambda book, customer: pipeline_share(book.settings, customer, today)),
                       _whole,
                       additive=True, team=_no_team,
                       variant=today.isoformat())


def _pipeline(settings: Settings, value: dict[str, Any], period: Period, today: dt.date, by: str | None) -> Report:
    return pipeline_report(settings, value["total"], today)


# name -> (the stored view of its shares, the report from that view's value)
SHARED: dict[str, tuple[Callable[..., PerCustomer], Callable[..., Report]]] = {
    "funnel": (_funnel_view, _funnel),
    "pipeline": (_pipeline_view, _pipeline),
}


def shared_report(name: str, view_of: Callable[[PerCustomer], Any], settings: Settings, period: Period,
                  today: dt.date, by: str | None = None) -> tuple[Report, list[str]]:
    """The report `name` (one of SHARED) from its stored shares, and the ids of the customers it
    counts: `view_of(spec)` answers the view (`Env.view`: stored and patched, or computed on a Book)."""
    spec, report = SHARED[name]
    value = view_of(spec(settings, period, today, by))
    return report(settings, value, period, today, by), value["counted"]
