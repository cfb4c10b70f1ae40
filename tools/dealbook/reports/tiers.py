"""Value tiers of won customers (high / medium / low) and repeat purchase."""

from __future__ import annotations

import datetime as dt
from typing import Any

from ..records.book import Book
from .history import won_value
from .periods import Period
from .report import Column, Report, ratio, words

TIERS = ("high", "medium", "low")
TIER_LABELS = {"high": ("高价值", "High"), "medium": ("中价值", "Medium"), "low": ("低价值", "Low")}


def is_repeat(customer: Any) -> bool:
    """Bought again: a contract marked `repeat`, or contracts signed in two or more years."""
    years = {c.signed.year for c in customer.contracts if c.signed is not None}
    return any(c.repeat for c in customer.contracts) or len(years) >= 2


def value_tiers(book: Book, period: Period, today: dt.date) -> Report:
    """Won customers per value tier: how many, contract value, average, and how many bought again."""
    settings = book.settings
    lang = settings.language
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
        Column("tier", words(lang, "价值分层", "Value tier"), "text",
               {t: words(lang, *TIER_LABELS[t]) for t in TIERS}),
        Column("customers", words(lang, "客户数", "Customers"), "int"),
        Column("share", words(lang, "占比", "Share"), "percent"),
        Column("value", words(lang, "合同金额", "Contract value"), "money"),
        Column("avg_value", words(lang, "平均金额", "Average value"), "money"),
        Column("repeat", words(lang, "复购客户", "Repeat buyers"), "int"),
        Column("repeat_rate", words(lang, "复购率", "Repeat rate"), "percent"),
    ]
    tiers = settings.raw.get("value_tiers") or {}
    notes = [words(
        lang,
        f"已成交客户(成交签约/售后维护)按 value_tiers 分层:年合同额 ≥ {tiers.get('high_min')} 或连续 "
        f"{tiers.get('repeat_years')} 年签约为高价值,≥ {tiers.get('medium_min')} 为中价值,其余为低价值;"
        "复购 = 有标记 repeat 的合同或在两个以上年份签约。",
        f"Won customers by value_tiers: a year's contracts ≥ {tiers.get('high_min')} or contracts in "
        f"{tiers.get('repeat_years')} consecutive years is high, ≥ {tiers.get('medium_min')} medium, else low; "
        "repeat = a contract marked repeat, or contracts signed in two or more years.",
    )]
    if churned:
        notes.append(words(lang, f"{churned} 个曾成交的客户已停止合作(流失,原因 churn),不在分层之内。",
                           f"{churned} once-won customers have churned (lost, reason churn) and are not tiered."))
    title = words(lang, "客户价值分层", "Value tiers") + f" · {today.isoformat()}"
    return Report("value-tiers", title, columns, rows, totals, notes, "bar", chart_key="value")
