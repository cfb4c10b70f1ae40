"""Win/loss: lost reasons with counts and value per stage lost from, and the win factors of deals won."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Any

from ..records.book import Book
from .history import kind_of_move, moves, won_on, won_value
from .periods import Period
from .report import Column, Report, words


def win_loss(book: Book, period: Period, today: dt.date) -> Report:
    """Deals lost in the period by lost.reason: count, value lost, and the stage each was lost from.

    Only deals lost before they were won: a won customer who churns (won → lost) is counted in a note."""
    settings = book.settings
    lang = settings.language
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
    labels[""] = words(lang, "(未填)", "(none)")
    columns = [
        Column("reason", words(lang, "流失原因", "Lost reason"), "text", labels),
        Column("lost", words(lang, "流失数", "Lost"), "int"),
        Column("value", words(lang, "流失金额", "Value lost"), "money"),
    ]
    for stage in open_stages:
        label = settings.stage_label(stage)
        columns.append(Column(f"from_{stage}", words(lang, f"自{label}", f"from {label}"), "int"))
    notes = [words(lang, "本期转为流失的商机(按 stage_history 日期),金额取 deal.amount;各阶段列 = 从该阶段流失的数量。",
                   "Deals moved to lost in the period (stage_history dates); value is deal.amount; the stage "
                   "columns count where each was lost from.")]
    if churned:
        notes.append(words(lang, f"另有 {churned} 个已成交客户本期停止合作(成交后转为流失,原因 churn),"
                                 "不计入本表;见阶段转化表中成交签约/售后维护阶段的流失数。",
                           f"{churned} won customers churned in the period (moved from a won stage to lost, reason "
                           "churn); they are not lost deals and are left out here: see the lost column of the won "
                           "stages in the conversion table."))
    return Report("win-loss", words(lang, "输单分析", "Win/loss: lost reasons"), columns, rows, totals, notes,
                  "bar", period)


def win_factors(book: Book, period: Period, today: dt.date) -> Report:
    """The win factors (contracts[].win_factors) of deals first won in the period, with counts and value."""
    settings = book.settings
    lang = settings.language
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
        Column("factor", words(lang, "赢单因素", "Win factor"), "text"),
        Column("wins", words(lang, "成交数", "Wins"), "int"),
        Column("value", words(lang, "成交金额", "Won value"), "money"),
    ]
    notes = [words(lang, f"本期成交 {won} 个,其中 {without} 个未填写赢单因素;一个客户的同一因素只计一次。",
                   f"{won} deals won in the period, {without} without win factors; a factor counts once per customer.")]
    return Report("win-factors", words(lang, "赢单因素", "Win factors"), columns, rows, None, notes, "bar", period)
