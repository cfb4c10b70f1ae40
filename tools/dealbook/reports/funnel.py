"""The stage conversion funnel (销售阶段转化分析表) and the cohort view by month created."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from ..checks.customer_views import add_share
from ..records.book import Book
from ..records.model import Customer
from ..records.settings import Settings
from ..text.catalog import translator
from .history import (
    created_on,
    furthest,
    group_of,
    is_won,
    kind_of_move,
    lost_on,
    member_names,
    moves,
    split_label,
    split_labels,
    stage_values,
)
from .periods import Period, month_key
from .report import Column, Report, ratio

FUNNEL_KEYS = ("stage", "entered", "converted", "lost", "converted_per_entered", "lost_per_entered", "avg_days")


TALLY = ("entered", "converted", "lost", "days", "left")  # a funnel share's counts per stage, in this order


@dataclass
class _Tally:
    entered: int = 0
    converted: int = 0
    lost: int = 0
    days: int = 0
    left: int = 0  # customers who left the stage in the period (any direction), for avg_days

    def add(self, other: _Tally) -> None:
        self.entered += other.entered
        self.converted += other.converted
        self.lost += other.lost
        self.days += other.days
        self.left += other.left

    def row(self) -> dict[str, Any]:
        return {
            "entered": self.entered,
            "converted": self.converted,
            "lost": self.lost,
            # two counts of the period over entered, not the share of one group: it can exceed 1
            "converted_per_entered": ratio(self.converted, self.entered),
            "lost_per_entered": ratio(self.lost, self.entered),
            "avg_days": round(self.days / self.left, 1) if self.left else None,
        }


def funnel_share(settings: Settings, customer: Customer, period: Period, by: str | None) -> dict[str, Any]:
    """One customer's share of the funnel's sums: {group: {"": [1], stage: [entered, converted, lost,
    days, left]}} ("" as group without a split), empty when none of its moves fall in the period.
    The funnel is the sum of every customer's share (`add_share`), its rates computed from the sums.

    An entry into a stage dated in the period counts as entered; the next entry in the
    history, dated in the period, counts the move out: lost when it is the lost stage,
    converted when it is any later stage of the progression (so a skipped stage is neither
    entered nor converted), neither when it goes backwards. Every move out counts towards
    the average days in the stage. The `""` count makes the group appear: a group with any
    event in the period gets rows."""
    progression = {s.key for s in settings.progression}
    start, end = period.start, period.end
    tallies: dict[str, list[int]] | None = None
    for entry in customer.stage_history:
        if entry.on is not None and start <= entry.on <= end and entry.stage in progression:
            tallies = {} if tallies is None else tallies
            tallies.setdefault(entry.stage, [0, 0, 0, 0, 0])[0] += 1
    for move in moves(customer):
        if move.on is None or not start <= move.on <= end or move.source not in progression:
            continue
        tallies = {} if tallies is None else tallies
        tally = tallies.setdefault(move.source, [0, 0, 0, 0, 0])
        kind = kind_of_move(settings, move)
        if kind == "lost":
            tally[2] += 1
        elif kind == "forward":
            tally[1] += 1
        if move.since is not None:
            tally[3] += (move.on - move.since).days
            tally[4] += 1
    if tallies is None:
        return {}
    share = {"": [1], **{stage: counts for stage, counts in tallies.items() if any(counts)}}
    return {group_of(customer, by) if by else "": share}


def funnel_total(book: Book, period: Period, by: str | None) -> dict[str, Any]:
    """The sum of every customer's `funnel_share`."""
    total: dict[str, Any] = {}
    for customer in book.customers.values():
        add_share(total, funnel_share(book.settings, customer, period, by))
    return total


def funnel_rows(book: Book, period: Period, by: str | None = None) -> list[dict[str, Any]]:
    """Per stage (and group, with `by`): entered, converted, lost, converted_per_entered,
    lost_per_entered, avg_days.

    The ratios are fractions (above 1 when more left the stage than entered it), None when nothing
    entered; avg_days is None when none left.
    With `by` each row starts with the group value under the split's name (`owner`: "zhang");
    groups without any event in the period are left out."""
    rows, _ = _rows_and_totals(book.settings, funnel_total(book, period, by), by)
    return rows


