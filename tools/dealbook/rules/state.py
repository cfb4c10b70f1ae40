"""The process rules in one place: grades, due dates, value tiers, stale flags, and `evaluate` for a whole Book.

Everything is a pure function of (book, settings, today). `grade_of` lives in `grading`,
`due_of` in `due`; both are re-exported here, which is the module other code imports.
"""

from __future__ import annotations

import datetime as dt
import gc
from dataclasses import dataclass, replace

from ..records.book import Book
from ..records.model import Customer, FollowUp
from ..records.settings import Settings
from ..text.catalog import translator
from .deals import DealItem, deal_items, with_approvers
from .due import KINDS, Due, due_from, due_of, effective_pause
from .flags import Flag
from .grading import LETTERS, Grade, GradeReason, grade_from, grade_of, letter_for, step_down
from .intake import help_flags, intake_flags, reassess_flag
from .reopening import last_touch, reopened_on, since_reopening
from .thresholds import Thresholds, followups_until, thresholds_of

__all__ = [
    "KINDS", "LETTERS", "CustomerState", "Due", "Flag", "Grade", "GradeReason", "due_of", "evaluate",
    "flags_of", "grade_of", "letter_for", "state_of", "step_down", "value_tier",
]


@dataclass(frozen=True)
class CustomerState:
    """Everything the rules say about one customer as of one day."""

    customer: Customer
    grade: Grade
    due: Due
    last_contact: dt.date | None
    paused_until: dt.date | None
    value_tier: str | None
    flags: tuple[Flag, ...]
    deals: tuple[DealItem, ...] = ()  # quotes and contracts: expiry, approval, instalments, renewal, hand-over
    reopened: dt.date | None = None  # the day it was last re-opened after a loss (`rules.reopening`)


def _tier(customer: Customer, settings: Settings, t: Thresholds) -> str | None:
    if t.stage_kind.get(customer.stage) != "won":
        return None
    by_year: dict[int, int] = {}
    for contract in customer.contracts:
        if contract.signed is not None:
            by_year[contract.signed.year] = by_year.get(contract.signed.year, 0) + (contract.amount or 0)
    best = max(by_year.values(), default=0)
    if best >= t.high_min:
        return "high"
    n = t.repeat_years
    if n >= 2 and any(all(y + k in by_year for k in range(n)) for y in by_year):
        return "high"
    return "medium" if best >= t.medium_min else "low"


def value_tier(book: Book, customer: Customer) -> str | None:
    """high | medium | low for a won customer (None otherwise).

    high: one calendar year's contracts (by `signed`) total ≥ high_min, or contracts signed in
    `repeat_years` consecutive years; medium: a year's total ≥ medium_min; else low."""
    return _tier(customer, book.settings, thresholds_of(book.settings))


def _flags(customer: Customer, counted: list[FollowUp], grade: Grade, today: dt.date, book: Book,
           t: Thresholds, reopened: dt.date | None) -> tuple[Flag, ...]:
    if t.stage_kind.get(customer.stage) == "lost":
        return ()
    _ = translator(t.language)
    flags: list[Flag] = []
    reassess = reassess_flag(grade, t)
    if reassess is not None:
        flags.append(reassess)
    team = _team_of(book, t)
    # the flags that count from the last contact or the lead's arrival do not reach back before a re-opening
    flags.extend(intake_flags(customer, counted, book.settings, t, team[0], team[1], team[2], reopened))
    counted = since_reopening(counted, reopened)
    flags.extend(help_flags(customer, counted, t, team[2]))
    last = counted[-1].at.date() if counted and counted[-1].at else None
    # a signed customer follows the delivery and after-sales schedule, and a paused one waits on purpose:
    # neither is chased for not being called within the week
    pause = effective_pause(customer, grade)
    chased = t.stage_kind.get(customer.stage, "open") == "open" and (pause is None or pause < today)
    if grade.letter == "A" and t.a_grade_no_contact_days > 0 and chased:
        since = last_touch(counted, reopened) or customer.created
        if since is not None and (today - since).days >= t.a_grade_no_contact_days:
            days = (today - since).days
            flags.append(Flag("a_grade_no_contact", (
                _("A-grade customer not contacted for %(days)s days (limit %(limit)s)", days=days,
                  limit=t.a_grade_no_contact_days)),
                since + dt.timedelta(days=t.a_grade_no_contact_days)))
    n = t.unanswered_calls
    if n > 0 and len(counted) >= n and all(f.method == "phone" and f.outcome == "no_answer" for f in counted[-n:]):
        flags.append(Flag("change_contact_method", (
            _("%(n)s unanswered calls in a row: change the contact method", n=n)), last))
    if counted and counted[-1].at is not None:
        latest = counted[-1]
        named = [o for o in latest.objections if o in t.competitor_objections]
        if named:
            by = latest.at + dt.timedelta(hours=t.differentiation_hours)
            hours = t.differentiation_hours
            raised, until = latest.at.strftime("%Y-%m-%d"), by.strftime("%Y-%m-%d %H:%M")
            flags.append(Flag("differentiation_due", _(
                "competitor raised on %(raised)s: differentiation analysis due within %(hours)s h (by %(until)s)",
                raised=raised, hours=hours, until=until), by.date()))
    return tuple(flags)


