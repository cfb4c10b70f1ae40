"""Team activity per person: follow-ups by method, customers per grade, overdue, and records entered late."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from ..records.book import Book
from ..records.dates import parse_date
from ..records.settings import Settings
from ..text.catalog import translator
from ..text.enums import enum_label
from .history import split_values
from .periods import Period
from .report import Column, Report

METHODS = ("phone", "visit", "email", "meeting", "im", "other")
GRADES = ("A", "B", "C")


# When each record file of a repo was first committed, by path; None when the repo is not a
# git repository. Git access lives in the git room, so the caller passes it in
# (`git.history.recorded_times`); reports never run git themselves.
RecordedTimes = Callable[[str], "dict[str, dt.datetime] | None"]


def first_commits(book: Book, recorded: RecordedTimes | None
                  ) -> tuple[dict[str, dt.datetime] | None, str | None]:
    """When each record file was first committed, from git; (None, why) when that cannot be known."""
    lang = book.settings.language
    _ = translator(lang)
    if book.root is None:
        return None, _("The records were not read from a working tree.")
    if recorded is None:
        return None, _("The git history was not read.")
    times = recorded(book.root)
    if times is None:
        return None, _("The records repo is not a git repository.")
    if not any(path in times for path in book.customers_by_path):
        return None, _("No record's first commit is in the git history (none committed yet, or a shallow clone: "
                       "fetch the whole history).")
    return times, None


def _window(period: Period, today: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """The period's local times up to the end of today."""
    first, after = period.times
    return first, min(after, dt.datetime.combine(today, dt.time.min) + dt.timedelta(days=1))


@dataclass(frozen=True)
class EntryDeadlines:
    """The timeliness rule, read from settings once: a follow-up is recorded within
    entry_deadlines.followup_hours of the conversation, a new customer within customer_hours of
    first contact; conversations before entry_deadlines.since were history brought in at
    adoption and are never late."""

    followup: dt.timedelta
    customer: dt.timedelta
    since: dt.date | None
    zone: ZoneInfo

    @classmethod
    def of(cls, settings: Settings) -> EntryDeadlines:
        deadlines = settings.raw.get("entry_deadlines") or {}
        return cls(dt.timedelta(hours=float(deadlines.get("followup_hours", 2))),
                   dt.timedelta(hours=float(deadlines.get("customer_hours", 24))),
                   parse_date(deadlines.get("since")), ZoneInfo(settings.timezone))

    def judged(self, happened: dt.datetime | dt.date) -> bool:
        """Whether a conversation on this day is judged at all: not before entry_deadlines.since
        (its commit time then says when history was brought in, not when it was recorded)."""
        day = happened.date() if isinstance(happened, dt.datetime) else happened
        return self.since is None or day >= self.since

    def late(self, happened: dt.datetime, recorded: dt.datetime | None, kind: str = "followup") -> bool:
        """True when the record was first committed (`recorded`) later than the deadline."""
        if recorded is None or not self.judged(happened):
            return False
        limit = self.followup if kind == "followup" else self.customer
        return recorded - happened.replace(tzinfo=self.zone) > limit


def late_entries(book: Book, period: Period, today: dt.date,
                 committed: dict[str, dt.datetime]) -> tuple[dict[str, int], dict[str, int]]:
    """Per person: follow-ups first committed more than entry_deadlines.followup_hours after their `at`
    (counted for `by`), and customers first committed more than customer_hours after the first
    follow-up (counted for the owner), for follow-ups / first contacts in the period."""
    deadlines = EntryDeadlines.of(book.settings)
    late_followups: dict[str, int] = defaultdict(int)
    late_customers: dict[str, int] = defaultdict(int)
    first_time, after = _window(period, today)
    for followup in book.all_followups():
        at = followup.at
        if at is None or not first_time <= at < after:
            continue
        if deadlines.late(at, committed.get(followup.path)):
            late_followups[followup.by] += 1
    for cid, customer in book.customers.items():
        contact = next((f.at for f in book.followups_of(cid) if f.at is not None), None)
        if contact is None or not first_time <= contact < after:
            continue
        if deadlines.late(contact, committed.get(customer.path), kind="customer"):
            late_customers[customer.owner] += 1
    return late_followups, late_customers


