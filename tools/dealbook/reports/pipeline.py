"""Pipeline and forecast: open deal value per stage and by expected close month, weighted two ways."""

from __future__ import annotations

import datetime as dt
from typing import Any

from ..checks.customer_views import add_share
from ..records.book import Book
from ..records.model import Customer
from ..records.settings import Settings
from ..text.catalog import translator
from .history import observed_win_rates, stage_on, stage_values, win_share
from .periods import ALL, Period, month_key
from .report import Column, Report, ratio


def _min_history(settings: Settings) -> int:
    return int((settings.raw.get("forecast") or {}).get("min_history", 10))


def _observed(settings: Settings, book: Book, today: dt.date) -> dict[str, float | None]:
    """Per open stage: the observed win rate, None below forecast.min_history closed deals."""
    minimum = _min_history(settings)
    rates = observed_win_rates(settings, book.customers.values(), today)
    return {k: (round(won / closed, 4) if closed and closed >= minimum else None) for k, (closed, won) in rates.items()}


def open_deals(book: Book, today: dt.date) -> list[tuple[Any, str]]:
    """(customer, stage) for every customer in an open stage at the end of `today` (by its history)."""
    settings = book.settings
    found = []
    for customer in book.customers.values():
        stage = stage_on(customer, today)
        if stage is not None and settings.is_open(stage):
            found.append((customer, stage))
    return found


def _not_enough(lang: str) -> str:
    _ = translator(lang)
    return _("not enough history")


def pipeline_share(settings: Settings, customer: Customer, today: dt.date) -> dict[str, Any]:
    """One customer's share of the pipeline's sums: {"open": {stage: [1, amount, 1 when it has no
    amount]}} when it is in an open stage at the end of `today`, {"closed": `win_share`} when it has
    been won or lost. The pipeline is the sum of every customer's share (`add_share`), its rates
    and weighted values computed from the sums."""
    share: dict[str, Any] = {}
    stage = stage_on(customer, today)
    if stage is not None and settings.is_open(stage):
        amount = customer.deal_amount
        share["open"] = {stage: [1, amount or 0, int(amount is None)]}
    closed = win_share(settings, customer, today)
    if closed:
        share["closed"] = closed
    return share


def pipeline_total(book: Book, today: dt.date) -> dict[str, Any]:
    """The sum of every customer's `pipeline_share`."""
    total: dict[str, Any] = {}
    for customer in book.customers.values():
        add_share(total, pipeline_share(book.settings, customer, today))
    return total


def pipeline(book: Book, period: Period, today: dt.date) -> Report:
    """Open deal value per stage, weighted by the settings' stage probability and by the observed win rate."""
    return pipeline_report(book.settings, pipeline_total(book, today), today)


def pipeline_report(settings: Settings, total: dict[str, Any], today: dt.date) -> Report:
    """The pipeline from the sum of the customers' shares (`pipeline_share`)."""
    lang = settings.language
    _ = translator(lang)
    minimum = _min_history(settings)
    deals = total.get("open", {})
    history = total.get("closed", {})
    no_amount = sum(counts[2] for counts in deals.values())
    rows: list[dict[str, Any]] = []
    totals: dict[str, Any] = {"deals": 0, "value": 0, "weighted": 0.0, "observed_weighted": 0.0}
    for stage in settings.stages:
        if stage.kind != "open":
            continue
        count, value, _missing = deals.get(stage.key, (0, 0, 0))
        closed, won = history.get(stage.key, (0, 0))
        enough = closed >= minimum and closed > 0
        observed = ratio(won, closed) if enough else None
        rows.append({
            "stage": stage.key,
            "deals": count,
            "value": value,
            "probability": stage.probability,
            "weighted": round(value * stage.probability),
            "observed_rate": observed,
            "sample": closed,
            "observed_weighted": round(value * observed) if observed is not None else None,
            "history": "" if enough else _not_enough(lang),
        })
        totals["deals"] += count
        totals["value"] += value
        totals["weighted"] += value * stage.probability
        if totals["observed_weighted"] is not None:
            totals["observed_weighted"] = (None if observed is None and count
                                           else totals["observed_weighted"] + value * (observed or 0))
    totals["weighted"] = round(totals["weighted"])
    if totals["observed_weighted"] is not None:
        totals["observed_weighted"] = round(totals["observed_weighted"])
    columns = [
        Column("stage", _("Stage"), "text", stage_values(settings)),
        Column("deals", _("Deals"), "int"),
        Column("value", _("Value"), "money"),
        Column("probability", _("Stage probability"), "percent"),
        Column("weighted", _("Weighted (settings)"), "money"),
        Column("observed_rate", _("Observed win rate"), "percent"),
        Column("sample", _("Sample"), "int"),
        Column("observed_weighted", _("Weighted (observed)"), "money"),
        Column("history", _("Note"), "text"),
    ]
    notes = [_("Observed win rate = of the customers who were in the stage and have since been won or lost, the "
               "share won; below %(minimum)s closed deals (the forecast's minimum history in the settings) it shows "
               "“not enough history”. Value is the deal amount.", minimum=minimum)]
    if no_amount:
        notes.append(_("%(no_amount)s open deals have no deal amount and count as 0.", no_amount=no_amount))
    title = _("Pipeline") + f" · {today.isoformat()}"
    return Report("pipeline", title, columns, rows, totals, notes, "bar", chart_key="value")


