"""When a customer is next due for a touch, and why: next actions, cadence, first response, after-sales, pause."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from ..records.book import Book
from ..records.dates import add_hours
from ..records.model import Customer, FollowUp
from ..records.settings import Settings
from ..text.catalog import NP_, Translator, translator
from .aftersales import after_delivery, awaiting_delivery, before_delivery, delivered_on
from .grading import Grade, grade_from
from .reopening import last_touch, reopened_on, since_reopening
from .thresholds import Thresholds, followups_until, thresholds_of

KINDS = ("next_action", "cadence", "first_response", "delivery", "after_sales", "care_letter", "paused", "none")


@dataclass(frozen=True)
class Due:
    """The next due date (None: never), a sentence saying why, its kind, and days overdue (0 if not)."""

    date: dt.date | None
    reason: str
    kind: str  # one of KINDS
    overdue_days: int = 0


def _last_contact(days: int, _: Translator) -> str:
    """`last contact today`, `last contact 3 days ago` (`in 2 days` for a date after today)."""
    if days == 0:
        return _("last contact today")
    if days < 0:
        return _.ngettext("last contact in %(num)s day", "last contact in %(num)s days", -days)
    return _.ngettext("last contact %(num)s day ago", "last contact %(num)s days ago", days)


def _make(date: dt.date | None, reason: str, kind: str, today: dt.date) -> Due:
    overdue = (today - date).days if date is not None and date < today else 0
    return Due(date, reason, kind, overdue)


def _day(followup: FollowUp) -> dt.date:
    assert followup.at is not None  # followups_until keeps only dated follow-ups
    return followup.at.date()


def earliest_next(followup: FollowUp) -> tuple[dt.date, str] | None:
    """The earliest dated `next` action of a follow-up, as (due, action)."""
    dated = [(n.due, n.action) for n in followup.next if n.due is not None]
    return min(dated, key=lambda d: d[0]) if dated else None


def _next_reason(action: str, due: dt.date, _: Translator) -> str:
    return _("next action %(action)s due %(due)s", action=action, due=due)


def effective_pause(customer: Customer, grade: Grade) -> dt.date | None:
    """The later of the record's `paused_until` and the missed-twice pause end, if any."""
    dates = [d for d in (customer.paused_until, grade.pause_from_missed) if d is not None]
    return max(dates) if dates else None


def _cadence_days(customer: Customer, letter: str, t: Thresholds) -> tuple[int, bool]:
    """Days between touches and whether they come from the stage (cadence.by: stage)."""
    if t.cadence_by == "stage" and customer.stage in t.cadence_stage:
        return t.cadence_stage[customer.stage], True
    return t.cadence_grade.get(letter, t.cadence_grade.get("C", 14)), False


def _reopened(days: int, _: Translator) -> str:
    """`re-opened today`, `re-opened 3 days ago`."""
    if days == 0:
        return _("re-opened today")
    return _.ngettext("re-opened %(num)s day ago", "re-opened %(num)s days ago", days)


def _cadence_reason(customer: Customer, letter: str, by_stage: bool, interval: int, last: dt.date,
                    today: dt.date, settings: Settings, t: Thresholds, reopened: bool = False) -> str:
    """The rule, where the customer stands and the method the grade calls for (cadence.methods):
    "A级每 2 天一次,上次联系 5 天前(A级:电话+拜访)"; `reopened`: `last` is the re-opening."""
    _ = translator(t.language)
    since = _reopened((today - last).days, _) if reopened else _last_contact((today - last).days, _)
    what = (_("%(stage)s stage", stage=settings.stage_label(customer.stage)) if by_stage
            else _("%(grade)s grade", grade=letter))
    reason = _.ngettext("%(what)s: every %(num)s day, %(since)s", "%(what)s: every %(num)s days, %(since)s",
                        interval, what=what, since=since)
    method = None if by_stage else t.grade_methods.get(letter)  # the methods go with the grade's cadence
    if method:
        reason = _("%(reason)s (%(grade)s grade: %(method)s)", reason=reason, grade=letter, method=method)
    return reason


PRIORITY_SOURCES = ("set", "lead_type", "channel", "grade")


def intake_priority(customer: Customer, grade: Grade, t: Thresholds) -> tuple[str, str]:
    """A new lead's priority (A | B | C) and where it comes from: `set` (lead.priority), `lead_type` or
    `channel` (intake.priority in the settings; the higher of the two), else `grade`."""
    if customer.lead_priority is not None:
        return customer.lead_priority, "set"
    derived = [(letter, source) for letter, source in (
        (t.priority_by_lead_type.get(customer.lead_type), "lead_type"),
        (t.priority_by_channel.get(customer.channel), "channel")) if letter]
    if derived:
        return min(derived)
    return grade.letter, "grade"


_SOURCE_WORDS = {"set": NP_("intake priority", "set by hand"), "lead_type": NP_("intake priority", "by lead type"),
                 "channel": NP_("intake priority", "by source channel"), "grade": NP_("intake priority", "by grade")}


def first_response_at(customer: Customer, grade: Grade, settings: Settings,
                      t: Thresholds) -> tuple[dt.datetime, bool, str, str, int] | None:
    """A new lead's first-response deadline: (team-local time, whether `created` had a time,
    priority, its source, hours). The hours are real elapsed hours in the team's timezone."""
    acquired = customer.created_at
    if acquired is None:
        return None
    priority, source = intake_priority(customer, grade, t)
    hours = t.first_response_hours.get(priority, t.first_response_hours.get("C", 72))
    return add_hours(acquired[0], hours, settings.timezone), acquired[1], priority, source, hours


