"""Velocity: days from created to won (per stage and per owner) and the slowest open deals."""

from __future__ import annotations

import datetime as dt
import itertools
from collections import defaultdict
from typing import Any

from ..records.book import Book
from ..text.catalog import translator
from .history import created_on, split_label, split_values, stage_on, stage_since, stage_values, won_in
from .periods import Period
from .report import Column, Report, mean, median

VELOCITY_BY = ("stage", "owner")
SLOWEST = 20


def _won_in(book: Book, period: Period, today: dt.date) -> list[tuple[Any, dt.date, dt.date]]:
    """(customer, created, won) for customers first won within the period (and by today)."""
    settings = book.settings
    found = []
    for customer in book.customers.values():
        won = won_in(settings, customer, period.start, min(period.end, today))
        created = created_on(customer)
        if won is not None and created is not None and created <= won:
            found.append((customer, created, won))
    return found


def velocity(book: Book, period: Period, today: dt.date, by: str = "stage") -> Report:
    """Average and median days from created to won for deals won in the period, per stage or per owner."""
    settings = book.settings
    lang = settings.language
    _ = translator(lang)
    won = _won_in(book, period, today)
    cycle = [(w - c).days for _, c, w in won]
    rows: list[dict[str, Any]] = []
    if by == "owner":
        per_owner: dict[str, list[int]] = defaultdict(list)
        for customer, created, won_day in won:
            per_owner[customer.owner].append((won_day - created).days)
        for owner in sorted(per_owner):
            days = per_owner[owner]
            rows.append({"owner": owner, "deals": len(days), "avg_days": mean(days), "median_days": median(days)})
        first = Column("owner", split_label(lang, "owner"), "text", split_values(book, "owner"))
    elif by == "stage":
        # Days spent in each stage before winning: from entering it to the next change of stage
        # (a stage visited twice adds both stays; a skipped stage has no stay).
        per_stage: dict[str, list[int]] = defaultdict(list)
        for customer, _created, won_day in won:
            stays: dict[str, int] = defaultdict(int)
            for before, after in itertools.pairwise(customer.stage_history):
                if before.on is None or after.on is None or after.on > won_day:
                    continue
                if before.stage != after.stage and not settings.is_won(before.stage):
                    stays[before.stage] += (after.on - before.on).days
            for stage, days in stays.items():
                per_stage[stage].append(days)
        for stage in settings.stages:
            if stage.kind != "open":
                continue
            days = per_stage.get(stage.key, [])
            rows.append({"stage": stage.key, "deals": len(days), "avg_days": mean(days), "median_days": median(days)})
        first = Column("stage", _("Stage"), "text", stage_values(settings))
    else:
        raise ValueError(f"velocity cannot be split by {by!r}; use stage or owner")
    columns = [
        first,
        Column("deals", _("Deals won"), "int"),
        Column("avg_days", _("Average days"), "days"),
        Column("median_days", _("Median days"), "days"),
    ]
    totals = {"deals": len(won), "avg_days": mean(cycle), "median_days": median(cycle)}
    notes = [_("Customers first won in the period; the totals line is days from created to won. Per stage: days "
               "spent in each stage before winning (skipped stages have no stay).")]
    return Report("velocity", _("Sales velocity"), columns, rows, totals, notes, "bar", period,
                  chart_key="avg_days")


def slowest_deals(book: Book, period: Period, today: dt.date) -> Report:
    """The open deals open longest as of today, with days in the current stage and past-close flags."""
    settings = book.settings
    lang = settings.language
    _ = translator(lang)
    rows: list[dict[str, Any]] = []
    for customer in book.customers.values():
        stage = stage_on(customer, today)
        created = created_on(customer)
        if stage is None or not settings.is_open(stage) or created is None or created > today:
            continue
        since = stage_since(customer, today)
        close_by = customer.close_by
        rows.append({
            "id": customer.id,
            "name": customer.name,
            "owner": customer.owner,
            "stage": stage,
            "created": created,
            "days_open": (today - created).days,
            "days_in_stage": (today - since).days if since else None,
            "value": customer.deal_amount,
            "close_by": close_by,
            "past_close": close_by is not None and close_by < today,
        })
    rows.sort(key=lambda r: (-r["days_open"], r["id"]))
    total_open = len(rows)
    rows = rows[:SLOWEST]
    columns = [
        Column("id", _("Customer"), "text"),
        Column("name", _("Name"), "text"),
        Column("owner", split_label(lang, "owner"), "text", split_values(book, "owner")),
        Column("stage", _("Stage"), "text", stage_values(settings)),
        Column("created", _("Created"), "date"),
        Column("days_open", _("Days open"), "days"),
        Column("days_in_stage", _("Days in stage"), "days"),
        Column("value", _("Value"), "money"),
        Column("close_by", _("Close by"), "date"),
        Column("past_close", _("Past close"), "text"),
    ]
    notes = [_("The %(n)s oldest of %(total_open)s open deals as of %(today)s.", n=len(rows), total_open=total_open,
               today=today.isoformat())]
    title = _("Slowest open deals") + f" · {today.isoformat()}"
    return Report("slowest-deals", title, columns, rows, None, notes, None, chart_key="days_open")
