"""ABC grade of a customer: urgency + budget + decision-maker access, override, and the exception downgrade
(two missed appointments in a row, or no need for now)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from ..records.book import Book
from ..records.model import Customer, FollowUp
from ..records.settings import Settings
from ..text.catalog import NP_, translator
from ..text.money import money
from .reopening import reopened_on, since_reopening
from .thresholds import Thresholds, followups_until, thresholds_of

LETTERS = ("A", "B", "C")

BUDGET_WORDS = {"clear": NP_("budget status", "clear"), "partial": NP_("budget status", "partly clear"),
                "undetermined": NP_("budget status", "undetermined"), "none": NP_("budget status", "none")}


@dataclass(frozen=True)
class GradeReason:
    """One line of a grade's explanation: a dimension, the points it gave, and why."""

    dimension: str  # urgency | budget | access | downgrade | override
    points: int
    why: str


@dataclass(frozen=True)
class Grade:
    """A customer's grade.

    `letter` is the grade in force; `computed` is what the rules give without a manual
    override (the score's letter, dropped one step when `downgraded`; a C stays C); `score` is
    the sum of the three dimensions' points. `downgraded` is true while an exception is in
    force (`exception`: missed | no_need): since the last held follow-up, the customer missed
    `missed_in_a_row` appointments in a row or said there is no need for now. The drop applies
    to a manual override too (A* becomes B* while the exception lasts). `reassess_on` is the
    reassessment date (the exception's day + exceptions.reassess_days); `pause_from_missed`
    is the same date when exceptions.mode is pause (nothing is due until then), else None."""

    letter: str
    score: int
    computed: str
    override: bool
    downgraded: bool
    reasons: tuple[GradeReason, ...]
    pause_from_missed: dt.date | None = None
    reassess_on: dt.date | None = None
    exception: str | None = None


def has_grade(settings: Settings, stage: str) -> bool:
    """Grades belong to open deals only: a won or lost customer is listed and shown without one
    (a stage the settings do not know counts as open, so it is still shown)."""
    found = settings.stage_by_key.get(stage)
    return found is None or found.kind == "open"


def letter_for(score: int, t: Thresholds) -> str:
    """The letter a score earns: A at a_min or more, C at c_max or less, else B."""
    if score >= t.a_min:
        return "A"
    if score <= t.c_max:
        return "C"
    return "B"


def step_down(letter: str) -> str:
    """One grade lower (A→B, B→C); C stays C."""
    return {"A": "B", "B": "C"}.get(letter, "C")


def _urgency(customer: Customer, today: dt.date, t: Thresholds) -> GradeReason:
    start = customer.timeline_start
    _ = translator(t.language)
    if start is None:
        why = _("no timeline start (need.timeline.start)")
        return GradeReason("urgency", t.urgency_points["low"], why)
    days = (start - today).days
    if days <= t.high_days:
        level = "high"
        if days < 0:
            why = _("start %(start)s passed %(days)s days ago", start=start, days=-days)
        else:
            why = _("start %(start)s is %(days)s days away (≤ %(high_days)s)", start=start, days=days,
                    high_days=t.high_days)
    elif days <= t.medium_days:
        level = "medium"
        why = _("start %(start)s is %(days)s days away (≤ %(medium_days)s)", start=start, days=days,
                medium_days=t.medium_days)
    else:
        level = "low"
        why = _("start %(start)s is %(days)s days away (more than %(medium_days)s)", start=start, days=days,
                medium_days=t.medium_days)
    return GradeReason("urgency", t.urgency_points[level], why)


def _budget(customer: Customer, t: Thresholds) -> GradeReason:
    status = customer.budget_status
    points = t.budget_points.get(status, 0)
    _ = translator(t.language)
    if not status:
        why = _("no budget status (need.budget.status)")
    else:
        label = _.pgettext("budget status", BUDGET_WORDS[status]) if status in BUDGET_WORDS else status
        low, high = customer.get("need.budget.min"), customer.get("need.budget.max")
        if isinstance(low, int) and isinstance(high, int):
            label += f" ({money(low, t.currency)}–{money(high, t.currency)})"
        why = _("budget %(label)s", label=label)
    return GradeReason("budget", points, why)


