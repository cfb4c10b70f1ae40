"""Open a records repo as a Book: files read through the parse cache (`filecache`) on all cores, a
whole-repo Book restored from its snapshot and patched with only the files that changed."""

from __future__ import annotations

import contextlib
import gc
import hashlib
import marshal
import os
import time
from collections.abc import Callable, Iterable
from typing import Any

from ..records.book import GONE, Book, RecordParts, record_of
from ..records.cachefile import has_keys, load_marshal
from ..records.diagnostics import Diagnostic, from_rows
from ..records.load import LoadError, read_file_bytes
from ..records.model import CUSTOMER, FOLLOWUP, SETTINGS, TEAM_FILE, customer_path, id_problem, kind_of
from ..records.settings import SETTINGS_FILE, Settings, load_settings
from .crosschecks import cross_diagnostics
from .filecache import (  # noqa: F401  (re-exported: the names other modules read from here)
    CACHE_DIR,
    RACY_NS,
    FileCache,
    Listing,
    Result,
    Stamp,
    _read_through,
    _store,
    cache_key,
    changed_paths,
    file_stamp,
    read_cached,
    read_many,
    scan,
    scan_listed,
    settle,
    stat_key,
)
from .filechecks import check_loaded, read_record


def _settings_diagnostics(repo: str, settings: Settings) -> list[Diagnostic]:
    if settings.source is None:
        return []
    return check_loaded(settings.source, settings)


def _neighbours(repo: str, paths: list[str], results: dict[str, Result]) -> list[str]:
    """The files a PATH-limited check also needs: the team, the customers follow-ups name, and those
    customers' other follow-ups of the same day."""
    needed = {TEAM_FILE}
    for path in paths:
        if kind_of(path) == FOLLOWUP:
            data = results.get(path, (None,))[0]
            customer = data.get("customer") if isinstance(data, dict) else None
            named = customer if isinstance(customer, str) else path.split("/")[-2]
            if id_problem(named) is None:  # `../x` never leads outside records/; the check reports it
                needed.add(customer_path(named))
            # the same customer's follow-ups of the same day: the contacts-per-day warning counts them
            folder, name = path.rsplit("/", 1)
            with contextlib.suppress(OSError):
                needed.update(f"{folder}/{other}" for other in os.listdir(os.path.join(repo, folder))
                              if other[:10] == name[:10] and other.endswith((".yaml", ".yml")))
    return sorted(p for p in needed if p not in results and os.path.lexists(os.path.join(repo, p)))


def open_book(
    repo: str,
    paths: Iterable[str] | None = None,
    settings: Settings | None = None,
    use_cache: bool = True,
    jobs: int | None = None,
    scanned: dict[str, Stamp] | None = None,
    snapshot: bool = False,
    background: bool = False,
    after: Callable[[Book, dict[str, Stamp]], None] | None = None,
) -> Book:
    """Read the repo's records (or only `paths`, plus what they refer to) into a checked Book.

    With `snapshot`, a whole-repo Book is restored from the signed snapshot of the last such read
    and patched with only the files whose stamps changed since (see `Book.patch`); a snapshot
    that is missing, foreign or too far behind is replaced by a Book built from the parse cache.

    `book.diagnostics` holds every finding: unreadable files, schema errors, record rules
    and cross-record references, computed when first asked for. With `paths`, only findings in
    those files are kept. `scanned` is a `scan(repo)` the caller already made. `after(book, scanned)`
    runs when the Book was rebuilt rather than restored (the customer views a check leaves behind);
    with `background`, in a forked process while the caller goes on (it must call
    `wait_for_background(book)` before it exits)."""
    # Record data holds no reference cycles, and the collector's full passes over 100k+
    # live records cost about 40% of a large read: pause it while the Book is built.
    collecting = gc.isenabled()
    gc.disable()
    try:
        if not (snapshot and paths is None and use_cache):
            return _open_book(repo, paths, settings, use_cache, jobs, scanned)
        repo = os.path.abspath(repo)
        settings = settings or load_settings(repo)
        return _snapshot_book(repo, settings, scan_listed(repo) if scanned is None else scanned, jobs, background,
                              after)
    finally:
        if collecting:
            gc.enable()


PATCH_SHARE = 0.25  # a snapshot is patched while at most this share of the files changed since it was made
REWRITE_AFTER = 200  # ... and written anew once this many files differ from it


