"""One customer's needs, quotes and contracts as plain data: what `dealbook show`, the site's
customer page and the dashboard print. Pure: customer, settings, today in.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from ..records.dates import after, happened_by, parse_date
from ..records.deals import (
    MARGIN_STEP,
    deal_desk,
    given_by,
    latest_quote,
    needs_margin_approval,
    pending_approvals,
    quotes_of,
)
from ..records.model import Customer
from ..records.settings import Settings
from ..text.catalog import translator

NEED_KEYS = ("need", "priority", "class", "solution", "value", "objections", "adjustments", "owner")


def needs_table(data: dict[str, Any]) -> list[dict[str, Any]]:
    """The needs-to-solution matching table (需求与解决方案匹配表): every column, in order."""
    rows = []
    for item in data.get("needs") or []:
        if isinstance(item, dict):
            rows.append({k: item.get(k) for k in NEED_KEYS})
    return rows


def quotes_view(customer: Customer, settings: Settings, today: dt.date) -> list[dict[str, Any]]:
    """Each quote with its worked-out margin, validity and approval state (newest first), as things
    stood at the end of `today`: an approval dated later is not given yet."""
    desk = deal_desk(settings)
    _ = translator(settings.language)
    quotes = tuple(q for q in quotes_of(customer.data) if not after(q.date, today))  # one made later is not there yet
    standing = latest_quote(quotes)
    rows = []
    for quote in sorted(quotes, key=lambda q: (q.date or dt.date.min, q.index), reverse=True):
        margin = quote.effective_margin
        approvals = given_by(quote.approvals, today)
        if needs_margin_approval(quote, desk, today):
            approval = "needed"
        elif any(a.step == MARGIN_STEP for a in approvals):
            approval = "approved"
        else:
            approval = "not_needed" if margin is not None else "unknown"
        rows.append({
            "no": quote.no, "date": quote.date, "status": quote.status, "standing": quote is standing,
            "total": quote.amount, "cost": quote.known_cost, "margin": margin,
            "below_floor": margin is not None and margin < desk.margin_floor,
            "valid_until": quote.valid_until,
            "expired": quote.valid_until is not None and quote.valid_until < today,
            "delivery": quote.delivery or None, "payment_terms": quote.payment_terms or None,
            "approval": approval, "approvers": list(desk.who_may(MARGIN_STEP)) if approval == "needed" else [],
            "approvers_label": desk.who_label(MARGIN_STEP, _) if approval == "needed" else "",
            "approvals": [{"step": a.step, "by": a.by, "on": a.on} for a in approvals],
            "lines": [{"item": line.item, "spec": line.spec or None, "quantity": line.quantity,
                       "unit_price": line.unit_price, "amount": line.value} for line in quote.lines],
        })
    return rows


def contracts_view(customer: Customer, settings: Settings, today: dt.date) -> list[dict[str, Any]]:
    """Each contract with its approval steps (given and missing), payments and what is still owed, as
    things stood at the end of `today`: an approval, a signature, a delivery, an acceptance, a
    receipt or a hand-over dated later has not happened yet (a contract signed later is still in approval)."""
    pending = {(no, step) for no, step, _who in pending_approvals(customer.data, settings, today)}
    desk = deal_desk(settings)
    _ = translator(settings.language)
    raw = [c for c in customer.data.get("contracts") or [] if isinstance(c, dict)]
    rows = []
    for contract, data in zip(customer.contracts, raw, strict=False):
        payments = [{"due": p.due, "amount": p.amount, "received_on": happened_by(p.received_on, today),
                     "received": (p.amount or 0) - p.outstanding_on(today),
                     "outstanding": p.outstanding_on(today),
                     "overdue": p.due is not None and p.due < today and p.outstanding_on(today) > 0,
                     "note": p.note or None} for p in contract.payments]
        acceptance = data.get("acceptance") if isinstance(data.get("acceptance"), dict) else {}
        accepted = not after(parse_date(acceptance.get("on")), today)  # an acceptance dated later: not yet
        rows.append({
            "no": contract.no, "amount": contract.amount, "signed": happened_by(contract.signed, today),
            "delivered": happened_by(contract.delivered, today),
            "service_term": data.get("service_term"), "service_end": contract.service_end,
            "acceptance": {"criteria": acceptance.get("criteria"),
                           "result": acceptance.get("result") if accepted else None,
                           "on": acceptance.get("on") if accepted else None} if acceptance else None,
            "guide_sent": happened_by(contract.guide_sent, today),
            "approvals": [{"step": a.step, "label": desk.step_label(a.step), "by": a.by, "on": a.on}
                          for a in given_by(contract.approvals, today)],
            "missing_steps": [{"step": step, "label": desk.step_label(step), "approvers": list(desk.who_may(step)),
                               "approvers_label": desk.who_label(step, _)}
                              for step in desk.contract_steps if (contract.no or "", step) in pending],
            "payments": payments,
            "received": sum(p["received"] for p in payments),
            "outstanding": sum(p["outstanding"] for p in payments),
        })
    return rows
