"""`KEY=VALUE` edits typed on the command line: read by the schema, applied, and what one would remove."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from typing import Any

from ..records.settings import Settings
from .edits import parse_value, schema_at
from .roundtrip import Document, EditError, split_path

# Changed through their own commands so that history and ids stay consistent.
GUARDED = {"id": "an id never changes once created",
           "stage": "use `dealbook move ID STAGE`, which also records stage_history",
           "stage_history": "use `dealbook move ID STAGE`"}

_ABSENT = object()


@dataclass(frozen=True)
class Assignment:
    """One `KEY=VALUE`: the dotted key, its parts, the value (None: remove the field or item)."""

    key: str
    parts: tuple
    value: Any

    def apply(self, doc: Document) -> None:
        """Make the edit in `doc` (raises EditError when the path cannot be edited)."""
        if self.value is None:
            doc.delete(list(self.parts))
        else:
            doc.set(list(self.parts), self.value)

    def losses(self, doc: Document) -> str:
        """What the edit would remove from `doc`, in words ('' when it keeps all there is): the items
        of a list, or the keys of a mapping, that the new value leaves out or changes."""
        old = doc.get(list(self.parts), _ABSENT)
        if old is _ABSENT:
            return ""
        return dropped(old, self.value)


def read_assignment(text: str, settings: Settings) -> Assignment:
    """`KEY=VALUE` read as the customer schema types KEY (raises ValueError saying what is wrong).

    An empty VALUE (or `null`) removes the field, or the list item (`contacts.2=`); `""` is an empty text."""
    if "=" not in text:
        raise ValueError(f"`{text}`: write KEY=VALUE")
    key, raw = text.split("=", 1)
    key = key.strip()
    try:
        parts = split_path(key)
    except EditError as exc:
        raise ValueError(str(exc)) from None
    if str(parts[0]) in GUARDED:
        raise ValueError(f"`{key}` cannot be set here: {GUARDED[str(parts[0])]}")
    negative = next((p for p in parts if isinstance(p, str) and re.fullmatch(r"-[0-9]+", p)), None)
    if negative is not None:
        raise ValueError(f"`{key}`: list items are numbered from 0 (`.0` is the first), not from the end: "
                         f"write the item's number instead of `{negative}`")
    schema = schema_at("customer", parts, settings)
    if schema is None:
        raise ValueError(f"unknown field `{key}`: see schemas/customer.schema.json "
                         "(team-specific data goes under custom.…)")
    if raw.strip() in ("", "null", "~"):
        return Assignment(key, tuple(parts), None)
    if raw.strip() in ('""', "''") and "string" in str(schema.get("type")):
        return Assignment(key, tuple(parts), "")  # an empty text, as YAML reads it (not the two quotes)
    return Assignment(key, tuple(parts), parse_value(raw, schema, key))


def approvals_added(before: Any, after: Any) -> list[str]:
    """The quote and contract approvals in the record data `after` that `before` does not hold, in
    words: `dealbook approve` writes them, having checked who may approve (never the owner)."""
    def held(data: Any) -> Counter:
        found: Counter = Counter()
        for group in ("quotes", "contracts"):
            items = data.get(group) if isinstance(data, dict) else None
            for item in items if isinstance(items, list) else []:
                approvals = item.get("approvals") if isinstance(item, dict) else None
                for approval in approvals if isinstance(approvals, list) else []:
                    words = (f"{approval.get('step')} by {approval.get('by')} on {approval.get('on')}"
                             if isinstance(approval, dict) else repr(approval))
                    found[(group, str(item.get("no")), words)] += 1
        return found

    before_held = Counter((group, text) for (group, _, text), n in held(before).items() for _ in range(n))
    added = []
    for (group, number, text), count in held(after).items():
        for _ in range(count):
            if before_held[(group, text)]:
                before_held[(group, text)] -= 1  # kept, maybe under a renumbered item
            else:
                added.append(f"{group[:-1]} {number}: {text}")
    return added


def dropped(old: Any, new: Any) -> str:
    """What replacing `old` by `new` (None: removing it) loses, in words; '' when `old` is a single
    value or an empty list or mapping, or when `new` keeps every item and key of `old` unchanged."""
    if isinstance(old, list) and old:
        remaining = list(new) if isinstance(new, list) else []
        gone = []
        for index, item in enumerate(old):
            if item in remaining:
                remaining.remove(item)
            else:
                gone.append(f"item {index} ({_label(item)})")
        return _listed(gone)
    if isinstance(old, dict) and old:
        if not isinstance(new, dict):
            return f"removes it ({_label(old)})"
        kept = new
        gone = [f"{key} ({_label(value)})" for key, value in old.items() if key not in kept]
        changed = [f"{key} ({_label(value)})" for key, value in old.items() if key in kept and kept[key] != value]
        said = [part for part in (_listed(gone), _listed(changed, "changes ")) if part]
        return "; ".join(said)
    return ""


def _listed(items: list[str], verb: str = "removes ") -> str:
    return verb + ", ".join(items) if items else ""


_NAMES = ("no", "name", "item", "step", "stage", "due", "date", "summary")


def _label(value: Any) -> str:
    """A short description of a value: an item by its number or name, what a contract holds."""
    if isinstance(value, dict):
        name = next((f"{key} {value[key]}" for key in _NAMES if value.get(key) not in (None, "")), None)
        facts = [name] if name else []
        if value.get("signed"):
            facts.append(f"signed {value['signed']}")
        payments = [p for p in value.get("payments") or [] if isinstance(p, dict)]
        received = [p for p in payments if p.get("received_on")]
        if payments:
            facts.append(f"{len(payments)} instalment{'s' * (len(payments) != 1)}, {len(received)} received")
        if value.get("received_on"):
            facts.append(f"received {value['received_on']}")
        return ", ".join(facts) or f"{len(value)} key{'s' * (len(value) != 1)}"
    if isinstance(value, list):
        return f"{len(value)} item{'s' * (len(value) != 1)}"
    text = str(value)
    return text if len(text) <= 40 else text[:39] + "…"
