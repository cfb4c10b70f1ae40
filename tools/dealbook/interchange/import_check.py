"""Checking an import plan before anything is written: each record as `dealbook check` would see it."""

from __future__ import annotations

import collections
import functools
import multiprocessing
from collections.abc import Callable, Iterator
from typing import Any

from ..checks.filechecks import read_record
from ..records.book import Book
from ..records.diagnostics import ERROR, Diagnostic
from ..records.settings import Settings
from ..text.catalog import SaidError, Translator, translator
from .import_plan import NEW, REJECTED, UPDATED, Plan, Planned
from .sheets import CUSTOMERS


# --- checking the plan before anything is written ---------------------------------------------
def render(kind: str, data: dict[str, Any], before_text: str | None, before: dict[str, Any] | None) -> str:
    """The file text for a planned record: new files from the record template, edits keep comments."""
    from ..editing import roundtrip

    if before_text is None or before is None:
        return render_new(kind, data)
    document = roundtrip.loads(before_text)
    for where, value in _changes(before, data):
        document.set(list(where), value)
    for key in [k for k in before if k not in data]:
        document.set([key], None)  # never happens for sheet imports, which only add and change
    return document.dumps()  # the file's own line endings


@functools.cache
def _schema(kind: str) -> dict[str, Any]:
    import json

    from ..records.schema import schema_text

    return json.loads(schema_text(kind))


def render_new(kind: str, data: dict[str, Any]) -> str:
    """A new record file as `roundtrip.render_new` writes it (modeline, keys in schema order), without
    compiling its template for every one of thousands of records; check_plan verifies the text reads back."""
    from ..editing import roundtrip

    ordered = roundtrip._ordered(data, _schema(kind))
    body = "\n".join(roundtrip.render_block(ordered, 0))
    return f"{roundtrip.MODELINE}{roundtrip.SCHEMA_PATHS[kind]}\n{body}\n"


def _changes(before: Any, after: Any, where: tuple = ()) -> Iterator[tuple[tuple, Any]]:
    if isinstance(before, dict) and isinstance(after, dict):
        for key, value in after.items():
            if key not in before:
                yield (*where, key), value
            elif before[key] != value:
                yield from _changes(before[key], value, (*where, key))
    elif before != after:
        yield where, after


_SLIM = {"customer": ("id", "name", "owner", "support"), "followup": ("customer", "at", "by", "next")}


def _check_one(kind: str, settings: Settings, path: str, after: dict[str, Any] | None,
               before: dict[str, Any] | None, before_text: str | None) -> tuple[str | None, list[str], Any]:
    """(text, [], slim data) for a record that passes `dealbook check`'s file checks, else (None, reasons, None)."""
    try:
        text = render(kind, after or {}, before_text, before)
    except Exception as exc:  # an edit the renderer cannot place: reject the row, keep going
        _ = translator(settings.language)
        return None, [_("cannot write the record: %(error)s",
                        error=exc.text(_) if isinstance(exc, SaidError) else str(exc))], None
    data, diagnostics = read_record(path, text.encode("utf-8"), settings)
    errors = [d for d in diagnostics if d.severity == ERROR]
    if any(d.code == "privacy-mobile" for d in errors):
        errors = [d for d in errors if d.code != "phone-kind"]  # one cause, one message
    if errors:
        _ = translator(settings.language)
        return None, [_explain(d, _) for d in errors], None
    if not _reads_back(after, data):
        _ = translator(settings.language)
        return None, [_("internal: the written record would not read back as the row")], None
    return text, [], {k: data[k] for k in _SLIM[kind] if k in data}


_worker: tuple[str, Settings] | None = None  # set before the pool forks; workers inherit it


def _check_batch(items: list[tuple]) -> list[tuple[str | None, list[str], Any]]:
    assert _worker is not None
    kind, settings = _worker
    return [_check_one(kind, settings, *item) for item in items]


