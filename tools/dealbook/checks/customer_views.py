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
import importlib.util
import marshal
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .. import __version__
from ..records.book import Book
from ..records.cachefile import has_keys, keep_newest, load_marshal, save_marshal
from ..records.model import CUSTOMER, CUSTOMERS_DIR, FOLLOWUP, FOLLOWUPS_DIR, TEAM_FILE, Customer, kind_of
from ..records.settings import Settings
from .filecache import CACHE_DIR, Stamp, cache_key, changed_paths, read_cached, scan
from .reading import open_book

FORMAT = 2
INCREMENTAL_SHARE = 0.25  # beyond this share of changed customers, the whole Book is cheaper


def handles(book: Book) -> list[str]:
    """The team's handles, sorted: what most views take from the team file."""
    return sorted(book.members)


@dataclass(frozen=True)
class PerCustomer:
    """A view computed customer by customer: `part(book, customer)` is one customer's plain data
    (marshal-able: no dates, ISO text instead), `whole(parts, team)` the view from every part in
    the Book's customer order and `team(book)` (by default the team's handles). `code`: the
    modules whose source it depends on.

    An `additive` view's parts are shares of sums (see `add_share`): `whole` gets their total
    instead of the list, and after an edit the stored total is updated by difference (the old
    shares of the changed customers taken off, their new ones added)."""

    name: str
    part: Callable[[Book, Customer], Any]
    whole: Callable[[Any, Any], Any]
    code: tuple[str, ...] = ()
    additive: bool = False
    team: Callable[[Book], Any] = handles
    variant: str = ""  # what else the parts depend on (a report's period and split): part of the stored key


def add_share(total: dict[str, Any], share: dict[str, Any], sign: int = 1) -> dict[str, Any]:
    """Add `share` (times `sign`, 1 or -1) into `total`, in place, and return `total`.

    Shares are nested dicts whose leaves are lists of integers (counts, amounts, days): leaves are
    added element by element. A leaf that comes to all zeros and a dict left empty are removed,
    so a total updated by difference is identical to one summed afresh (a share holds no
    all-zero leaf: see `canonical_share`)."""
    for key, value in share.items():
        if isinstance(value, dict):
            inner = total.get(key)
            if inner is None:
                inner = total[key] = {}
            add_share(inner, value, sign)
            if not inner:
                del total[key]
        else:
            current = total.get(key)
            summed = list(value) if sign == 1 else [-v for v in value]
            if current is not None:
                summed = [a + b for a, b in zip(current, summed, strict=True)]
            if any(summed):
                total[key] = summed
            else:
                total.pop(key, None)
    return total


def canonical_share(share: dict[str, Any]) -> dict[str, Any]:
    """`share` without all-zero leaves and empty dicts (the form `add_share` keeps totals in)."""
    return add_share({}, share)


def total_of(shares: Any) -> dict[str, Any]:
    """The sum of shares (see `add_share`)."""
    total: dict[str, Any] = {}
    for share in shares:
        add_share(total, share)
    return total


def compute_view(book: Book, view: PerCustomer) -> Any:
    """The view computed from scratch on a Book (a git revision, or when nothing is stored)."""
    parts = [view.part(book, c) for c in book.customers.values()]
    return view.whole(total_of(parts) if view.additive else parts, view.team(book))


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
    filename = _filename(repo, view)
    expected = _global_key(settings, view, key)
    answer = load_marshal(_answer_file(filename), lambda v: has_keys(v, key=str, digest=bytes) and "value" in v)
    if answer is not None and answer["key"] == expected and answer["digest"] == _digest(scanned):
        return answer["value"]  # nothing changed: the small answer file, not the parts and stamps
    stored = _load(filename, expected, view.additive)
    if stored is not None:
        if stored["stamps"] == scanned:
            return stored["value"]
        patched = _patched_parts(repo, settings, view, stored, scanned)
        if patched is not None:
            parts, changes = patched
            team = stored["members"]
            if view.additive:
                total = stored["total"]
                for before, after in changes:
                    if before is not None:
                        add_share(total, before, -1)
                    if after is not None:
                        add_share(total, after)
                value = view.whole(total, team)
            else:
                total = None
                value = view.whole([parts[path] for path in sorted(parts)], team)
            _save(filename, expected, scanned, team, parts, value, total)
            return value
    book = open_book(repo, settings=settings, snapshot=True, scanned=scanned)
    return _store_whole(filename, expected, scanned, book, view)


def _store_whole(filename: str, expected: str, scanned: dict[str, Stamp], book: Book, view: PerCustomer) -> Any:
    """The view computed on the whole Book, stored part by part for the next run."""
    team = view.team(book)
    parts = {c.path: view.part(book, c) for c in book.customers.values()}
    total = total_of(parts.values()) if view.additive else None
    value = view.whole(list(parts.values()) if total is None else total, team)
    _save(filename, expected, scanned, team, None if _irregular(book) else parts, value, total)
    return value


def store_views(repo: str, settings: Settings, book: Book, scanned: dict[str, Stamp],
                views: list[tuple[PerCustomer, Any]]) -> None:
    """Compute and store each (view, key) on a whole Book just read from the files `scanned`
    stamps: a check leaves behind what the next `customers` or `agenda` reads."""
    collecting = gc.isenabled()
    gc.disable()
    try:
        for view, key in views:
            _store_whole(_filename(repo, view), _global_key(settings, view, key), scanned, book, view)
    finally:
        if collecting:
            gc.enable()


