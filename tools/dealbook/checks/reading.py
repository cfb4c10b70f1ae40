"""Open a records repo as a Book: files read on all cores, results cached by path and stat key."""

from __future__ import annotations

import gc
import hashlib
import json
import marshal
import multiprocessing
import os
import sys
import time
import zlib
from collections.abc import Callable, Iterable
from typing import Any

from .. import __version__
from ..records.book import GONE, Book
from ..records.cachefile import has_keys, load_marshal, save_marshal
from ..records.diagnostics import ERROR, Diagnostic, from_rows
from ..records.load import LoadError, read_file_bytes
from ..records.model import FOLLOWUP, RECORDS_DIR, SETTINGS, TEAM_FILE, customer_path, kind_of
from ..records.schema import KINDS, schema_version, settings_enums, validator
from ..records.settings import SETTINGS_FILE, Settings, load_settings
from .crosschecks import cross_diagnostics
from .filechecks import check_loaded, read_record

CACHE_DIR = ".dealbook-cache"
_PARALLEL_MIN = 400  # below this many files to parse, a process pool costs more than it saves

Result = tuple[Any, list[Diagnostic]]
Stamp = tuple  # (size, mtime_ns, ctime_ns, inode[, content digest]): see `stat_key` and `scan`

# A file whose mtime or ctime is this close to (or later than) the moment it is stat'ed may be
# changed again within the same timestamp tick without its stat changing (coarse clocks, FAT's 2 s):
# such a "racy" file's stamp also carries a digest of its content, as git's index does.
RACY_NS = 2_000_000_000


def stat_key(st: os.stat_result) -> Stamp:
    """What tells two versions of a file apart without reading it, as git's index keys it: an edit
    that keeps the size and sets the mtime back still changes the ctime (and a replace, the inode)."""
    return (st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino)


def _content_digest(full_path: str) -> bytes:
    raw = read_file_bytes(full_path)  # a link is not followed, a pipe not waited on
    return b"" if isinstance(raw, LoadError) else hashlib.blake2b(raw, digest_size=16).digest()


def _settle(full_path: str, key: Stamp, since: int) -> Stamp:
    """`key`, plus the content's digest when the file changed at or after `since` (it is racy)."""
    if key[1] >= since or key[2] >= since:
        return (*key, _content_digest(full_path))
    return key


def file_stamp(repo: str, path: str) -> Stamp | None:
    """The stamp of one repo-relative file (as `scan` gives it), None when it cannot be stat'ed."""
    full = os.path.join(repo, path)
    since = time.time_ns() - RACY_NS
    try:
        st = os.lstat(full)  # a symbolic link is stamped, never followed (reading it reports it)
    except OSError:
        return None
    return _settle(full, stat_key(st), since)


def cache_key(settings: Settings) -> str:
    """Everything a cached file result depends on besides the file itself."""
    digest = hashlib.sha256()
    digest.update(f"{__version__}|{schema_version()}|{sys.version_info[:2]}|".encode())
    digest.update(json.dumps(settings.raw, sort_keys=True, default=str).encode())
    return digest.hexdigest()[:20]


