"""What quotes and contracts ask of a rep, as dated items: expiring quotes, quotes awaiting a
margin approval, instalments due or overdue, renewals, the user-guide hand-over.

Plain data with stable kinds (`DEAL_KINDS`), so the agenda, the dashboard and the at-risk
lists all read the same items. Pure: customer, settings, today in.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace

from ..records.dates import after, happened_by, parse_date
from ..records.deals import (
    MARGIN_STEP,
    Quote,
    approvals_from,
    contract_needs_steps,
    deal_desk,
    given_by,
    latest_quote,
    margin_and_floor,
    missing_steps,
    needs_margin_approval,
    quotes_of,
)
from ..records.model import Customer, Member
from ..records.settings import Settings
from ..text.catalog import translator
from ..text.money import money
from .aftersales import after_sales

DEAL_KINDS = ("quote_expired", "quote_expiring", "quote_approval", "quote_to_send", "contract_approval",
              "instalment_overdue", "instalment_due", "renewal_due", "guide_handover")
# One quote's validity, one instalment, seen in a later state (expired after expiring, overdue after
# due) → the kind of the earlier one: the same item to a calendar, which keeps its one event.
LATER_STATE_OF = {"quote_expired": "quote_expiring", "instalment_overdue": "instalment_due"}


@dataclass(frozen=True)
class DealItem:
    """One thing a quote or contract asks for: kind, the day it is due, a sentence, the money
    at stake (None when none) and the quote or contract number it is about. An approval awaited
    names its `step` (margin, or the contract's next step); `to` is who may give it besides the
    owner (filled from the team by `with_approvers`)."""

    kind: str
    due: dt.date
    message: str
    amount: int | None
    ref: str
    step: str = ""
    to: tuple[str, ...] = ()


def standing_quote(customer: Customer, settings: Settings, today: dt.date,
                   reopened: dt.date | None) -> Quote | None:
    """The quote that stands for an open deal (the latest by date), None when the deal is not open
    or has none. A customer re-opened after a loss (`rules.reopening`) is a new deal: a quote dated
    before the re-opening was for the lost one and asks for nothing any more."""
    if not settings.is_open(customer.stage):
        return None
    quote = latest_quote(quotes_of(customer.data), today)
    if quote is None:
        return None
    if reopened is not None and quote.date is not None and quote.date < reopened:
        return None
    return quote


def quote_items(customer: Customer, settings: Settings, today: dt.date, reopened: dt.date | None) -> list[DealItem]:
    """The standing quote (`standing_quote`) of an open deal: expired, expiring within the warning
    days, below the margin floor without its approval, or a draft free to go out (`_to_send`)."""
    quote = standing_quote(customer, settings, today, reopened)
    if quote is None:
        return []
    desk = deal_desk(settings)
    _ = translator(settings.language)
    items: list[DealItem] = []
    name = quote.no or f"#{quote.index + 1}"
    until = quote.valid_until
    if until is not None and quote.status == "sent":
        if until < today:
            items.append(DealItem("quote_expired", until, _("quote expired: %(no)s was valid until %(until)s",
                                                             no=name, until=until), quote.amount, quote.no))
        elif (until - today).days <= desk.quote_expiry_warn_days:
            left = (until - today).days
            items.append(DealItem("quote_expiring", until, _.ngettext(
                "quote %(no)s expires in %(num)d day (%(until)s)", "quote %(no)s expires in %(num)d days (%(until)s)",
                left, no=name, until=until), quote.amount, quote.no))
    margin = quote.effective_margin
    if margin is not None and needs_margin_approval(quote, desk, today):
        who = desk.who_label(MARGIN_STEP, _)
        shown, floor = margin_and_floor(margin, desk.margin_floor)
        items.append(DealItem("quote_approval", quote.date or today, _(
            "quote %(no)s: margin %(margin)s below the %(floor)s floor awaits approval (by: %(who)s)",
            no=name, margin=shown, floor=floor, who=who), quote.amount, quote.no, MARGIN_STEP))
    items.extend(_to_send(quote, settings, today))
    return items


def _to_send(quote: Quote, settings: Settings, today: dt.date) -> list[DealItem]:
    """A draft quote that needs no approval any more goes to the customer (报价单发送客户): due from
    the day its margin approval was given, else from its date (today when undated), until it is
    marked sent (then its validity is watched)."""
    if not quote.is_draft or needs_margin_approval(quote, deal_desk(settings), today):
        return []
    _ = translator(settings.language)
    name = quote.no or f"#{quote.index + 1}"
    approved = [a.on for a in given_by(quote.approvals, today) if a.step == MARGIN_STEP and a.on is not None]
    if approved:
        return [DealItem("quote_to_send", max(approved), _(
            "quote %(no)s approved %(on)s: send it to the customer, then mark it sent (status: sent)",
            no=name, on=max(approved)), quote.amount, quote.no)]
    return [DealItem("quote_to_send", quote.date or today, _(
        "quote %(no)s is a draft: send it to the customer, then mark it sent (status: sent)",
        no=name), quote.amount, quote.no)]


def contract_items(customer: Customer, settings: Settings, today: dt.date, reopened: dt.date | None) -> list[DealItem]:
    """Instalments not fully received (overdue, or due within the warning days), renewals from
    `after_sales.renewal_warn_days` before a service term ends, and the one-off hand-over of
    the user guide and FAQ after the first delivery.

    A customer re-opened after a loss (`rules.reopening`) is a new deal: a contract signed before
    the re-opening asks for no renewal and no hand-over any more (the customer left it); money
    still owed on it stays due."""
    if not customer.contracts:
        return []
    desk = deal_desk(settings)
    a = after_sales(settings)
    _ = translator(settings.language)
    lost = settings.stage_by_key.get(customer.stage) is not None and \
        settings.stage_by_key[customer.stage].kind == "lost"
    items: list[DealItem] = []
    for contract in customer.contracts:
        for payment in contract.payments:
            owed = payment.outstanding_on(today)
            if payment.due is None or owed <= 0:
                continue
            left = (payment.due - today).days
            if left < 0:
                items.append(DealItem("instalment_overdue", payment.due, _.ngettext(
                    "instalment overdue %(num)d day: contract %(no)s, %(amount)s due %(due)s",
                    "instalment overdue %(num)d days: contract %(no)s, %(amount)s due %(due)s",
                    -left, no=contract.no, amount=money(owed, settings.currency), due=payment.due), owed, contract.no))
            elif left <= desk.payment_warn_days:
                items.append(DealItem("instalment_due", payment.due, _(
                    "instalment due: contract %(no)s, %(amount)s due %(due)s",
                    no=contract.no, amount=money(owed, settings.currency), due=payment.due), owed, contract.no))
    if lost:
        return items
    items.extend(_approvals_awaited(customer, settings, today))
    signed = [day for day in (happened_by(c.signed, today) for c in customer.contracts) if day is not None]
    current = [c for c in customer.contracts if reopened is None or c.signed is None or c.signed >= reopened]
    for contract in current:
        end = contract.service_end
        if end is None:
            continue
        start = end - dt.timedelta(days=a.renewal_warn_days)
        if contract.signed is not None and any(day > contract.signed for day in signed):
            continue  # a later contract renewed (or replaced) this one
        if start <= today:
            items.append(DealItem("renewal_due", end, _.ngettext(
                "renewal: contract %(no)s's service term ends %(end)s; talk renewal %(num)d day ahead",
                "renewal: contract %(no)s's service term ends %(end)s; talk renewal %(num)d days ahead",
                a.renewal_warn_days, no=contract.no, end=end), contract.amount, contract.no))
    delivered = sorted((c.delivered, c.no) for c in current if c.delivered is not None and c.delivered <= today)
    if delivered and a.guide_days >= 0 and not any(c.guide_sent for c in customer.contracts):
        first, number = delivered[0]
        due = first + dt.timedelta(days=a.guide_days)
        items.append(DealItem("guide_handover", due, _(
            "send the user guide and FAQ (delivered %(delivered)s; then record on the contract the day they went out)",
            delivered=first), None, number))
    return items


def deal_items(customer: Customer, settings: Settings, today: dt.date, reopened: dt.date | None) -> list[DealItem]:
    """Every quote and contract item of one customer, by due date (`reopened`: the day it was
    re-opened after a loss, `rules.reopening.reopened_on`; None: never)."""
    items = quote_items(customer, settings, today, reopened) + contract_items(customer, settings, today, reopened)
    items.sort(key=lambda i: (i.due, i.kind))
    return items


def _approvals_awaited(customer: Customer, settings: Settings, today: dt.date) -> list[DealItem]:
    """A contract in approval (not yet signed by the end of today) waits on its next missing step:
    due from the day the step before it was given (the day it went into approval: today when none
    was given). An approval or a signature dated after today is not there yet."""
    desk = deal_desk(settings)
    _ = translator(settings.language)
    items = []
    for raw in customer.data.get("contracts") or []:
        if not isinstance(raw, dict) or not contract_needs_steps(raw, customer.stage, settings, today):
            continue
        if raw.get("signed") and not after(parse_date(raw.get("signed")), today):
            continue  # signed by the end of today (a `signed` that is no date is the checks' to report)
        missing = missing_steps(raw, desk, today)
        if not missing:
            continue
        given = [a.on for a in approvals_from(raw.get("approvals"), today) if a.on is not None]
        amount = raw.get("amount") if isinstance(raw.get("amount"), int) else None
        number = str(raw.get("no") or "")
        items.append(DealItem("contract_approval", min(max(given, default=today), today), _(
            "contract %(no)s awaits %(step)s (by: %(who)s) before it can be signed",
            no=number, step=desk.step_label(missing[0]), who=desk.who_label(missing[0], _)), amount, number,
            missing[0]))
    return items


def with_approvers(items: list[DealItem], owner: str, members: dict[str, Member],
                   settings: Settings) -> list[DealItem]:
    """The items with, on each approval awaited, the active members who may give its step (never
    the owner: nobody approves their own deal), so it is on their agenda as well as the owner's."""
    desk = deal_desk(settings)
    found = []
    for item in items:
        if item.step:
            to = tuple(h for h, m in members.items()
                       if m.active and h != owner and desk.may_approve(item.step, h, m.role or ""))
            item = replace(item, to=to)
        found.append(item)
    return found