KEEP_VARIANTS = 4  # stored variants of one view (a report's periods and splits), the most recently used kept


def _filename(repo: str, view: PerCustomer) -> str:
    """Where the view is stored: one file per view, and per variant (the last KEEP_VARIANTS used)."""
    folder = os.path.join(repo, CACHE_DIR)
    if not view.variant:
        return os.path.join(folder, f"view-{view.name}.marshal")
    tag = hashlib.sha256(view.variant.encode()).hexdigest()[:12]
    filename = os.path.join(folder, f"view-{view.name}-{tag}.marshal")
    with contextlib.suppress(OSError):
        others = [e for e in os.scandir(folder) if e.name.startswith(f"view-{view.name}-")
                  and e.name.endswith(".answer.marshal") and e.path != _answer_file(filename)]
        if len(others) >= KEEP_VARIANTS:
            others.sort(key=lambda e: e.stat().st_mtime_ns)
            for entry in others[:len(others) - KEEP_VARIANTS + 1]:
                for name in (entry.path, entry.path[:-len(".answer.marshal")] + ".marshal"):
                    with contextlib.suppress(OSError):
                        os.unlink(name)
    return filename


KEEP_AT = 16  # views of git revisions kept (each is the view's answer alone)


def view_at(repo: str, settings: Settings, view: PerCustomer, key: str, book: Callable[[], Book]) -> Any:
    """The view of a git revision, kept under `.dealbook-cache/at/` by `key`: the revision's records
    tree id (git objects never change, so the id stands for every file) and the day. `book()` reads
    the revision's Book when the view is not kept yet."""
    expected = _global_key(settings, view, key)
    folder = os.path.join(repo, CACHE_DIR, "at")
    filename = os.path.join(folder, f"view-{view.name}-{expected[:24]}.marshal")
    stored = load_marshal(filename, lambda v: has_keys(v, key=str) and "value" in v)
    if stored is not None and stored["key"] == expected:
        with contextlib.suppress(OSError):
            os.utime(filename)  # the most recently used are kept
        return stored["value"]
    value = compute_view(book(), view)
    save_marshal(filename, {"key": expected, "value": value})
    keep_newest(folder, "view-", KEEP_AT)
    return value


def _stem(path: str) -> str:
    return path.rsplit("/", 1)[-1].rsplit(".", 1)[0]


def _patched_parts(repo: str, settings: Settings, view: PerCustomer, stored: dict[str, Any],
                   scanned: dict[str, Stamp]) -> tuple[dict[str, Any], list[tuple[Any, Any]]] | None:
    """The stored parts with those of every customer whose files changed recomputed, and each
    recomputed customer's (old part, new part), None for a customer gone or new; None when
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
    changes = []
    for path in sorted(affected):
        customer = book.customers_by_path.get(path)
        before = parts.pop(path, None)
        after = None if customer is None else view.part(book, customer)
        if after is not None:
            parts[path] = after
        changes.append((before, after))
    return parts, changes


def _irregular(book: Book) -> bool:
    """True when a record lives somewhere other than its id says (see the module's note)."""
    if len(book.customers) != len(book.customers_by_path):
        return True
    if any(c.id != _stem(path) for path, c in book.customers_by_path.items()):
        return True
    return any(f.customer and f.customer != f.folder for f in book.all_followups())


def _global_key(settings: Settings, view: PerCustomer, key: Any) -> str:
    """Everything every part depends on besides the customer's own files."""
    digest = hashlib.sha256(f"{FORMAT}|{__version__}|{cache_key(settings)}|{key!r}|{view.variant}".encode())
    for module in view.code:
        source = getattr(sys.modules.get(module), "__file__", None)
        if source is None:  # not imported in this process: the same file all the same
            with contextlib.suppress(ImportError, ValueError):
                spec = importlib.util.find_spec(module)
                source = spec.origin if spec is not None else None
        if source:
            with open(source, "rb") as handle:
                digest.update(handle.read())
    return digest.hexdigest()


def _load(filename: str, expected: str, additive: bool) -> dict[str, Any] | None:
    """The stored view when it is for `expected` and can be patched; else None (any unreadable file too)."""
    stored = load_marshal(filename, lambda v: has_keys(v, stamps=dict, parts=dict) and "value" in v
                          and "members" in v and (not additive or isinstance(v.get("total"), dict)))
    return stored if stored is not None and stored.get("global") == expected else None


def _answer_file(filename: str) -> str:
    """Beside each stored view, its answer alone with a digest of the stamps it answers for."""
    return filename[:-len(".marshal")] + ".answer.marshal"


def _digest(scanned: dict[str, Stamp]) -> bytes:
    """A digest of every record file's stamp (as `scan` lists them, in its order). Marshal format 2:
    later formats write shared objects as back-references, so equal values could differ in bytes."""
    return hashlib.blake2b(marshal.dumps(scanned, 2), digest_size=20).digest()


def _save(filename: str, expected: str, scanned: dict[str, Stamp], members: Any,
          parts: dict[str, Any] | None, value: Any, total: dict[str, Any] | None = None) -> None:
    """Store the view and its answer; `parts` None (an irregular repo) stores nothing, so the next
    run recomputes."""
    if parts is None:
        for name in (filename, _answer_file(filename)):
            with contextlib.suppress(OSError):
                os.unlink(name)
        return
    save_marshal(filename, {"global": expected, "stamps": scanned, "members": members, "parts": parts,
                            "value": value, "total": total})
    save_marshal(_answer_file(filename), {"key": expected, "digest": _digest(scanned), "value": value})
