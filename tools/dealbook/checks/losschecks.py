"""Checks of each loss's reason (`records.losses`): a reason only on a lost entry, every loss with
one, the latest loss's entry and `lost.reason` in agreement, and churn only for a won customer."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from ..records.deals import CHURN
from ..records.diagnostics import ERROR, WARNING
from ..records.losses import is_lost_stage, losses
from ..records.model import Customer
from ..records.settings import Settings

Finding = tuple[tuple, str, str, str]  # (where, severity, code, message)


def churn_problem(before: str | None, reason: str, settings: Settings, note: str = "lost.note") -> str | None:
    """Why `reason` cannot be the reason of a loss from stage `before` (None when it can): a won
    customer who leaves has churned, and a deal never won is lost for any reason but churn."""
    if isinstance(before, str) and settings.is_won(before) and reason != CHURN:
        return (f"`{before}` is a won stage: a won customer who leaves has churned; write `reason: {CHURN}` "
                f"({settings.label('lost_reasons', CHURN)}) and say why in {note}")
    if reason == CHURN and before and not settings.is_won(before):
        return f"`{CHURN}` is for won customers who stop working with us; this deal was lost from `{before}`: " \
               "use another reason"
    return None


def loss_findings(path: str, data: dict[str, Any], settings: Settings) -> Iterator[Finding]:
    history = data.get("stage_history")
    if not isinstance(history, list):
        return
    places = [i for i, e in enumerate(history) if isinstance(e, dict)]  # raw positions of the entries read
    lost = False
    for i in places:
        stage = history[i].get("stage")
        if not isinstance(stage, str) or stage not in settings.stage_by_key:
            continue
        if is_lost_stage(settings, stage):
            lost = True
            continue
        for key in ("reason", "note"):
            if key in history[i]:
                yield (("stage_history", i, key), ERROR, "loss-reason-misplaced",
                       f"`{key}` belongs to a loss: this entry is `{stage}`, not a lost stage; remove it")
    if not lost:  # never lost (most customers): nothing more to read
        return
    customer = Customer.from_data(path, data)
    reasons = " | ".join(settings.keys_of("lost_reasons"))
    for loss in losses(customer, settings):
        where = places[loss.index]
        if loss.kept_on_entry:
            problem = churn_problem(loss.source, loss.reason, settings, "this entry's note")
            if problem:
                yield (("stage_history", where, "reason"), ERROR, "churn-reason", problem)
        if loss.latest and loss.kept_on_entry and customer.lost_reason and customer.lost_reason != loss.reason:
            yield (("stage_history", where, "reason"), ERROR, "loss-reason-differs",
                   f"this loss's reason is `{loss.reason}` but lost.reason is `{customer.lost_reason}`; both "
                   "describe the latest loss: make them the same")
        if not loss.reason and not (loss.latest and is_lost_stage(settings, customer.stage)):
            # (a customer lost now without lost.reason is the stage's own requirement: `stage-requires`)
            yield (("stage_history", where), WARNING, "loss-reason-missing",
                   f"the loss on {loss.on or '?'} has no reason in the record (re-opened since): add "
                   f"`reason:` ({reasons}) to this entry; `git log -p {path}` shows the lost.reason it had "
                   "then, if one was written. Until then the win/loss report counts it as reason not recorded")