def _first_response(customer: Customer, grade: Grade, settings: Settings,
                    t: Thresholds) -> list[tuple[dt.date, int, str, str]]:
    _ = translator(t.language)
    found = first_response_at(customer, grade, settings, t)
    if found is None:
        return []
    deadline, timed, priority, source, hours = found
    when = f"{deadline:%Y-%m-%d %H:%M}" if timed else f"{deadline:%Y-%m-%d}"
    how = _.pgettext("intake priority", _SOURCE_WORDS[source])
    reason = _("new lead (priority %(priority)s, %(how)s): first response within %(hours)s h, by %(when)s",
               priority=priority, how=how, hours=hours, when=when)
    candidates = [(deadline.date(), 3, "first_response", reason)]
    for item in customer.lead_plan:
        if item.due is not None:
            at = f"{item.due:%Y-%m-%d %H:%M}" if item.timed else f"{item.due:%Y-%m-%d}"
            candidates.append((item.due.date(), 0, "next_action",
                               _("planned: %(action)s at %(at)s", action=item.action, at=at)))
    return candidates


def due_from(customer: Customer, counted: list[FollowUp], grade: Grade, today: dt.date,
             settings: Settings, t: Thresholds, reopened: dt.date | None) -> Due:
    """The due date given the follow-ups up to today, the grade and the day the customer was
    re-opened after a loss (None: never): the work behind `due_of`."""
    _ = translator(t.language)
    kind = t.stage_kind.get(customer.stage, "open")
    if kind == "lost":
        return Due(None, _("lost: no follow-up due"), "none", 0)

    counted = since_reopening(counted, reopened)  # nothing before a re-opening sets a clock
    touched = last_touch(counted, reopened)
    pause = effective_pause(customer, grade)
    if pause is not None and (pause >= today or touched is None or touched < pause):
        if pause < today:
            reason = _("pause ended %(pause)s: reassess", pause=pause)
        elif grade.pause_from_missed == pause and grade.exception == "no_need":
            reason = _("no need for now: paused until %(pause)s, then reassess", pause=pause)
        elif grade.pause_from_missed == pause:
            n = t.missed_in_a_row
            reason = _("missed %(n)s appointments in a row: paused until %(pause)s, then reassess", n=n, pause=pause)
        else:
            reason = _("paused until %(pause)s, then reassess", pause=pause)
        return _make(pause, reason, "paused", today)

    latest = counted[-1] if counted else None
    candidates: list[tuple[dt.date, int, str, str]] = []  # (date, tie-break, kind, reason)
    if latest is not None:
        found = earliest_next(latest)
        if found is not None:
            candidates.append((found[0], 0, "next_action", _next_reason(found[1], found[0], _)))

    by_stage = t.cadence_by == "stage" and customer.stage in t.cadence_stage
    delivered = delivered_on(customer.contracts, today) if kind == "won" else None
    if delivered is not None:
        if latest is not None and _day(latest) < delivered:
            candidates.clear()  # a promise made before delivery is superseded by the schedule
        held = [_day(f) for f in counted if f.outcome == "held"]
        candidates.extend(after_delivery(delivered, held, today, settings))
        repeat = awaiting_delivery(customer.contracts, delivered, today)
        if repeat and not by_stage:  # a repeat purchase in delivery: its progress updates too
            found = before_delivery(repeat, None, _day(latest) if latest else None, today, settings)
            if found is not None:
                candidates.append(found)
        if latest is not None and by_stage:
            days = t.cadence_stage[customer.stage]
            candidates.append((_day(latest) + dt.timedelta(days=days), 2, "cadence",
                               _cadence_reason(customer, grade.letter, True, days, _day(latest), today, settings, t)))
    elif kind == "won" and not by_stage:
        won_since = next((e.on for e in reversed(customer.stage_history) if e.stage == customer.stage),
                         None) or customer.created
        found = before_delivery(customer.contracts, won_since, _day(latest) if latest else None, today, settings)
        if found is not None:
            candidates.append(found)
    elif touched is not None:
        days, by_stage = _cadence_days(customer, grade.letter, t)
        from_reopening = latest is None or _day(latest) < touched
        candidates.append((touched + dt.timedelta(days=days), 2, "cadence",
                           _cadence_reason(customer, grade.letter, by_stage, days, touched, today, settings,
                                           t, from_reopening)))
    elif customer.created_at is not None:
        candidates.extend(_first_response(customer, grade, settings, t))

    if not candidates:
        return Due(None, _("no due date can be worked out"), "none", 0)
    date, _tie, due_kind, reason = min(candidates)
    return _make(date, reason, due_kind, today)


def due_of(book: Book, customer: Customer, today: dt.date) -> Due:
    """The customer's next due date as of `today`, why, and days overdue."""
    t = thresholds_of(book.settings)
    counted = followups_until(book, customer.id, today)
    reopened = reopened_on(customer, today, t.stage_kind)
    grade = grade_from(customer, counted, today, t, reopened)
    return due_from(customer, counted, grade, today, book.settings, t, reopened)
