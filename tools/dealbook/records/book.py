"""The Book: every record of a repo, indexed, with the diagnostics found while reading them."""

from __future__ import annotations

import bisect
import pickle
from collections.abc import Callable, Iterable
from typing import Any

from .diagnostics import ERROR, Diagnostic
from .load import Loaded, located
from .model import CUSTOMER, CUSTOMERS_DIR, FOLLOWUP, TEAM, Customer, FollowUp, Member, kind_of, members_from_data
from .settings import Settings

GONE: Any = object()  # in `Book.patch`: the file no longer exists


def record_of(path: str, data: Any) -> Customer | FollowUp | None:
    """The customer or follow-up a record file's data makes (None for any other file), as the Book files it."""
    if not isinstance(data, dict):
        return None
    kind = kind_of(path)
    if kind == CUSTOMER:
        return Customer.from_data(path, data)
    if kind == FOLLOWUP:
        return FollowUp.from_data(path, data)
    return None


class Book:
    """All customers, follow-ups and team members of one revision of a records repo."""

    def __init__(
        self,
        settings: Settings,
        records: Iterable[tuple[str, Any]],
        diagnostics: Iterable[Diagnostic] = (),
        read_raw: Callable[[str], bytes | None] | None = None,
        complete: bool = True,
        built: dict[str, Any] | None = None,
    ) -> None:
        """`built` holds records already made from these same data (`record_of`), by path: a
        whole-repo read makes them while the files are still being parsed."""
        self.settings = settings
        self.customers: dict[str, Customer] = {}
        self.customers_by_path: dict[str, Customer] = {}
        self.members: dict[str, Member] = {}
        self.team_path: str | None = None
        self._followups: dict[str, list[FollowUp]] = {}
        self._diagnostics: list[Diagnostic] = list(diagnostics)
        # Findings computed only when first asked for (`defer_diagnostics`): read-only commands never pay
        # for the cross-record checks or for the line numbers of warnings they do not print.
        self._pending: Callable[[Book], list[Diagnostic]] | None = None
        # Each file's own findings (schema, record rules), by path; kept so a patched Book can redo the rest.
        self.file_diagnostics: dict[str, list[Diagnostic]] = {}
        self.paths: list[str] = []
        # False when only some files were read (a PATH-limited check): whole-repo checks are skipped.
        self.complete = complete
        self.root: str | None = None  # the working tree the Book was read from, if any
        # For a PATH-limited Book: every customer file of the repo as the stored index lists it
        # (`checks.customer_index`), so cross-record checks compare with all without reading all.
        self.repo_customers: Any = None  # a `checks.customer_index.CustomerIndex`
        self.background_pid: int | None = None  # a process still running `after` on it (`checks.reading.open_book`)
        self._read_raw = read_raw
        self._marks: dict[str, Loaded] = {}
        self._team_data: Any = None  # the team file's data, as read (kept for the snapshot)
        for path, data in records:
            self.paths.append(path)
            self._add(path, data, built.get(path) if built else None)
        for items in self._followups.values():
            items.sort(key=_followup_order)

    def _add(self, path: str, data: Any, made: Customer | FollowUp | None = None) -> str | None:
        """File one record (`made`: its record_of, when already made); returns the follow-up list's
        key when it was a follow-up."""
        if not isinstance(data, dict):
            return None
        kind = kind_of(path)
        if kind == CUSTOMER:
            customer = made if isinstance(made, Customer) else Customer.from_data(path, data)
            # Two files claiming one id are reported by the cross-record checks; the first wins.
            self.customers.setdefault(customer.id, customer)
            self.customers_by_path[path] = customer
        elif kind == FOLLOWUP:
            followup = made if isinstance(made, FollowUp) else FollowUp.from_data(path, data)
            key = followup.customer or followup.folder
            self._followups.setdefault(key, []).append(followup)
            return key
        elif kind == TEAM:
            self.team_path = path
            self.members = members_from_data(data)
            self._team_data = data
        return None

    @property
    def diagnostics(self) -> list[Diagnostic]:
        """Every finding about the records (computed on first use when deferred)."""
        if self._pending is not None:
            pending, self._pending = self._pending, None
            self._diagnostics = pending(self)
        return self._diagnostics

    @diagnostics.setter
    def diagnostics(self, value: Iterable[Diagnostic]) -> None:
        self._pending = None
        self._diagnostics = list(value)

    def defer_diagnostics(self, compute: Callable[[Book], list[Diagnostic]]) -> None:
        """`book.diagnostics` will be `compute(book)`, computed when first asked for."""
        self._pending = compute

    def patch(self, changes: dict[str, Any], diagnostics: dict[str, list[Diagnostic]] | None = None) -> None:
        """Replace the records of the files in `changes` (path -> new data, or `GONE` when the file was
        removed) and their own findings (`diagnostics`, by path), leaving every other record as it is.
        The result equals a Book built from scratch from the new files."""
        followups_changed = any(kind_of(p) == FOLLOWUP for p in changes)
        touched: set[str] = set()
        emptied: set[str] = set()
        customers_changed = False
        for path, data in changes.items():
            if self.customers_by_path.pop(path, None) is not None:
                customers_changed = True
            at = bisect.bisect_left(self.paths, path)
            listed = at < len(self.paths) and self.paths[at] == path
            key = self._followup_key(path) if listed and followups_changed else None  # a new file is in no list
            if key is not None:
                emptied.add(key)
                remaining = [f for f in self._followups[key] if f.path != path]
                if remaining:
                    self._followups[key] = remaining
                else:
                    del self._followups[key]
            if path == self.team_path:
                self.team_path, self.members, self._team_data = None, {}, None
            self._marks.pop(path, None)
            self.file_diagnostics.pop(path, None)
            if diagnostics and diagnostics.get(path):
                self.file_diagnostics[path] = diagnostics[path]
            if data is GONE:
                if listed:
                    del self.paths[at]
                continue
            if not listed:
                self.paths.insert(at, path)
            customers_changed |= kind_of(path) == CUSTOMER and isinstance(data, dict)
            added = self._add(path, data)
            if added is not None:
                touched.add(added)
        if customers_changed:  # first file (in path order) wins an id, as when built from scratch
            self.customers_by_path = dict(sorted(self.customers_by_path.items()))
            self.customers = {}
            for customer in self.customers_by_path.values():
                self.customers.setdefault(customer.id, customer)
        for key in touched:
            self._followups[key].sort(key=_followup_order)
        # The lists in the order of their first file, as when built from scratch: sorted again only
        # when a changed list's first file is no longer between its neighbours' (see `_in_order`).
        if followups_changed and not self._in_order(touched | emptied):
            self._followups = dict(sorted(self._followups.items(), key=lambda item: _first_path(item[1])))

    def _followup_key(self, path: str) -> str | None:
        """The key of the follow-up list holding the follow-up file `path` (None: none does). A
        follow-up is filed under the customer it names, nearly always its own folder's: that list
        is looked at first, every list only when it is not there."""
        parts = path.split("/")
        if len(parts) > 2 and any(f.path == path for f in self._followups.get(parts[2], ())):
            return parts[2]
        return next((key for key, items in self._followups.items() if any(f.path == path for f in items)), None)

    def _in_order(self, changed: set[str]) -> bool:
        """Whether the follow-up lists are in the order of their first file, given that only the
        lists of `changed` keys changed (or came, or went) since they were: every other pair of
        neighbours kept its order, so only the pairs with a changed list are compared."""
        keys = list(self._followups)
        position = {key: n for n, key in enumerate(keys)} if len(changed) > 8 else None
        for key in changed:
            if key not in self._followups:
                continue
            n = position[key] if position is not None else keys.index(key)
            first = _first_path(self._followups[key])
            if n > 0 and _first_path(self._followups[keys[n - 1]]) > first:
                return False
            if n + 1 < len(keys) and _first_path(self._followups[keys[n + 1]]) < first:
                return False
        return True

    # What a snapshot holds (its layout: a snapshot written with other fields is stale, see `records.snapshot`).
    _SNAPSHOT_FIELDS = ("parts", "followups", "team_path", "file_diagnostics", "complete")
    # records per pickled part: at 10,000 customers 250 wrote and read quickest (0.75, 0.58 s; 2,000: 0.85, 0.66 s)
    SNAPSHOT_PART = 250

    def snapshot_state(self, parts: RecordParts | None = None) -> dict[str, Any]:
        """The records and findings of this Book as plain picklable data (see `from_snapshot`).

        The records go as parts, each a pickle of `SNAPSHOT_PART` (path, data, record)
        triples: pickled in one piece, the Book's memo of millions of objects made writing it
        about twice as slow. `parts` holds parts already pickled while these same records were
        made (see `RecordParts`); the records they do not cover are pickled here. Beside them, the
        paths of each follow-up list in the Book's order, so that a restored Book is filed without
        sorting anything again (each path as its place among the Book's paths)."""
        made = list(parts.blobs) if parts is not None else []
        covered = parts.covered if parts is not None else set()
        pending: list[tuple[str, Any, Any]] = []
        by_path = self.customers_by_path
        left = [path for path in self.paths if path not in covered]
        followups = {f.path: f for f in self.all_followups()} if any(kind_of(p) == FOLLOWUP for p in left) else {}
        for path in left:
            record = by_path.get(path) or followups.get(path)
            pending.append((path, record.data if record is not None else self._raw_data(path), record))
            if len(pending) >= self.SNAPSHOT_PART:
                made.append(pickle.dumps(pending, protocol=pickle.HIGHEST_PROTOCOL))
                pending = []
        if pending:
            made.append(pickle.dumps(pending, protocol=pickle.HIGHEST_PROTOCOL))
        position = {path: n for n, path in enumerate(self.paths)}
        return {"parts": made, "team_path": self.team_path, "file_diagnostics": self.file_diagnostics,
                "complete": self.complete,
                "followups": [(key, [position[f.path] for f in items]) for key, items in self._followups.items()]}

    @classmethod
    def from_snapshot(cls, settings: Settings, state: dict[str, Any],
                      read_raw: Callable[[str], bytes | None] | None = None) -> Book:
        """A Book rebuilt from `snapshot_state()` without re-reading or re-checking any record, equal
        to the Book it was taken of: paths and customers in path order (an id's first file holds
        it), the follow-up lists in their stored order. The parts are unpickled only here, after
        the whole snapshot's signature was verified (`records.snapshot.load`)."""
        records = _in_path_order([pickle.loads(blob) for blob in state["parts"]])
        book = cls(settings, (), read_raw=read_raw, complete=state["complete"])
        if not isinstance(book.complete, bool) or not isinstance(state["file_diagnostics"], dict):
            raise TypeError("a snapshot of another layout")
        book.paths = [r[0] for r in records]
        customers = bisect.bisect_left(book.paths, _AFTER_CUSTOMERS)  # every customer file sorts before this
        book.customers_by_path = {r[0]: r[2] for r in records[:customers] if type(r[2]) is Customer}
        for customer in book.customers_by_path.values():
            book.customers.setdefault(customer.id, customer)
        made = [r[2] for r in records]
        book._followups = {key: [made[n] for n in places] for key, places in state["followups"]}
        team_path = state["team_path"]
        if team_path is not None:
            data = records[bisect.bisect_left(book.paths, team_path)][1]
            book.team_path, book.members, book._team_data = team_path, members_from_data(data), data
        book.file_diagnostics = state["file_diagnostics"]
        return book

    def copy(self, settings: Settings, read_raw: Callable[[str], bytes | None] | None = None) -> Book:
        """A Book holding the same records in lists and maps of its own, so that patching it
        (`patch`) leaves this one as it is; nothing remembered on this Book (marks, rule results)
        is carried over."""
        book = type(self)(settings, (), read_raw=read_raw, complete=self.complete)
        book.customers, book.customers_by_path = dict(self.customers), dict(self.customers_by_path)
        book.members, book.team_path, book._team_data = dict(self.members), self.team_path, self._team_data
        book._followups = {key: list(items) for key, items in self._followups.items()}
        book.file_diagnostics, book.paths = dict(self.file_diagnostics), list(self.paths)
        return book

    def read_error(self, path: str) -> Diagnostic | None:
        """The first error of a file the Book read but holds no record of (a YAML syntax error, a
        wrong encoding, a symbolic link, not a mapping …), for a command that needs that record."""
        if path in self.customers_by_path or path == self.team_path:
            return None
        return next((d for d in self.file_diagnostics.get(path, ()) if d.severity == ERROR), None)

    def _raw_data(self, path: str) -> Any:
        """The data of a file the Book holds no record of: the team's, else None (a file that is not
        a record, or not a mapping: the Book files neither)."""
        return self._team_data if path == self.team_path else None

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
            loaded = located(raw, path) if raw is not None else Loaded(path)
            self._marks[path] = loaded
        return loaded.mark(where)


