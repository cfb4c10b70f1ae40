"""A new lead's intake steps and the help asked of colleagues, as flags for the people who must act.

The manager's review (within intake.lead_review_hours of `created`), a sent-back lead, the
owner's plan (within intake.plan_hours of assignment), the reassessment after an exception
(exceptions.mode: lower), and help requests on follow-ups (`help: {from, detail, due}`)."""

from __future__ import annotations

import datetime as dt

from ..records.dates import add_hours
from ..records.model import Customer, FollowUp, has_value
from ..records.settings import Settings
from ..text.catalog import translator
from .flags import Flag
from .grading import Grade
from .thresholds import Thresholds


def _when(moment: dt.datetime, timed: bool) -> str:
    return f"{moment:%Y-%m-%d %H:%M}" if timed else f"{moment:%Y-%m-%d}"


def missing_lead_fields(customer: Customer, fields: tuple[str, ...]) -> list[str]:
    """The required lead fields (intake.required_fields) the record lacks, as written in the settings."""
    return [field for field in fields if not has_value(customer.data, field)]


def is_new_lead(customer: Customer, settings: Settings, t: Thresholds, reopened: dt.date | None = None) -> bool:
    """In the first stage of the progression, and created (or `reopened`: re-opened after a loss) on or
    after intake.since (when set)."""
    first = settings.progression[0].key if settings.progression else None
    if customer.stage != first or customer.created is None:
        return False
    return t.intake_since is None or (reopened or customer.created) >= t.intake_since


def intake_flags(customer: Customer, counted: list[FollowUp], settings: Settings, t: Thresholds,
                 reviewers: tuple[str, ...], required: tuple[str, ...],
                 names: dict[str, str] | None = None, reopened: dt.date | None = None) -> list[Flag]:
    """Review (for the reviewers), send-back and plan (for the owner) items of a new lead; `names`:
    each member's name by handle (the reviewer is named in the send-back message). A lead re-opened
    after a loss (`reopened`, `rules.reopening`) that was never reviewed is due for review from the
    start of that day, not from `created`."""
    if not is_new_lead(customer, settings, t, reopened):
        return []
    _ = translator(t.language)
    flags: list[Flag] = []
    created = customer.created_at
    review = customer.review
    if review is None and created is not None and reviewers:  # a team without reviewers skips the step
        missing = missing_lead_fields(customer, required)
        if reopened is not None and reopened > created[0].date():
            by = add_hours(dt.datetime.combine(reopened, dt.time()), t.lead_review_hours, settings.timezone)
            message = _("re-opened lead to review (review): re-opened %(on)s, review within %(hours)s h, by %(by)s",
                        on=reopened, hours=t.lead_review_hours, by=_when(by, False))
        else:
            by = add_hours(created[0], t.lead_review_hours, settings.timezone)
            message = _("new lead to review (review): created %(created)s, review within %(hours)s h, by %(by)s",
                        created=_when(*created), hours=t.lead_review_hours, by=_when(by, created[1]))
        if missing:
            message = _("%(message)s; missing %(fields)s: send it back", message=message,
                        fields=", ".join(missing))
        flags.append(Flag("lead_review", message, by.date(), reviewers))
    elif review is not None and review.result == "send_back":
        on = review.on.date() if review.on is not None else customer.created
        flags.append(Flag("lead_sent_back", _(
            "lead sent back by %(by)s on %(on)s: %(comment)s; once completed, the reviewer sets result: ok",
            by=(names or {}).get(review.by, review.by), on=on, comment=review.comment or _("no comment")), on))
    assigned = customer.assigned_at
    if not counted and not customer.lead_plan and assigned is not None:
        by = add_hours(assigned, t.plan_hours, settings.timezone)
        timed = created[1] if created is not None else True
        flags.append(Flag("lead_plan", _(
            "make a follow-up plan (lead.plan) or a first follow-up within %(hours)s h of assignment, by %(by)s",
            hours=t.plan_hours, by=_when(by, timed)), by.date()))
    return flags


def reassess_flag(grade: Grade, t: Thresholds) -> Flag | None:
    """The reassessment due after an exception in lower mode (pause mode makes it the due date instead)."""
    if grade.reassess_on is None or grade.pause_from_missed is not None:
        return None
    _ = translator(t.language)
    if grade.exception == "no_need":
        message = _("no need for now: followed up as grade %(grade)s, reassess on %(day)s",
                    grade=grade.letter, day=grade.reassess_on)
    else:
        message = _("missed %(n)s appointments in a row: followed up as grade %(grade)s, reassess on %(day)s",
                    n=t.missed_in_a_row, grade=grade.letter, day=grade.reassess_on)
    return Flag("reassess", message, grade.reassess_on)


def help_flags(customer: Customer, counted: list[FollowUp], t: Thresholds, members: dict[str, str]) -> list[Flag]:
    """Open help requests: each until a later follow-up by the helper or the customer's owner. `members`:
    each member's name by handle (the message names people, the agenda item's `to` keeps the handle)."""
    flags: list[Flag] = []
    for index, followup in enumerate(counted):
        asked = followup.help
        if asked is None or followup.at is None:
            continue
        helper = asked.helper
        closers = {helper, customer.owner}
        if any(later.by in closers for later in counted[index + 1:]):
            continue
        _ = translator(t.language)
        due = asked.due or followup.at.date() + dt.timedelta(days=t.help_due_days)
        detail = asked.detail or _("help")
        on = followup.at.date()
        to = (helper,) if helper in members else ()
        if to or not helper:
            message = _("help asked: %(detail)s (by %(by)s on %(on)s, due %(due)s)", detail=detail,
                        by=members.get(followup.by, followup.by), on=on, due=due)
        else:
            message = _("help asked (%(helper)s): %(detail)s (by %(by)s on %(on)s, due %(due)s)", helper=helper,
                        detail=detail, by=members.get(followup.by, followup.by), on=on, due=due)
        flags.append(Flag("help_due", message, due, to, f"{followup.at:%Y-%m-%d %H:%M}"))
    return flags