def forecast(book: Book, period: Period, today: dt.date) -> Report:
    """Expected close by month from deal.close_by, weighted two ways; deals past their close date flagged.

    Over `all` (ALL) every open deal is listed; over a bounded period only the deals expected to
    close in it, and the notes count the open deals left out (earlier, later or no close date)."""
    settings = book.settings
    lang = settings.language
    _ = translator(lang)
    observed = _observed(settings, book, today)
    bounded = period is not None and period != ALL
    months: dict[str, dict[str, Any]] = {}
    past: list[tuple[dt.date, str]] = []
    left_out = {"before": 0, "after": 0, "undated": 0}
    for customer, stage in open_deals(book, today):
        close_by = customer.close_by
        if bounded:
            if close_by is None:
                left_out["undated"] += 1
                continue
            if close_by not in period:
                left_out["before" if close_by < period.start else "after"] += 1
                continue
        key = month_key(close_by) if close_by else ""
        row = months.setdefault(key, {"month": key, "deals": 0, "value": 0, "weighted": 0.0,
                                      "observed_weighted": 0.0, "past_close": 0})
        value = customer.deal_amount or 0
        probability = settings.stage_by_key[stage].probability
        row["deals"] += 1
        row["value"] += value
        row["weighted"] += value * probability
        rate = observed.get(stage)
        if row["observed_weighted"] is not None:
            row["observed_weighted"] = None if rate is None else row["observed_weighted"] + value * rate
        if close_by is not None and close_by < today:
            row["past_close"] += 1
            past.append((close_by, customer.id))
    rows = [months[k] for k in sorted(k for k in months if k)] + ([months[""]] if "" in months else [])
    for row in rows:
        row["weighted"] = round(row["weighted"])
        if row["observed_weighted"] is not None:
            row["observed_weighted"] = round(row["observed_weighted"])
    totals: dict[str, Any] = {
        "deals": sum(r["deals"] for r in rows),
        "value": sum(r["value"] for r in rows),
        "weighted": sum(r["weighted"] for r in rows),
        "observed_weighted": (None if any(r["observed_weighted"] is None for r in rows)
                              else sum(r["observed_weighted"] for r in rows)),
        "past_close": sum(r["past_close"] for r in rows),
    }
    columns = [
        Column("month", _("Close month"), "text", {"": _("(no date)")}),
        Column("deals", _("Deals"), "int"),
        Column("value", _("Value"), "money"),
        Column("weighted", _("Weighted (settings)"), "money"),
        Column("observed_weighted", _("Weighted (observed)"), "money"),
        Column("past_close", _("Past close date"), "int"),
    ]
    notes = [_("Open deals by the month of their expected close date; weighted (settings) = value × the stage's "
               "probability from the settings, weighted (observed) = value × the stage's observed win rate, — where "
               "a stage lacks history.")]
    if bounded:
        notes.append(_("Only deals expected to close %(start)s–%(end)s; %(before)s more open deals have an earlier "
                       "close date, %(after)s a later one and %(undated)s none.", start=period.start, end=period.end,
                       before=left_out['before'], after=left_out['after'], undated=left_out['undated']))
    if past:
        past.sort()
        listed = ", ".join(f"{cid} ({day.isoformat()})" for day, cid in past[:10])
        more = len(past) - 10
        notes.append(_("%(n)s deals are past their close date: %(listed)s", n=len(past), listed=listed)
                     + (_(" and %(more)s more", more=more) if more > 0 else ""))
    title = _("Forecast") + f" · {today.isoformat()}"
    return Report("forecast", title, columns, rows, totals, notes, "bar", period if bounded else None,
                  chart_key="value")