def _first(item: tuple) -> Any:
    return item[0]


_AFTER_CUSTOMERS = CUSTOMERS_DIR + "0"  # "0" follows "/": every path in the customers folder sorts before it


def _in_path_order(parts: list[list[tuple[str, Any, Any]]]) -> list[tuple[str, Any, Any]]:
    """The records of parts each in path order, all in path order: the parts put in the order of
    their first paths, and the whole sorted only when their ranges overlap (parts made as files
    come in from the parsing processes each hold files of one chunk, a range of paths of its own)."""
    parts = sorted((part for part in parts if part), key=lambda part: part[0][0])
    records = [record for part in parts for record in part]
    if any(parts[n][-1][0] >= parts[n + 1][0][0] for n in range(len(parts) - 1)):
        records.sort(key=_first)
    return records


class RecordParts:
    """Records pickled in parts as they are made (`add`), for a snapshot of the Book they make
    (`Book.snapshot_state`): a whole-repo read pickles each part while the other files are still
    being parsed, not the whole Book in one step after the last."""

    def __init__(self) -> None:
        self.blobs: list[bytes] = []
        self.covered: set[str] = set()
        self._pending: list[tuple[str, Any, Any]] = []

    def add(self, path: str, data: Any, record: Any) -> None:
        """One file's data and its record (`record_of`); a file the Book does not file is left out."""
        if record is None:
            return
        self._pending.append((path, data, record))
        if len(self._pending) >= Book.SNAPSHOT_PART:
            self.flush()

    def flush(self) -> None:
        """Pickle what was added since the last part (in path order: see `_in_path_order`)."""
        if self._pending:
            if any(self._pending[n][0] >= self._pending[n + 1][0] for n in range(len(self._pending) - 1)):
                self._pending.sort(key=_first)
            self.blobs.append(pickle.dumps(self._pending, protocol=pickle.HIGHEST_PROTOCOL))
            self.covered.update(item[0] for item in self._pending)
            self._pending = []


def _first_path(items: list[FollowUp]) -> str:
    """The first file (in path order) of a follow-up list."""
    return min(f.path for f in items)


def _followup_order(followup: FollowUp) -> tuple:
    return (followup.at is None, followup.at or 0, followup.path)
