"""What an import will do, row by row: the plan and the options it was made with."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from ..text.catalog import Said

NEW, UPDATED, UNCHANGED, REJECTED = "new", "updated", "unchanged", "rejected"


@dataclass
class Planned:
    """What one row will do: its status, the record path, the data before and after, or why not."""

    row: int
    status: str
    path: str = ""
    label: str = ""
    before: dict[str, Any] | None = None
    after: dict[str, Any] | None = None
    reasons: list[str] = field(default_factory=list)


@dataclass
class Plan:
    """The outcome of reading a sheet: one entry per data row, in sheet order."""

    kind: str
    entries: list[Planned] = field(default_factory=list)
    notes: list[str | Said] = field(default_factory=list)  # said in the team's language where shown

    def count(self, status: str) -> int:
        return sum(1 for e in self.entries if e.status == status)

    @property
    def writes(self) -> list[Planned]:
        return [e for e in self.entries if e.status in (NEW, UPDATED)]

    @property
    def rejected(self) -> list[Planned]:
        return [e for e in self.entries if e.status == REJECTED]


@dataclass(frozen=True)
class Options:
    """Choices the user makes on the command line."""

    today: dt.date
    phone_kind: str | None = None  # "work": mobiles in the sheet are company-issued
    province: str | None = None  # for rows whose region names no province
    default_time: str = "00:00"  # a follow-up date without a time is recorded at this time
