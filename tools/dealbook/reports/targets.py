"""Targets: each member's won amount against the target set for a month or a quarter, with the
open pipeline expected to close in the same period.

`targets:` in the settings, per member handle: `month` (every month), `quarter` (every quarter),
or a given period (`2024-05`, `2024-Q2`) that overrides them. Pure: (book, today, handle, period)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from ..records.book import Book
from ..records.settings import Settings
from .history import won_in, won_value
from .periods import Period
from .pipeline import open_deals


def _amount(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else None


def target_for(settings: Settings, handle: str, period: Period, kind: str) -> int | None:
    """The member's target for the period (`kind` month or quarter): the period's own entry, else the
    recurring `month` / `quarter` one; None when the settings set none."""
    raw = settings.raw.get("targets")
    mine = raw.get(handle) if isinstance(raw, dict) else None
    if not isinstance(mine, dict):
        return None
    own = _amount(mine.get(period.label))
    return own if own is not None else _amount(mine.get(kind))


@dataclass(frozen=True)
class Progress:
    """One member's period: the target, what was won, and the open deals expected to close in it."""

    handle: str
    period: Period
    kind: str  # month | quarter
    target: int | None
    won: int  # value of the customers first won in the period (contracts, else deal amount)
    won_deals: int
    pipeline: int  # open deals with deal.close_by in the period: their amount…
    weighted: int  # …weighted by each stage's probability from the settings
    pipeline_deals: int

    @property
    def share(self) -> float | None:
        """won / target (None without a target)."""
        return round(self.won / self.target, 4) if self.target else None

    @property
    def gap(self) -> int | None:
        """What is still to win to reach the target (0 once reached; None without a target)."""
        return max(0, self.target - self.won) if self.target is not None else None

    @property
    def coverage(self) -> float | None:
        """Weighted pipeline closing in the period / the gap (None without a target or gap)."""
        gap = self.gap
        return round(self.weighted / gap, 4) if gap else None


def progress(book: Book, today: dt.date, handle: str, period: Period, kind: str) -> Progress:
    """The member's target, won amount and expected pipeline for the period."""
    return progress_of_all(book, today, [handle], period, kind)[handle]


def progress_of_all(book: Book, today: dt.date, handles: list[str], period: Period,
                    kind: str) -> dict[str, Progress]:
    """`progress` of each of `handles`, from one pass over the customers (a site shows every owner's)."""
    customers: dict[str, list[Any]] = {handle: [] for handle in handles}
    deals: dict[str, list[tuple[Any, str]]] = {handle: [] for handle in handles}
    for customer in book.customers.values():
        if customer.owner in customers:
            customers[customer.owner].append(customer)
    for customer, stage in open_deals(book, today):
        if customer.owner in deals:
            deals[customer.owner].append((customer, stage))
    return {handle: _progress(book.settings, today, handle, period, kind, customers[handle], deals[handle])
            for handle in handles}


def _progress(settings: Settings, today: dt.date, handle: str, period: Period, kind: str, owned: list[Any],
              deals: list[tuple[Any, str]]) -> Progress:
    """`progress` from the member's customers and open deals (each in the Book's order)."""
    won = won_deals = 0
    for customer in owned:
        if won_in(settings, customer, period.start, min(today, period.end)) is not None:
            won_deals += 1
            won += won_value(customer)
    amount = count = 0
    weighted = 0.0
    for customer, stage in deals:
        close_by = customer.close_by
        if close_by is None or close_by not in period:
            continue
        count += 1
        amount += customer.deal_amount or 0
        weighted += (customer.deal_amount or 0) * settings.stage_by_key[stage].probability
    return Progress(handle, period, kind, target_for(settings, handle, period, kind), won, won_deals, amount,
                    round(weighted), count)