def _rows_and_totals(settings: Settings, groups: dict[str, Any], by: str | None
                     ) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    total = _Tally()
    for group in sorted(groups) if by else [""]:
        tallies = groups.get(group, {})
        for stage in settings.progression:
            tally = _Tally(*tallies.get(stage.key, (0, 0, 0, 0, 0)))
            total.add(tally)
            row: dict[str, Any] = {by: group} if by else {}
            row["stage"] = stage.key
            row.update(tally.row())
            rows.append(row)
    return rows, total.row()


def funnel(book: Book, period: Period, today: dt.date, by: str | None = None) -> Report:
    """Stage conversion: per stage, entered, converted, lost, converted and lost per entered, average days."""
    return funnel_report(book.settings, funnel_total(book, period, by), member_names(book), period, by)


def funnel_report(settings: Settings, total: dict[str, Any], names: dict[str, str], period: Period,
                  by: str | None = None) -> Report:
    """The funnel from the sum of the customers' shares (`funnel_share`) and the team's names."""
    lang = settings.language
    _ = translator(lang)
    rows, totals = _rows_and_totals(settings, total, by)
    columns = [] if not by else [Column(by, split_label(lang, by), "text", split_labels(settings, names, by))]
    columns += [
        Column("stage", _("Stage"), "text", stage_values(settings)),
        Column("entered", _("Entered"), "int"),
        Column("converted", _("Converted"), "int"),
        Column("lost", _.pgettext("funnel", "Lost"), "int"),
        Column("converted_per_entered", _("Converted/entered"), "percent"),
        Column("lost_per_entered", _("Lost/entered"), "percent"),
        Column("avg_days", _("Avg days in stage"), "days"),
    ]
    notes = [_("Dated by each customer's stage history: entered = entries into the stage in the period; converted = "
               "moves from it to "
               "any later stage (a skipped stage is neither entered nor converted; a move back is not a conversion); "
               "lost = moves from it to lost; avg days = mean days in the stage of those who left it in the period."),
             _("Converted/entered and lost/entered divide the period's moves out of a stage by its entries: two "
               "different groups of customers (one can enter in one month and move on in the next), so they are "
               "no conversion rate of one group and can exceed 100%. The sales funnel (stage-reach) follows one "
               "group: the customers created in the period."),
             _("Total: the entries, conversions and losses of every stage added up, so it counts moves, not "
               "customers (one customer who went through three stages in the period counts three times); one won, "
               "re-opened and won again enters the won stage twice, though it is one won deal. Its ratios divide "
               "those sums and its average days is over every departure.")]
    return Report("funnel", _("Stage conversion funnel"), columns, rows, totals,
                  notes, "funnel", period)


def cohort(book: Book, period: Period, today: dt.date) -> Report:
    """Of the customers created in each month of the period: how many reached each stage so far, and the win rate."""
    settings = book.settings
    lang = settings.language
    _ = translator(lang)
    progression = settings.progression
    lost_stage = settings.lost_stage
    # Every month of the period up to today gets a row, even an empty one ("all" lists only months with customers).
    months = period.months() if period.days < 4000 else []
    counts: dict[str, dict[str, int]] = {m.label: defaultdict(int) for m in months if m.start <= today}
    undated = 0
    for customer in book.customers.values():
        created = customer.created or next((e.on for e in customer.stage_history if e.on), None)
        if created is None:
            undated += 1
            continue
        if created not in period or created > today:
            continue
        row = counts.setdefault(month_key(created), defaultdict(int))
        row["customers"] += 1
        reached = furthest(settings, customer, today)
        for stage in progression:
            if reached >= stage.index:
                row[f"reached_{stage.key}"] += 1
        if lost_on(settings, customer, today):
            row["lost"] += 1
        if is_won(settings, customer, today):
            row["_won"] += 1
    rows = []
    for month in sorted(counts):
        row_counts = counts[month]
        row: dict[str, Any] = {"month": month, "customers": row_counts["customers"]}
        for stage in progression:
            row[f"reached_{stage.key}"] = row_counts[f"reached_{stage.key}"]
        row["lost"] = row_counts["lost"]
        row["win_rate"] = ratio(row_counts["_won"], row_counts["customers"])
        rows.append(row)
    columns = [Column("month", _.pgettext("cohort", "Created"), "text"),
               Column("customers", _("Customers"), "int")]
    columns += [Column(f"reached_{s.key}", settings.stage_label(s.key), "int") for s in progression]
    columns.append(Column("lost", settings.stage_label(lost_stage) if lost_stage else _.pgettext("cohort", "Lost"),
                          "int"))
    columns.append(Column("win_rate", _.pgettext("cohort", "Win rate"), "percent"))
    totals: dict[str, Any] = {c.key: sum(r[c.key] for r in rows) for c in columns[1:-1]}
    totals["win_rate"] = ratio(sum(counts[m]["_won"] for m in counts), totals["customers"])
    notes = [_("Grouped by `created`; a stage counts as reached when the customer got to it or any later stage by "
               "today (skipped stages included); lost = customers in the lost stage today (one lost and re-opened "
               "since is not, one lost twice counts once); win rate = won / customers.")]
    if undated:
        notes.append(_("%(undated)s customers have no created date and are left out.", undated=undated))
    return Report("cohort", _("Cohorts by month created"), columns, rows, totals,
                  notes, "bar", period)


