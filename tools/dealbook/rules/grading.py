"""ABC grade of a customer: urgency + budget + decision-maker access, override, missed-twice downgrade."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from ..records.book import Book
from ..records.model import Customer, FollowUp
from .thresholds import Thresholds, followups_until, thresholds_of

LETTERS = ("A", "B", "C")

BUDGET_WORDS = {
    "zh": {"clear": "明确", "partial": "部分明确", "undetermined": "待定", "none": "无预算"},
    "en": {"clear": "clear", "partial": "partly clear", "undetermined": "undetermined", "none": "none"},
}


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
    override (the score's letter, dropped one step when `downgraded`: the latest follow-ups
    are all missed; a C stays C); `score` is the sum
    of the three dimensions' points. `pause_from_missed` is the date a missed-twice pause
    runs to (None when the latest follow-ups are not all missed)."""

    letter: str
    score: int
    computed: str
    override: bool
    downgraded: bool
    reasons: tuple[GradeReason, ...]
    pause_from_missed: dt.date | None = None


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
    zh = t.language == "zh"
    if start is None:
        why = "未填写计划启动时间(need.timeline.start)" if zh else "no timeline start (need.timeline.start)"
        return GradeReason("urgency", t.urgency_points["low"], why)
    days = (start - today).days
    if days <= t.high_days:
        level = "high"
        if days < 0:
            why = f"计划 {start} 启动,已过 {-days} 天" if zh else f"start {start} passed {-days} days ago"
        else:
            why = (f"计划 {start} 启动,还有 {days} 天(≤ {t.high_days} 天)" if zh
                   else f"start {start} is {days} days away (≤ {t.high_days})")
    elif days <= t.medium_days:
        level = "medium"
        why = (f"计划 {start} 启动,还有 {days} 天(≤ {t.medium_days} 天)" if zh
               else f"start {start} is {days} days away (≤ {t.medium_days})")
    else:
        level = "low"
        why = (f"计划 {start} 启动,还有 {days} 天(超过 {t.medium_days} 天)" if zh
               else f"start {start} is {days} days away (more than {t.medium_days})")
    return GradeReason("urgency", t.urgency_points[level], why)


def _budget(customer: Customer, t: Thresholds) -> GradeReason:
    status = customer.budget_status
    points = t.budget_points.get(status, 0)
    words = BUDGET_WORDS[t.language]
    if not status:
        why = "未填写预算状态(need.budget.status)" if t.language == "zh" else "no budget status (need.budget.status)"
    else:
        label = words.get(status, status)
        low, high = customer.get("need.budget.min"), customer.get("need.budget.max")
        if isinstance(low, int) and isinstance(high, int):
            label += f" ({low:,}–{high:,})"
        why = f"预算{label}" if t.language == "zh" else f"budget {label}"
    return GradeReason("budget", points, why)


def _access(customer: Customer, counted: list[FollowUp], t: Thresholds) -> GradeReason:
    zh = t.language == "zh"
    best: tuple[FollowUp, str] | None = None
    roles = {c.name: c.role for c in customer.contacts}
    for followup in reversed(counted):
        name = followup.contact
        if followup.outcome != "held" or not name or not (name := name.strip()):
            continue
        if roles.get(name) == "decision_maker":
            best = (followup, "decision_maker")
            break
        if best is None:
            best = (followup, "other")
    if best is None:
        return GradeReason("access", t.access_points["none"],
                           "尚无与联系人进行(held)的跟进" if zh else "no held follow-up with a named contact yet")
    followup, kind = best
    when = followup.at.date().isoformat() if followup.at else "?"
    name = followup.contact.strip()
    contact = customer.contact(name)
    title = ""
    if contact is not None and contact.title:
        title = f"({contact.title})" if zh else f" ({contact.title})"
    if kind == "decision_maker":
        why = (f"{when} 与决策者 {name}{title} 进行了跟进" if zh
               else f"held follow-up on {when} with decision maker {name}{title}")
    else:
        why = (f"{when} 与 {name}{title} 进行了跟进,尚未接触决策者" if zh
               else f"held follow-up on {when} with {name}{title}, not yet a decision maker")
    return GradeReason("access", t.access_points[kind], why)


def missed_streak(counted: list[FollowUp], t: Thresholds) -> FollowUp | None:
    """The last of `missed_in_a_row` latest follow-ups when all are `missed`, else None."""
    n = t.missed_in_a_row
    if n <= 0 or len(counted) < n:
        return None
    latest = counted[-n:]
    return latest[-1] if all(f.outcome == "missed" for f in latest) else None


def grade_from(customer: Customer, counted: list[FollowUp], today: dt.date, t: Thresholds) -> Grade:
    """The grade given the customer's follow-ups up to today (the work behind `grade_of`)."""
    reasons = [_urgency(customer, today, t), _budget(customer, t), _access(customer, counted, t)]
    score = sum(r.points for r in reasons)
    computed = letter_for(score, t)
    zh = t.language == "zh"
    downgraded = False
    pause_until = None
    last_missed = missed_streak(counted, t)
    if last_missed is not None and last_missed.at is not None:
        pause_until = last_missed.at.date() + dt.timedelta(days=t.pause_days)
        lowered = step_down(computed)
        downgraded = True  # the missed-twice rule applies (a C stays C)
        n = t.missed_in_a_row
        reasons.append(GradeReason("downgrade", 0, (
            f"连续 {n} 次爽约(最近 {last_missed.at.date()}):{computed}→{lowered},暂缓跟进至 {pause_until}"
            if zh else f"missed {n} appointments in a row (last {last_missed.at.date()}): "
                       f"{computed}→{lowered}, paused until {pause_until}")))
        computed = lowered
    override = customer.grade_override
    if override is not None:
        value, why = override
        reasons.append(GradeReason("override", 0, (
            f"手动评级 {value}(规则计算为 {computed}):{why or '未写理由'}" if zh
            else f"manual grade {value} (rules give {computed}): {why or 'no reason given'}")))
        return Grade(value, score, computed, True, downgraded, tuple(reasons), pause_until)
    return Grade(computed, score, computed, False, downgraded, tuple(reasons), pause_until)


def grade_of(book: Book, customer: Customer, today: dt.date) -> Grade:
    """The customer's ABC grade as of `today`, with a reason per dimension."""
    t = thresholds_of(book.settings)
    return grade_from(customer, followups_until(book, customer.id, today), today, t)