def _snapshot_book(repo: str, settings: Settings, scanned: dict[str, Stamp], jobs: int | None,
                   background: bool = False, after: Callable[[Book, dict[str, Stamp]], None] | None = None) -> Book:
    from ..records import snapshot as snapshots

    folder = os.path.join(repo, CACHE_DIR)
    key = cache_key(settings)
    state = snapshots.load(folder, key)
    stamps = _stamps_of(state)
    if isinstance(stamps, dict):
        changed = changed_paths(stamps, scanned)
        book = _restored(settings, state, repo) if _patchable(changed, scanned) else None
        if book is not None:
            if changed:
                _patch(book, repo, changed, settings, scanned, jobs)
                if len(changed) >= REWRITE_AFTER:
                    snapshots.save(folder, key, {**book.snapshot_state(), "stamps": marshal.dumps(scanned)})
            book.defer_diagnostics(_whole_repo_diagnostics(repo, settings))
            return book
    parts = RecordParts()
    book = _open_book(repo, None, settings, True, jobs, scanned, parts)
    # Most records were pickled in parts as they came in from the parsing processes: what is left
    # is to write those parts out. In the background the views (`after`) are computed by a process
    # of their own, while the caller runs the cross-record checks: on two cores the two run at once.
    book.background_pid = _fork(lambda: after(book, scanned)) if background and after is not None else None
    snapshots.save(folder, key, {**book.snapshot_state(parts), "stamps": marshal.dumps(scanned)})
    if after is not None and book.background_pid is None:
        after(book, scanned)
    return book


def reopen_book(book: Book, read_with: dict[str, Stamp], scanned: dict[str, Stamp], settings: Settings,
                jobs: int | None = None) -> Book | None:
    """A whole-repo Book read earlier (from the files as `read_with` stamps them, with these same
    settings), brought up to the files `scanned` now stamps: a copy patched with only the files whose
    stamps differ (`Book.patch`; the earlier Book and what was remembered on it are left as they were),
    its findings deferred as `open_book`'s. For a process that reads the repo again and again (`mkdocs
    serve`). None when too much changed: read it again (`open_book`)."""
    repo = book.root
    if repo is None or not book.complete:
        return None
    changed = changed_paths(read_with, scanned)
    if not _patchable(changed, scanned):
        return None
    copy = book.copy(settings, _raw_reader(repo))
    copy.root = repo
    if changed:
        _patch(copy, repo, changed, settings, scanned, jobs)
    copy.defer_diagnostics(_whole_repo_diagnostics(repo, settings))
    return copy


def _patchable(changed: list[str], scanned: dict[str, Stamp]) -> bool:
    """Whether a Book read before is patched with the `changed` files (`PATCH_SHARE`), not read again."""
    return len(changed) <= max(50, PATCH_SHARE * len(scanned))


def _patch(book: Book, repo: str, changed: list[str], settings: Settings, scanned: dict[str, Stamp],
           jobs: int | None) -> None:
    """Patch `book` with the `changed` files: those still `scanned` read again, the others gone."""
    results = read_cached(repo, [p for p in changed if p in scanned], settings, scanned, jobs)
    book.patch({p: results[p][0] if p in results else GONE for p in changed}, {p: results[p][1] for p in results})


def _stamps_of(state: Any) -> dict[str, Stamp] | None:
    """The stamps a snapshot was taken at (marshalled inside it: quicker to load than pickled)."""
    try:
        stamps = marshal.loads(state["stamps"])
    except (TypeError, KeyError, EOFError, ValueError, IndexError):
        return None
    return stamps if isinstance(stamps, dict) else None


def _fork(work: Callable[[], None]) -> int | None:
    """Run `work` in a forked child (its id), or None when the system cannot fork."""
    if not hasattr(os, "fork"):
        return None
    try:
        pid = os.fork()
    except OSError:
        return None
    if pid == 0:  # the child: do the work, leave without running the parent's exit handlers
        code = 1
        try:
            work()
            code = 0
        finally:
            os._exit(code)
    return pid


def wait_for_background(book: Book) -> None:
    """Wait for the process running `after` on `book`, if one was started (`open_book(background=True)`)."""
    pid = getattr(book, "background_pid", None)
    if pid:
        book.background_pid = None
        with contextlib.suppress(ChildProcessError):
            os.waitpid(pid, 0)


