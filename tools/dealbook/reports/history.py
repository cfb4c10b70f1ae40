"""Reading a customer's stage_history as events: entries, moves, the stage on a day, how far it got."""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Iterable, Iterator
from typing import NamedTuple

from ..records.book import Book
from ..records.model import Customer, StageEntry
from ..records.settings import Settings
from ..rules.risk import stage_since as rules_stage_since
from ..text.catalog import translator

# The splits a report may take (`--by`) and how each reads a customer.
SPLITS = ("owner", "source", "industry", "region")


class Move(NamedTuple):
    """A customer leaving stage `source` (entered on `since`) for stage `target` on `on`."""

    source: str
    target: str
    since: dt.date | None
    on: dt.date | None


def moves(customer: Customer) -> Iterator[Move]:
    """Each change of stage in the history, in order (consecutive entries)."""
    history = customer.stage_history
    for before, after in itertools.pairwise(history):
        if before.stage != after.stage:
            yield Move(before.stage, after.stage, before.on, after.on)


def kind_of_move(settings: Settings, move: Move) -> str:
    """`lost`, `forward` (to any later stage of the progression), or `backward`."""
    if move.target == settings.lost_stage:
        return "lost"
    if settings.order(move.target) > settings.order(move.source):
        return "forward"
    return "backward"


def history_until(customer: Customer, day: dt.date) -> tuple[StageEntry, ...]:
    """The history entries dated on or before `day` (undated entries count as before)."""
    return tuple(e for e in customer.stage_history if e.on is None or e.on <= day)


def stage_on(customer: Customer, day: dt.date) -> str | None:
    """The customer's stage at the end of `day`, from its history (None before the first entry)."""
    for entry in reversed(customer.stage_history):
        if entry.on is None or entry.on <= day:
            return entry.stage
    return None if customer.stage_history else customer.stage or None


def stage_since(customer: Customer, day: dt.date) -> dt.date | None:
    """When the customer entered the stage it is in on `day` (None without a dated entry): the
    rules' reading, so the days in stage on every list are the ones the rotting rule counts."""
    return rules_stage_since(customer, day)[1]


def won_on(settings: Settings, customer: Customer, day: dt.date) -> dt.date | None:
    """The first date the customer entered a won stage, on or before `day`."""
    for entry in customer.stage_history:
        if entry.on is not None and entry.on <= day and settings.is_won(entry.stage):
            return entry.on
    return None


def won_in(settings: Settings, customer: Customer, start: dt.date, end: dt.date) -> dt.date | None:
    """The day the customer counts as won in `start`..`end`: its first entry into a won stage
    (`won_on`), when that falls in the range; else None.

    A deal is won once: one won, re-opened and won again counts on the day it was first won, at
    its won value once, and its later wins are no new wins (in that period or any other)."""
    day = won_on(settings, customer, end)
    return day if day is not None and day >= start else None


def is_won(settings: Settings, customer: Customer, day: dt.date) -> bool:
    """Reached a won stage by `day` (still counted won after churning: the deal was won)."""
    return any((e.on is None or e.on <= day) and settings.is_won(e.stage) for e in customer.stage_history)


def lost_on(settings: Settings, customer: Customer, day: dt.date) -> bool:
    """In a lost stage at the end of `day` (a customer lost and re-opened since is not: it is open
    again; one lost twice is one lost customer)."""
    stage = stage_on(customer, day)
    found = settings.stage_by_key.get(stage) if stage else None
    return found is not None and found.kind == "lost"


def furthest(settings: Settings, customer: Customer, day: dt.date) -> int:
    """The highest progression position reached by `day` (-1 when none)."""
    best = -1
    for entry in customer.stage_history:
        if entry.on is not None and entry.on > day:
            continue
        stage = settings.stage_by_key.get(entry.stage)
        if stage is not None and stage.kind != "lost":
            best = max(best, stage.index)
    return best


def group_of(customer: Customer, by: str) -> str:
    """The value a `--by` split files the customer under ("" when the record has none)."""
    if by == "owner":
        return customer.owner
    if by == "source":
        return customer.channel
    if by == "industry":
        return customer.industry
    if by == "region":
        return customer.region
    raise ValueError(f"unknown split {by!r}; use one of {', '.join(SPLITS)}")


def split_label(language: str, by: str) -> str:
    _ = translator(language)
    return {
        "owner": _("Owner"),
        "source": _("Source"),
        "industry": _("Industry"),
        "region": _("Region"),
    }[by]


def split_values(book: Book, by: str) -> dict[str, str]:
    """Display labels for a split's raw values: member names, channel labels."""
    return split_labels(book.settings, member_names(book), by)


def member_names(book: Book) -> dict[str, str]:
    """Each team member's handle and name ("" when the team file gives none)."""
    return {handle: member.name or "" for handle, member in book.members.items()}


def split_labels(settings: Settings, names: dict[str, str], by: str) -> dict[str, str]:
    """Display labels for a split's raw values, from the team's `member_names`: "name (handle)", channel labels."""
    _ = translator(settings.language)
    none = _("(none)")
    if by == "owner":
        labels = {h: f"{name} ({h})" if name else h for h, name in names.items()}
    elif by == "source":
        labels = {k: settings.label("source_channels", k) for k in settings.keys_of("source_channels")}
    else:
        labels = {}
    labels[""] = none
    return labels


def stage_values(settings: Settings) -> dict[str, str]:
    return {s.key: settings.stage_label(s.key) for s in settings.stages}


def created_on(customer: Customer) -> dt.date | None:
    """`created`, or the first dated history entry when the record has no created date."""
    return customer.created or next((e.on for e in customer.stage_history if e.on is not None), None)


def won_value(customer: Customer) -> int:
    """What a won customer is worth: its contracts' amounts, else the expected deal amount, else 0."""
    amounts = [c.amount for c in customer.contracts if c.amount is not None]
    if amounts:
        return sum(amounts)
    return customer.deal_amount or 0


def observed_win_rates(settings: Settings, customers: Iterable[Customer], today: dt.date) -> dict[str, tuple[int, int]]:
    """Per open stage: (closed, won) among customers that were in it and have since been won or lost by today
    (the sum of every customer's `win_share`)."""
    tally: dict[str, list[int]] = {s.key: [0, 0] for s in settings.stages if s.kind == "open"}
    for customer in customers:
        for stage, (closed, won) in win_share(settings, customer, today).items():
            counts = tally[stage]
            counts[0] += closed
            counts[1] += won
    return {k: (v[0], v[1]) for k, v in tally.items()}


def win_share(settings: Settings, customer: Customer, today: dt.date) -> dict[str, list[int]]:
    """One customer's share of the observed win rates: {open stage: [1, 1 if won else 0]} for each open
    stage it was in, when it has been won or lost by today; else empty."""
    entries = history_until(customer, today)
    if not entries:
        return {}
    won = any(settings.is_won(e.stage) for e in entries)
    if not won and entries[-1].stage != settings.lost_stage:
        return {}
    return {stage: [1, int(won)] for stage in {e.stage for e in entries} if settings.is_open(stage)}
