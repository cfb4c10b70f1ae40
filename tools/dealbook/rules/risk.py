"""At risk: one list of the open deals that need attention, each with a stable reason code.

A pure function of (book, settings, today): the dashboard, the owner pages and the weekly
digest read the same list. The reasons, with the settings that drive them:

- `rotting`: days in the current stage above the stage's `rotting_days` (per stage, like
  Pipedrive's rotting deals; a stage without it never rots);
- `close_date_passed`: the expected close date (`deal.close_by`) is before today;
- `no_next_step`: the latest follow-up plans no dated next step;
- `big_deal_untouched`: a deal of at least `at_risk.big_deal_min` with no contact for
  `at_risk.big_deal_untouched_days` days or more.

- `instalment_overdue`, `quote_expired`, `quote_expiring`: the quote and contract items of
  `rules.deals` (an instalment not received by its due date, whatever the stage; a standing
  quote of an open deal expired or about to), with the money at stake as the amount.

A customer re-opened after a loss counts from the re-opening (`rules.reopening`): the follow-ups
before it plan no next step and the re-opening is its last touch.

A paused customer (`paused_until`, or paused after missed appointments) is waiting on purpose:
until the pause ends only its passed close date and its quote and contract items are listed.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from ..records.book import Book
from ..records.model import Customer
from ..records.settings import Settings
from ..text.catalog import translator
from ..text.money import money
from .reopening import last_touch, since_reopening
from .state import evaluate
from .thresholds import followups_until

CODES = ("close_date_passed", "rotting", "no_next_step", "big_deal_untouched", "instalment_overdue", "quote_expired",
         "quote_expiring")
# Quote and contract items (rules.deals) that put a deal at risk: money owed (whatever the stage,
# a won or lost customer included) and a standing quote running out on an open deal.
DEAL_RISKS = {"instalment_overdue": "any", "quote_expired": "open", "quote_expiring": "open"}
# What a risk's `amount` is: the money at stake of a quote or contract item (the quote's total,
# the instalment due), else the customer's expected deal amount (`deal.amount`). One customer's
# reasons can carry different amounts, so wherever they are listed this says which is which.
AMOUNT_KINDS = {"instalment_overdue": "instalment", "quote_expired": "quote", "quote_expiring": "quote"}


@dataclass(frozen=True)
class RiskSettings:
    """The at-risk thresholds, read once from settings (defaults when a key is missing or mistyped)."""

    rotting_days: dict[str, int]  # stage key → days in stage before the deal rots (stages without: never)
    big_deal_min: int
    big_deal_untouched_days: int
    language: str


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else None


def risk_settings(settings: Settings) -> RiskSettings:
    raw = settings.raw.get("at_risk")
    raw = raw if isinstance(raw, dict) else {}
    rotting = {s.key: days for s in settings.stages
               if s.kind == "open" and (days := _int(s.rotting_days)) is not None and days > 0}
    big_min = _int(raw.get("big_deal_min"))
    untouched = _int(raw.get("big_deal_untouched_days"))
    return RiskSettings(
        rotting_days=rotting,
        big_deal_min=500000 if big_min is None else big_min,
        big_deal_untouched_days=14 if untouched is None else untouched,
        language=settings.language,
    )


@dataclass(frozen=True)
class Risk:
    """One reason one deal needs attention: who, how much, the code, a sentence and its figures."""

    customer_id: str
    name: str
    owner: str
    stage: str
    amount: int | None
    code: str  # rotting | close_date_passed | no_next_step | big_deal_untouched
    message: str
    since: dt.date | None  # the day the reason started to apply (None: not datable)
    figures: dict[str, Any] = field(default_factory=dict)

    @property
    def amount_kind(self) -> str:
        """What `amount` is: `deal` (the expected deal amount), `quote` (the quote's total) or
        `instalment` (the instalment due)."""
        return AMOUNT_KINDS.get(self.code, "deal")

    def as_dict(self) -> dict[str, Any]:
        return {"customer_id": self.customer_id, "name": self.name, "owner": self.owner, "stage": self.stage,
                "amount": self.amount, "amount_kind": self.amount_kind, "code": self.code, "message": self.message,
                "since": self.since, "figures": dict(self.figures)}


def stage_since(customer: Customer, today: dt.date) -> tuple[str, dt.date | None]:
    """The customer's stage at the end of `today` and the day it entered it (from stage_history;
    the record's `stage` and no date when the history says nothing up to today)."""
    dated = [e for e in customer.stage_history if e.on is not None and e.on <= today]
    if not dated:
        return customer.stage, None
    stage = dated[-1].stage
    since = dated[-1].on
    for entry in reversed(dated[:-1]):
        if entry.stage != stage:
            break
        since = entry.on
    return stage, since


def _risks_of(book: Book, settings: Settings, customer: Customer, today: dt.date, rs: RiskSettings,
              kinds: dict[str, str], paused: bool, reopened: dt.date | None) -> list[Risk]:
    stage, since = stage_since(customer, today)
    if kinds.get(stage, "open") != "open":
        return []
    _ = translator(rs.language)
    amount = customer.deal_amount
    label = settings.stage_label(stage)
    found: list[Risk] = []

    def add(code: str, message: str, when: dt.date | None, **figures: Any) -> None:
        found.append(Risk(customer.id, customer.name, customer.owner, stage, amount, code, message, when, figures))

    close_by = customer.close_by
    if close_by is not None and close_by < today:
        days = (today - close_by).days
        add("close_date_passed", _.ngettext("expected close date %(close_by)s passed %(num)s day ago",
                                            "expected close date %(close_by)s passed %(num)s days ago", days,
                                            close_by=close_by),
            close_by + dt.timedelta(days=1), close_by=close_by, days_past=days)
    if paused:
        return found

    limit = rs.rotting_days.get(stage)
    if limit is not None and since is not None and (today - since).days > limit:
        days = (today - since).days
        add("rotting", _("%(days)s days in %(label)s (limit %(limit)s days)", days=days, label=label, limit=limit),
            since + dt.timedelta(days=limit + 1), days_in_stage=days, limit_days=limit, stage_since=since)

    counted = since_reopening(followups_until(book, customer.id, today), reopened)
    latest = counted[-1] if counted else None
    if latest is not None and not any(n.due is not None for n in latest.next):
        assert latest.at is not None  # followups_until keeps dated follow-ups only
        at = latest.at.strftime("%Y-%m-%d")
        add("no_next_step", _("the latest follow-up (%(at)s) plans no dated next step", at=at),
            latest.at.date(), last_followup=latest.at.date())

    if amount is not None and amount >= rs.big_deal_min and rs.big_deal_untouched_days > 0:
        last = last_touch(counted, reopened) or customer.created
        if last is not None and (today - last).days >= rs.big_deal_untouched_days:
            days = (today - last).days
            limit = rs.big_deal_untouched_days
            big = money(rs.big_deal_min, settings.currency)
            add("big_deal_untouched", _("big deal (≥ %(big_deal_min)s) not contacted for %(days)s days "
                                        "(limit %(limit)s)", big_deal_min=big, days=days, limit=limit),
                last + dt.timedelta(days=limit), last_contact=last, days_untouched=days, limit_days=limit,
                big_deal_min=rs.big_deal_min)
    return found


def _deal_risks(customer: Customer, settings: Settings, deals: Any, today: dt.date, kinds: dict[str, str]
                ) -> list[Risk]:
    stage, _ = stage_since(customer, today)
    is_open = kinds.get(stage, "open") == "open"
    found = []
    for item in deals:
        scope = DEAL_RISKS.get(item.kind)
        if scope is None or (scope == "open" and not is_open):
            continue
        figures: dict[str, Any] = {"ref": item.ref, "due": item.due}
        if item.due < today:
            figures["days_past"] = (today - item.due).days
        else:
            figures["days_left"] = (item.due - today).days
        since = item.due + dt.timedelta(days=1) if item.kind != "quote_expiring" else today
        found.append(Risk(customer.id, customer.name, customer.owner, stage, item.amount, item.kind, item.message,
                          since, figures))
    return found


def at_risk(book: Book, settings: Settings, today: dt.date, owner: str | None = None) -> list[Risk]:
    """Every reason every open deal (of `owner`, when given) needs attention as of `today`.

    Biggest deals first (no amount last), then customer id, then reason in CODES order."""
    rs = risk_settings(settings)
    kinds = {s.key: s.kind for s in settings.stages}
    states = evaluate(book, today)
    found: list[Risk] = []
    for cid, customer in book.customers.items():
        if owner is not None and customer.owner != owner:
            continue
        state = states[cid]  # `evaluate` gives every customer of the Book a state
        pause = state.paused_until
        found.extend(_risks_of(book, settings, customer, today, rs, kinds, pause is not None and pause >= today,
                               state.reopened))
        found.extend(_deal_risks(customer, settings, state.deals, today, kinds))
    order = {code: i for i, code in enumerate(CODES)}
    found.sort(key=lambda r: (r.amount is None, -(r.amount or 0), r.customer_id, order.get(r.code, len(order))))
    return found
