"""The Book: every record of a repo, indexed, with the diagnostics found while reading them."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from .diagnostics import Diagnostic
from .load import Loaded, parse_bytes
from .model import CUSTOMER, FOLLOWUP, TEAM, Customer, FollowUp, Member, kind_of, members_from_data
from .settings import Settings


class Book:
    """All customers, follow-ups and team members of one revision of a records repo."""

    def __init__(
        self,
        settings: Settings,
        records: Iterable[tuple[str, Any]],
        diagnostics: Iterable[Diagnostic] = (),
        read_raw: Callable[[str], bytes | None] | None = None,
        complete: bool = True,
    ) -> None:
        self.settings = settings
        self.customers: dict[str, Customer] = {}
        self.customers_by_path: dict[str, Customer] = {}
        self.members: dict[str, Member] = {}
        self.team_path: str | None = None
        self._followups: dict[str, list[FollowUp]] = {}
        self.diagnostics: list[Diagnostic] = list(diagnostics)
        self.paths: list[str] = []
        # False when only some files were read (a PATH-limited check): whole-repo checks are skipped.
        self.complete = complete
        self.root: str | None = None  # the working tree the Book was read from, if any
        self._read_raw = read_raw
        self._marks: dict[str, Loaded] = {}
        for path, data in records:
            self.paths.append(path)
            if not isinstance(data, dict):
                continue
            kind = kind_of(path)
            if kind == CUSTOMER:
                customer = Customer.from_data(path, data)
                # Two files claiming one id are reported by the cross-record checks; the first wins.
                self.customers.setdefault(customer.id, customer)
                self.customers_by_path[path] = customer
            elif kind == FOLLOWUP:
                followup = FollowUp.from_data(path, data)
                self._followups.setdefault(followup.customer or followup.folder, []).append(followup)
            elif kind == TEAM:
                self.team_path = path
                self.members = members_from_data(data)
        for items in self._followups.values():
            items.sort(key=_followup_order)

    _SNAPSHOT_FIELDS = ("customers", "customers_by_path", "members", "team_path", "_followups",
                        "diagnostics", "paths", "complete")

    def snapshot_state(self) -> dict[str, Any]:
        """The records and findings of this Book as plain picklable data (see `from_snapshot`)."""
        return {name: getattr(self, name) for name in self._SNAPSHOT_FIELDS}

    @classmethod
    def from_snapshot(cls, settings: Settings, state: dict[str, Any],
                      read_raw: Callable[[str], bytes | None] | None = None) -> Book:
        """A Book rebuilt from `snapshot_state()` without re-reading or re-checking any record."""
        book = cls(settings, (), read_raw=read_raw)
        for name in cls._SNAPSHOT_FIELDS:
            setattr(book, name, state[name])
        return book

    def followups_of(self, customer_id: str) -> list[FollowUp]:
        """The customer's follow-ups, oldest first."""
        return self._followups.get(customer_id, [])

    def all_followups(self) -> Iterable[FollowUp]:
        for items in self._followups.values():
            yield from items

    @property
    def followup_customers(self) -> Iterable[str]:
        return self._followups.keys()

    def mark(self, path: str, where: tuple) -> tuple[int, int]:
        """Line and column of `where` in the file at `path` (re-reads that one file on demand)."""
        loaded = self._marks.get(path)
        if loaded is None:
            raw = self._read_raw(path) if self._read_raw else None
            loaded = parse_bytes(raw, path) if raw is not None else Loaded(path)
            self._marks[path] = loaded
        return loaded.mark(where)


def _followup_order(followup: FollowUp) -> tuple:
    return (followup.at is None, followup.at or 0, followup.path)
