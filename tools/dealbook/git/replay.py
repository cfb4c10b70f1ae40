"""The book as it stood at the end of an earlier day, replayed from the same two sources as the
what-changed feed (git/recent): the records date what happened, git dates what they keep no
history of.

- a customer exists once it was created (`created`, else its first dated stage entry);
- its stage is the one its `stage_history` gives for that day, and the history stops there;
- its deal amount is git's last committed value by then (`recent.amount_on`);
- follow-ups count up to that day; quotes dated and contracts signed after it are left out.

So "overdue 7 days ago" is the agenda's own rule run on the book of 7 days ago: one source for the
dashboard's overdue card and its week-over-week delta. `book_on` and `overdue_then` are pure.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from ..records.book import Book
from ..records.dates import parse_date, parse_time
from ..reports.history import created_on, stage_on
from ..rules.agenda import agenda_items, customer_items
from ..rules.state import evaluate
from .history import Change
from .recent import Delta, amount_on


def _dated_after(value: Any, day: dt.date) -> bool:
    on = parse_date(value)
    return on is not None and on > day


def _customer_on(customer: Any, changes: list[Change], day: dt.date) -> dict[str, Any] | None:
    created = created_on(customer)
    if created is not None and created > day:
        return None
    # a new top-level mapping; what is changed below it (the deal's amount) is copied first, the
    # rest is shared with the live book, which nothing here changes (a deep copy of every customer
    # was a third of the replay)
    data = dict(customer.data)
    stage = stage_on(customer, day)
    if stage is not None:
        data["stage"] = stage
    history = data.get("stage_history")
    if isinstance(history, list):
        data["stage_history"] = [e for e in history if not (isinstance(e, dict) and _dated_after(e.get("on"), day))]
    deal = data.get("deal")
    if isinstance(deal, dict) and "amount" in deal:
        data["deal"] = {**deal, "amount": amount_on(customer, changes, day)}
    for key, date_key in (("quotes", "date"), ("contracts", "signed")):
        items = data.get(key)
        if isinstance(items, list):
            data[key] = [i for i in items if not (isinstance(i, dict) and _dated_after(i.get(date_key), day))]
    return data


def replayed_records(book: Book, changelog: dict[str, list[Change]], day: dt.date,
                     ids: list[str] | None = None) -> list[tuple[str, Any]]:
    """(path, data) of the customers and follow-ups as they stood at the end of `day`: what `book_on`
    builds its Book from (the settings, the team and `day` aside, all a replay depends on). `ids`:
    only these customers of the Book and the follow-ups filed under them."""
    records: list[tuple[str, Any]] = []
    for cid in book.customers if ids is None else ids:
        customer = book.customers[cid]
        data = _customer_on(customer, changelog.get(cid, []), day)
        if data is not None:
            records.append((customer.path, data))
    followups = book.all_followups() if ids is None else (f for cid in ids for f in book.followups_of(cid))
    for followup in followups:
        at = parse_time(followup.data.get("at"))
        if at is None or at.date() <= day:
            records.append((followup.path, followup.data))
    return records


def book_on(book: Book, changelog: dict[str, list[Change]], day: dt.date, ids: list[str] | None = None) -> Book:
    """The customers and follow-ups as they stood at the end of `day` (see the module's rules);
    `ids`: only these customers (as in `replayed_records`)."""
    replayed = Book(book.settings, replayed_records(book, changelog, day, ids))
    replayed.members, replayed.team_path = book.members, book.team_path
    return replayed


def overdue_count(book: Book, today: dt.date, owner: str | None = None) -> int:
    """The agenda's overdue items on `today` (of what `owner` must act on, when given)."""
    return sum(1 for item in agenda_items(book, today, owner=owner) if item.group == "overdue")


def overdue_on(book: Book, changelog: dict[str, list[Change]], day: dt.date, owner: str | None = None) -> int:
    """The agenda's overdue items at the end of an earlier `day`, on the book replayed to that day."""
    return overdue_count(book_on(book, changelog, day), day, owner)


def overdue_counts(book: Book, changelog: dict[str, list[Change]], day: dt.date,
                   ids: list[str] | None = None) -> dict[str, int]:
    """Per customer id (every customer of the Book, or those of `ids`): its overdue agenda items at the
    end of `day`, on the book replayed to that day (0 for a customer not created by then). Over every
    customer they add up to `overdue_on`'s figure: a customer's items depend on its own replayed
    records, the settings and the team only, so a part replays only the customers asked for."""
    wanted = list(book.customers) if ids is None else [cid for cid in ids if cid in book.customers]
    replayed = book_on(book, changelog, day, None if ids is None else wanted)
    states = evaluate(replayed, day)
    counts = {cid: 0 for cid in wanted}
    for cid, state in states.items():
        counts[cid] = sum(1 for item in customer_items(state, day) if item.group == "overdue")
    return counts


def overdue_delta(book: Book, changelog: dict[str, list[Change]], today: dt.date, days: int,
                  owner: str | None = None) -> Delta:
    """Overdue items now against the end of the day before the what-changed window of `days` days
    (the same "then" as the feed's open-pipeline deltas)."""
    return Delta("overdue", overdue_count(book, today, owner),
                 overdue_on(book, changelog, today - dt.timedelta(days=days), owner))