class FileCache:
    """Per-file results on disk, keyed by path and validated by the file's stamp and `cache_key`.

    Entries live in `SHARDS` files by customer (a customer and its follow-ups share one), each
    result marshalled on its own: a check of one file opens one or two small shards and
    unmarshals only the entries it asks for; a run writes back only the shards it changed."""

    FORMAT = 4
    SHARDS = 64

    def __init__(self, repo: str, key: str, enabled: bool = True) -> None:
        self.dir = os.path.join(repo, CACHE_DIR)
        self.key = key
        self.enabled = enabled
        self.shards: dict[int, dict[str, tuple]] = {}  # shard -> path -> (stamp, marshalled result)
        self.dirty: set[int] = set()

    @classmethod
    def shard_of(cls, path: str) -> int:
        parts = path.split("/")
        owner = parts[2] if len(parts) == 4 else parts[-1].rsplit(".", 1)[0]  # the customer id
        return zlib.crc32(owner.encode("utf-8")) % cls.SHARDS

    def _file(self, shard: int) -> str:
        return os.path.join(self.dir, f"files-{shard:02d}.marshal")

    def _shard(self, shard: int) -> dict[str, tuple]:
        entries = self.shards.get(shard)
        if entries is None:
            entries = {}
            if self.enabled:
                stored = load_marshal(self._file(shard), lambda v: has_keys(v, entries=dict))
                if stored is not None and stored.get("key") == self.key and stored.get("format") == self.FORMAT:
                    entries = stored["entries"]
            self.shards[shard] = entries
        return entries

    def get(self, path: str, stamp: Stamp) -> Result | None:
        entry = self._shard(self.shard_of(path)).get(path)
        if not isinstance(entry, tuple) or len(entry) != 2 or entry[0] != stamp:
            return None
        try:
            data, rows = marshal.loads(entry[1])
        except (EOFError, ValueError, TypeError):
            return None
        found = from_rows(rows)
        return None if found is None else (data, found)

    def put(self, path: str, stamp: Stamp, result: Result, blob: bytes | None = None) -> None:
        """Store a result (or its marshalled form `blob`, as `read_many` collects it)."""
        shard = self.shard_of(path)
        if blob is None:
            blob = marshal.dumps((result[0], [tuple(d) for d in result[1]]))
        self._shard(shard)[path] = (tuple(stamp), blob)
        self.dirty.add(shard)

    def forget_missing(self, present: set[str], complete: bool) -> None:
        if complete:
            for shard in range(self.SHARDS):
                entries = self._shard(shard)
                gone = [p for p in entries if p not in present]
                for path in gone:
                    del entries[path]
                if gone:
                    self.dirty.add(shard)

    def save(self) -> None:
        """Write changed shards atomically; two runs racing each leave whole files, the last one wins."""
        if self.enabled:
            for shard in sorted(self.dirty):
                _store(self.dir, self._file(shard), {"key": self.key, "format": self.FORMAT,
                                                     "entries": self.shards[shard]})
            self.dirty.clear()


def _store(folder: str, filename: str, value: Any) -> None:
    """Marshal `value` to `filename`, signed and atomically (see `cachefile.save_marshal`)."""
    save_marshal(filename, value)


def scan(repo: str) -> dict[str, Stamp]:
    """Every file under records/ (as `discover` lists them) with its stamp, in one walk: `stat_key`,
    plus a digest of the content for a racy file (changed within `RACY_NS` of the walk)."""
    found: dict[str, Stamp] = {}
    since = time.time_ns() - RACY_NS

    def walk(folder: str, rel: str) -> None:
        try:
            entries = sorted(os.scandir(folder), key=lambda e: e.name)
        except OSError:
            return
        for entry in entries:
            if entry.name.startswith("."):
                continue
            if entry.is_dir(follow_symlinks=False):
                walk(entry.path, f"{rel}/{entry.name}")
            else:  # a file, or a symbolic link (never followed: reading it reports where it leads)
                try:
                    st = entry.stat(follow_symlinks=False)
                except OSError:
                    continue
                key = stat_key(st)
                if key[1] >= since or key[2] >= since:
                    key = _settle(entry.path, key, since)
                found[f"{rel}/{entry.name}"] = key

    walk(os.path.join(repo, RECORDS_DIR), RECORDS_DIR)
    return found


# --- parallel reading -------------------------------------------------------
_worker_settings: Settings | None = None


def _read_chunk(job: tuple[str, list[str]]) -> list[tuple[str, bytes]]:
    """(path, marshalled (data, diagnostics)) for each path: marshal keeps the loader's interned
    strings interned, so the parent's copy shares every key and short value, and the bytes
    go to the cache as they are."""
    repo, paths = job
    gc.disable()  # a pool worker: its parsed records hold no cycles (see open_book)
    return [(path, marshal.dumps(_read_path(repo, path, _worker_settings))) for path in paths]


def _read_path(repo: str, path: str, settings: Settings) -> tuple[Any, list[tuple]]:
    raw = read_file_bytes(os.path.join(repo, path))
    if isinstance(raw, LoadError):
        return None, [(path, raw.line, raw.column, ERROR, raw.code, raw.message)]
    data, diagnostics = read_record(path, raw, settings)
    return data, [tuple(d) for d in diagnostics]


