"""What quotes and contracts ask of a rep, as dated items: expiring quotes, quotes awaiting a
margin approval, instalments due or overdue, renewals, the user-guide hand-over.

Plain data with stable kinds (`DEAL_KINDS`), so the agenda, the dashboard and the at-risk
lists all read the same items. Pure: customer, settings, today in.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from ..records.deals import MARGIN_STEP, deal_desk, latest_quote, needs_margin_approval, quotes_of
from ..records.model import Customer
from ..records.settings import Settings
from ..text.catalog import Translator, translator
from .aftersales import after_sales

DEAL_KINDS = ("quote_expired", "quote_expiring", "quote_approval", "instalment_overdue", "instalment_due",
              "renewal_due", "guide_handover")


@dataclass(frozen=True)
class DealItem:
    """One thing a quote or contract asks for: kind, the day it is due, a sentence, the money
    at stake (None when none) and the quote or contract number it is about."""

    kind: str
    due: dt.date
    message: str
    amount: int | None
    ref: str


def _pct(value: float) -> str:
    return f"{value * 100:.1f}%"


def _days(n: int, _: Translator) -> str:
    return _.ngettext("%(num)s day", "%(num)s days", n)


def quote_items(customer: Customer, settings: Settings, today: dt.date) -> list[DealItem]:
    """The standing quote of an open deal: expired, expiring within the warning days, or below
    the margin floor without its approval."""
    if not settings.is_open(customer.stage):
        return []
    quote = latest_quote(quotes_of(customer.data))
    if quote is None:
        return []
    desk = deal_desk(settings)
    _ = translator(desk.language)
    items: list[DealItem] = []
    name = quote.no or _("#%(n)s", n=quote.index + 1)
    until = quote.valid_until
    if until is not None and quote.status == "sent":
        if until < today:
            items.append(DealItem("quote_expired", until, _("quote expired: %(name)s was valid until %(until)s",
                                                            name=name, until=until), quote.amount, quote.no))
        elif (until - today).days <= desk.quote_expiry_warn_days:
            left = (until - today).days
            message = _("quote %(name)s expires in %(left)s (%(until)s)", name=name, left=_days(left, _), until=until)
            items.append(DealItem("quote_expiring", until, message, quote.amount, quote.no))
    margin = quote.effective_margin
    if margin is not None and needs_margin_approval(quote, desk):
        who = ", ".join(desk.who_may(MARGIN_STEP)) or "—"
        items.append(DealItem("quote_approval", quote.date or today, _(
            "quote %(name)s: margin %(margin)s below the %(floor)s floor awaits approval (by: %(who)s)", name=name,
            margin=_pct(margin), floor=_pct(desk.margin_floor), who=who), quote.amount, quote.no))
    return items


def contract_items(customer: Customer, settings: Settings, today: dt.date) -> list[DealItem]:
    """Instalments not fully received (overdue, or due within the warning days), renewals from
    `after_sales.renewal_warn_days` before a service term ends, and the one-off hand-over of
    the user guide and FAQ after the first delivery."""
    if not customer.contracts:
        return []
    desk = deal_desk(settings)
    a = after_sales(settings)
    _ = translator(desk.language)
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
                items.append(DealItem("instalment_overdue", payment.due, _(
                    "instalment overdue %(late)s: contract %(contract)s, %(owed)s due %(due)s", late=_days(-left, _),
                    contract=contract.no, owed=f"{owed:,}", due=payment.due), owed, contract.no))
            elif left <= desk.payment_warn_days:
                items.append(DealItem("instalment_due", payment.due, _(
                    "instalment due: contract %(contract)s, %(owed)s due %(due)s", contract=contract.no,
                    owed=f"{owed:,}", due=payment.due), owed, contract.no))
    if lost:
        return items
    signed = [c.signed for c in customer.contracts if c.signed is not None and c.signed <= today]
    for contract in customer.contracts:
        end = contract.service_end
        if end is None:
            continue
        start = end - dt.timedelta(days=a.renewal_warn_days)
        if contract.signed is not None and any(day > contract.signed for day in signed):
            continue  # a later contract renewed (or replaced) this one
        if start <= today:
            items.append(DealItem("renewal_due", end, _(
                "renewal: contract %(contract)s's service term ends %(end)s; talk renewal %(ahead)s ahead",
                contract=contract.no, end=end, ahead=_days(a.renewal_warn_days, _)), contract.amount, contract.no))
    delivered = sorted((c.delivered, c.no) for c in customer.contracts
                       if c.delivered is not None and c.delivered <= today)
    if delivered and a.guide_days >= 0 and not any(c.guide_sent for c in customer.contracts):
        first, number = delivered[0]
        due = first + dt.timedelta(days=a.guide_days)
        items.append(DealItem("guide_handover", due, _(
            "send the user guide and FAQ (delivered %(first)s; then record %(key)s on the contract)", first=first,
            key="guide_sent"), None, number))
    return items


def deal_items(customer: Customer, settings: Settings, today: dt.date) -> list[DealItem]:
    """Every quote and contract item of one customer, by due date."""
    items = quote_items(customer, settings, today) + contract_items(customer, settings, today)
    items.sort(key=lambda i: (i.due, i.kind))
    return items
