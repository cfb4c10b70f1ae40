"""Read-only views kept per customer: after an edit only the customers whose files changed are recomputed.

A view like `dealbook customers` or `dealbook agenda` is one part per customer (a row, a list of
agenda items) plus what is gathered over all of them (owners, the order). `per_customer_view`
stores every customer's part with the stamps of every record file (`reading.scan`). The next run
compares stamps; when only customer and follow-up files changed it reads just those files
(through the parse cache), rebuilds the parts of the customers they belong to in a Book holding
only those customers, and assembles the view from the stored parts. A customer's part depends
on its own file, its follow-up folder, the settings, the day and the code; a change to anything
else (the team, the settings, the code, a new day) recomputes every part from the whole Book.

A repo where a record lives somewhere other than its id says (a customer file named for another
id, a follow-up in another customer's folder, one id in two files) is always recomputed whole:
there a customer's records are not all in its own files.
"""

from __future__ import annotations

import contextlib
import gc
import hashlib
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .. import __version__
from ..records.book import Book
from ..records.cachefile import has_keys, load_marshal, save_marshal
from ..records.model import CUSTOMER, CUSTOMERS_DIR, FOLLOWUP, FOLLOWUPS_DIR, TEAM_FILE, Customer, kind_of
from ..records.settings import Settings
from .filecache import CACHE_DIR, Stamp, cache_key, changed_paths, read_cached, scan
from .reading import open_book

FORMAT = 1
INCREMENTAL_SHARE = 0.25  # beyond this share of changed customers, the whole Book is cheaper


@dataclass(frozen=True)
class PerCustomer:
    """A view computed customer by customer: `part(book, customer)` is one customer's plain data
    (marshal-able: no dates, ISO text instead), `whole(parts, members)` the view from every part in
    the Book's customer order and the team's handles. `code`: the modules whose source it depends on."""

    name: str
    part: Callable[[Book, Customer], Any]
    whole: Callable[[list[Any], list[str]], Any]
    code: tuple[str, ...] = ()


def compute_view(book: Book, view: PerCustomer) -> Any:
    """The view computed from scratch on a Book (a git revision, or when nothing is stored)."""
    return view.whole([view.part(book, c) for c in book.customers.values()], sorted(book.members))


def per_customer_view(repo: str, settings: Settings, view: PerCustomer, key: Any) -> Any:
    """The view of the repo's records as of `key` (the day the rules run as of), answered from
    `.dealbook-cache/view-<name>.marshal` and recomputed only for the customers whose files changed."""
    collecting = gc.isenabled()
    gc.disable()  # hundreds of thousands of stamps and parts, none in a cycle: no collector passes
    try:
        return _view(os.path.abspath(repo), settings, view, key)
    finally:
        if collecting:
            gc.enable()


def _view(repo: str, settings: Settings, view: PerCustomer, key: Any) -> Any:
    scanned = scan(repo)
    filename = os.path.join(repo, CACHE_DIR, f"view-{view.name}.marshal")
    expected = _global_key(settings, view, key)
    stored = _load(filename, expected)
    if stored is not None:
        if stored["stamps"] == scanned:
            return stored["value"]
        parts = _patched_parts(repo, settings, view, stored, scanned)
        if parts is not None:
            members = stored["members"]
            value = view.whole([parts[path] for path in sorted(parts)], members)
            _save(filename, expected, scanned, members, parts, value)
            return value
    book = open_book(repo, settings=settings, snapshot=True, scanned=scanned)
    members = sorted(book.members)
    parts = {c.path: view.part(book, c) for c in book.customers.values()}
    value = view.whole(list(parts.values()), members)
    _save(filename, expected, scanned, members, None if _irregular(book) else parts, value)
    return value


def _stem(path: str) -> str:
    return path.rsplit("/", 1)[-1].rsplit(".", 1)[0]


def _patched_parts(repo: str, settings: Settings, view: PerCustomer, stored: dict[str, Any],
                   scanned: dict[str, Stamp]) -> dict[str, Any] | None:
    """The stored parts with those of every customer whose files changed recomputed; None when
    something else changed (or too much did) and the whole view must be recomputed."""
    parts: dict[str, Any] = stored["parts"]
    affected: set[str] = set()
    changed = changed_paths(stored["stamps"], scanned)
    for path in changed:
        kind = kind_of(path)
        if kind == CUSTOMER:
            affected.add(path)
        elif kind == FOLLOWUP:
            folder = path.split("/")[2]
            affected.update(p for p in (f"{CUSTOMERS_DIR}/{folder}.yaml", f"{CUSTOMERS_DIR}/{folder}.yml")
                            if p in scanned or p in parts)
        else:
            return None  # the team or a file no record kind claims: recompute everything
    if len(affected) > INCREMENTAL_SHARE * len(parts) + 10:
        return None
    # Changed follow-ups are read even in a folder without a customer: one claiming another
    # customer makes the repo irregular.
    files: list[str] = [p for p in changed if kind_of(p) == FOLLOWUP and p in scanned]
    for path in sorted(affected):
        if path not in scanned:
            continue
        files.append(path)
        folder = f"{FOLLOWUPS_DIR}/{_stem(path)}"
        try:
            names = os.listdir(os.path.join(repo, folder))
        except OSError:
            names = []
        inside = (f"{folder}/{name}" for name in sorted(names))
        files.extend(p for p in inside if p in scanned and kind_of(p) == FOLLOWUP)
    if TEAM_FILE in scanned:
        files.append(TEAM_FILE)  # unchanged, but a part may depend on it (who reviews leads, who can help)
    results = read_cached(repo, sorted(set(files)), settings, scanned)
    records = sorted((path, result[0]) for path, result in results.items())
    book = Book(settings, records)
    if _irregular(book):
        return None
    for path in affected:
        customer = book.customers_by_path.get(path)
        if customer is None:
            parts.pop(path, None)
        else:
            parts[path] = view.part(book, customer)
    return parts


def _irregular(book: Book) -> bool:
    """True when a record lives somewhere other than its id says (see the module's note)."""
    if len(book.customers) != len(book.customers_by_path):
        return True
    if any(c.id != _stem(path) for path, c in book.customers_by_path.items()):
        return True
    return any(f.customer and f.customer != f.folder for f in book.all_followups())


def _global_key(settings: Settings, view: PerCustomer, key: Any) -> str:
    """Everything every part depends on besides the customer's own files."""
    digest = hashlib.sha256(f"{FORMAT}|{__version__}|{cache_key(settings)}|{key!r}".encode())
    for module in view.code:
        source = getattr(sys.modules.get(module), "__file__", None)
        if source:
            with open(source, "rb") as handle:
                digest.update(handle.read())
    return digest.hexdigest()


def _load(filename: str, expected: str) -> dict[str, Any] | None:
    """The stored view when it is for `expected` and can be patched; else None (any unreadable file too)."""
    stored = load_marshal(filename, lambda v: has_keys(v, stamps=dict, parts=dict, members=list) and "value" in v)
    return stored if stored is not None and stored.get("global") == expected else None


def _save(filename: str, expected: str, scanned: dict[str, Stamp], members: list[str],
          parts: dict[str, Any] | None, value: Any) -> None:
    """Store the view; `parts` None (an irregular repo) stores nothing, so the next run recomputes."""
    if parts is None:
        with contextlib.suppress(OSError):
            os.unlink(filename)
        return
    save_marshal(filename, {"global": expected, "stamps": scanned, "members": members, "parts": parts,
                            "value": value})
