"""Each loss in a customer's stage_history, with its own reason.

A customer can be lost, re-opened and lost again. The `lost` block (`reason`, `note`) describes
the latest loss only; the reason of an earlier one is kept on its own stage_history entry
(`- {stage: lost, on: 2024-01-20, reason: no_need}`), where `dealbook move` writes it when the
customer is re-opened or lost again. So a loss's reason is its entry's `reason`, else, for the
latest loss, `lost.reason`, else not recorded (""), as in records made before entries held one.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from .model import Customer
from .settings import Settings


@dataclass(frozen=True)
class Loss:
    """One move to a lost stage: the stage_history entry that records it and the reason of that loss."""

    index: int  # the entry's position in stage_history (dicts counted)
    on: dt.date | None
    source: str  # the stage it was lost from ("" when the history starts lost)
    reason: str  # "" when the record does not say
    note: str
    latest: bool  # the customer's latest loss: the one the `lost` block describes
    kept_on_entry: bool  # the reason is written on the entry itself (else it is the `lost` block's, or none)


def is_lost_stage(settings: Settings, stage: str) -> bool:
    found = settings.stage_by_key.get(stage)
    return found is not None and found.kind == "lost"


def losses(customer: Customer, settings: Settings) -> tuple[Loss, ...]:
    """Every loss in the history, oldest first: each entry entering a lost stage from another
    stage (a repeated lost entry is the same loss), with the reason of that loss."""
    history = customer.stage_history
    found = [i for i, e in enumerate(history)
             if is_lost_stage(settings, e.stage) and (i == 0 or history[i - 1].stage != e.stage)]
    out = []
    for i in found:
        entry = history[i]
        latest = i == found[-1]
        reason, note = entry.reason, entry.note
        if not reason and latest:
            reason, note = customer.lost_reason, note or _text(customer.get("lost.note"))
        out.append(Loss(i, entry.on, history[i - 1].stage if i else "", reason, note, latest, bool(entry.reason)))
    return tuple(out)


def kept_on_entry(data: dict, settings: Settings) -> tuple[int, dict[str, str]] | None:
    """What to write when the latest loss becomes an earlier one (the customer is re-opened or lost
    again, and the `lost` block will describe another loss): (the loss's position in the raw
    stage_history list, {"reason": …, "note": …} to set on that entry). None when there is nothing
    to keep: no loss, a reason on its entry already, or none known."""
    known = losses(Customer.from_data("", data), settings)
    latest = known[-1] if known else None
    if latest is None or latest.kept_on_entry or not latest.reason:
        return None
    history = data.get("stage_history") or []
    where = [i for i, e in enumerate(history) if isinstance(e, dict)][latest.index]
    values = {"reason": latest.reason}
    if latest.note and not history[where].get("note"):
        values["note"] = latest.note
    return where, values


def _text(value: object) -> str:
    return value if isinstance(value, str) else ""