def _warm_validators(settings: Settings) -> None:
    for kind in KINDS:
        validator(kind, settings_enums(kind, settings))


def read_many(
    repo: str, paths: list[str], settings: Settings, jobs: int | None = None, blobs: dict[str, bytes] | None = None
) -> dict[str, Result]:
    """Read and check files, on every core when there are many; `blobs` collects each marshalled result."""
    global _worker_settings
    if not paths:
        return {}
    _warm_validators(settings)
    jobs = jobs or os.cpu_count() or 1
    results: dict[str, Result] = {}
    if jobs > 1 and len(paths) >= _PARALLEL_MIN and "fork" in multiprocessing.get_all_start_methods():
        _worker_settings = settings
        size = max(50, len(paths) // (jobs * 8))
        chunks = [(repo, paths[i:i + size]) for i in range(0, len(paths), size)]
        with multiprocessing.get_context("fork").Pool(jobs) as pool:
            for chunk in pool.imap_unordered(_read_chunk, chunks):
                for path, blob in chunk:
                    data, diagnostics = marshal.loads(blob)
                    results[path] = (data, [Diagnostic(*d) for d in diagnostics])
                    if blobs is not None:
                        blobs[path] = blob
        _worker_settings = None
    else:
        for path in paths:
            data, diagnostics = _read_path(repo, path, settings)
            results[path] = (data, [Diagnostic(*d) for d in diagnostics])
            if blobs is not None:
                blobs[path] = marshal.dumps((data, diagnostics))
    return results


def _settings_diagnostics(repo: str, settings: Settings) -> list[Diagnostic]:
    if settings.source is None:
        return []
    return check_loaded(settings.source, settings)


def _neighbours(repo: str, paths: list[str], results: dict[str, Result]) -> list[str]:
    """The files a PATH-limited check also needs: the team and the customers follow-ups name."""
    needed = {TEAM_FILE}
    for path in paths:
        if kind_of(path) == FOLLOWUP:
            data = results.get(path, (None,))[0]
            customer = data.get("customer") if isinstance(data, dict) else None
            needed.add(customer_path(customer if isinstance(customer, str) else path.split("/")[-2]))
    return sorted(p for p in needed if p not in results and os.path.lexists(os.path.join(repo, p)))


def open_book(
    repo: str,
    paths: Iterable[str] | None = None,
    settings: Settings | None = None,
    use_cache: bool = True,
    jobs: int | None = None,
    scanned: dict[str, Stamp] | None = None,
    snapshot: bool = False,
) -> Book:
    """Read the repo's records (or only `paths`, plus what they refer to) into a checked Book.

    With `snapshot`, a whole-repo Book is restored from the signed snapshot of the last such read
    and patched with only the files whose stamps changed since (see `Book.patch`); a snapshot
    that is missing, foreign or too far behind is replaced by a Book built from the parse cache.

    `book.diagnostics` holds every finding: unreadable files, schema errors, record rules
    and cross-record references, computed when first asked for. With `paths`, only findings in
    those files are kept. `scanned` is a `scan(repo)` the caller already made."""
    # Record data holds no reference cycles, and the collector's full passes over 100k+
    # live records cost about 40% of a large read: pause it while the Book is built.
    collecting = gc.isenabled()
    gc.disable()
    try:
        if not (snapshot and paths is None and use_cache):
            return _open_book(repo, paths, settings, use_cache, jobs, scanned)
        repo = os.path.abspath(repo)
        settings = settings or load_settings(repo)
        return _snapshot_book(repo, settings, scan(repo) if scanned is None else scanned, jobs)
    finally:
        if collecting:
            gc.enable()


PATCH_SHARE = 0.25  # a snapshot is patched while at most this share of the files changed since it was made
REWRITE_AFTER = 200  # ... and written anew once this many files differ from it


def changed_paths(before: dict[str, Stamp], now: dict[str, Stamp]) -> list[str]:
    """The paths whose stamps differ between two scans (added and removed ones included), sorted."""
    if before == now:
        return []
    changed = [path for path, stamp in now.items() if before.get(path) != stamp]
    changed.extend(path for path in before if path not in now)
    return sorted(changed)


def _snapshot_book(repo: str, settings: Settings, scanned: dict[str, Stamp], jobs: int | None) -> Book:
    from ..records import snapshot as snapshots

    folder = os.path.join(repo, CACHE_DIR)
    key = cache_key(settings)
    state = snapshots.load(folder, key)
    stamps = state.get("stamps") if isinstance(state, dict) else None
    if isinstance(stamps, dict):
        changed = changed_paths(stamps, scanned)
        book = _restored(settings, state, repo) if len(changed) <= max(50, PATCH_SHARE * len(scanned)) else None
        if book is not None:
            if changed:
                results = read_cached(repo, [p for p in changed if p in scanned], settings, scanned, jobs)
                book.patch({p: results[p][0] if p in results else GONE for p in changed},
                           {p: results[p][1] for p in results})
                if len(changed) >= REWRITE_AFTER:
                    snapshots.save(folder, key, {**book.snapshot_state(), "stamps": scanned})
            book.defer_diagnostics(_whole_repo_diagnostics(repo, settings))
            return book
    book = _open_book(repo, None, settings, True, jobs, scanned)
    snapshots.save(folder, key, {**book.snapshot_state(), "stamps": scanned})
    return book


def _restored(settings: Settings, state: dict[str, Any], repo: str) -> Book | None:
    """The Book of a snapshot; None when the snapshot, though signed, is of another shape."""
    try:
        book = Book.from_snapshot(settings, state, _raw_reader(repo))
    except Exception:  # another version's layout: rebuild
        return None
    book.root = repo
    return book


def read_cached(repo: str, paths: Iterable[str], settings: Settings, scanned: dict[str, Stamp] | None = None,
                jobs: int | None = None, use_cache: bool = True) -> dict[str, Result]:
    """(data, diagnostics) of each file, from the parse cache when its stamp is unchanged; the files
    read afresh are stored in the cache."""
    cache = FileCache(repo, cache_key(settings), enabled=use_cache)
    results = _read_through(repo, cache, list(paths), settings, scanned or {}, jobs)
    cache.save()
    return results


def _read_through(repo: str, cache: FileCache, paths: list[str], settings: Settings, scanned: dict[str, Stamp],
                  jobs: int | None) -> dict[str, Result]:
    results: dict[str, Result] = {}
    stamps: dict[str, Stamp | None] = {}
    todo: list[str] = []
    for path in paths:
        stamp = stamps[path] = scanned.get(path) or file_stamp(repo, path)
        hit = cache.get(path, stamp) if stamp else None
        if hit is None:
            todo.append(path)
        else:
            results[path] = hit
    blobs: dict[str, bytes] = {}
    for path, result in read_many(repo, todo, settings, jobs, blobs).items():
        results[path] = result
        if stamps.get(path):
            cache.put(path, stamps[path], result, blobs.get(path))
    return results


def _whole_repo_diagnostics(repo: str, settings: Settings, only: set[str] | None = None,
                            with_settings: bool = True) -> Callable[[Book], list[Diagnostic]]:
    """What `book.diagnostics` holds: the settings' findings, each file's own (in path order), then
    the cross-record ones; with `only`, those in these paths."""

    def compute(book: Book) -> list[Diagnostic]:
        found = _settings_diagnostics(repo, settings) if with_settings else []
        for path in sorted(book.file_diagnostics):
            if only is None or path in only:
                found.extend(book.file_diagnostics[path])
        found.extend(cross_diagnostics(book, only))
        return found

    return compute


def _open_book(
    repo: str,
    paths: Iterable[str] | None,
    settings: Settings | None,
    use_cache: bool,
    jobs: int | None,
    scanned: dict[str, Stamp] | None,
) -> Book:
    repo = os.path.abspath(repo)
    settings = settings or load_settings(repo)
    complete = paths is None
    if scanned is None:
        scanned = scan(repo) if paths is None else {}
    wanted = sorted(scanned) if paths is None else sorted(set(paths))
    cache = FileCache(repo, cache_key(settings), enabled=use_cache)
    record_paths = [p for p in wanted if kind_of(p) != SETTINGS]
    results = _read_through(repo, cache, record_paths, settings, scanned, jobs)
    if not complete:
        results.update(_read_through(repo, cache, _neighbours(repo, record_paths, results), settings, scanned, jobs))
    cache.forget_missing(set(results), complete)
    cache.save()

    only = None if complete else set(wanted)
    book = Book(settings, ((p, results[p][0]) for p in sorted(results)), (), _raw_reader(repo), complete)
    book.root = repo
    book.file_diagnostics = {p: results[p][1] for p in sorted(results) if results[p][1]}
    book.defer_diagnostics(_whole_repo_diagnostics(repo, settings, only, complete or SETTINGS_FILE in wanted))
    return book


def _raw_reader(repo: str) -> Callable[[str], bytes | None]:
    """Reads a record's bytes on demand (for line marks of diagnostics found after reading)."""

    def read_raw(path: str) -> bytes | None:
        raw = read_file_bytes(os.path.join(repo, path))
        return None if isinstance(raw, LoadError) else raw

    return read_raw


def _fingerprint(repo: str, settings: Settings, scanned: dict[str, Stamp]) -> str:
    """A digest of everything a repo-wide check reads: settings, every record's stamp, CODEOWNERS."""
    from .ownership import CODEOWNERS_FILES

    digest = hashlib.sha256(cache_key(settings).encode())
    digest.update(time.strftime("%Y-%m-%d").encode())  # a stored answer lasts a day at most
    for name in (SETTINGS_FILE, *CODEOWNERS_FILES):
        digest.update(f"{name}|{file_stamp(repo, name)}\n".encode())
    digest.update(marshal.dumps(sorted(scanned.items())))
    return digest.hexdigest()


def check_repo(
    repo: str,
    paths: Iterable[str] | None = None,
    settings: Settings | None = None,
    use_cache: bool = True,
) -> tuple[list[Diagnostic], int]:
    """The diagnostics of `dealbook check` and the number of files it covered.

    A repo-wide check whose files all have the sizes and times of the last repo-wide check
    answers from that check's stored result, without reading or building anything; any
    other check reads the Book (`open_book`) and stores its result for next time."""
    repo = os.path.abspath(repo)
    settings = settings or load_settings(repo)
    if paths is not None:
        book = open_book(repo, paths, settings, use_cache)
        return book.diagnostics, len(book.paths)
    summary_file = os.path.join(repo, CACHE_DIR, "check.marshal")
    scanned = scan(repo)
    fingerprint = _fingerprint(repo, settings, scanned) if use_cache else ""
    if use_cache:
        stored = load_marshal(summary_file, lambda v: has_keys(v, fingerprint=str, files=int))
        found = from_rows(stored["diagnostics"]) if stored is not None and stored["fingerprint"] == fingerprint \
            else None
        if found is not None:
            return found, stored["files"]
    book = open_book(repo, None, settings, use_cache, scanned=scanned, snapshot=use_cache)
    if use_cache:
        _store(os.path.dirname(summary_file), summary_file, {
            "fingerprint": fingerprint, "files": len(book.paths),
            "diagnostics": [tuple(d) for d in book.diagnostics]})
    return book.diagnostics, len(book.paths)


def open_book_from(
    settings: Settings,
    files: Iterable[tuple[str, Any]],
    read_raw: Callable[[str], bytes | None] | None = None,
    read: Callable[[str, Any], Result] | None = None,
) -> Book:
    """A Book from (path, bytes) pairs, e.g. blobs of a git revision; nothing is cached here.

    `read(path, item)` turns each pair's second item into (data, diagnostics); the default
    parses and checks bytes (the git store passes blob ids and answers from its parse cache)."""
    results = []
    diagnostics: list[Diagnostic] = []
    for path, raw in files:
        if kind_of(path) == SETTINGS:
            continue
        data, found = read(path, raw) if read else read_record(path, raw, settings)
        results.append((path, data))
        diagnostics.extend(found)
    book = Book(settings, sorted(results, key=lambda r: r[0]), diagnostics, read_raw, True)
    book.diagnostics.extend(cross_diagnostics(book))
    return book

