"""Lead conversion by source (线索转化率 / 客户来源分析): leads, wins, win rate and won value."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from ..records.book import Book
from ..text.catalog import translator
from .history import created_on, history_until, is_won, won_value
from .periods import Period
from .report import Column, Report, ratio

SOURCES_BY = ("channel", "lead_type")


def sources(book: Book, period: Period, today: dt.date, by: str = "channel") -> Report:
    """Leads created in the period by source channel (or lead type): wins so far, win rate, won value."""
    settings = book.settings
    lang = settings.language
    _ = translator(lang)
    if by not in SOURCES_BY:
        raise ValueError(f"sources cannot be split by {by!r}; use channel or lead_type")
    group = "source_channels" if by == "channel" else "lead_types"
    lost_stage = settings.lost_stage
    tally: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0, 0])  # leads, wins, lost, won value
    for customer in book.customers.values():
        created = created_on(customer)
        if created is None or created not in period or created > today:
            continue
        key = customer.channel if by == "channel" else customer.lead_type
        counts = tally[key]
        counts[0] += 1
        if is_won(settings, customer, today):
            counts[1] += 1
            counts[3] += won_value(customer)
        else:
            entries = history_until(customer, today)
            if entries and entries[-1].stage == lost_stage:
                counts[2] += 1
    order = list(settings.keys_of(group))
    keys = [k for k in order if k in tally] + sorted(k for k in tally if k not in order)
    rows = [{by: k, "leads": tally[k][0], "wins": tally[k][1], "lost": tally[k][2],
             "win_rate": ratio(tally[k][1], tally[k][0]), "won_value": tally[k][3]} for k in keys]
    rows.sort(key=lambda r: (-r["leads"], keys.index(r[by])))
    leads = sum(r["leads"] for r in rows)
    wins = sum(r["wins"] for r in rows)
    totals = {"leads": leads, "wins": wins, "lost": sum(r["lost"] for r in rows), "win_rate": ratio(wins, leads),
              "won_value": sum(r["won_value"] for r in rows)}
    labels = {k: settings.label(group, k) for k in settings.keys_of(group)}
    labels[""] = _("(none)")
    first = _("Source channel") if by == "channel" else _("Lead type")
    columns = [
        Column(by, first, "text", labels),
        Column("leads", _("Leads"), "int"),
        Column("wins", _("Wins"), "int"),
        Column("lost", _("Lost"), "int"),
        Column("win_rate", _.pgettext("sources", "Win rate"), "percent"),
        Column("won_value", _("Won value"), "money"),
    ]
    notes = [_("Leads = customers created in the period; wins / lost = those won / lost by today; won value = their "
               "contract amounts (the deal amount when there is no contract).")]
    title = (_("Lead sources") if by == "channel"
             else _("Lead types"))
    return Report("sources", title, columns, rows, totals, notes, "bar", period)
