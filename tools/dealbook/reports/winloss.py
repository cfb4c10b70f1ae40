"""Win/loss: lost reasons with counts and value per stage lost from, and the win factors of deals won."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Any

from ..records.book import Book
from ..text.catalog import translator
from .history import kind_of_move, moves, won_on, won_value
from .periods import Period
from .report import Column, Report


def win_loss(book: Book, period: Period, today: dt.date) -> Report:
    """Deals lost in the period by lost.reason: count, value lost, and the stage each was lost from.

    Only deals lost before they were won: a won customer who churns (won → lost) is counted in a note."""
    settings = book.settings
    lang = settings.language
    _ = translator(lang)
    open_stages = [s.key for s in settings.stages if s.kind == "open"]
    tally: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    churned = 0
    for customer in book.customers.values():
        for move in moves(customer):
            if move.on is None or move.on not in period or move.on > today or kind_of_move(settings, move) != "lost":
                continue
            if settings.is_won(move.source):
                churned += 1  # a won customer who stopped working with us: not a lost deal
                continue
            row = tally[customer.lost_reason]
            row["lost"] += 1
            row["value"] += customer.deal_amount or 0
            row[f"from_{move.source}"] += 1
    order = list(settings.keys_of("lost_reasons"))
    keys = [k for k in order if k in tally] + sorted(k for k in tally if k not in order)
    rows: list[dict[str, Any]] = []
    for key in keys:
        counts = tally[key]
        row: dict[str, Any] = {"reason": key, "lost": counts["lost"], "value": counts["value"]}
        row.update({f"from_{stage}": counts[f"from_{stage}"] for stage in open_stages})
        rows.append(row)
    rows.sort(key=lambda r: (-r["lost"], keys.index(r["reason"])))
    totals = {k: sum(r[k] for r in rows) for k in ["lost", "value", *(f"from_{s}" for s in open_stages)]}
    labels = {k: settings.label("lost_reasons", k) for k in order}
    labels[""] = _("(none)")
    columns = [
        Column("reason", _("Lost reason"), "text", labels),
        Column("lost", _("Lost"), "int"),
        Column("value", _("Value lost"), "money"),
    ]
    for stage in open_stages:
        label = settings.stage_label(stage)
        columns.append(Column(f"from_{stage}", _("from %(label)s", label=label), "int"))
    notes = [_("Deals moved to lost in the period (dated by their stage history); value is the deal amount; the "
               "stage columns count where each was lost from.")]
    if churned:
        notes.append(_("%(churned)s won customers churned in the period (moved from a won stage to lost, reason "
                       "churn); they are not lost deals and are left out here: see the lost column of the won stages "
                       "in the conversion table.", churned=churned))
    return Report("win-loss", _("Win/loss: lost reasons"), columns, rows, totals, notes,
                  "bar", period)


def win_factors(book: Book, period: Period, today: dt.date) -> Report:
    """The win factors (contracts[].win_factors) of deals first won in the period, with counts and value."""
    settings = book.settings
    lang = settings.language
    _ = translator(lang)
    tally: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    won = 0
    without = 0
    for customer in book.customers.values():
        day = won_on(settings, customer, min(period.end, today))
        if day is None or day not in period:
            continue
        won += 1
        factors: list[str] = []
        for contract in customer.data.get("contracts") or []:
            if isinstance(contract, dict):
                factors += [f.strip() for f in contract.get("win_factors") or [] if isinstance(f, str) and f.strip()]
        if not factors:
            without += 1
        for factor in dict.fromkeys(factors):
            tally[factor][0] += 1
            tally[factor][1] += won_value(customer)
    rows = [{"factor": k, "wins": v[0], "value": v[1]} for k, v in tally.items()]
    rows.sort(key=lambda r: (-r["wins"], -r["value"], r["factor"]))
    columns = [
        Column("factor", _("Win factor"), "text"),
        Column("wins", _("Wins"), "int"),
        Column("value", _("Won value"), "money"),
    ]
    notes = [_("%(won)s deals won in the period, %(without)s without win factors; a factor counts once per customer.",
               won=won, without=without)]
    return Report("win-factors", _("Win factors"), columns, rows, None, notes, "bar", period)
