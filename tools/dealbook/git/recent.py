"""What changed: the last N days of new leads, stage moves, wins, losses, slipped amounts and
close dates, and new quotes, with week-over-week deltas for the dashboard cards.

Two sources, each for what it knows best:
- the records date what happened: a new lead by `created`, a stage move, win or loss by its
  `stage_history` date, a quote by its `date` (so a move recorded on Monday for Friday is
  Friday's, and a history imported in one commit is not "new this week");
- git dates what the records keep no history of: a deal amount or an expected close date
  changed, by the commit that changed it (from the one-pass change log, `history`).
Record events name the commit and author that recorded them where the change log has it.

`what_changed(book, changelog, today, days)` is pure; `changelog_of(repo)` reads git.
"""

from __future__ import annotations

import datetime as dt
import itertools
from dataclasses import dataclass, field
from typing import Any

from ..records.book import Book
from ..records.dates import parse_date
from ..records.losses import losses
from ..records.model import Customer
from ..records.settings import Settings
from ..reports.history import created_on, won_in, won_value
from ..text.catalog import Translator, translator
from ..text.money import money
from .history import Change

KINDS = ("new_lead", "stage_move", "won", "lost", "amount_down", "amount_up", "close_date_slipped",
         "close_date_earlier", "new_quote")


@dataclass(frozen=True)
class Event:
    """One thing that changed for one customer on one day."""

    on: dt.date
    kind: str  # one of KINDS
    customer_id: str
    name: str
    owner: str
    message: str
    before: Any = None
    after: Any = None
    amount: int | None = None  # the deal's value the event is about (won: the won value)
    source: str = "record"  # record | git
    commit: str | None = None
    author: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"on": self.on, "kind": self.kind, "customer_id": self.customer_id, "name": self.name,
                "owner": self.owner, "message": self.message, "before": self.before, "after": self.after,
                "amount": self.amount, "source": self.source, "commit": self.commit, "author": self.author}


@dataclass(frozen=True)
class Delta:
    """A dashboard figure now and one window earlier."""

    key: str
    now: float
    before: float

    @property
    def change(self) -> float:
        return self.now - self.before

    def as_dict(self) -> dict[str, Any]:
        return {"key": self.key, "now": self.now, "before": self.before, "change": self.change}


@dataclass(frozen=True)
class Feed:
    """The events of the window [start, today], newest first, and the deltas against the window before."""

    today: dt.date
    days: int
    start: dt.date
    events: tuple[Event, ...]
    deltas: tuple[Delta, ...] = field(default=())

    def count(self, kind: str) -> int:
        return sum(e.kind == kind for e in self.events)

    def delta(self, key: str) -> Delta | None:
        return next((d for d in self.deltas if d.key == key), None)

    def as_dict(self) -> dict[str, Any]:
        return {"today": self.today, "days": self.days, "start": self.start,
                "events": [e.as_dict() for e in self.events],
                "deltas": {d.key: {"now": d.now, "before": d.before, "change": d.change} for d in self.deltas}}


def _set_stage(changes: list[Change], stage: str) -> Change | None:
    """The latest commit that set the customer's stage to `stage`."""
    found = None
    for change in changes:
        if any(key == "stage" and new == stage for key, _, new in change.fields_changed):
            found = change
    return found