def team_activity(book: Book, period: Period, today: dt.date, recorded: RecordedTimes | None = None) -> Report:
    """Per person: follow-ups logged by method, open customers per grade, overdue, records entered late.

    `recorded` gives the files' first-commit times (late entries are skipped without it)."""
    settings = book.settings
    lang = settings.language
    _ = translator(lang)
    people: dict[str, dict[str, Any]] = {}

    def person(handle: str) -> dict[str, Any]:
        if handle not in people:
            people[handle] = {"owner": handle, "followups": 0, **dict.fromkeys(METHODS, 0), "customers": 0,
                              **dict.fromkeys(GRADES, 0), "overdue": 0, "late_followups": None,
                              "late_customers": None}
        return people[handle]

    for handle, member in book.members.items():
        if member.active:
            person(handle)
    first_time, after = _window(period, today)
    for followup in book.all_followups():
        if followup.at is None or not first_time <= followup.at < after:
            continue
        row = person(followup.by)
        row["followups"] += 1
        row[followup.method if followup.method in METHODS else "other"] += 1
    notes: list[str] = []
    from ..rules.state import evaluate

    states = evaluate(book, today)
    for cid, customer in book.customers.items():
        if not settings.is_open(customer.stage):
            continue
        row = person(customer.owner)
        row["customers"] += 1
        state = states.get(cid)
        if state is None:
            continue
        if state.grade.letter in GRADES:
            row[state.grade.letter] += 1
        if state.due.overdue_days > 0:
            row["overdue"] += 1
    committed, why = first_commits(book, recorded)
    if committed is None:
        notes.append(_("Late entries skipped: %(why)s", why=why))
    else:
        late_followups, late_customers = late_entries(book, period, today, committed)
        for row in people.values():
            row["late_followups"] = 0
            row["late_customers"] = 0
        for handle, count in late_followups.items():
            person(handle)["late_followups"] = count
        for handle, count in late_customers.items():
            person(handle)["late_customers"] = count
        deadlines = settings.raw.get("entry_deadlines") or {}
        notes.append(_("Late: a follow-up first committed more than %(followup_hours)s h after its time, or a "
                       "customer first committed more than %(customer_hours)s h after the first follow-up (from git "
                       "first-commit times).", followup_hours=deadlines.get("followup_hours", 2),
                       customer_hours=deadlines.get("customer_hours", 24)))
    notes.insert(0, _("Follow-ups in the period by who logged them (by); customers, grades and overdue are the open "
                      "customers each person owns today."))
    rows = sorted(people.values(), key=lambda r: (-r["followups"], r["owner"]))
    totals: dict[str, Any] = {}
    for key in ("followups", *METHODS, "customers", *GRADES, "overdue", "late_followups", "late_customers"):
        values = [r[key] for r in rows]
        totals[key] = None if any(v is None for v in values) else sum(values)
    columns = [Column("owner", _("Person"), "text", split_values(book, "owner")),
               Column("followups", _("Follow-ups"), "int")]
    columns += [Column(m, enum_label(_, "method", m), "int") for m in METHODS]
    columns += [Column("customers", _("Open customers"), "int")]
    columns += [Column(g, _("Grade %(g)s", g=g), "int") for g in GRADES]
    columns += [
        Column("overdue", _("Overdue customers"), "int"),
        Column("late_followups", _("Late follow-ups"), "int"),
        Column("late_customers", _("Late customers"), "int"),
    ]
    return Report("team-activity", _("Team activity"), columns, rows, totals, notes,
                  "bar", period)
