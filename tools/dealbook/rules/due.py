"""When a customer is next due for a touch, and why: next actions, cadence, first response, after-sales, pause."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from ..records.book import Book
from ..records.model import Customer, FollowUp
from ..records.settings import Settings
from .aftersales import after_delivery, before_delivery, delivered_on
from .grading import Grade, grade_from
from .thresholds import Thresholds, followups_until, thresholds_of

KINDS = ("next_action", "cadence", "first_response", "delivery", "after_sales", "care_letter", "paused", "none")


@dataclass(frozen=True)
class Due:
    """The next due date (None: never), a sentence saying why, its kind, and days overdue (0 if not)."""

    date: dt.date | None
    reason: str
    kind: str  # one of KINDS
    overdue_days: int = 0


def _ago(days: int) -> str:
    if days == 0:
        return "today"
    if days < 0:
        return f"in {-days} day{'s' * (days != -1)}"
    return f"{days} day{'s' * (days != 1)} ago"


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


def _next_reason(action: str, due: dt.date, zh: bool) -> str:
    return f"下一步「{action}」截止 {due}" if zh else f"next action {action} due {due}"


def effective_pause(customer: Customer, grade: Grade) -> dt.date | None:
    """The later of the record's `paused_until` and the missed-twice pause end, if any."""
    dates = [d for d in (customer.paused_until, grade.pause_from_missed) if d is not None]
    return max(dates) if dates else None


def _cadence_days(customer: Customer, letter: str, t: Thresholds) -> tuple[int, bool]:
    """Days between touches and whether they come from the stage (cadence.by: stage)."""
    if t.cadence_by == "stage" and customer.stage in t.cadence_stage:
        return t.cadence_stage[customer.stage], True
    return t.cadence_grade.get(letter, t.cadence_grade.get("C", 14)), False


def _cadence_reason(customer: Customer, letter: str, by_stage: bool, interval: int, last: dt.date,
                    today: dt.date, settings: Settings, t: Thresholds) -> str:
    """The rule and where the customer stands: "A级每 2 天一次,上次联系 5 天前"."""
    days = (today - last).days
    if t.language == "zh":
        what = f"{settings.stage_label(customer.stage)}阶段" if by_stage else f"{letter}级"
        since = "今天" if days == 0 else (f" {days} 天前" if days > 0 else f"于 {last}")
        return f"{what}每 {interval} 天一次,上次联系{since}"
    what = f"{settings.stage_label(customer.stage)} stage" if by_stage else f"{letter} grade"
    return f"{what}: every {interval} day{'s' * (interval != 1)}, last contact {_ago(days)}"


def due_from(customer: Customer, counted: list[FollowUp], grade: Grade, today: dt.date,
             settings: Settings, t: Thresholds) -> Due:
    """The due date given the follow-ups up to today and the grade (the work behind `due_of`)."""
    zh = t.language == "zh"
    kind = t.stage_kind.get(customer.stage, "open")
    if kind == "lost":
        return Due(None, "已流失,无需跟进" if zh else "lost: no follow-up due", "none", 0)

    pause = effective_pause(customer, grade)
    if pause is not None and (pause >= today or not any(_day(f) >= pause for f in counted)):
        if pause < today:
            reason = f"暂缓跟进已于 {pause} 结束,需重新评估" if zh else f"pause ended {pause}: reassess"
        elif grade.pause_from_missed == pause:
            n = t.missed_in_a_row
            reason = (f"连续 {n} 次爽约,暂缓跟进至 {pause},届时重新评估" if zh
                      else f"missed {n} appointments in a row: paused until {pause}, then reassess")
        else:
            reason = f"暂缓跟进至 {pause},届时重新评估" if zh else f"paused until {pause}, then reassess"
        return _make(pause, reason, "paused", today)

    latest = counted[-1] if counted else None
    candidates: list[tuple[dt.date, int, str, str]] = []  # (date, tie-break, kind, reason)
    if latest is not None:
        found = earliest_next(latest)
        if found is not None:
            candidates.append((found[0], 0, "next_action", _next_reason(found[1], found[0], zh)))

    by_stage = t.cadence_by == "stage" and customer.stage in t.cadence_stage
    delivered = delivered_on(customer.contracts, today) if kind == "won" else None
    if delivered is not None:
        if latest is not None and _day(latest) < delivered:
            candidates.clear()  # a promise made before delivery is superseded by the schedule
        held = [_day(f) for f in counted if f.outcome == "held"]
        candidates.extend(after_delivery(delivered, held, today, settings))
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
    elif latest is not None:
        days, by_stage = _cadence_days(customer, grade.letter, t)
        candidates.append((_day(latest) + dt.timedelta(days=days), 2, "cadence",
                           _cadence_reason(customer, grade.letter, by_stage, days, _day(latest), today, settings,
                                           t)))
    elif customer.created is not None:
        days = t.first_response_days.get(grade.letter, 3)
        reason = (f"新线索:{days * 24} 小时内首次响应" if zh
                  else f"new lead: first response due within {days * 24} h")
        candidates.append((customer.created + dt.timedelta(days=days), 3, "first_response", reason))

    if not candidates:
        return Due(None, "没有可推算的跟进日期" if zh else "no due date can be worked out", "none", 0)
    date, _, due_kind, reason = min(candidates)
    return _make(date, reason, due_kind, today)


def due_of(book: Book, customer: Customer, today: dt.date) -> Due:
    """The customer's next due date as of `today`, why, and days overdue."""
    t = thresholds_of(book.settings)
    counted = followups_until(book, customer.id, today)
    grade = grade_from(customer, counted, today, t)
    return due_from(customer, counted, grade, today, book.settings, t)