def _record_events(book: Book, customer: Customer, changes: list[Change], start: dt.date, end: dt.date,
                   _: Translator) -> list[Event]:
    settings = book.settings
    found: list[Event] = []
    base = {"customer_id": customer.id, "name": customer.name, "owner": customer.owner}
    created = created_on(customer)
    if created is not None and start <= created <= end:
        first = changes[0] if changes else None
        found.append(Event(created, "new_lead", message=_("new lead"),
                           amount=customer.deal_amount, commit=first.commit if first else None,
                           author=first.author if first else None, **base))
    history = customer.stage_history
    reasons = {loss.index: loss.reason for loss in losses(customer, settings)}  # each loss's own reason
    # A deal is won once (`won_in`): a move back into a won stage after a re-opening is a stage
    # move, so the wins and the value won count the customer once
    first_won = won_in(settings, customer, start, end)
    for index, (before, after) in enumerate(itertools.pairwise(history), 1):
        if before.stage == after.stage or after.on is None or not start <= after.on <= end:
            continue
        rewon = False
        if settings.is_won(after.stage) and not settings.is_won(before.stage):
            rewon = after.on != first_won
            kind = "stage_move" if rewon else "won"
            first_won = None  # counted: a second move into won the same day is a re-win too
        elif after.stage == settings.lost_stage:
            kind = "lost"
        else:
            kind = "stage_move"
        old, new = settings.stage_label(before.stage), settings.stage_label(after.stage)
        if kind == "won":
            message = _("won: %(old)s → %(new)s", old=old, new=new)
            amount: int | None = won_value(customer) or None
        elif kind == "lost":
            reason = reasons.get(index, "")
            why = settings.label("lost_reasons", reason) if reason else ""
            message = _("lost in %(stage)s: %(reason)s", stage=old, reason=why) if why else _("lost in %(stage)s",
                                                                                             stage=old)
            amount = customer.deal_amount
        else:  # a stage move, a re-win among them
            message = _("won again: %(old)s → %(new)s", old=old, new=new) if rewon else f"{old} → {new}"
            amount = customer.deal_amount
        commit = _set_stage(changes, after.stage)
        found.append(Event(after.on, kind, message=message, before=before.stage, after=after.stage, amount=amount,
                           commit=commit.commit if commit else None, author=commit.author if commit else None,
                           **base))
    quotes = customer.data.get("quotes")
    for quote in quotes if isinstance(quotes, list) else ():
        if not isinstance(quote, dict):
            continue
        on = parse_date(quote.get("date"))
        if on is None or not start <= on <= end:
            continue
        total = quote.get("total") if isinstance(quote.get("total"), int) else None
        number = str(quote.get("no") or "")
        found.append(Event(on, "new_quote", message=_("new quote %(number)s %(total)s", number=number,
                                                       total=money(total, settings.currency)).strip(),
                           after=number or None, amount=total, **base))
    return found


def _git_events(customer: Customer | None, cid: str, changes: list[Change], start: dt.date, end: dt.date,
                _: Translator, currency: str) -> list[Event]:
    found: list[Event] = []
    base = {"customer_id": cid, "name": customer.name if customer else cid,
            "owner": customer.owner if customer else ""}
    for change in changes:
        day = change.when.date()
        if not start <= day <= end:
            continue
        for key, old, new in change.fields_changed:
            if key == "deal.amount" and isinstance(old, int) and isinstance(new, int) and old != new:
                kind = "amount_down" if new < old else "amount_up"
                message = _("deal amount %(old)s → %(new)s", old=money(old, currency), new=money(new, currency))
                amount: int | None = new
            elif key == "deal.close_by":
                old_day, new_day = parse_date(old), parse_date(new)
                if old_day is None or new_day is None or old_day == new_day:
                    continue
                kind = "close_date_slipped" if new_day > old_day else "close_date_earlier"
                message = _("expected close %(old_day)s → %(new_day)s", old_day=old_day, new_day=new_day)
                amount = customer.deal_amount if customer else None
                old, new = old_day, new_day
            else:
                continue
            found.append(Event(day, kind, message=message, before=old, after=new, amount=amount, source="git",
                               commit=change.commit, author=change.author, **base))
    return found