def _access(customer: Customer, counted: list[FollowUp], today: dt.date, t: Thresholds) -> GradeReason:
    _ = translator(t.language)
    best: tuple[FollowUp, str] | None = None
    # a contact who has left the company no longer gives access
    roles = {c.name: c.role for c in customer.contacts if c.left is None or c.left > today}
    gone = {c.name for c in customer.contacts if c.left is not None and c.left <= today}
    for followup in reversed(counted):
        name = followup.contact
        if followup.outcome != "held" or not name or not (name := name.strip()) or name in gone:
            continue
        if roles.get(name) == "decision_maker":
            best = (followup, "decision_maker")
            break
        if best is None:
            best = (followup, "other")
    if best is None:
        return GradeReason("access", t.access_points["none"],
                           _("no held follow-up with a named contact yet"))
    followup, kind = best
    when = followup.at.date().isoformat() if followup.at else "?"
    name = followup.contact.strip()
    contact = customer.contact(name)
    title = ""
    if contact is not None and contact.title:
        title = _(" (%(title)s)", title=contact.title)
    if kind == "decision_maker":
        why = _("held follow-up on %(when)s with decision maker %(name)s%(title)s", when=when, name=name, title=title)
    else:
        why = _("held follow-up on %(when)s with %(name)s%(title)s, not yet a decision maker", when=when, name=name,
                title=title)
    return GradeReason("access", t.access_points[kind], why)


def missed_streak(counted: list[FollowUp], t: Thresholds) -> FollowUp | None:
    """The last of `missed_in_a_row` latest follow-ups when all are `missed`, else None."""
    n = t.missed_in_a_row
    if n <= 0 or len(counted) < n:
        return None
    latest = counted[-n:]
    return latest[-1] if all(f.outcome == "missed" for f in latest) else None


def exception_start(counted: list[FollowUp], t: Thresholds) -> tuple[FollowUp, str] | None:
    """The follow-up that put the customer into an exception still in force, and which one.

    Only the follow-ups since the last `held` one count (a held conversation ends the
    exception). Among them, the first `no_need`, or the one that completes `missed_in_a_row`
    missed appointments in a row, starts it: repeating "no need" later does not push the
    reassessment back."""
    n = t.missed_in_a_row
    start = len(counted)
    while start > 0 and counted[start - 1].outcome != "held":
        start -= 1
    streak = 0
    for followup in counted[start:]:
        if followup.at is None:
            continue
        if followup.outcome == "no_need":
            return followup, "no_need"
        streak = streak + 1 if followup.outcome == "missed" else 0
        if n > 0 and streak >= n:
            return followup, "missed"
    return None


def _exception_reason(kind: str, day: dt.date, before: str, after: str, reassess: dt.date,
                      t: Thresholds) -> str:
    _ = translator(t.language)
    if kind == "no_need":
        what = _("no need for now (said on %(day)s)", day=day)
    else:
        what = _("missed %(n)s appointments in a row (the last on %(day)s)", n=t.missed_in_a_row, day=day)
    if t.exception_mode == "pause":
        then = _("paused until %(pause)s, then reassess", pause=reassess)
    else:
        then = _("reassess on %(day)s", day=reassess)
    return _("%(what)s: %(before)s→%(after)s, %(then)s", what=what, before=before, after=after, then=then)


def grade_from(customer: Customer, counted: list[FollowUp], today: dt.date, t: Thresholds,
               reopened: dt.date | None) -> Grade:
    """The grade given the customer's follow-ups up to today and the day it was re-opened after a
    loss (`rules.reopening.reopened_on`; None: never): the work behind `grade_of`."""
    reasons = [_urgency(customer, today, t), _budget(customer, t), _access(customer, counted, today, t)]
    score = sum(r.points for r in reasons)
    computed = letter_for(score, t)
    _ = translator(t.language)
    pause_until = reassess = kind = None
    # an exception before a re-opening is over: re-opening the customer is its reassessment
    found = exception_start(since_reopening(counted, reopened), t)
    override = customer.grade_override
    if found is not None:
        trigger, kind = found
        assert trigger.at is not None
        reassess = trigger.at.date() + dt.timedelta(days=t.reassess_days)
        if t.exception_mode == "pause":
            pause_until = reassess
        before = override[0] if override is not None else computed
        reasons.append(GradeReason("downgrade", 0, _exception_reason(
            kind, trigger.at.date(), before, step_down(before), reassess, t)))
        computed = step_down(computed)
    downgraded = found is not None  # the exception applies (a C stays C)
    if override is not None:
        value, why = override
        letter = step_down(value) if downgraded else value
        reasons.append(GradeReason("override", 0, (
            _("manual grade %(value)s (rules give %(computed)s): %(why)s", value=value, computed=computed,
              why=why or _("no reason given")))))
        return Grade(letter, score, computed, True, downgraded, tuple(reasons), pause_until, reassess, kind)
    return Grade(computed, score, computed, False, downgraded, tuple(reasons), pause_until, reassess, kind)


def grade_of(book: Book, customer: Customer, today: dt.date) -> Grade:
    """The customer's ABC grade as of `today`, with a reason per dimension."""
    t = thresholds_of(book.settings)
    return grade_from(customer, followups_until(book, customer.id, today), today, t,
                      reopened_on(customer, today, t.stage_kind))
