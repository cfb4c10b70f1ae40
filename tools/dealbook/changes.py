"""Proposed record edits: check them as `dealbook check` would, show the diff, write them atomically."""

from __future__ import annotations

import difflib
import os
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from .book import Book
from .crosschecks import cross_diagnostics
from .diagnostics import ERROR, Diagnostic, sort_key
from .filechecks import read_record
from .reading import open_book_from
from .records import CUSTOMER, FOLLOWUP, TEAM_FILE, customer_path, kind_of
from .writing import atomic_write


@dataclass(frozen=True)
class Change:
    """One file's new text; `before` is None for a new file."""

    path: str  # repo-relative, `/` separators
    before: str | None
    after: str

    @property
    def is_new(self) -> bool:
        return self.before is None


def _read(repo: str, path: str) -> bytes | None:
    try:
        with open(os.path.join(repo, path), "rb") as handle:
            return handle.read()
    except OSError:
        return None


def _problems(diagnostics: Iterable[Diagnostic]) -> Counter[tuple[str, str, str]]:
    return Counter((d.severity, d.code, d.message) for d in diagnostics)


def check_changes(book: Book, repo: str, changes: list[Change]) -> tuple[list[Diagnostic], list[Diagnostic]]:
    """(errors the edits would introduce, other findings in the edited files).

    Each changed file is checked on its own (schema, stages, privacy) and against the
    records it refers to (team members, its customer, unique ids). Errors the file
    already had before the edit do not block it; they are returned with the warnings."""
    settings = book.settings
    changed = {c.path for c in changes}
    new_files = [(c.path, c.after.encode("utf-8")) for c in changes]
    neighbours: dict[str, bytes] = {}
    wanted = {TEAM_FILE}
    for change in changes:
        if kind_of(change.path) == FOLLOWUP:
            wanted.add(customer_path(change.path.split("/")[-2]))
    for path in sorted(wanted - changed):
        raw = _read(repo, path)
        if raw is not None:
            neighbours[path] = raw
    files = [*neighbours.items(), *new_files]
    after_book = open_book_from(settings, files, read_raw=dict(files).get)
    found = [d for d in after_book.diagnostics if d.path in changed]
    found.extend(_duplicate_ids(book, changes, after_book))
    before_files = [(c.path, c.before.encode("utf-8")) for c in changes if c.before is not None]
    before_found: list[Diagnostic] = []
    if before_files:
        before_book = open_book_from(settings, [*neighbours.items(), *before_files],
                                     read_raw=dict([*neighbours.items(), *before_files]).get)
        before_found = [d for d in before_book.diagnostics if d.path in changed]
    old = {path: _problems(d for d in before_found if d.path == path) for path in changed}
    blocking: list[Diagnostic] = []
    other: list[Diagnostic] = []
    seen: dict[str, Counter] = {path: Counter() for path in changed}
    for d in sorted(set(found), key=sort_key):
        key = (d.severity, d.code, d.message)
        seen[d.path][key] += 1
        if d.severity == ERROR and seen[d.path][key] > old[d.path][key]:
            blocking.append(d)
        else:
            other.append(d)
    return blocking, other


def _duplicate_ids(book: Book, changes: list[Change], after_book: Book) -> list[Diagnostic]:
    """A new or edited customer whose id another customer file already uses."""
    found = []
    for change in changes:
        if kind_of(change.path) != CUSTOMER:
            continue
        customer = after_book.customers_by_path.get(change.path)
        if customer is None:
            continue
        for path, other in book.customers_by_path.items():
            if path != change.path and other.id.casefold() == customer.id.casefold():
                line, column = after_book.mark(change.path, ("id",))
                found.append(Diagnostic(change.path, line, column, ERROR, "duplicate-id",
                                        f"id `{customer.id}` is already used by {path}"))
    return found


def read_back(path: str, text: str, book: Book) -> dict:
    """The data of a record text as the checker reads it (empty when unreadable)."""
    data, _ = read_record(path, text.encode("utf-8"), book.settings)
    return data if isinstance(data, dict) else {}


def diff_text(changes: list[Change]) -> str:
    """A unified diff of the changes (what `--dry-run` prints)."""
    out: list[str] = []
    for change in changes:
        before = (change.before or "").splitlines(keepends=True)
        after = change.after.splitlines(keepends=True)
        source = "/dev/null" if change.is_new else f"a/{change.path}"
        out.extend(difflib.unified_diff(before, after, source, f"b/{change.path}"))
        if out and not out[-1].endswith("\n"):
            out[-1] += "\n"
    return "".join(out)


def write_changes(repo: str, changes: list[Change]) -> None:
    """Write every changed file atomically (the checks have passed by now)."""
    for change in changes:
        atomic_write(os.path.join(repo, change.path), change.after)
