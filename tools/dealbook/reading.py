"""Open a records repo as a Book: files read on all cores, results cached by path, size and mtime."""

from __future__ import annotations

import hashlib
import json
import marshal
import multiprocessing
import os
import sys
import tempfile
from collections.abc import Callable, Iterable
from typing import Any

from . import __version__
from .book import Book
from .crosschecks import cross_diagnostics
from .diagnostics import ERROR, Diagnostic
from .filechecks import check_loaded, read_record
from .records import FOLLOWUP, SETTINGS, TEAM_FILE, customer_path, discover, kind_of
from .schema import KINDS, schema_version, settings_enums, validator
from .settings import SETTINGS_FILE, Settings, load_settings

CACHE_DIR = ".dealbook-cache"
_PARALLEL_MIN = 400  # below this many files to parse, a process pool costs more than it saves

Result = tuple[Any, list[Diagnostic]]


def cache_key(settings: Settings) -> str:
    """Everything a cached file result depends on besides the file itself."""
    digest = hashlib.sha256()
    digest.update(f"{__version__}|{schema_version()}|{sys.version_info[:2]}|".encode())
    digest.update(json.dumps(settings.raw, sort_keys=True, default=str).encode())
    return digest.hexdigest()[:20]


class FileCache:
    """Per-file results on disk, keyed by path and validated by (size, mtime_ns) and `cache_key`."""

    def __init__(self, repo: str, key: str, enabled: bool = True) -> None:
        self.dir = os.path.join(repo, CACHE_DIR)
        self.file = os.path.join(self.dir, "files.marshal")
        self.key = key
        self.enabled = enabled
        self.entries: dict[str, tuple] = {}
        self.dirty = False
        if enabled:
            try:
                with open(self.file, "rb") as handle:
                    stored = marshal.load(handle)
                if stored.get("key") == key:
                    self.entries = stored["entries"]
            except (OSError, EOFError, ValueError, TypeError, KeyError, AttributeError):
                self.entries = {}

    def get(self, path: str, stamp: tuple[int, int]) -> Result | None:
        entry = self.entries.get(path)
        if entry is None or (entry[0], entry[1]) != stamp:
            return None
        return entry[2], [Diagnostic(*d) for d in entry[3]]

    def put(self, path: str, stamp: tuple[int, int], result: Result) -> None:
        self.entries[path] = (stamp[0], stamp[1], result[0], [tuple(d) for d in result[1]])
        self.dirty = True

    def forget_missing(self, present: set[str], complete: bool) -> None:
        if complete:
            gone = [p for p in self.entries if p not in present]
            for path in gone:
                del self.entries[path]
            self.dirty = self.dirty or bool(gone)

    def save(self) -> None:
        """Write atomically; two runs racing each leave a whole file, the last one wins."""
        if not (self.enabled and self.dirty):
            return
        try:
            os.makedirs(self.dir, exist_ok=True)
            ignore = os.path.join(self.dir, ".gitignore")
            if not os.path.exists(ignore):
                with open(ignore, "w") as handle:
                    handle.write("*\n")
            fd, tmp = tempfile.mkstemp(dir=self.dir, prefix=".files-", suffix=".tmp")
            try:
                with os.fdopen(fd, "wb") as handle:
                    marshal.dump({"key": self.key, "entries": self.entries}, handle)
                os.replace(tmp, self.file)
            except BaseException:
                os.unlink(tmp)
                raise
        except (OSError, ValueError):
            pass  # a cache that cannot be written only costs speed


# --- parallel reading -------------------------------------------------------
_worker_settings: Settings | None = None


def _read_chunk(job: tuple[str, list[str]]) -> list[tuple[str, Any, list[tuple]]]:
    repo, paths = job
    out = []
    for path in paths:
        out.append((path, *_read_path(repo, path, _worker_settings)))
    return out


