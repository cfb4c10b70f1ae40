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


def _days(n: int, zh: bool) -> str:
    return f"{n} 天" if zh else f"{n} day{'s' * (n != 1)}"


def quote_items(customer: Customer, settings: Settings, today: dt.date) -> list[DealItem]:
    """The standing quote of an open deal: expired, expiring within the warning days, or below
    the margin floor without its approval."""
    if not settings.is_open(customer.stage):
        return []
    quote = latest_quote(quotes_of(customer.data))
    if quote is None:
        return []
    desk = deal_desk(settings)
    zh = desk.language == "zh"
    items: list[DealItem] = []
    name = quote.no or (f"第 {quote.index + 1} 份" if zh else f"#{quote.index + 1}")
    until = quote.valid_until
    if until is not None and quote.status == "sent":
        if until < today:
            items.append(DealItem("quote_expired", until, (
                f"报价已过期:报价 {name} 有效期至 {until}" if zh
                else f"quote expired: {name} was valid until {until}"), quote.amount, quote.no))
        elif (until - today).days <= desk.quote_expiry_warn_days:
            left = (until - today).days
            items.append(DealItem("quote_expiring", until, (
                f"报价 {name} 将于 {until} 到期(还剩 {_days(left, zh)})" if zh
                else f"quote {name} expires in {_days(left, zh)} ({until})"), quote.amount, quote.no))
    margin = quote.effective_margin
    if margin is not None and needs_margin_approval(quote, desk):
        who = ", ".join(desk.who_may(MARGIN_STEP)) or "—"
        items.append(DealItem("quote_approval", quote.date or today, (
            f"报价 {name} 毛利率 {_pct(margin)} 低于底线 {_pct(desk.margin_floor)},待审批(审批人:{who})" if zh
            else f"quote {name}: margin {_pct(margin)} below the {_pct(desk.margin_floor)} floor awaits approval "
                 f"(by: {who})"), quote.amount, quote.no))
    return items


def contract_items(customer: Customer, settings: Settings, today: dt.date) -> list[DealItem]:
    """Instalments not fully received (overdue, or due within the warning days), renewals from
    `after_sales.renewal_warn_days` before a service term ends, and the one-off hand-over of
    the user guide and FAQ after the first delivery."""
    if not customer.contracts:
        return []
    desk = deal_desk(settings)
    a = after_sales(settings)
    zh = desk.language == "zh"
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
                items.append(DealItem("instalment_overdue", payment.due, (
                    f"回款逾期 {_days(-left, zh)}:合同 {contract.no} 应于 {payment.due} 收款 {owed:,}" if zh
                    else f"instalment overdue {_days(-left, zh)}: contract {contract.no}, {owed:,} due {payment.due}"),
                    owed, contract.no))
            elif left <= desk.payment_warn_days:
                items.append(DealItem("instalment_due", payment.due, (
                    f"回款将到期:合同 {contract.no} 应于 {payment.due} 收款 {owed:,}" if zh
                    else f"instalment due: contract {contract.no}, {owed:,} due {payment.due}"), owed, contract.no))
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
            items.append(DealItem("renewal_due", end, (
                f"续约:合同 {contract.no} 服务期至 {end},请提前 {_days(a.renewal_warn_days, zh)}洽谈续约" if zh
                else f"renewal: contract {contract.no}'s service term ends {end}; talk renewal "
                     f"{_days(a.renewal_warn_days, zh)} ahead"), contract.amount, contract.no))
    delivered = sorted((c.delivered, c.no) for c in customer.contracts
                       if c.delivered is not None and c.delivered <= today)
    if delivered and a.guide_days >= 0 and not any(c.guide_sent for c in customer.contracts):
        first, number = delivered[0]
        due = first + dt.timedelta(days=a.guide_days)
        items.append(DealItem("guide_handover", due, (
            f"发送《客户使用指南》与《常见问题解答》(交付于 {first},完成后在合同上记录 guide_sent)" if zh
            else f"send the user guide and FAQ (delivered {first}; then record guide_sent on the contract)"),
            None, number))
    return items


def deal_items(customer: Customer, settings: Settings, today: dt.date) -> list[DealItem]:
    """Every quote and contract item of one customer, by due date."""
    items = quote_items(customer, settings, today) + contract_items(customer, settings, today)
    items.sort(key=lambda i: (i.due, i.kind))
    return items
