"""The rule thresholds (grading, cadence, value tiers, stale flags), read once from settings."""

from __future__ import annotations

import bisect
import datetime as dt
import functools
from dataclasses import dataclass
from typing import Any

from ..records.book import Book
from ..records.dates import parse_date
from ..records.model import FollowUp
from ..records.settings import Settings


def _int(value: Any, default: int) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else default


def _mapping(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


@dataclass(frozen=True)
class Thresholds:
    """Every number the rules use, with the defaults' values when a key is missing or mistyped."""

    language: str
    currency: str  # the amounts a reason names are written in it (`text.money`)
    high_days: int
    medium_days: int
    urgency_points: dict[str, int]
    budget_points: dict[str, int]
    access_points: dict[str, int]
    a_min: int
    c_max: int
    missed_in_a_row: int
    exception_mode: str  # lower | pause
    reassess_days: int
    cadence_by: str
    cadence_grade: dict[str, int]
    cadence_stage: dict[str, int]
    first_response_hours: dict[str, int]
    priority_by_lead_type: dict[str, str]
    priority_by_channel: dict[str, str]
    lead_review_hours: int
    review_roles: frozenset[str]
    plan_hours: int
    intake_since: dt.date | None
    max_contacts_per_day: int
    help_due_days: int
    grade_methods: dict[str, str]
    high_min: int
    medium_min: int
    repeat_years: int
    a_grade_no_contact_days: int
    unanswered_calls: int
    competitor_objections: frozenset[str]
    differentiation_hours: int
    stage_kind: dict[str, str]


@functools.lru_cache(maxsize=16)
def thresholds_of(settings: Settings) -> Thresholds:
    """The thresholds of these settings (cached per Settings object)."""
    raw = settings.raw
    grading = _mapping(raw.get("grading"))
    urgency = _mapping(grading.get("urgency"))
    letters = _mapping(grading.get("letters"))
    cadence = _mapping(raw.get("cadence"))
    tiers = _mapping(raw.get("value_tiers"))
    stale = _mapping(raw.get("stale"))
    intake = _mapping(raw.get("intake"))
    exceptions = _mapping(raw.get("exceptions"))
    priority = _mapping(intake.get("priority"))
    method_language = "en" if settings.language == "en" else "zh"

    def points(group: Any, defaults: dict[str, int]) -> dict[str, int]:
        given = _mapping(group)
        return {k: _int(given.get(k), v) for k, v in defaults.items()} | {
            k: _int(v, 0) for k, v in given.items() if k not in defaults
        }

    def days(group: Any, defaults: dict[str, int]) -> dict[str, int]:
        merged = dict(defaults)
        merged.update({str(k): v for k, v in _mapping(group).items() if _int(v, -1) >= 0})
        return merged

    return Thresholds(
        language=settings.language,
        currency=settings.currency,
        high_days=_int(urgency.get("high_days"), 31),
        medium_days=_int(urgency.get("medium_days"), 92),
        urgency_points=points(urgency.get("points"), {"high": 2, "medium": 1, "low": 0}),
        budget_points=points(_mapping(grading.get("budget")).get("points"),
                             {"clear": 2, "partial": 1, "undetermined": 0, "none": 0}),
        access_points=points(_mapping(grading.get("access")).get("points"),
                             {"decision_maker": 2, "other": 1, "none": 0}),
        a_min=_int(letters.get("a_min"), 6),
        c_max=_int(letters.get("c_max"), 1),
        # grading.missed_in_a_row and grading.pause_days are the older names (a team's file may still use them)
        missed_in_a_row=_int(grading.get("missed_in_a_row"), _int(exceptions.get("missed_in_a_row"), 2)),
        exception_mode="pause" if exceptions.get("mode") == "pause" else "lower",
        reassess_days=_int(grading.get("pause_days"), _int(exceptions.get("reassess_days"), 90)),
        cadence_by="stage" if cadence.get("by") == "stage" else "grade",
        cadence_grade=days(cadence.get("grade"), {"A": 2, "B": 7, "C": 14}),
        cadence_stage=days(cadence.get("stage"), {}),
        first_response_hours=_first_response_hours(raw, intake),
        priority_by_lead_type=_letters(priority.get("lead_type")),
        priority_by_channel=_letters(priority.get("channel")),
        lead_review_hours=_int(intake.get("lead_review_hours"), 48),
        review_roles=frozenset(str(r) for r in intake.get("review_roles") or ("manager",)),
        plan_hours=_int(intake.get("plan_hours"), 12),
        intake_since=parse_date(str(intake.get("since"))) if intake.get("since") else None,
        max_contacts_per_day=_int(_mapping(raw.get("hygiene")).get("max_contacts_per_day"), 2),
        help_due_days=_int(_mapping(raw.get("help")).get("due_days"), 3),
        grade_methods={str(k): str(_mapping(v).get(settings.language) or _mapping(v).get(method_language)
                                   or _mapping(v).get("en") or "")
                       for k, v in _mapping(cadence.get("methods")).items()},
        high_min=_int(tiers.get("high_min"), 500000),
        medium_min=_int(tiers.get("medium_min"), 100000),
        repeat_years=_int(tiers.get("repeat_years"), 2),
        a_grade_no_contact_days=_int(stale.get("a_grade_no_contact_days"), 7),
        unanswered_calls=_int(stale.get("unanswered_calls"), 3),
        competitor_objections=frozenset(str(t) for t in stale.get("competitor_objections") or ("competitor",)),
        differentiation_hours=_int(stale.get("differentiation_hours"), 24),
        stage_kind={s.key: s.kind for s in settings.stages},
    )


def _letters(value: Any) -> dict[str, str]:
    return {str(k): v for k, v in _mapping(value).items() if v in ("A", "B", "C")}


def _first_response_hours(raw: dict[str, Any], intake: dict[str, Any]) -> dict[str, int]:
    """Hours per priority; the older `first_response_days` (a team's file may still use it) counts days × 24."""
    hours = {"A": 24, "B": 48, "C": 72}
    hours.update({str(k): v for k, v in _mapping(intake.get("first_response_hours")).items() if _int(v, -1) > 0})
    hours.update({str(k): v * 24 for k, v in _mapping(raw.get("first_response_days")).items() if _int(v, -1) >= 0})
    return hours


_MIN = dt.datetime.min


def _order(followup: FollowUp) -> tuple[bool, dt.datetime]:
    return (followup.at is None, followup.at or _MIN)


def followups_until(book: Book, customer_id: str, today: dt.date) -> list[FollowUp]:
    """The customer's follow-ups dated on or before `today`, oldest first (undated ones left out).

    A replay as of a past date must not see what happened later, so every rule reads this."""
    items = book.followups_of(customer_id)
    if not items:
        return items
    limit = dt.datetime.combine(today + dt.timedelta(days=1), dt.time())
    last = items[-1].at
    if last is not None and last < limit:
        return items
    return items[: bisect.bisect_left(items, (False, limit), key=_order)]