def _restored(settings: Settings, state: dict[str, Any], repo: str) -> Book | None:
    """The Book of a snapshot; None when the snapshot, though signed, is of another shape."""
    try:
        book = Book.from_snapshot(settings, state, _raw_reader(repo))
    except Exception:  # another version's layout: rebuild
        return None
    book.root = repo
    return book


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
    parts: RecordParts | None = None,
) -> Book:
    """`parts` collects the records pickled in parts as they are made, for the snapshot (`Book.snapshot_state`)."""
    repo = os.path.abspath(repo)
    settings = settings or load_settings(repo)
    complete = paths is None
    if scanned is None:
        scanned = scan(repo) if paths is None else {}
    wanted = sorted(scanned) if paths is None else sorted(set(paths))
    cache = FileCache(repo, cache_key(settings), enabled=use_cache)
    record_paths = [p for p in wanted if kind_of(p) != SETTINGS]
    # A whole-repo read makes each record as its file's result comes in from the parsing processes,
    # so the Book is not built in one serial step after the last file.
    built: dict[str, Any] = {}

    def made(path: str, data: Any) -> None:
        record = built[path] = record_of(path, data)
        if parts is not None:
            parts.add(path, data, record)

    results = _read_through(repo, cache, record_paths, settings, scanned, jobs, made if complete else None,
                            parts.flush if parts is not None else None)
    if not complete:
        results.update(_read_through(repo, cache, _neighbours(repo, record_paths, results), settings, scanned, jobs))
    cache.forget_missing(set(results), complete)
    cache.save()

    only = None if complete else set(wanted)
    book = Book(settings, ((p, results[p][0]) for p in sorted(results)), (), _raw_reader(repo), complete, built)
    book.root = repo
    if not complete and use_cache and any(kind_of(p) == CUSTOMER for p in wanted):
        # every other customer, for the cross-record checks of the customers checked (ids, names, contract
        # numbers): a check of follow-ups alone compares nothing with them, and skips the index
        from .customer_index import customer_index

        book.repo_customers = customer_index(repo, settings)
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
    after: Callable[[Book, dict[str, Stamp]], None] | None = None,
    listed: dict[str, Listing] | None = None,
) -> tuple[list[Diagnostic], int]:
    """The diagnostics of `dealbook check` and the number of files it covered.

    `listed` collects the folder listings of the repo-wide walk (see `scan`).

    `after(book, stamps)` runs whenever the whole Book is rebuilt, in a forked process beside the
    cross-record checks (the check command stores the customer views there).

    A repo-wide check whose files all have the sizes and times of the last repo-wide check
    answers from that check's stored result, without reading or building anything; any
    other check reads the Book (`open_book`) and stores its result for next time."""
    repo = os.path.abspath(repo)
    settings = settings or load_settings(repo)
    if paths is not None:
        book = open_book(repo, paths, settings, use_cache)
        return book.diagnostics, len(book.paths)
    summary_file = os.path.join(repo, CACHE_DIR, "check.marshal")
    scanned = scan(repo, listed=listed)
    fingerprint = _fingerprint(repo, settings, scanned) if use_cache else ""
    if use_cache:
        stored = load_marshal(summary_file, lambda v: has_keys(v, fingerprint=str, files=int))
        found = from_rows(stored["diagnostics"]) if stored is not None and stored["fingerprint"] == fingerprint \
            else None
        if found is not None:
            return found, stored["files"]
    # A rebuilt snapshot (for the read-only commands that follow) is pickled by a forked process
    # while this one runs the cross-record checks: on two cores the two overlap.
    book = open_book(repo, None, settings, use_cache, scanned=scanned, snapshot=use_cache, background=True,
                     after=after)
    collecting = gc.isenabled()
    gc.disable()  # as in `open_book`: the checks below add no cycles, and full passes over the Book cost seconds
    try:
        if use_cache:
            from .customer_index import customer_index

            customer_index(repo, settings, book, scanned)  # ready for the next PATH-limited check
            _store(os.path.dirname(summary_file), summary_file, {
                "fingerprint": fingerprint, "files": len(book.paths),
                "diagnostics": [tuple(d) for d in book.diagnostics]})
        found = book.diagnostics
    finally:
        wait_for_background(book)
        if collecting:
            gc.enable()
    return found, len(book.paths)


def open_book_from(
    settings: Settings,
    files: Iterable[tuple[str, Any]],
    read_raw: Callable[[str], bytes | None] | None = None,
    read: Callable[[str, Any], Result] | None = None,
    check_settings: bool = False,
) -> Book:
    """A Book from (path, bytes) pairs, e.g. blobs of a git revision; nothing is cached here.

    `read(path, item)` turns each pair's second item into (data, diagnostics); the default
    parses and checks bytes (the git store passes blob ids and answers from its parse cache).
    Its findings (`book.diagnostics`) are computed when first asked for: each file's own, the
    cross-record ones, then (with `check_settings`) the settings' own."""
    results = []
    found_in: dict[str, list[Diagnostic]] = {}
    for path, raw in files:
        if kind_of(path) == SETTINGS:
            continue
        data, found = read(path, raw) if read else read_record(path, raw, settings)
        results.append((path, data))
        if found:
            found_in.setdefault(path, []).extend(found)
    book = Book(settings, sorted(results, key=lambda r: r[0]), (), read_raw, True)
    book.file_diagnostics = found_in
    book.defer_diagnostics(book_diagnostics(settings if check_settings else None))  # found lines only when asked
    return book


def book_diagnostics(settings: Settings | None = None) -> Callable[[Book], list[Diagnostic]]:
    """What `book.diagnostics` of a Book read from given files holds: each file's own findings (in
    the order read), the cross-record ones, then `settings`' own (when given)."""

    def compute(book: Book) -> list[Diagnostic]:
        found = [d for items in book.file_diagnostics.values() for d in items]
        found.extend(cross_diagnostics(book))
        if settings is not None and settings.source is not None:
            found.extend(check_loaded(settings.source, settings))
        return found

    return compute
