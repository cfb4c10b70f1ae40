"""A change-log line in the team's language: what one commit did to a customer, its fields named
in words and its values shown by their labels (stage names, lost reasons, budget, roles).

`Change.summary` (git/history) stays the plain, language-neutral line the command line and JSON
use; this is the line people read on the site."""

from __future__ import annotations

import re
from typing import Any

from ..records.settings import Settings
from ..text.catalog import N_, translator
from ..text.enums import ENUMS, enum_label
from ..text.money import money
from ..text.numbers import number

# The tracked fields (git/changes.TRACKED) as a reader names them.
FIELD_NAMES = {
    "name": N_("name"),
    "stage": N_("stage"),
    "owner": N_("owner"),
    "support": N_("support"),
    "deal.amount": N_("deal amount"),
    "deal.close_by": N_("expected close date"),
    "need.budget.status": N_("budget status"),
    "need.timeline.start": N_("planned start"),
    "grade.value": N_("manual grade"),
    "contacts": N_("contacts"),
    "lost.reason": N_("lost reason"),
    "paused_until": N_("paused until"),
}
_ROLE = re.compile(r"\(([a-z_]+)\)")


def _value(key: str, value: Any, settings: Settings) -> str:
    _ = translator(settings.language)
    if value is None or value == "":
        return "—"
    if key == "deal.amount":
        return money(value, settings.currency)
    if isinstance(value, int) and not isinstance(value, bool):
        return number(value)
    if key == "stage":
        return settings.stage_label(str(value))
    if key == "lost.reason":
        return settings.label("lost_reasons", str(value))
    if key == "need.budget.status":
        return enum_label(_, "budget", str(value))
    if key == "contacts":  # "张伟 (decision_maker), 李娜 (user)"
        roles = ENUMS["role"]
        return _ROLE.sub(lambda m: f"({enum_label(_, 'role', m.group(1))})" if m.group(1) in roles else m.group(0),
                         str(value))
    return str(value)


def field_words(key: str, old: Any, new: Any, settings: Settings) -> str:
    """`阶段:方案呈现 → 商务谈判`: one tracked field's change, named in words, its values by their labels."""
    _ = translator(settings.language)
    return _("%(field)s %(old)s → %(new)s", field=_(FIELD_NAMES[key]) if key in FIELD_NAMES else key,
             old=_value(key, old, settings), new=_value(key, new, settings))


def change_line(change: Any, settings: Settings) -> str:
    """`创建(阶段:方案呈现)`, `阶段:方案呈现 → 商务谈判;预计金额:¥650,000 → ¥620,000`, `新增跟进 2024-05-08-visit`."""
    _ = translator(settings.language)
    if change.kind == "followup":
        if change.action == "added":
            return _("follow-up %(name)s added", name=change.subject)
        if change.action == "removed":
            return _("follow-up %(name)s removed", name=change.subject)
        return _("follow-up %(name)s edited", name=change.subject)
    if change.action == "created":
        if change.subject:
            return _("created (stage %(stage)s)", stage=settings.stage_label(change.subject))
        return _("created")
    if change.action == "deleted":
        return _("deleted")
    parts = [field_words(key, old, new, settings) for key, old, new in change.fields_changed]
    return _.pgettext("list separator", "; ").join(parts) if parts else _("edited (no tracked field changed)")
