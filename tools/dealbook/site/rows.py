"""One line per customer for the site's lists (customers, by-stage, owner pages, agenda, board):
stage, grade, money, close date, days in stage, follow-up dates. Computed once per customer per build."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from ..records.industries import industry_group
from ..records.model import Customer
from ..rules.grading import has_grade
from .views import SiteData, optional


def attr(obj: Any, name: str, default: Any = None) -> Any:
    return getattr(obj, name, default) if obj is not None else default


def _history() -> Any:
    return optional("dealbook.reports.history")


def won_value(customer: Customer) -> int:
    """What a won customer is worth (its contracts, else its deal amount): the reports' own rule."""
    history = _history()
    if history is not None:
        return history.won_value(customer)
    return sum(c.amount or 0 for c in customer.contracts) or customer.deal_amount or 0


def first_won(data: SiteData, customer: Customer) -> dt.date | None:
    """When the customer first entered a won stage (by today)."""
    history = _history()
    if history is not None:
        return history.won_on(data.settings, customer, data.today)
    return next((e.on for e in customer.stage_history if data.settings.is_won(e.stage) and e.on), None)


def stage_since(data: SiteData, customer: Customer) -> dt.date | None:
    history = _history()
    if history is not None:
        return history.stage_since(customer, data.today)
    return next((e.on for e in reversed(customer.stage_history) if e.stage == customer.stage and e.on), None)


def customer_row(data: SiteData, customer: Customer) -> dict[str, Any]:
    """One line of a customers table (computed once per build).

    Grades belong to open deals only: a won or lost customer has none (grade ""). `amount` is the
    open deal's expected amount, or what a won customer signed; `weighted` is an open deal's amount
    × its stage's probability from the settings."""
    cached = data.rows.get(customer.id)
    if cached is not None:
        return cached
    settings = data.settings
    state = data.state(customer.id)
    stage = settings.stage_by_key.get(customer.stage)
    kind = stage.kind if stage is not None else "open"
    is_open = kind == "open"
    grade = attr(attr(state, "grade"), "letter") or (customer.grade_override or ("", ""))[0]
    due = attr(state, "due")
    last = data.last_contact(customer)
    amount = customer.deal_amount if kind != "won" else (won_value(customer) or None)
    probability = stage.probability if stage is not None and is_open else None
    since = stage_since(data, customer) if kind != "lost" else None
    close_by = customer.close_by
    row = data.rows[customer.id] = {
        "id": customer.id,
        "name": customer.name,
        "stage": customer.stage,
        "stage_kind": kind,
        "stage_order": settings.order(customer.stage),
        "grade": grade if has_grade(settings, customer.stage) else "",
        "owner": customer.owner,
        "owner_name": data.member_name(customer.owner),
        "industry": customer.industry,
        "industry_group": industry_group(customer.industry),
        "industry_label": data.labels.industry(customer.industry),
        "region": customer.region,
        "last_contact": last.date() if isinstance(last, dt.datetime) else last,
        "next_due": attr(due, "date"),
        "due_kind": attr(due, "kind"),
        "due_reason": attr(due, "reason"),
        "overdue_days": attr(due, "overdue_days", 0) or 0,
        "amount": amount,
        "probability": probability,
        "weighted": round(amount * probability) if amount is not None and probability is not None else None,
        "close_by": close_by if is_open else None,
        "close_passed": bool(is_open and close_by is not None and close_by < data.today),
        "days_in_stage": (data.today - since).days if since is not None and since <= data.today else None,
    }
    return row


def customer_rows(data: SiteData, customers: Iterable[Customer]) -> list[dict[str, Any]]:
    return [customer_row(data, c) for c in customers]


def rows_by_id(data: SiteData, ids: Iterable[str]) -> dict[str, dict[str, Any]]:
    """The line of each customer named, by id in id order: what an agenda table shows beside an item
    (amount, stage). A member's agenda names customers they do not own (support, help asked of them,
    an approval), so their rows are looked up by the items' ids, not taken from the member's own list."""
    customers = data.book.customers
    return {cid: customer_row(data, customers[cid]) for cid in sorted(set(ids)) if cid in customers}


def money_totals(rows: Iterable[dict[str, Any]]) -> dict[str, Any]:
    """What a list of rows adds up to, saying what it counts: open deals, how many have an amount,
    their amount and weighted amount."""
    open_rows = [r for r in rows if r["stage_kind"] == "open"]
    priced = [r for r in open_rows if r["amount"] is not None]
    return {"open": len(open_rows), "priced": len(priced), "amount": sum(r["amount"] for r in priced),
            "weighted": sum(r["weighted"] or 0 for r in priced)}
