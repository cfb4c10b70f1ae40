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

What is stored (`.dealbook-cache/view-<name>[-<variant>].marshal` and a `.shards/` folder beside it):
the head holds the answer, every customer's part, a digest of the whole scan (when it matches,
nothing changed and the head answers alone) and a digest of each of `SHARDS` groups of stamps
(a customer's file and its follow-up folder fall in one group, by customer id). Each group's
stamps live in their own shard file, keyed by the view's key and their digest. After an edit
only the shards whose digest changed are read and rewritten, with the head. The head is written
after its shards and names each shard's digest, so a shard another run wrote in the meantime
(whose head did not land, or landed first) does not match and its customers are recomputed from
their files: a shard is never trusted for a head it was not written with.
"""

from __future__ import annotations

import contextlib
import gc
import hashlib
import marshal
import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ..records.book import Book
from ..records.cachefile import has_keys, keep_newest, load_marshal, save_marshal
from ..records.model import (
    CUSTOMER,
    CUSTOMERS_DIR,
    FOLLOWUP,
    FOLLOWUPS_DIR,
    TEAM_FILE,
    Customer,
    customer_files,
    file_stem,
    kind_of,
)
from ..records.settings import Settings
from ..records.writing import linked_cache
from .filecache import CACHE_DIR, FileCache, Listing, Stamp, cache_key, changed_paths, read_cached, scan, shard_of_id
from .reading import open_book

FORMAT = 4
SHARDS = FileCache.SHARDS  # stamps stored in this many files by customer id, as the parse cache's entries
INCREMENTAL_SHARE = 0.25  # beyond this share of changed customers, the whole Book is cheaper


def handles(book: Book) -> list[str]:
    """The team's handles, sorted: what most views take from the team file."""
    return sorted(book.members)


@dataclass(frozen=True)
class PerCustomer:
    """A view computed customer by customer: `part(book, customer)` is one customer's plain data
    (marshal-able: no dates, ISO text instead), `whole(parts, team)` the view from every part in
    the Book's customer order and `team(book)` (by default the team's handles). The code it runs is in
    every stored key (`cache_key` covers every file of the package).

    An `additive` view's parts are shares of sums (see `add_share`): `whole` gets their total
    instead of the list, and after an edit the stored total is updated by difference (the old
    shares of the changed customers taken off, their new ones added)."""

    name: str
    part: Callable[[Book, Customer], Any]
    whole: Callable[[Any, Any], Any]
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
    filename = _filename(repo, view)
    expected = _global_key(settings, view, key)
    head = _load_head(filename, expected, view.additive)
    listed: dict[str, Listing] = {}
    groups: list[dict[str, Stamp]] = [{} for _ in range(SHARDS)]
    others: dict[str, Stamp] = {}
    scanned = scan(repo, head["listing"] if head else None, listed, groups, others)  # split by shard as it goes
    grouped = groups, others
    if head is None:
        return _recompute(repo, settings, view, filename, expected, scanned, listed, grouped)
    digest = _digest(scanned)
    if head["digest"] == digest:
        if listed and not head["listing"]:  # stored without listings: kept once, the next run lists none
            head["listing"] = listed
            save_marshal(filename, head)
        return head["value"]  # nothing changed: no shard is read
    if others != head["others"]:
        return _recompute(repo, settings, view, filename, expected, scanned, listed, grouped)  # the team, a stray file
    digests = [_digest(group) for group in groups]
    changed: list[str] = []
    untrusted: set[int] = set()
    dirty = [n for n in range(SHARDS) if digests[n] != head["digests"][n]]
    for n in dirty:
        shard = load_marshal(_shard_file(filename, n), lambda v: has_keys(v, key=str, digest=bytes, stamps=dict))
        if shard is not None and shard["key"] == expected and shard["digest"] == head["digests"][n]:
            changed.extend(changed_paths(shard["stamps"], groups[n]))
        else:  # missing, or written by a run whose head did not land: every customer of the shard afresh
            untrusted.add(n)
            changed.extend(groups[n])
    patched = _patched_parts(repo, settings, view, head, scanned, sorted(set(changed)), untrusted)
    if patched is None:
        return _recompute(repo, settings, view, filename, expected, scanned, listed, grouped)
    parts, changes = patched
    team = head["members"]
    total = head["total"]
    if view.additive:
        for before, after in changes:
            if before is not None:
                add_share(total, before, -1)
            if after is not None:
                add_share(total, after)
        value = view.whole(total, team)
    else:
        value = view.whole([parts[path] for path in sorted(parts)], team)
    for n in dirty:
        _save_shard(filename, n, expected, groups[n], digests[n])
    _save_head(filename, expected, digest, digests, others, listed, team, parts, value, total)
    return value


def _recompute(repo: str, settings: Settings, view: PerCustomer, filename: str, expected: str,
               scanned: dict[str, Stamp], listed: dict[str, Listing], grouped: Grouped) -> Any:
    book = open_book(repo, settings=settings, snapshot=True, scanned=scanned)
    return _store_whole(filename, expected, scanned, book, view, listed, grouped)


Grouped = tuple[list[dict[str, Stamp]], dict[str, Stamp]]  # the stamps by shard, and the others (`_group`)


def _store_whole(filename: str, expected: str, scanned: dict[str, Stamp], book: Book, view: PerCustomer,
                 listed: dict[str, Listing] | None = None, grouped: Grouped | None = None,
                 kept: Kept | None = None) -> Any:
    """The view computed on the whole Book, stored part by part for the next run (`grouped`: the
    stamps already split as `_group` splits them; `kept`: what `_kept` makes of them, when several
    views of one Book are stored)."""
    team = view.team(book)
    parts = {c.path: view.part(book, c) for c in book.customers.values()}
    total = total_of(parts.values()) if view.additive else None
    value = view.whole(list(parts.values()) if total is None else total, team)
    groups, others = grouped or _group(scanned)
    if kept is None:
        kept = _kept(book, scanned, groups)
    if kept is IRREGULAR:  # stores nothing: the next run recomputes
        for name in (filename, _old_answer_file(filename)):
            with contextlib.suppress(OSError):
                os.unlink(name)
        return value
    digests, digest = kept
    for n in range(SHARDS):
        _save_shard(filename, n, expected, groups[n], digests[n])
    _save_head(filename, expected, digest, digests, others, listed or {}, team, parts, value, total)
    with contextlib.suppress(OSError):
        os.unlink(_old_answer_file(filename))  # left by an older dealbook
    return value


Kept = Any  # (list[bytes], bytes), or IRREGULAR: the digest of each shard's stamps and of the whole scan (`_kept`)
IRREGULAR: Any = object()  # `_kept` of a Book whose records do not all live where their ids say


def _kept(book: Book, scanned: dict[str, Stamp], groups: list[dict[str, Stamp]]) -> Kept:
    """What every view stored from one whole Book shares: the digests of its shards and of the
    whole scan; IRREGULAR when no view of it may be stored part by part (see `_irregular`)."""
    if _irregular(book):
        return IRREGULAR
    return [_digest(group) for group in groups], _digest(scanned)


def store_views(repo: str, settings: Settings, book: Book, scanned: dict[str, Stamp],
                views: list[tuple[PerCustomer, Any]], listings: dict[str, Listing] | None = None) -> None:
    """Compute and store each (view, key) on a whole Book just read from the files `scanned`
    stamps: a check leaves behind what the next `customers` or `agenda` reads (with the folder
    `listings` its walk took, so that read lists no folder either)."""
    collecting = gc.isenabled()
    gc.disable()
    try:
        grouped = _group(scanned)
        kept = _kept(book, scanned, grouped[0])  # once for all the views
        for view, key in views:
            _store_whole(_filename(repo, view), _global_key(settings, view, key), scanned, book, view, listings,
                         grouped, kept)
    finally:
        if collecting:
            gc.enable()


KEEP_VARIANTS = 4  # stored variants of one view (a report's periods and splits), the most recently used kept


def _filename(repo: str, view: PerCustomer) -> str:
    """Where the view's head is stored (its shards in a folder beside it): one per view, and per
    variant (the last KEEP_VARIANTS used)."""
    folder = os.path.join(repo, CACHE_DIR)
    if not view.variant:
        return os.path.join(folder, f"view-{view.name}.marshal")
    tag = hashlib.sha256(view.variant.encode()).hexdigest()[:12]
    filename = os.path.join(folder, f"view-{view.name}-{tag}.marshal")
    with contextlib.suppress(OSError):
        if linked_cache(folder):  # someone else's files: never removed
            return filename
        others = [e for e in os.scandir(folder) if e.name.startswith(f"view-{view.name}-")
                  and e.name.endswith(".marshal") and e.path != filename]
        if len(others) >= KEEP_VARIANTS:
            others.sort(key=lambda e: e.stat().st_mtime_ns)
            for entry in others[:len(others) - KEEP_VARIANTS + 1]:
                with contextlib.suppress(OSError):
                    os.unlink(entry.path)
                shutil.rmtree(_shard_folder(entry.path), ignore_errors=True)
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



def _patched_parts(repo: str, settings: Settings, view: PerCustomer, head: dict[str, Any],
                   scanned: dict[str, Stamp], changed: list[str],
                   untrusted: set[int]) -> tuple[dict[str, Any], list[tuple[Any, Any]]] | None:
    """The stored parts with those of every customer whose files changed (`changed`, and every
    customer of an `untrusted` shard) recomputed, and each recomputed customer's (old part, new
    part), None for a customer gone or new; None when something else changed (or too much did)
    and the whole view must be recomputed."""
    parts: dict[str, Any] = head["parts"]
    affected: set[str] = {path for path in parts if _shard_of_path(path) in untrusted} if untrusted else set()
    for path in changed:
        kind = kind_of(path)
        if kind == CUSTOMER:
            affected.add(path)
        elif kind == FOLLOWUP:
            folder = path.split("/")[2]
            affected.update(p for p in customer_files(folder) if p in scanned or p in parts)
        else:
            return None  # a file no record kind claims: recompute everything
    if len(affected) > INCREMENTAL_SHARE * len(parts) + 10:
        return None
    # Changed follow-ups are read even in a folder without a customer: one claiming another
    # customer makes the repo irregular.
    files: list[str] = [p for p in changed if kind_of(p) == FOLLOWUP and p in scanned]
    for path in sorted(affected):
        if path not in scanned:
            continue
        files.append(path)
        folder = f"{FOLLOWUPS_DIR}/{file_stem(path)}"
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
    if any(c.id != file_stem(path) for path, c in book.customers_by_path.items()):
        return True
    return any(f.customer and f.customer != f.folder for f in book.all_followups())


def _global_key(settings: Settings, view: PerCustomer, key: Any) -> str:
    """Everything every part depends on besides the customer's own files."""
    return hashlib.sha256(f"{FORMAT}|{cache_key(settings)}|{key!r}|{view.variant}".encode()).hexdigest()


def _load_head(filename: str, expected: str, additive: bool) -> dict[str, Any] | None:
    """The stored head when it is for `expected`; else None (any unreadable file too)."""
    head = load_marshal(filename, lambda v: has_keys(v, key=str, digest=bytes, digests=list, others=dict, parts=dict,
                                                     listing=dict)
                        and len(v["digests"]) == SHARDS and "value" in v and "members" in v
                        and (not additive or isinstance(v.get("total"), dict)))
    return head if head is not None and head["key"] == expected else None


def _shard_folder(filename: str) -> str:
    return filename[:-len(".marshal")] + ".shards"


def _shard_file(filename: str, shard: int) -> str:
    return os.path.join(_shard_folder(filename), f"{shard:02d}.marshal")


def _old_answer_file(filename: str) -> str:
    return filename[:-len(".marshal")] + ".answer.marshal"


_CUSTOMERS = CUSTOMERS_DIR + "/"
_FOLLOWUPS = FOLLOWUPS_DIR + "/"


def _shard_of_path(path: str) -> int | None:
    """The shard of a customer or follow-up path (by customer id, as `FileCache.shard_of`)."""
    if path.startswith(_FOLLOWUPS):
        cut = path.find("/", len(_FOLLOWUPS))
        return None if cut < 0 else _shard_of_id(path[len(_FOLLOWUPS):cut])
    if path.startswith(_CUSTOMERS) and "/" not in path[len(_CUSTOMERS):]:
        return _shard_of_id(path[len(_CUSTOMERS):].rsplit(".", 1)[0])
    return None


def _shard_of_id(owner: str) -> int:
    return shard_of_id(owner, SHARDS)


def _group(scanned: dict[str, Stamp]) -> tuple[list[dict[str, Stamp]], dict[str, Stamp]]:
    """The stamps split by shard (`_shard_of_path`: a customer's file and its follow-up folder share
    one), each in scan order, and those of every other file (the team, stray files)."""
    groups: list[dict[str, Stamp]] = [{} for _ in range(SHARDS)]
    others: dict[str, Stamp] = {}
    known: dict[str, int] = {}
    followups, customers = _FOLLOWUPS, _CUSTOMERS
    start_f, start_c = len(followups), len(customers)
    for path, stamp in scanned.items():
        if path.startswith(followups):
            cut = path.find("/", start_f)
            if cut < 0:
                others[path] = stamp
                continue
            owner = path[start_f:cut]
        elif path.startswith(customers) and path.find("/", start_c) < 0:
            owner = path[start_c:].rsplit(".", 1)[0]
        else:
            others[path] = stamp
            continue
        shard = known.get(owner)
        if shard is None:
            shard = known[owner] = shard_of_id(owner, SHARDS)
        groups[shard][path] = stamp
    return groups, others


def _digest(scanned: dict[str, Stamp]) -> bytes:
    """A digest of record files' stamps (as `scan` lists them, in its order). Marshal format 2:
    later formats write shared objects as back-references, so equal values could differ in bytes."""
    return hashlib.blake2b(marshal.dumps(scanned, 2), digest_size=20).digest()


def _save_shard(filename: str, shard: int, expected: str, stamps: dict[str, Stamp], digest: bytes) -> None:
    """One shard's stamps, keyed by the view's key and their digest: the head names the digest of
    each shard its parts were computed from, so a shard another run wrote meanwhile is not trusted."""
    save_marshal(_shard_file(filename, shard), {"key": expected, "digest": digest, "stamps": stamps})


def _save_head(filename: str, expected: str, digest: bytes, digests: list[bytes], others: dict[str, Stamp],
               listing: dict[str, Listing], members: Any, parts: dict[str, Any], value: Any,
               total: dict[str, Any] | None) -> None:
    """The head: the view's answer, every customer's part, the digest of the whole scan (nothing
    changed: the answer as it is) and of each shard, the stamps no shard holds and the folders'
    listings (`scan`). Written after the shards it names."""
    save_marshal(filename, {"key": expected, "digest": digest, "digests": digests, "others": others,
                            "listing": listing, "members": members, "parts": parts, "value": value,
                            "total": total})
