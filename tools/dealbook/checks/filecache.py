"""The parse cache: each record file's checked result, stored by path and keyed by the file's stamp.

A stamp is what git's index keys a file by (size, mtime and ctime in nanoseconds, inode), plus
a digest of the content for a file changed too recently to trust its times. `scan` stamps every
record file in one walk; `read_cached` answers from the cache what did not change and reads the
rest, on every core when there are many.
"""

from __future__ import annotations

import gc
import hashlib
import json
import marshal
import os
import sys
import time
import zlib
from collections.abc import Callable, Iterable
from typing import Any

from ..records.cachefile import code_key, has_keys, load_marshal, save_marshal
from ..records.diagnostics import Diagnostic, from_rows
from ..records.load import Loaded, LoadError, read_file_bytes
from ..records.model import CUSTOMERS_DIR, FOLLOWUPS_DIR, RECORDS_DIR, kind_of
from ..records.schema import KINDS, schema_version, settings_enums, validator
from ..records.settings import Settings
from .filechecks import check_loaded, read_record

CACHE_DIR = ".dealbook-cache"
_PARALLEL_MIN = 400  # below this many files to parse, a process pool costs more than it saves

Result = tuple[Any, list[Diagnostic]]
Stamp = tuple  # (size, mtime_ns, ctime_ns, inode[, content digest]): see `stat_key` and `scan`

# A file whose mtime or ctime is this close to (or later than) the moment it is stat'ed may be
# changed again within the same timestamp tick without its stat changing (coarse clocks, FAT's 2 s):
# such a "racy" file's stamp also carries a digest of its content, as git's index does.
RACY_NS = 2_000_000_000
# A folder's listing is kept (see `scan`) only when the folder did not change within this long.
RACY_FOLDER_NS = 2_000_000_000


def stat_key(st: os.stat_result) -> Stamp:
    """What tells two versions of a file apart without reading it, as git's index keys it: an edit
    that keeps the size and sets the mtime back still changes the ctime (and a replace, the inode)."""
    return (st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino)


def _content_digest(full_path: str) -> bytes:
    raw = read_file_bytes(full_path)  # a link is not followed, a pipe not waited on
    return b"" if isinstance(raw, LoadError) else hashlib.blake2b(raw, digest_size=16).digest()


def settle(full_path: str, key: Stamp, since: int) -> Stamp:
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
    return settle(full, stat_key(st), since)


def cache_key(settings: Settings) -> str:
    """Everything a cached file result depends on besides the file itself: the code (`code_key`:
    every file of the package, not its version number, which stays the same across many changes),
    the schemas, the Python version and the settings."""
    digest = hashlib.sha256()
    digest.update(f"{code_key()}|{schema_version()}|{sys.version_info[:2]}|".encode())
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
        return shard_of_id(owner, cls.SHARDS)

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


def shard_of_id(owner: str, shards: int) -> int:
    """The shard of a customer id (its file and its follow-up folder): the parse cache's and the
    stored views' files are split by it."""
    return zlib.crc32(owner.encode("utf-8")) % shards


Listing = tuple  # ((mtime_ns, ctime_ns, inode) of a folder, its names sorted joined by NUL): see `scan`


_RECORD_ENDINGS = (".yaml", ".yml")  # a folder so named may stand where a record file belongs (see `scan`)

# Stat each entry by its name in its folder's open descriptor where the platform allows (POSIX):
# the kernel then looks up one name per file, not the whole path from the root.
_AT = os.stat in os.supports_dir_fd and os.open in os.supports_dir_fd and os.listdir in os.supports_fd
_OPEN_FOLDER = os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)


