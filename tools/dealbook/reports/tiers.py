"""Value tiers of won customers (high / medium / low) and repeat purchase."""

from __future__ import annotations

import datetime as dt
from typing import Any

from ..records.book import Book
from ..text.catalog import translator
from ..text.enums import enum_label
from ..text.output import money
from .history import won_value
from .periods import Period
from .report import Column, Report, ratio

TIERS = ("high", "medium", "low")


def is_repeat(customer: Any) -> bool:
    """Bought again: a contract marked `repeat`, or contracts signed in two or more years."""
    years = {c.signed.year for c in customer.contracts if c.signed is not None}
    return any(c.repeat for c in customer.contracts) or len(years) >= 2


def value_tiers(book: Book, period: Period, today: dt.date) -> Report:
    """Won customers per value tier: how many, contract value, average, and how many bought again."""
    settings = book.settings
    lang = settings.language
    _ = translator(lang)
    from ..rules.state import value_tier

    tally = {t: {"tier": t, "customers": 0, "value": 0, "repeat": 0} for t in TIERS}
    churned = 0
    for customer in book.customers.values():
        if not settings.is_won(customer.stage):
            churned += customer.stage == settings.lost_stage and any(
                settings.is_won(e.stage) for e in customer.stage_history)
            continue
        tier = value_tier(book, customer)
        if tier not in tally:
            continue
        row = tally[tier]
        row["customers"] += 1
        row["value"] += won_value(customer)
        row["repeat"] += is_repeat(customer)
    rows = [tally[t] for t in TIERS]
    won = sum(r["customers"] for r in rows)
    for row in rows:
        row["share"] = ratio(row["customers"], won)
        row["avg_value"] = round(row["value"] / row["customers"]) if row["customers"] else None
        row["repeat_rate"] = ratio(row["repeat"], row["customers"])
    value = sum(r["value"] for r in rows)
    repeat = sum(r["repeat"] for r in rows)
    totals = {"customers": won, "share": ratio(won, won), "value": value,
              "avg_value": round(value / won) if won else None, "repeat": repeat, "repeat_rate": ratio(repeat, won)}
    columns = [
        Column("tier", _("Value tier"), "text",
               {t: enum_label(_, "tier", t) for t in TIERS}),
        Column("customers", _("Customers"), "int"),
        Column("share", _("Share of customers"), "percent"),
        Column("value", _("Contract value"), "money"),
        Column("avg_value", _("Average value"), "money"),
        Column("repeat", _("Repeat buyers"), "int"),
        Column("repeat_rate", _("Repeat rate"), "percent"),
    ]
    tiers = settings.raw.get("value_tiers") or {}
    notes = [_("Won customers by value tier: a year's contracts ≥ %(high_min)s or contracts in %(repeat_years)s "
               "consecutive years is high, ≥ %(medium_min)s medium, else low; repeat = a contract marked repeat, or "
               "contracts signed in two or more years.", high_min=money(tiers.get("high_min"), settings.currency),
               repeat_years=tiers.get("repeat_years"), medium_min=money(tiers.get("medium_min"), settings.currency))]
    if churned:
        notes.append(_("%(churned)s once-won customers have churned (lost, reason churn) and are not tiered.",
                       churned=churned))
    title = _("Value tiers") + f" · {today.isoformat()}"
    return Report("value-tiers", title, columns, rows, totals, notes, "bar", chart_key="value")
