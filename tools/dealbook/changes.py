"""What changed between two Books, per customer, as plain data (the review summary's content)."""

from __future__ import annotations

from typing import Any

# Fields a reviewer (and the change log) cares about, in the order they are reported.
TRACKED: tuple[str, ...] = (
    "name",
    "stage",
    "owner",
    "support",
    "deal.amount",
    "deal.close_by",
    "need.budget.status",
    "need.timeline.start",
    "grade.value",
    "contacts",
    "lost.reason",
    "paused_until",
)


def _get(data: Any, dotted: str) -> Any:
    value = data
    for part in dotted.split("."):
        if not isinstance(value, dict):
            return None
        value = value.get(part)
    return value


def tracked_value(data: Any, key: str) -> Any:
    """A tracked field's value in comparable, printable form (contacts as `name (role)` strings)."""
    value = _get(data, key)
    if key == "contacts":
        if not isinstance(value, list):
            return None
        shown = [f"{c.get('name', '')} ({c.get('role', '')})" for c in value if isinstance(c, dict)]
        return ", ".join(shown) or None
    if key == "support" and isinstance(value, list):
        return ", ".join(str(v) for v in value) or None
    if value == "" or value == []:
        return None
    return value


def field_changes(before: Any, after: Any) -> list[tuple[str, Any, Any]]:
    """(field, old, new) for every tracked field whose value differs between two customer mappings."""
    found = []
    for key in TRACKED:
        old, new = tracked_value(before, key), tracked_value(after, key)
        if old != new:
            found.append((key, old, new))
    return found


def _show(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}"
    return str(value)


def describe_fields(fields: list[tuple[str, Any, Any]] | tuple) -> str:
    """`stage proposal → negotiation; deal.amount 650,000 → 620,000`."""
    return "; ".join(f"{key} {_show(old)} → {_show(new)}" for key, old, new in fields)
