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
from ..text.catalog import translator

Finding = tuple[tuple, str, str, str]  # (where, severity, code, message)


def churn_problem(before: str | None, reason: str, settings: Settings, note: str = "lost.note") -> str | None:
    """Why `reason` cannot be the reason of a loss from stage `before` (None when it can), in the
    team's language: a won customer who leaves has churned, and a deal never won is lost for any
    reason but churn. `note` says where the why is written (a key, or words already translated)."""
    _ = translator(settings.language)
    if isinstance(before, str) and settings.is_won(before) and reason != CHURN:
        return _("`%(before)s` is a won stage: a won customer who leaves has churned; write `reason: %(churn)s` "
                 "(%(label)s) and say why in %(note)s", before=before, churn=CHURN,
                 label=settings.label('lost_reasons', CHURN), note=note)
    if reason == CHURN and before and not settings.is_won(before):
        return _("`%(churn)s` is for won customers who stop working with us; this deal was lost from `%(before)s`: "
                 "use another reason", churn=CHURN, before=before)
    return None


def loss_findings(path: str, data: dict[str, Any], settings: Settings) -> Iterator[Finding]:
    history = data.get("stage_history")
    if not isinstance(history, list):
        return
    _ = translator(settings.language)
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
                       _("`%(key)s` belongs to a loss: this entry is `%(stage)s`, not a lost stage; remove it",
                         key=key, stage=stage))
    if not lost:  # never lost (most customers): nothing more to read
        return
    customer = Customer.from_data(path, data)
    reasons = " | ".join(settings.keys_of("lost_reasons"))
    entry_note = _("this entry's note")
    for loss in losses(customer, settings):
        where = places[loss.index]
        if loss.kept_on_entry:
            problem = churn_problem(loss.source, loss.reason, settings, entry_note)
            if problem:
                yield (("stage_history", where, "reason"), ERROR, "churn-reason", problem)
        if loss.latest and loss.kept_on_entry and customer.lost_reason and customer.lost_reason != loss.reason:
            yield (("stage_history", where, "reason"), ERROR, "loss-reason-differs",
                   _("this loss's reason is `%(reason)s` but lost.reason is `%(lost)s`; both describe the latest "
                     "loss: make them the same", reason=loss.reason, lost=customer.lost_reason))
        if not loss.reason and not (loss.latest and is_lost_stage(settings, customer.stage)):
            # (a customer lost now without lost.reason is the stage's own requirement: `stage-requires`)
            yield (("stage_history", where), WARNING, "loss-reason-missing",
                   _("the loss on %(on)s has no reason in the record (re-opened since): add `reason:` (%(reasons)s) "
                     "to this entry; `git log -p %(path)s` shows the lost.reason it had then, if one was written. "
                     "Until then the win/loss report counts it as reason not recorded",
                     on=loss.on or '?', reasons=reasons, path=path))