def scan(repo: str, listings: dict[str, Listing] | None = None, listed: dict[str, Listing] | None = None,
         groups: list[dict[str, Stamp]] | None = None, others: dict[str, Stamp] | None = None) -> dict[str, Stamp]:
    """Every file under records/ (as `discover` lists them) with its stamp, in one walk: `stat_key`,
    plus a digest of the content for a racy file (changed within `RACY_NS` of the walk).

    One `lstat` per entry, which also tells folders from files (a symbolic link is stamped, never
    followed: reading it reports where it leads); names starting with a dot are skipped. A folder
    named like a record file where one belongs (`records/customers/<id>.yaml/`) is stamped as a file
    too, from the same `lstat` (reading it reports it), and walked as any folder. This walk runs on
    every read-only command, so it is kept to the bare calls (no DirEntry objects), each entry
    stat'ed by name in its folder's descriptor where the platform has `dir_fd`.

    `listed` collects each folder's listing (by repo-relative path) when the folder is settled
    (not changed within `RACY_FOLDER_NS`); given those `listings` back, a folder whose mtime, ctime and
    inode are as listed is not listed again (as git's untracked cache): adding, removing or
    renaming an entry sets the folder's ctime to the time of the change, which is later than a
    settled listing's. The files in it are still stamped one by one (an edit in place leaves the
    folder as it was).

    With `groups` (a list of empty dicts) and `others`, each stamp is also filed as it is taken:
    a customer file's and everything in its follow-up folder in the group of the customer id
    (`shard_of_id`, as the parse cache splits its entries), any other file's in `others`, each in
    walk order. A folder's group is found once for all its files."""
    found: dict[str, Stamp] = {}
    now = time.time_ns()
    since, settled = now - RACY_NS, now - RACY_FOLDER_NS
    stat, listdir = os.stat, os.listdir
    count = len(groups) if groups else 0

    def walk(full: str, rel: str, folder: os.stat_result, fd: int | None, into: dict[str, Stamp] | None) -> None:
        mark = (folder.st_mtime_ns, folder.st_ctime_ns, folder.st_ino)
        known = listings.get(rel) if listings is not None else None
        if known is not None and known[0] == mark:
            joined = known[1]
            names = joined.split("\0") if joined else []
        else:
            try:
                names = listdir(full if fd is None else fd)
            except OSError:
                return
            names.sort()
            joined = None
        if listed is not None and mark[0] < settled and mark[1] < settled:
            listed[rel] = (mark, "\0".join(names) if joined is None else joined)  # one string: quick to store and load
        full_, rel_ = full + "/", rel + "/"
        prefix = full_ if fd is None else ""  # a name alone is looked up in the folder's descriptor
        by_name = count and rel == CUSTOMERS_DIR  # each customer file in its own id's group
        for name in names:
            if name[0] == ".":
                continue
            try:
                st = stat(prefix + name, dir_fd=fd, follow_symlinks=False)
            except OSError:
                continue
            if st.st_mode & 0o170000 == 0o040000:  # stat.S_ISDIR, inlined
                if name.endswith(_RECORD_ENDINGS) and kind_of(rel_ + name) is not None:
                    # a folder where a record file belongs: listed as a file (reading it reports it),
                    # before what it holds, which is walked as any folder's
                    path = rel_ + name
                    found[path] = key = (st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino)
                    if by_name:
                        groups[shard_of_id(name.rsplit(".", 1)[0], count)][path] = key
                    elif into is not None:
                        into[path] = key
                inner = into
                if count:  # a follow-up folder: its customer's group; a folder among customers: others
                    inner = groups[shard_of_id(name, count)] if rel == FOLLOWUPS_DIR else others if by_name else into
                _inside(name, full_ + name, rel_ + name, st, fd, inner)
                continue
            key = (st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino)  # `stat_key`, inlined
            if key[1] >= since or key[2] >= since:
                key = settle(full_ + name, key, since)
            path = rel_ + name
            found[path] = key
            if by_name:
                groups[shard_of_id(name.rsplit(".", 1)[0], count)][path] = key
            elif into is not None:
                into[path] = key

    def _inside(name: str, full: str, rel: str, st: os.stat_result, fd: int | None,
                into: dict[str, Stamp] | None) -> None:
        """Walk a subfolder, through a descriptor of its own (opened without following a link)."""
        if fd is None:
            walk(full, rel, st, None, into)
            return
        try:
            inner = os.open(name, _OPEN_FOLDER, dir_fd=fd)
        except OSError:  # gone, or not a folder any more: as a folder that cannot be listed
            return
        try:
            walk(full, rel, st, inner, into)
        finally:
            os.close(inner)

    top = os.path.join(repo, RECORDS_DIR)
    try:
        folder = os.stat(top)  # followed, as listing it does
    except OSError:
        return found
    into = others if count else None
    if not _AT:
        walk(top, RECORDS_DIR, folder, None, into)
        return found
    try:
        fd = os.open(top, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) | getattr(os, "O_CLOEXEC", 0))
    except OSError:
        return found
    try:
        walk(top, RECORDS_DIR, folder, fd, into)
    finally:
        os.close(fd)
    return found


LISTINGS_FILE = "listings.marshal"