class Checker:
    """Renders each planned record as it is planned and checks it as `dealbook check` would.

    Works row by row so a 50,000-row import keeps only the texts to write and a few fields per
    record for the cross-record checks, not every record's data twice. With `jobs` > 1,
    rendering and checking run in batches on a process pool (most of an import's time)."""

    def __init__(self, kind: str, book: Book, read_text: Callable[[str], str | None], keep_data: bool = True,
                 jobs: int = 1, batch: int = 500, parallel_from: int = 2000) -> None:
        self.kind = "customer" if kind == CUSTOMERS else "followup"
        self.book = book
        self.read_text = read_text
        self.keep_data = keep_data
        self.texts: dict[str, str] = {}
        self.slim: dict[str, dict[str, Any]] = {}
        self.entries: dict[str, Planned] = {}
        self.jobs = jobs if "fork" in multiprocessing.get_all_start_methods() else 1
        self.batch = batch
        self.parallel_from = parallel_from  # a pool pays for itself only on big sheets
        self._added = 0
        self._queue: list[tuple[Planned, tuple]] = []
        self._inflight: collections.deque = collections.deque()
        self._pool: Any = None

    def add(self, entry: Planned, at_once: bool = False) -> None:
        """Render and check one new or updated record; a failure rejects the entry. With `at_once`,
        the entry is settled before this returns (the caller decides by it), also on a process pool.

        An earlier record of the same path that passed keeps its text until this one passes: when
        this one is rejected, the earlier one is still written."""
        before_text = self.read_text(entry.path) if entry.status == UPDATED else None
        item = (entry.path, entry.after, entry.before, before_text)
        self._added += 1
        if at_once or self.jobs <= 1 or self._added <= self.parallel_from:
            self._settle(entry, _check_one(self.kind, self.book.settings, *item))
            return
        self._queue.append((entry, item))
        if len(self._queue) >= self.batch:
            self._submit()

    def discard(self, path: str) -> None:
        """Forget the record planned for `path`: a later row of the sheet leaves it as it is."""
        self.texts.pop(path, None)
        self.slim.pop(path, None)
        self.entries.pop(path, None)

    def _submit(self) -> None:
        global _worker
        if self._pool is None:
            _worker = (self.kind, self.book.settings)
            self._pool = multiprocessing.get_context("fork").Pool(self.jobs)
        entries = [(entry, item[0]) for entry, item in self._queue]
        items = [item for _, item in self._queue]
        self._queue = []
        self._inflight.append((entries, self._pool.apply_async(_check_batch, (items,))))
        while len(self._inflight) > 2 * self.jobs:  # bounded: a few batches in flight at most
            self._collect()

    def _collect(self) -> None:
        entries, result = self._inflight.popleft()
        for (entry, path), outcome in zip(entries, result.get(), strict=True):
            self._settle(entry, outcome, path)

    def _drain(self) -> None:
        if self._queue:
            self._submit()
        while self._inflight:
            self._collect()

    def _settle(self, entry: Planned, outcome: tuple[str | None, list[str], Any], path: str | None = None) -> None:
        text, reasons, slim = outcome
        if path is not None and (entry.path != path or entry.status not in (NEW, UPDATED)):
            return  # a later row of the sheet superseded this one while it was being checked
        if text is None:
            entry.status, entry.reasons = REJECTED, reasons
            return
        self.texts[entry.path] = text
        self.slim[entry.path] = slim
        self.entries[entry.path] = entry
        if not self.keep_data:
            entry.after = entry.before = None

    def close(self) -> None:
        global _worker
        if self._pool is not None:
            self._pool.close()
            self._pool.join()
            self._pool = None
            _worker = None

    def recall(self, path: str) -> dict[str, Any] | None:
        """The data of a record planned earlier in this run (a later row names the same customer)."""
        from ..records.load import parse_text

        self._drain()
        text = self.texts.get(path)
        return parse_text(text, path).data if text is not None else None

    def finish(self) -> dict[str, str]:
        """Cross-record checks (owners on the team, follow-ups' customers exist, unique ids) on the repo
        as it would be after the import; returns path → text for the records that passed."""
        from ..checks.crosschecks import _findings

        try:
            self._drain()
        finally:
            self.close()
        if not self.texts:
            return {}
        records: dict[str, Any] = {p: c.data for p, c in self.book.customers_by_path.items()}
        if self.book.team_path:
            records[self.book.team_path] = {"members": [m.__dict__ for m in self.book.members.values()]}
        records.update(self.slim)
        after = Book(self.book.settings, sorted(records.items()))
        problems: dict[str, list[str]] = {}
        for path, _, severity, code, message in _findings(after):
            if severity == ERROR and path in self.texts:
                problems.setdefault(path, []).append(f"{code}: {message}")
        for path, reasons in problems.items():
            entry = self.entries.get(path)
            if entry is not None:
                entry.status, entry.reasons = REJECTED, reasons
            self.texts.pop(path, None)
        return self.texts


def check_plan(plan: Plan, book: Book, read_text: Callable[[str], str | None]) -> dict[str, str]:
    """Render every planned write and run `dealbook check` on it; failures become rejections.

    Returns path → the text to write for the entries that passed."""
    checker = Checker(plan.kind, book, read_text)
    for entry in plan.writes:
        checker.add(entry)
    return checker.finish()


def _reads_back(wanted: Any, read: Any) -> bool:
    """Whether the file read back holds every value written (schema validation may add defaults)."""
    if isinstance(wanted, dict):
        return isinstance(read, dict) and all(k in read and _reads_back(v, read[k]) for k, v in wanted.items())
    if isinstance(wanted, list):
        return isinstance(read, list) and len(read) == len(wanted) and all(
            _reads_back(w, r) for w, r in zip(wanted, read, strict=True))
    return wanted == read and type(wanted) is type(read)


def _explain(d: Diagnostic, _: Translator) -> str:
    """A rejected row's reason: the check's code and message (in the team's language)."""
    if d.code == "privacy-mobile":
        return "privacy-mobile: " + _(
            "the row holds a personal mobile number, which must not be recorded (privacy); give a work phone or "
            "company IM instead, or, if the sheet's mobiles are company-issued, import with --phone-kind work")
    return f"{d.code}: {d.message}"
