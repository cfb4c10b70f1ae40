"""The agenda: who needs a touch, grouped overdue / today / this week / later, oldest first."""

from __future__ import annotations

import datetime as dt
import operator
from dataclasses import dataclass
from typing import Any

from ..records.book import Book
from .deals import DealItem
from .state import CustomerState, evaluate

GROUPS = ("overdue", "today", "week", "later")


@dataclass(frozen=True)
class AgendaItem:
    """One thing to do for one customer: its due date, what kind of touch, and why."""

    customer_id: str
    name: str
    owner: str
    due: dt.date
    kind: str  # a Due kind (next_action, cadence, …), a Flag code (a_grade_no_contact, …) or a DEAL_KINDS kind
    reason: str
    overdue_days: int
    group: str  # overdue | today | week | later
    # Tells apart items of one customer and kind (an instalment's contract and due number, say);
    # empty when a kind has one item per customer. Calendar UIDs are made from id, kind and key.
    key: str = ""
    who: tuple[str, ...] = ()  # who must act: the owner, or the reviewers, or the colleague asked for help


WEEK_DAYS = 7  # "this week": due within this many days after today


def group_of(due: dt.date, today: dt.date, days: int) -> str:
    """overdue before today, today, week within `days` days after today, later beyond."""
    if due < today:
        return "overdue"
    if due == today:
        return "today"
    return "week" if (due - today).days <= days else "later"


def deal_key(item: DealItem) -> str:
    """The item's quote or contract number, and for an instalment its own due date too (a
    contract has several): stable while the item stands, so a calendar keeps one event for it."""
    return f"{item.ref}#{item.due.isoformat()}" if item.kind.startswith("instalment") else item.ref


def customer_items(state: CustomerState, today: dt.date, days: int = WEEK_DAYS) -> list[AgendaItem]:
    """One customer's items: its due date (none when never due), its quote and contract items
    (`rules.deals`), then its flags (today's when undated); each says who must act (`who`: the
    owner, or the flag's people; an approval awaited is the owner's and its approvers')."""
    customer, due = state.customer, state.due
    mine = (customer.owner,)
    items: list[AgendaItem] = []
    if due.date is not None:
        items.append(AgendaItem(customer.id, customer.name, customer.owner, due.date, due.kind, due.reason,
                                due.overdue_days, group_of(due.date, today, days), who=mine))
    for item in state.deals:
        overdue = (today - item.due).days if item.due < today else 0
        items.append(AgendaItem(customer.id, customer.name, customer.owner, item.due, item.kind, item.message,
                                overdue, group_of(item.due, today, days), deal_key(item),
                                who=tuple(dict.fromkeys(mine + item.to))))
    for flag in state.flags:
        when = flag.due or today
        overdue = (today - when).days if when < today else 0
        items.append(AgendaItem(customer.id, customer.name, customer.owner, when, flag.code, flag.message,
                                overdue, group_of(when, today, days), flag.key, who=flag.to or mine))
    return items


def item_order(group: str, due: Any, customer_id: str, kind: str) -> tuple:
    """The agenda's order: by group, then due date, then customer id, then kind."""
    return (_GROUP_ORDER[group], due, customer_id, kind)


_GROUP_ORDER = {g: i for i, g in enumerate(GROUPS)}

# `item_order` for items kept as dicts (stored views): a group is a function of the due date that
# never goes back as the date goes on (`group_of`: overdue, today, this week, later, whatever the
# number of days), so (due, customer id, kind) orders items exactly as `item_order` does, ties
# included, and itemgetter keeps the sort in C. Due dates as ISO text sort as the dates do.
dict_order = operator.itemgetter("due", "customer_id", "kind")


def agenda_items(book: Book, today: dt.date, owner: str | None = None,
                 days: int = WEEK_DAYS) -> list[AgendaItem]:
    """Every due date and flag of every customer, oldest first; with `owner`, only what that
    person must act on (`who`): their customers' items, leads to review, help asked of them.

    A customer that is never due (lost) has no follow-up item, though money it still owes does;
    a flag without a date of its own is on today's list. Quotes and contracts add items of the
    kinds in `rules.deals.DEAL_KINDS` (expiring quotes, instalments, renewals, …). Items are
    ordered by group, then due date, then customer id."""
    items: list[AgendaItem] = []
    for state in evaluate(book, today).values():
        items.extend(i for i in customer_items(state, today, days) if owner is None or owner in i.who)
    items.sort(key=lambda i: item_order(i.group, i.due, i.customer_id, i.kind))
    return items
