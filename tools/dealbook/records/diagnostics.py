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


def sort_key(d: Diagnostic) -> tuple[str, int, int, str]:
    return (d.path, d.line, d.column, d.code)


def has_errors(diagnostics: list[Diagnostic], strict: bool = False) -> bool:
    """True when any diagnostic fails the run (warnings too under --strict)."""
    return any(d.severity == ERROR or strict for d in diagnostics)
