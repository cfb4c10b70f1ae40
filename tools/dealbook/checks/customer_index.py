"""A stored index of every customer file, so a check of a few files needs no read of the whole repo.

`dealbook check FILE` (what the pre-commit hook runs) compares the files it checks with every
other customer: ids must be unique, names must not look like another company's, contract
numbers must be unique. Instead of reading 10,000 customer files each time, it asks
`.dealbook-cache/customers.sqlite`, an SQLite database holding per customer file its id, name,
normalised name and contract numbers, each looked up by key (the id, the number, or one of the
name's one-character deletions): nothing is built per customer of the repo.

The index is kept current the way the parse cache is: the customers folder is stat'ed, and only
files whose stamps (size, mtime, ctime, inode, as `filecache.scan` takes them) changed are read
again (through the parse cache). The stamps the index reflects are kept in the same database as
one signed blob, written in the same transaction as the rows they describe. So a one-file check
costs one folder listing with a stat per customer file, and a few indexed queries.
"""

from __future__ import annotations

import json
import marshal
import os
import time
from typing import Any

from ..records.book import Book
from ..records.cachefile import open_sqlite_cache, sign, verify
from ..records.model import CUSTOMERS_DIR, Customer
from ..records.settings import Settings
from .dedupe import name_variants, normalise_name
from .filecache import CACHE_DIR, RACY_NS, Stamp, cache_key, read_cached, settle

INDEX_FILE = "customers.sqlite"
FORMAT = 3
_SCHEMA = (
    "customers (path TEXT PRIMARY KEY, id TEXT, folded TEXT, name TEXT, key TEXT, numbers TEXT) WITHOUT ROWID",
    "CREATE INDEX customers_folded ON customers (folded)",
    "CREATE TABLE numbers (number TEXT, path TEXT, PRIMARY KEY (number, path)) WITHOUT ROWID",
    # the name key and each one-character deletion of it (`dedupe.name_variants`)
    "CREATE TABLE variants (variant TEXT, path TEXT, PRIMARY KEY (variant, path)) WITHOUT ROWID",
    "CREATE TABLE stamps (blob BLOB)",  # one row: the signed stamps of every file the rows reflect
)

Row = tuple[str, str, str, tuple[str, ...]]  # id, name, normalised name, contract numbers


def _entry(path: str, data: Any) -> Row | None:
    """The index row of one customer file's data (None when it is not a mapping)."""
    if not isinstance(data, dict):
        return None
    return _row(Customer.from_data(path, data))


def _row(customer: Customer) -> Row:
    return (customer.id, customer.name, normalise_name(customer.name),
            tuple(c.no for c in customer.contracts if c.no))


def stamp_customers(repo: str) -> dict[str, Stamp]:
    """The stamp of every customer file (one folder listing, then each file stat'ed by its name in
    the folder's descriptor where the platform allows: the kernel looks up one name, not a path)."""
    found: dict[str, Stamp] = {}
    since = time.time_ns() - RACY_NS
    folder = os.path.join(repo, CUSTOMERS_DIR)
    at = os.stat in os.supports_dir_fd and os.listdir in os.supports_fd
    fd = None
    try:
        if at:
            fd = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) | getattr(os, "O_CLOEXEC", 0))
        names = os.listdir(folder if fd is None else fd)
    except OSError:
        names = []
    prefix = "" if fd is not None else folder + os.sep
    stat = os.stat
    try:
        for name in names:
            if name[0] == "." or not name.endswith((".yaml", ".yml")):  # `kind_of`'s test for this folder
                continue
            try:
                st = stat(prefix + name, dir_fd=fd)  # a link followed, as a regular file's check reads it
            except OSError:
                continue
            if st.st_mode & 0o170000 != 0o100000:  # not stat.S_ISREG, inlined: 10,000 calls
                continue
            key = (st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino)  # `stat_key`, inlined
            found[f"{CUSTOMERS_DIR}/{name}"] = settle(os.path.join(folder, name), key, since) \
                if key[1] >= since or key[2] >= since else key
    finally:
        if fd is not None:
            os.close(fd)
    return found


class CustomerIndex:
    """Every customer file of the repo as the index lists it, asked by key."""

    def __init__(self, db: Any) -> None:
        self.db = db

    def _many(self, sql: str, keys: list[str]) -> list[tuple]:
        found: list[tuple] = []
        for i in range(0, len(keys), 500):  # under SQLite's limit of parameters
            chunk = keys[i:i + 500]
            found.extend(self.db.execute(sql.format(marks=",".join("?" * len(chunk))), chunk))
        return found

    def holding_ids(self, folded: set[str]) -> list[tuple[str, str]]:
        """(path, id) of every customer file whose id, case-folded, is one of these."""
        return [tuple(r) for r in self._many("SELECT path, id FROM customers WHERE folded IN ({marks})",
                                             sorted(folded))]

    def holding_numbers(self, numbers: set[str]) -> list[tuple[str, str]]:
        """(number, path) of every contract with one of these numbers, in path order."""
        return sorted(self._many("SELECT number, path FROM numbers WHERE number IN ({marks})", sorted(numbers)),
                      key=lambda r: (r[1], r[0]))

    def near(self, variants: set[str]) -> list[tuple[str, str, str, str]]:
        """(path, id, name, key), in path order, of every customer whose normalised name shares one
        of these one-character deletions (`dedupe.name_variants`)."""
        rows = self._many("SELECT DISTINCT c.path, c.id, c.name, c.key FROM variants v JOIN customers c "
                          "ON c.path = v.path WHERE v.variant IN ({marks})", sorted(variants))
        return sorted(set(rows))

    def rows(self) -> list[tuple[str, str, str, str, tuple[str, ...]]]:
        """Every row (path, id, name, key, contract numbers), in path order: for tests and tools."""
        return [(path, cid, name, key, tuple(json.loads(numbers))) for path, cid, name, key, numbers
                in self.db.execute("SELECT path, id, name, key, numbers FROM customers ORDER BY path")]


