"""Diagnostics: a finding about one place in one file, as plain data."""

from __future__ import annotations

from typing import NamedTuple

ERROR = "error"
WARNING = "warning"


class Diagnostic(NamedTuple):
    """`path:line:column: severity code message` — formatting is a renderer's job."""

    path: str
    line: int
    column: int
    severity: str
    code: str
    message: str

    def as_dict(self) -> dict[str, object]:
        return self._asdict()


_FIELD_TYPES = (str, int, int, str, str, str)


def from_rows(rows: object) -> list[Diagnostic] | None:
    """Diagnostics from stored rows (a cache), or None when any row is not a diagnostic's shape."""
    if not isinstance(rows, (list, tuple)):
        return None
    found = []
    for row in rows:
        if not isinstance(row, (list, tuple)) or len(row) != 6 or not all(
                isinstance(v, t) and not isinstance(v, bool) for v, t in zip(row, _FIELD_TYPES, strict=True)):
            return None
        found.append(Diagnostic(*row))
    return found


def sort_key(d: Diagnostic) -> tuple[str, int, int, str]:
    return (d.path, d.line, d.column, d.code)


def has_errors(diagnostics: list[Diagnostic], strict: bool = False) -> bool:
    """True when any diagnostic fails the run (warnings too under --strict)."""
    return any(d.severity == ERROR or strict for d in diagnostics)
