"""A stored index of every customer file, so a check of a few files needs no read of the whole repo.

`dealbook check FILE` (what the pre-commit hook runs) compares the files it checks with every
other customer: ids must be unique, names must not look like another company's, contract
numbers must be unique. Instead of reading 10,000 customer files each time, it reads
`.dealbook-cache/customers.marshal`: per customer file its stamp (size, mtime, ctime, inode, as
`reading.scan` takes them), id, name, normalised name, contract numbers and owner. The index is
kept current the way the parse cache is: the customers folder is stat'ed, and only files whose
stamps changed are read again (through the parse cache). So a one-file check costs one folder
listing, whatever the size of the repo.
"""

from __future__ import annotations

import os
import time
from typing import Any, NamedTuple

from ..records.book import Book
from ..records.cachefile import has_keys, load_marshal, save_marshal
from ..records.model import CUSTOMERS_DIR, Customer
from ..records.settings import Settings
from .dedupe import normalise_name
from .filecache import CACHE_DIR, RACY_NS, Stamp, cache_key, read_cached, settle

INDEX_FILE = "customers.marshal"
FORMAT = 1


class IndexEntry(NamedTuple):
    """What the cross-record checks compare of one customer file."""

    path: str
    id: str
    name: str
    key: str  # the name as compared (`dedupe.normalise_name`)
    numbers: tuple[str, ...]  # contract numbers
    owner: str


def _entry(path: str, data: Any) -> tuple | None:
    """The index row of one customer file's data (None when it is not a mapping)."""
    if not isinstance(data, dict):
        return None
    return _row(Customer.from_data(path, data))


def _row(customer: Customer) -> tuple:
    return (customer.id, customer.name, normalise_name(customer.name),
            tuple(c.no for c in customer.contracts if c.no), customer.owner)


def stamp_customers(repo: str) -> dict[str, Stamp]:
    """The stamp of every customer file (one folder listing)."""
    found: dict[str, Stamp] = {}
    since = time.time_ns() - RACY_NS
    try:
        entries = list(os.scandir(os.path.join(repo, CUSTOMERS_DIR)))
    except OSError:
        return found
    for entry in entries:
        name = entry.name
        if name[0] == "." or not name.endswith((".yaml", ".yml")):  # `kind_of`'s test for this folder
            continue
        try:
            if not entry.is_file():
                continue
            st = entry.stat()
        except OSError:
            continue
        key = (st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino)  # `stat_key`, inlined: 10,000 calls
        found[f"{CUSTOMERS_DIR}/{name}"] = settle(entry.path, key, since) if key[1] >= since or key[2] >= since \
            else key
    return found


def _load(filename: str, expected: str) -> dict[str, tuple]:
    stored = load_marshal(filename, lambda v: has_keys(v, key=str, format=int, entries=dict))
    if stored is None or stored["key"] != expected or stored["format"] != FORMAT:
        return {}
    return stored["entries"]


def customer_index(repo: str, settings: Settings, book: Book | None = None,
                   scanned: dict[str, Stamp] | None = None) -> list[IndexEntry]:
    """Every customer file's index row, in path order, brought up to date first. With `book` (a
    whole-repo Book just read) and the `scanned` stamps it was read at, rows of files whose stamps
    are still those come from the Book instead of the files."""
    repo = os.path.abspath(repo)
    filename = os.path.join(repo, CACHE_DIR, INDEX_FILE)
    expected = cache_key(settings)
    stored = _load(filename, expected)
    stamps = stamp_customers(repo)
    changed = [path for path, stamp in stamps.items() if (stored.get(path) or (None,))[0] != stamp]
    gone = [path for path in stored if path not in stamps]
    if changed:
        rows: dict[str, tuple | None] = {}
        if book is not None and book.complete and scanned is not None:
            by_path = book.customers_by_path  # a file read but not a mapping is not in it: no row
            rows = {p: (_row(by_path[p]) if p in by_path else None)
                    for p in changed if scanned.get(p) == stamps[p]}
        unread = [p for p in changed if p not in rows]
        rows.update({p: _entry(p, result[0]) for p, result in read_cached(repo, unread, settings, stamps).items()})
        for path in changed:
            stored[path] = (stamps[path], rows.get(path))
    for path in gone:
        del stored[path]
    if changed or gone:
        save_marshal(filename, {"key": expected, "format": FORMAT, "entries": stored})
    make = IndexEntry._make
    return [make((path, *row)) for path, (_, row) in sorted(stored.items()) if row is not None]
