"""Win/loss: lost reasons with counts and value per stage lost from, and the win factors of deals won."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Any

from ..records.book import Book
from ..records.losses import losses
from ..text.catalog import translator
from .history import won_in, won_value
from .periods import Period
from .report import Column, Report


def win_loss(book: Book, period: Period, today: dt.date) -> Report:
    """Losses in the period by reason: count, customers, value lost, and the stage each was lost from.

    Each loss counts once under its own reason (`records.losses`): a customer lost, re-opened and
    lost again counts once per loss and once in the customers column. Only deals lost before they
    were won: a won customer who churns (won → lost) is counted in a note."""
    settings = book.settings
    lang = settings.language
    _ = translator(lang)
    open_stages = [s.key for s in settings.stages if s.kind == "open"]
    tally: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    who: dict[str, set[str]] = defaultdict(set)
    churned: set[str] = set()
    earlier = 0  # losses in the period that are not the customer's latest: the record keeps no amount for them
    for customer in book.customers.values():
        for loss in losses(customer, settings):
            if not loss.source or loss.on is None or loss.on not in period or loss.on > today:
                continue
            if settings.is_won(loss.source):
                churned.add(customer.id)  # a won customer who stopped working with us: not a lost deal
                continue
            row = tally[loss.reason]
            row["lost"] += 1
            who[loss.reason].add(customer.id)
            if loss.latest:
                row["value"] += customer.deal_amount or 0
            else:
                earlier += 1
            row[f"from_{loss.source}"] += 1
    order = list(settings.keys_of("lost_reasons"))
    keys = [k for k in order if k in tally] + sorted(k for k in tally if k not in order)
    rows: list[dict[str, Any]] = []
    for key in keys:
        counts = tally[key]
        row: dict[str, Any] = {"reason": key, "lost": counts["lost"], "customers": len(who[key]),
                               "value": counts["value"]}
        row.update({f"from_{stage}": counts[f"from_{stage}"] for stage in open_stages})
        rows.append(row)
    rows.sort(key=lambda r: (-r["lost"], keys.index(r["reason"])))
    totals = {k: sum(r[k] for r in rows) for k in ["lost", "value", *(f"from_{s}" for s in open_stages)]}
    totals["customers"] = len(set().union(*who.values()))  # a customer lost for two reasons is one customer
    labels = {k: settings.label("lost_reasons", k) for k in order}
    labels[""] = _("(not recorded)")
    columns = [
        Column("reason", _("Lost reason"), "text", labels),
        Column("lost", _("Losses"), "int"),
        Column("customers", _("Customers"), "int"),
        Column("value", _("Value lost"), "money"),
    ]
    for stage in open_stages:
        label = settings.stage_label(stage)
        columns.append(Column(f"from_{stage}", _("from %(label)s", label=label), "int"))
    notes = [_("Losses = moves to lost in the period (dated by the stage history), each under the reason of that "
               "loss; customers = the customers they are, each once: a customer lost, re-opened and lost again "
               "counts once per loss but is one customer (the total line too). The stage columns count where each "
               "loss was lost from. Value is the deal amount, of a customer's latest loss only.")]
    if earlier:
        notes.append(_.ngettext(
            "%(num)d of these losses is not the customer's latest (re-opened and lost again since): the record "
            "keeps the deal amount of the latest loss only, so it adds nothing to the value.",
            "%(num)d of these losses are not the customers' latest (re-opened and lost again since): the record "
            "keeps the deal amount of the latest loss only, so they add nothing to the value.", earlier))
    if "" in tally:
        notes.append(_("(not recorded): a loss whose reason the record does not hold, such as one re-opened before "
                       "each loss kept its own reason; `dealbook check` names each one."))
    if churned:
        notes.append(_("%(churned)s won customers churned in the period (moved from a won stage to lost, reason "
                       "churn); they are not lost deals and are left out here: see the lost column of the won stages "
                       "in the conversion table.", churned=len(churned)))
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
        if won_in(settings, customer, period.start, min(period.end, today)) is None:
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