def _open(repo: str, settings: Settings) -> Any:
    import sqlite3

    key = f"customers {FORMAT} {cache_key(settings)}"
    try:
        db = open_sqlite_cache(os.path.join(repo, CACHE_DIR, INDEX_FILE), key, *_SCHEMA)
    except (OSError, sqlite3.Error):  # a cache that cannot be kept: an index in memory, built from the files
        return _memory()
    db.isolation_level = None  # transactions only where `_write` opens one
    return db


def _memory(source: Any = None) -> Any:
    """An index in memory: empty, or a copy of `source`."""
    import sqlite3

    db = sqlite3.connect(":memory:", isolation_level=None)
    try:
        if source is None:
            raise sqlite3.Error
        source.backup(db)
    except sqlite3.Error:
        db.execute(f"CREATE TABLE {_SCHEMA[0]}")
        for statement in _SCHEMA[1:]:
            db.execute(statement)
    return db


def _stored_stamps(db: Any) -> dict[str, Stamp]:
    row = db.execute("SELECT blob FROM stamps").fetchone()
    body = verify(row[0]) if row is not None and isinstance(row[0], bytes) else None
    if body is None:
        return {}
    try:
        stamps = marshal.loads(body)
    except (EOFError, ValueError, TypeError):
        return {}
    return stamps if isinstance(stamps, dict) else {}


def _write(db: Any, stamps: dict[str, Stamp], rows: dict[str, Row | None], gone: list[str]) -> None:
    """Replace the rows of these paths (None: no row) and drop those of `gone`, with their stamps,
    in one transaction over the stamps as stored then (another process may have written since)."""
    db.execute("BEGIN IMMEDIATE")
    try:
        current = _stored_stamps(db)
        if current:
            _forget(db, [*rows, *gone])
        else:  # no stamps (none yet, or not ours): no row is known to be current
            for table in ("customers", "numbers", "variants"):
                db.execute(f"DELETE FROM {table}")
        for path in gone:
            current.pop(path, None)
        kept = [(p, r) for p, r in rows.items() if r is not None]
        db.executemany("INSERT INTO customers VALUES (?, ?, ?, ?, ?, ?)",
                       [(p, r[0], r[0].casefold(), r[1], r[2], json.dumps(r[3])) for p, r in kept])
        db.executemany("INSERT OR IGNORE INTO numbers VALUES (?, ?)", [(n, p) for p, r in kept for n in r[3]])
        db.executemany("INSERT OR IGNORE INTO variants VALUES (?, ?)",
                       [(v, p) for p, r in kept if r[2] for v in name_variants(r[2])])
        current.update((p, stamps[p]) for p in rows)
        blob = sign(marshal.dumps(current))
        db.execute("DELETE FROM stamps")
        if blob is not None:
            db.execute("INSERT INTO stamps VALUES (?)", (blob,))
        db.execute("COMMIT")
    except BaseException:
        db.execute("ROLLBACK")
        raise


def _forget(db: Any, paths: list[str]) -> None:
    """Delete the rows of these paths (their numbers and name variants found from their row)."""
    numbers, variants = [], []
    for i in range(0, len(paths), 500):
        chunk = paths[i:i + 500]
        for path, key, listed in db.execute(
                f"SELECT path, key, numbers FROM customers WHERE path IN ({','.join('?' * len(chunk))})", chunk):
            numbers.extend((n, path) for n in json.loads(listed))
            variants.extend((v, path) for v in (name_variants(key) if key else ()))
    db.executemany("DELETE FROM numbers WHERE number = ? AND path = ?", numbers)
    db.executemany("DELETE FROM variants WHERE variant = ? AND path = ?", variants)
    db.executemany("DELETE FROM customers WHERE path = ?", [(p,) for p in paths])


def customer_index(repo: str, settings: Settings, book: Book | None = None,
                   scanned: dict[str, Stamp] | None = None) -> CustomerIndex:
    """The index of every customer file, brought up to date first. With `book` (a whole-repo Book
    just read) and the `scanned` stamps it was read at, rows of files whose stamps are still those
    come from the Book instead of the files."""
    import sqlite3

    repo = os.path.abspath(repo)
    db = _open(repo, settings)
    stamps = stamp_customers(repo)
    try:
        stored = _stored_stamps(db)
    except sqlite3.Error:
        stored = {}
    if stored == stamps:
        return CustomerIndex(db)
    changed = [path for path, stamp in stamps.items() if stored.get(path) != stamp]
    gone = [path for path in stored if path not in stamps]
    rows: dict[str, Row | None] = {}
    if changed and book is not None and book.complete and scanned is not None:
        by_path = book.customers_by_path  # a file read but not a mapping is not in it: no row
        rows = {p: (_row(by_path[p]) if p in by_path else None) for p in changed if scanned.get(p) == stamps[p]}
    unread = [p for p in changed if p not in rows]
    rows.update({p: _entry(p, result[0]) for p, result in read_cached(repo, unread, settings, stamps).items()})
    rows.update((p, None) for p in unread if p not in rows)  # vanished while read: no row
    try:
        _write(db, stamps, rows, gone)
    except sqlite3.Error:  # another process holds the database too long: answer from a private copy
        db = _memory(db)
        _write(db, stamps, rows, gone)
    return CustomerIndex(db)