def reach_rows(book: Book, period: Period, today: dt.date) -> tuple[list[dict[str, Any]], dict[str, int]]:
    """The funnel of one cohort: of the customers created in the period (by today), how many
    reached each progression stage by today — reached = entered that stage or any later one
    (`history.furthest`: a skipped stage counts as reached, a lost customer counts for the stages
    it got to before) — with the share of the cohort and the conversion from the stage before.

    Returns (rows, counts): a row per stage {stage, reached, share, step}; counts of the cohort
    (`customers`), of its customers lost today (`history.lost_on`), won (churned since included) and neither
    (`open`), and of the customers left out for having no date."""
    settings = book.settings
    progression = settings.progression
    reached = [0] * len(progression)
    counts = {"customers": 0, "lost": 0, "won": 0, "open": 0, "undated": 0}
    for customer in book.customers.values():
        created = created_on(customer)
        if created is None:
            counts["undated"] += 1
            continue
        if created not in period or created > today:
            continue
        counts["customers"] += 1
        best = furthest(settings, customer, today)
        for position, stage in enumerate(progression):
            if best >= stage.index:
                reached[position] += 1
        lost, won = lost_on(settings, customer, today), is_won(settings, customer, today)
        counts["lost"] += lost
        counts["won"] += won
        counts["open"] += not (lost or won)
    rows = []
    for position, stage in enumerate(progression):
        before = reached[position - 1] if position else None
        rows.append({"stage": stage.key, "reached": reached[position],
                     "share": ratio(reached[position], counts["customers"]),
                     "step": ratio(reached[position], before) if before is not None else None})
    return rows, counts


def stage_reach(book: Book, period: Period, today: dt.date) -> Report:
    """Funnel: of the customers created in the period, how many reached each stage, with the step-to-step conversion."""
    settings = book.settings
    _ = translator(settings.language)
    rows, counts = reach_rows(book, period, today)
    columns = [Column("stage", _("Stage"), "text", stage_values(settings)),
               Column("reached", _("Customers who reached it"), "int"),
               Column("share", _("Share of the cohort"), "percent"),
               Column("step", _("From the stage before"), "percent")]
    notes = [_("The cohort: the %(n)s customers created in the period (by their created date, else their first "
               "dated stage). A stage counts as reached when the customer entered it or any later stage by today "
               "(a skipped stage counts; a lost customer counts for the stages it reached before). Share = reached "
               "/ the cohort; from the stage before = reached / reached the stage before.", n=counts["customers"]),
             _("Of the cohort, %(won)s have been won, %(lost)s are lost today and %(open)s are open (a customer lost "
               "and re-opened since is open; one won and churned since counts as won and as lost).",
               won=counts["won"], lost=counts["lost"], open=counts["open"])]
    if counts["undated"]:
        notes.append(_("%(undated)s customers have no created date and are left out.", undated=counts["undated"]))
    return Report("stage-reach", _("Sales funnel: customers who reached each stage"), columns, rows, None,
                  notes, "reach", period, chart_key="reached")