def _read_path(repo: str, path: str, settings: Settings) -> tuple[Any, list[tuple]]:
    try:
        with open(os.path.join(repo, path), "rb") as handle:
            raw = handle.read()
    except OSError as exc:
        return None, [(path, 1, 1, ERROR, "unreadable", f"cannot read the file: {exc.strerror}")]
    data, diagnostics = read_record(path, raw, settings)
    return data, [tuple(d) for d in diagnostics]


def _warm_validators(settings: Settings) -> None:
    for kind in KINDS:
        validator(kind, settings_enums(kind, settings))


def read_many(repo: str, paths: list[str], settings: Settings, jobs: int | None = None) -> dict[str, Result]:
    """Read and check files, on every core when there are many."""
    global _worker_settings
    _warm_validators(settings)
    jobs = jobs or os.cpu_count() or 1
    results: dict[str, Result] = {}
    if jobs > 1 and len(paths) >= _PARALLEL_MIN and "fork" in multiprocessing.get_all_start_methods():
        _worker_settings = settings
        size = max(50, len(paths) // (jobs * 8))
        chunks = [(repo, paths[i:i + size]) for i in range(0, len(paths), size)]
        with multiprocessing.get_context("fork").Pool(jobs) as pool:
            for chunk in pool.imap_unordered(_read_chunk, chunks):
                for path, data, diagnostics in chunk:
                    results[path] = (data, [Diagnostic(*d) for d in diagnostics])
        _worker_settings = None
    else:
        for path in paths:
            data, diagnostics = _read_path(repo, path, settings)
            results[path] = (data, [Diagnostic(*d) for d in diagnostics])
    return results


def _stamp(repo: str, path: str) -> tuple[int, int] | None:
    try:
        st = os.stat(os.path.join(repo, path))
    except OSError:
        return None
    return (st.st_size, st.st_mtime_ns)


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
    return sorted(p for p in needed if p not in results and os.path.exists(os.path.join(repo, p)))


def open_book(
    repo: str,
    paths: Iterable[str] | None = None,
    settings: Settings | None = None,
    use_cache: bool = True,
    jobs: int | None = None,
) -> Book:
    """Read the repo's records (or only `paths`, plus what they refer to) into a checked Book.

    `book.diagnostics` holds every finding: unreadable files, schema errors, record rules
    and cross-record references. With `paths`, only findings in those files are kept."""
    repo = os.path.abspath(repo)
    settings = settings or load_settings(repo)
    complete = paths is None
    wanted = discover(repo) if paths is None else sorted(set(paths))
    cache = FileCache(repo, cache_key(settings), enabled=use_cache)
    results: dict[str, Result] = {}
    stamps: dict[str, tuple[int, int] | None] = {}
    todo: list[str] = []

    def gather(batch: list[str]) -> None:
        for path in batch:
            stamp = stamps[path] = _stamp(repo, path)
            hit = cache.get(path, stamp) if stamp else None
            if hit is None:
                todo.append(path)
            else:
                results[path] = hit

    record_paths = [p for p in wanted if kind_of(p) != SETTINGS]
    gather(record_paths)
    fresh = read_many(repo, todo, settings, jobs)
    if not complete:
        todo.clear()
        gather(_neighbours(repo, record_paths, {**results, **fresh}))
        fresh.update(read_many(repo, todo, settings, jobs))
    for path, result in fresh.items():
        results[path] = result
        if stamps.get(path):
            cache.put(path, stamps[path], result)
    cache.forget_missing(set(results), complete)
    cache.save()

    only = None if complete else set(wanted)
    diagnostics: list[Diagnostic] = []
    if complete or SETTINGS_FILE in wanted:
        diagnostics.extend(_settings_diagnostics(repo, settings))
    for path in sorted(results):
        if only is None or path in only:
            diagnostics.extend(results[path][1])

    def read_raw(path: str) -> bytes | None:
        try:
            with open(os.path.join(repo, path), "rb") as handle:
                return handle.read()
        except OSError:
            return None

    book = Book(settings, ((p, results[p][0]) for p in sorted(results)), diagnostics, read_raw, complete)
    book.root = repo
    book.diagnostics.extend(cross_diagnostics(book, only))
    return book


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