def events_between(book: Book, changelog: dict[str, list[Change]], start: dt.date, end: dt.date,
                   owner: str | None = None) -> list[Event]:
    """Every event dated start…end (both included), of `owner`'s customers when given; newest first."""
    _ = translator(book.settings.language)
    found: list[Event] = []
    for cid, customer in book.customers.items():
        if owner is None or customer.owner == owner:
            found.extend(_record_events(book, customer, changelog.get(cid, []), start, end, _))
    for cid, changes in changelog.items():
        customer = book.customers.get(cid)
        if customer is None or owner is None or customer.owner == owner:
            if customer is None and owner is not None:
                continue
            found.extend(_git_events(customer, cid, changes, start, end, _, book.settings.currency))
    order = {k: i for i, k in enumerate(KINDS)}
    found.sort(key=lambda e: (-e.on.toordinal(), order[e.kind], e.customer_id))
    return found


def amount_on(customer: Customer, changes: list[Change], day: dt.date) -> int | None:
    """The deal amount at the end of `day`: git's last value committed by then; the record's own
    value when git has no version of the customer from before then."""
    amount: Any = None
    seen = False
    for change in changes:
        if change.when.date() > day:
            break
        seen = True
        for key, _, new in change.fields_changed:
            if key == "deal.amount":
                amount = new
    if not seen:
        return customer.deal_amount
    return amount if isinstance(amount, int) and not isinstance(amount, bool) else None


def _open_on(book: Book, changelog: dict[str, list[Change]], day: dt.date, owner: str | None
             ) -> tuple[int, int, float]:
    """(open deals, their amount, weighted by stage probability) at the end of `day`."""
    from ..reports.history import stage_on

    settings = book.settings
    count = total = 0
    weighted = 0.0
    for cid, customer in book.customers.items():
        if owner is not None and customer.owner != owner:
            continue
        stage = stage_on(customer, day)
        if stage is None or not settings.is_open(stage):
            continue
        amount = amount_on(customer, changelog.get(cid, []), day) or 0
        count += 1
        total += amount
        weighted += amount * settings.stage_by_key[stage].probability if stage in settings.stage_by_key else 0
    return count, total, weighted


def feed_days(settings: Settings) -> int:
    """`what_changed.days` from settings (7 when missing or not a positive whole number)."""
    raw = settings.raw.get("what_changed")
    days = raw.get("days") if isinstance(raw, dict) else None
    return days if isinstance(days, int) and not isinstance(days, bool) and days > 0 else 7


def what_changed(book: Book, changelog: dict[str, list[Change]], today: dt.date, days: int | None = None,
                 owner: str | None = None) -> Feed:
    """The events of the last `days` days up to `today` (of `owner`'s customers when given), and
    week-over-week deltas: each event kind's count (and the value won) in this window against
    the `days` before it, and the open pipeline (deals, amount, weighted) now against the end
    of the day before the window. `days` defaults to the `what_changed.days` setting."""
    days = max(1, feed_days(book.settings) if days is None else days)
    start = today - dt.timedelta(days=days - 1)
    before_end = start - dt.timedelta(days=1)
    now = events_between(book, changelog, start, today, owner)
    then = events_between(book, changelog, before_end - dt.timedelta(days=days - 1), before_end, owner)
    deltas = [Delta(kind, sum(e.kind == kind for e in now), sum(e.kind == kind for e in then)) for kind in KINDS]
    deltas.append(Delta("won_amount", sum(e.amount or 0 for e in now if e.kind == "won"),
                        sum(e.amount or 0 for e in then if e.kind == "won")))
    open_now, open_then = _open_on(book, changelog, today, owner), _open_on(book, changelog, before_end, owner)
    deltas += [Delta("open_deals", open_now[0], open_then[0]), Delta("open_amount", open_now[1], open_then[1]),
               Delta("weighted_amount", round(open_now[2]), round(open_then[2]))]
    return Feed(today, days, start, tuple(now), tuple(deltas))


def changelog_of(repo: str) -> dict[str, list[Change]]:
    """Every customer's change log from git ({} when the repo is not a git repository or has no commits)."""
    from .history import customer_changelog
    from .store import GitStoreError

    try:
        return customer_changelog(repo)
    except GitStoreError:
        return {}
