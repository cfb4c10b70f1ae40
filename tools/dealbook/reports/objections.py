"""Objections (高频异议): tag frequency in follow-ups, per stage, and how many of those customers won."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Any

from ..records.book import Book
from ..text.catalog import translator
from .history import is_won, stage_on
from .periods import Period
from .report import Column, Report, ratio


def objections(book: Book, period: Period, today: dt.date) -> Report:
    """Objection tags in the period's follow-ups: mentions, per stage, customers, and how many of them won."""
    settings = book.settings
    lang = settings.language
    _ = translator(lang)
    stages = [s.key for s in settings.stages]
    mentions: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    customers: dict[str, set[str]] = defaultdict(set)
    first, after = period.times
    after = min(after, dt.datetime.combine(today, dt.time.min) + dt.timedelta(days=1))
    for followup in book.all_followups():
        at = followup.at
        if not followup.objections or at is None or not first <= at < after:
            continue
        cid = followup.customer or followup.folder
        customer = book.customers.get(cid)
        stage = stage_on(customer, at.date()) if customer else None
        for tag in dict.fromkeys(followup.objections):
            counts = mentions[tag]
            counts["mentions"] += 1
            if stage is not None:
                counts[stage] += 1
            customers[tag].add(cid)
    won_cache: dict[str, bool] = {}

    def won(cid: str) -> bool:
        if cid not in won_cache:
            customer = book.customers.get(cid)
            won_cache[cid] = customer is not None and is_won(settings, customer, today)
        return won_cache[cid]

    rows: list[dict[str, Any]] = []
    for tag, counts in mentions.items():
        who = customers[tag]
        wins = sum(won(c) for c in who)
        row: dict[str, Any] = {"tag": tag, "mentions": counts["mentions"]}
        row.update({f"at_{stage}": counts[stage] for stage in stages})
        row.update({"customers": len(who), "won": wins, "win_rate": ratio(wins, len(who))})
        rows.append(row)
    rows.sort(key=lambda r: (-r["mentions"], r["tag"]))
    labels = {k: settings.label("objection_tags", k) for k in settings.keys_of("objection_tags")}
    all_customers = set().union(*customers.values()) if customers else set()
    all_won = sum(won(c) for c in all_customers)
    totals: dict[str, Any] = {k: sum(r[k] for r in rows) for k in ["mentions", *(f"at_{s}" for s in stages)]}
    totals.update({"customers": len(all_customers), "won": all_won, "win_rate": ratio(all_won, len(all_customers))})
    columns = [Column("tag", _("Objection"), "text", labels),
               Column("mentions", _("Mentions"), "int")]
    columns += [Column(f"at_{stage}", settings.stage_label(stage), "int") for stage in stages]
    columns += [
        Column("customers", _("Customers"), "int"),
        Column("won", _("Customers won"), "int"),
        Column("win_rate", _("Win rate"), "percent"),
    ]
    notes = [_("Objection tags of the period's follow-ups; stage columns count by the customer's stage on the day of "
               "the follow-up; won = those customers won by today. The totals line counts each customer once.")]
    return Report("objections", _("Objections"), columns, rows, totals, notes, "bar", period)