def _team_of(book: Book, t: Thresholds) -> tuple[tuple[str, ...], tuple[str, ...], dict[str, str]]:
    """(the active members whose role reviews leads, the required lead fields, every member's name by handle),
    worked out once per Book."""
    found = getattr(book, "_dealbook_intake_team", None)
    if found is None:
        reviewers = tuple(h for h, m in book.members.items() if m.active and m.role in t.review_roles)
        required = tuple(str(f) for f in (book.settings.raw.get("intake") or {}).get("required_fields") or ())
        found = (reviewers, required, {h: m.name or h for h, m in book.members.items()})
        book._dealbook_intake_team = found  # type: ignore[attr-defined]
    return found


def flags_of(book: Book, customer: Customer, today: dt.date) -> tuple[Flag, ...]:
    """Flags: A-grade not contacted, unanswered calls, competitor objection, reassessment, lead intake, help."""
    t = thresholds_of(book.settings)
    counted = followups_until(book, customer.id, today)
    reopened = reopened_on(customer, today, t.stage_kind)
    return _flags(customer, counted, grade_from(customer, counted, today, t, reopened), today, book, t, reopened)


def state_of(book: Book, customer: Customer, today: dt.date) -> CustomerState:
    """Grade, due date, last contact, pause, value tier and flags of one customer, computed once
    (the re-opening after a loss too, which every one of them reads)."""
    t = thresholds_of(book.settings)
    counted = followups_until(book, customer.id, today)
    reopened = reopened_on(customer, today, t.stage_kind)
    grade = grade_from(customer, counted, today, t, reopened)
    due = due_from(customer, counted, grade, today, book.settings, t, reopened)
    last = counted[-1].at.date() if counted and counted[-1].at else None
    return CustomerState(
        customer=customer,
        grade=grade,
        due=due,
        last_contact=last,
        paused_until=due.date if due.kind == "paused" else None,
        value_tier=_tier(customer, book.settings, t),
        flags=_flags(customer, counted, grade, today, book, t, reopened),
        deals=tuple(with_approvers(deal_items(customer, book.settings, today, reopened), customer.owner,
                                   book.members, book.settings)),
        reopened=reopened,
    )


_CACHE_ATTRIBUTE = "_dealbook_rules_cache"


def evaluate(book: Book, today: dt.date, known: dict[str, CustomerState] | None = None) -> dict[str, CustomerState]:
    """Every customer's state as of `today`, by id (memoised on the Book: compute once, share).

    `known`: states the caller kept for customers whose records, settings, team and day are the ones
    of this Book (a server between two rebuilds), taken as they are (with this Book's customer)."""
    cache: dict[dt.date, dict[str, CustomerState]] | None = getattr(book, _CACHE_ATTRIBUTE, None)
    if cache is None:
        cache = {}
        setattr(book, _CACHE_ATTRIBUTE, cache)
    found = cache.get(today)
    if found is None:
        # A loaded Book holds millions of objects; the collector's full passes, triggered by the
        # many small results made here, cost more than the rules themselves. Nothing here makes cycles.
        collecting = gc.isenabled()
        gc.disable()
        try:
            known = known or {}
            found = {cid: replace(known[cid], customer=customer) if cid in known else state_of(book, customer, today)
                     for cid, customer in book.customers.items()}
        finally:
            if collecting:
                gc.enable()
        cache[today] = found
    return found