def scan_listed(repo: str) -> dict[str, Stamp]:
    """`scan`, reusing the folder listings it kept in `.dealbook-cache/listings.marshal` (signed,
    as every cache): what a command that reads the whole Book walks with (the stored views keep
    their own). A folder whose mark changed is listed again, and the file is rewritten only when
    a listing changed."""
    filename = os.path.join(repo, CACHE_DIR, LISTINGS_FILE)
    stored = load_marshal(filename, lambda v: isinstance(v, dict) and all(
        type(item) is tuple and len(item) == 2 and type(item[1]) is str for item in v.values())) or {}
    listed: dict[str, Listing] = {}
    found = scan(repo, stored, listed)
    if listed != stored:
        save_marshal(filename, listed)
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
        return None, [tuple(d) for d in check_loaded(Loaded(path, error=raw), settings)]
    data, diagnostics = read_record(path, raw, settings)
    return data, [tuple(d) for d in diagnostics]


def _warm_validators(settings: Settings) -> None:
    for kind in KINDS:
        validator(kind, settings_enums(kind, settings))


def read_many(
    repo: str, paths: list[str], settings: Settings, jobs: int | None = None, blobs: dict[str, bytes] | None = None,
    each: Callable[[str, Any], None] | None = None, chunk_done: Callable[[], None] | None = None,
) -> dict[str, Result]:
    """Read and check files, on every core when there are many; `blobs` collects each marshalled result,
    and `each(path, data)` is called as each result comes in (while the other files are still parsed),
    in path order within a chunk of files; `chunk_done()` after each chunk."""
    global _worker_settings
    if not paths:
        return {}
    jobs = jobs or os.cpu_count() or 1
    results: dict[str, Result] = {}
    parallel = jobs > 1 and len(paths) >= _PARALLEL_MIN
    if parallel:
        import multiprocessing  # imported here: a check of a few files never starts a pool
    if parallel and "fork" in multiprocessing.get_all_start_methods():
        _warm_validators(settings)  # once here, not in every forked worker
        _worker_settings = settings
        size = max(50, len(paths) // (jobs * 32))  # small chunks: no worker idles long at the end
        chunks = [(repo, paths[i:i + size]) for i in range(0, len(paths), size)]
        with multiprocessing.get_context("fork").Pool(jobs) as pool:
            for chunk in pool.imap_unordered(_read_chunk, chunks):
                for path, blob in chunk:
                    data, diagnostics = marshal.loads(blob)
                    results[path] = (data, [Diagnostic(*d) for d in diagnostics])
                    if blobs is not None:
                        blobs[path] = blob
                    if each is not None:
                        each(path, data)
                if chunk_done is not None:
                    chunk_done()
        _worker_settings = None
    else:
        for path in paths:
            data, diagnostics = _read_path(repo, path, settings)
            results[path] = (data, [Diagnostic(*d) for d in diagnostics])
            if blobs is not None:
                blobs[path] = marshal.dumps((data, diagnostics))
            if each is not None:
                each(path, data)
        if chunk_done is not None:
            chunk_done()
    return results


def changed_paths(before: dict[str, Stamp], now: dict[str, Stamp]) -> list[str]:
    """The paths whose stamps differ between two scans (added and removed ones included), sorted."""
    if before == now:
        return []
    changed = [path for path, stamp in now.items() if before.get(path) != stamp]
    changed.extend(path for path in before if path not in now)
    return sorted(changed)


def read_cached(repo: str, paths: Iterable[str], settings: Settings, scanned: dict[str, Stamp] | None = None,
                jobs: int | None = None, use_cache: bool = True) -> dict[str, Result]:
    """(data, diagnostics) of each file, from the parse cache when its stamp is unchanged; the files
    read afresh are stored in the cache."""
    cache = FileCache(repo, cache_key(settings), enabled=use_cache)
    results = _read_through(repo, cache, list(paths), settings, scanned or {}, jobs)
    cache.save()
    return results


def _read_through(repo: str, cache: FileCache, paths: list[str], settings: Settings, scanned: dict[str, Stamp],
                  jobs: int | None, each: Callable[[str, Any], None] | None = None,
                  chunk_done: Callable[[], None] | None = None) -> dict[str, Result]:
    """Each file's result, from the cache when its stamp is unchanged, else read (`read_many`, which
    calls `each` for the files it reads) and stored in the cache."""
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
    for path, result in read_many(repo, todo, settings, jobs, blobs, each, chunk_done).items():
        results[path] = result
        if stamps.get(path):
            cache.put(path, stamps[path], result, blobs.get(path))
    return results
