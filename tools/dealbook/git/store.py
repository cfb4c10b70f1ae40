"""All git access: the Book at any revision, what changed between two, and every file's history.

Built on GitPython with one `Repo` per `Store`, closed after use. Blobs are read through one
pipelined `git cat-file --batch --buffer` process per request (never one process per file),
history comes from one `git log --raw` pass, and parsed records are cached by blob id, so a
replay at another revision re-parses only the blobs that differ.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import marshal
import multiprocessing
import os
import re
import subprocess
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo

import git

from ..checks.filechecks import read_record
from ..records.book import Book
from ..records.cachefile import (  # noqa: F401  (open_cache_db: re-exported for the git room)
    keep_newest,
    load_marshal,
    open_cache_db,
    open_sqlite_cache,
    save_marshal,
)
from ..records.diagnostics import Diagnostic, from_rows
from ..records.model import CUSTOMERS_DIR, FOLLOWUPS_DIR, RECORDS_DIR, TEAM_FILE, customer_files, file_stem, kind_of
from ..records.settings import SETTINGS_FILE, Settings, load_settings, settings_from_bytes
from ..text.catalog import N_, Said, Translator, said

DATE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")
NULL_SHA = "0" * 40
CACHE_DIR = ".dealbook-cache"
_BLOB_CACHE = "blobs.sqlite"
_PARALLEL_MIN = 400  # below this many misses a process pool costs more than it saves

Result = tuple[Any, list[Diagnostic]]


# Said in the reader's language where they are shown (`str()` of one is the English).
FETCH_HISTORY = said(N_("fetch the whole history with `git fetch --unshallow` (in CI, check out with "
                        "`fetch-depth: 0` / `GIT_DEPTH: 0`)"))
SHALLOW_HINT = said(N_("; this clone is shallow (its history is cut off): %(fetch)s"), fetch=FETCH_HISTORY)
NO_COMMITS_HINT = said(N_("; the repository has no commits yet"))


class GitStoreError(Exception):
    """A repository or revision problem, worded for the user: `str()` is the English, `text(_)` the
    message in the translator's language (git's own words, quoted in it, stay as git said them)."""

    def __init__(self, message: str | Said) -> None:
        super().__init__(str(message))
        self.said = message if isinstance(message, Said) else None

    def text(self, _: Translator) -> str:
        return self.said.say(_) if self.said is not None else str(self)


# --- the store ----------------------------------------------------------------------
class Store:
    """One git repository, opened once: revisions resolved, trees listed, blobs read in batches.

    Paths handed in and out are relative to the records repo (which may be a folder inside
    the git work tree); `prefix` maps them to the git tree."""

    def __init__(self, path: str) -> None:
        self.root = os.path.abspath(path)
        try:
            self.repo = git.Repo(self.root, search_parent_directories=True)
        except (git.InvalidGitRepositoryError, git.NoSuchPathError):
            raise GitStoreError(said(N_("%(path)s is not inside a git repository: git-based features (--at, diff, "
                                        "history) need one"), path=self.root)) from None
        top = self.repo.working_tree_dir
        if top is None:
            self.repo.close()
            raise GitStoreError(said(N_("%(path)s: bare repositories are not supported; use a clone"), path=self.root))
        self.top = str(top)
        relative = os.path.relpath(os.path.realpath(self.root), os.path.realpath(self.top))
        self.prefix = "" if relative == "." else relative.replace(os.sep, "/") + "/"
        self._cache: BlobCache | None = None

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        if self._cache is not None:
            self._cache.close()
            self._cache = None
        self.repo.close()

    # -- raw git ------------------------------------------------------------------
    def git(self, *args: str) -> str:
        """Run one git command in the work tree; paths in the output are not octal-quoted."""
        try:
            return self.repo.git.execute(["git", "-c", "core.quotePath=false", *args])
        except git.GitCommandError as exc:
            detail = (exc.stderr or "").strip().replace("stderr: ", "").strip("'\n ")
            raise GitStoreError(said(N_("git %(command)s failed: %(error)s"), command=args[0],
                                     error=detail or str(exc))) from None

    def _spec(self, *paths: str) -> list[str]:
        return ["--", *(self.prefix + p for p in paths)]

    def _strip(self, path: str) -> str | None:
        """The records-repo path of a git path, or None when it lies outside the records repo."""
        if not path.startswith(self.prefix):
            return None
        return path[len(self.prefix):]

    # -- revisions ------------------------------------------------------------------
    def resolve(self, rev: str, timezone: str | None = None) -> str:
        """The commit id `rev` names: a commit, tag or branch, or a date YYYY-MM-DD (the last
        commit on or before that day's end in the team's timezone, on HEAD's first-parent line)."""
        rev = rev.strip()
        if not rev or rev.startswith("-"):
            raise GitStoreError(said(N_("%(rev)r is not a revision"), rev=rev))
        try:
            return self.repo.git.rev_parse("--verify", "--quiet", f"{rev}^{{commit}}").strip()
        except git.GitCommandError:
            pass
        if DATE.match(rev):
            try:
                day = dt.date.fromisoformat(rev)
            except ValueError:
                raise GitStoreError(said(N_("%(rev)s is not a date"), rev=rev)) from None
            if self.head() is None:
                raise GitStoreError(said(N_("no commit on or before %(rev)s%(hint)s"), rev=rev,
                                         hint=self.history_hint()))
            zone = ZoneInfo(timezone or load_settings(self.root).timezone)
            end = dt.datetime.combine(day, dt.time(23, 59, 59), zone)
            found = self.git("rev-list", "-1", "--first-parent", f"--before={end.isoformat()}", "HEAD")
            if not found.strip():
                raise GitStoreError(said(N_("no commit on or before %(rev)s: the history starts later%(hint)s"),
                                         rev=rev, hint=self.history_hint()))
            return found.strip()
        raise GitStoreError(said(N_("unknown revision %(rev)r: give a commit, tag, branch or date (YYYY-MM-DD)"
                                    "%(hint)s"), rev=rev, hint=self.history_hint()))

    def shallow(self) -> frozenset[str]:
        """The commits at the edge of a shallow clone (`git clone --depth N`, CI's default
        checkout): their parents are missing, so their changes are not what the commit did."""
        path = os.path.join(str(self.repo.git_dir), "shallow")
        try:
            with open(path, encoding="ascii") as handle:
                return frozenset(line.strip() for line in handle if line.strip())
        except OSError:
            return frozenset()

    def history_hint(self) -> Said | str:
        """Why a revision may be missing: the repository has no commit yet, or the clone is shallow
        (a `Said` to end a message with; "" when neither)."""
        if self.head() is None:
            return NO_COMMITS_HINT
        return SHALLOW_HINT if self.shallow() else ""

    def head(self) -> str | None:
        try:
            return self.repo.git.rev_parse("--verify", "--quiet", "HEAD^{commit}").strip()
        except git.GitCommandError:
            return None

    def merge_base(self, a: str, b: str) -> str | None:
        try:
            return self.repo.git.merge_base(a, b).strip() or None
        except git.GitCommandError:
            return None

    def commit_time(self, sha: str) -> dt.datetime:
        return dt.datetime.fromisoformat(self.git("show", "-s", "--format=%aI", sha).strip())

    # -- trees and blobs ------------------------------------------------------------
    def tree(self, sha: str, paths: Iterable[str] | None = None) -> dict[str, str]:
        """Every records file of a commit (and dealbook.yaml), or those under `paths` (files or
        folders ending in `/`): path → blob id, from one ls-tree."""
        spec = self._spec(*(paths if paths is not None else (RECORDS_DIR, SETTINGS_FILE)))
        out = self.git("--literal-pathspecs", "ls-tree", "-r", "-z", "--full-tree", sha, *spec)
        files: dict[str, str] = {}
        for entry in out.split("\0"):
            if not entry:
                continue
            meta, _, path = entry.partition("\t")
            parts = meta.split()
            local = self._strip(path)
            if len(parts) == 3 and parts[1] == "blob" and local is not None:
                files[local] = parts[2]
        return files

    def blobs(self, ids: Iterable[str]) -> Iterator[tuple[str, bytes]]:
        """(id, content) of each blob, read through one `git cat-file --batch` process.

        A thread writes the requests while this one reads the answers, so the process never
        waits for a round trip (≈ 20× faster than asking one blob at a time)."""
        wanted = list(dict.fromkeys(i for i in ids if i and i != NULL_SHA))
        if not wanted:
            return
        process = self.repo.git.cat_file("--batch", "--buffer", as_process=True, istream=subprocess.PIPE)
        proc = process.proc

        def feed() -> None:
            try:
                for blob in wanted:
                    proc.stdin.write(blob.encode() + b"\n")
                proc.stdin.close()
            except (BrokenPipeError, ValueError):
                pass

        writer = threading.Thread(target=feed, daemon=True)
        writer.start()
        out = proc.stdout
        try:
            for _ in wanted:
                header = out.readline().split()
                if len(header) == 2 and header[1] == b"missing":
                    continue
                if len(header) != 3:
                    raise GitStoreError(said(N_("git cat-file stopped answering")))
                size = int(header[2])
                data = out.read(size)
                out.read(1)
                yield header[0].decode(), data
        finally:
            writer.join()
            proc.stdout.close()
            proc.wait()

    def blob(self, blob_id: str | None) -> bytes | None:
        if not blob_id:
            return None
        return next((data for _, data in self.blobs([blob_id])), None)

    # -- books ------------------------------------------------------------------------
    def settings_at(self, files: dict[str, str]) -> Settings:
        return settings_from_bytes(self.blob(files.get(SETTINGS_FILE)))

    def parsed(self, settings: Settings, files: Iterable[tuple[str, str]]) -> dict[str, Result]:
        """(data, diagnostics) of each (path, blob id), from the parse cache or parsed now."""
        from ..checks.reading import cache_key

        key = cache_key(settings)
        if self._cache is None or self._cache.key != key:
            if self._cache is not None:
                self._cache.close()
            self._cache = BlobCache(self.root, key)
        cache = self._cache
        files = list(files)
        hits = cache.get_many([f"{blob}\0{path}" for path, blob in files])
        results: dict[str, Result] = {}
        missing: dict[str, list[str]] = {}
        for path, blob in files:
            hit = hits.get(f"{blob}\0{path}")
            if hit is None:
                missing.setdefault(blob, []).append(path)
            else:
                results[path] = hit
        if missing:
            pairs = [(path, data) for blob, data in self.blobs(missing) for path in missing[blob]]
            blob_of = {path: blob for blob, paths in missing.items() for path in paths}
            for path, result in parse_many(pairs, settings):
                results[path] = result
                cache.put(f"{blob_of[path]}\0{path}", result)
            cache.save()
        return results

    def book(self, sha: str, only: Callable[[str], bool] | None = None, paths: list[str] | None = None,
             language: str | None = None) -> Book:
        """The checked Book of commit `sha`: all records, or those `only` accepts (plus the team),
        listed from `paths` (files and `folder/`s) when given, else from the whole tree; with
        `language`, checked and worded in that language instead of its settings' own."""
        files = self.tree(sha, None if paths is None else [SETTINGS_FILE, TEAM_FILE, *paths])
        settings = self.settings_at(files)
        if language is not None:
            settings = settings.speaking(language)
        chosen = [(p, b) for p, b in sorted(files.items())
                  if p != SETTINGS_FILE and (only is None or only(p) or kind_of(p) == "team")]
        results = self.parsed(settings, chosen)
        from ..checks.reading import open_book_from

        book = open_book_from(settings, chosen, read_raw=self._raw_reader(sha), read=lambda path, _blob: results[path],
                              check_settings=only is None)
        book.complete = only is None
        book.revision = sha  # type: ignore[attr-defined]
        return book

    def _raw_reader(self, sha: str) -> Callable[[str], bytes | None]:
        """Reads one file of commit `sha` (for line numbers of cross-record findings): through
        GitPython's persistent `cat-file` process (restarted on demand if the store was closed)."""
        repo, prefix = self.repo, self.prefix

        def read_raw(path: str) -> bytes | None:
            try:
                return repo.git.get_object_data(f"{sha}:{prefix}{path}")[3]
            except (git.GitCommandError, ValueError, OSError):
                return None

        return read_raw

    # -- revisions kept: git objects never change, so a tree id keys all that is read from it ------
    def records_tree(self, sha: str) -> str:
        """The id of the records repo's tree at commit `sha` (every file a replay reads lies in it)."""
        where = f"{sha}:{self.prefix.rstrip('/')}" if self.prefix else f"{sha}^{{tree}}"
        try:
            return self.repo.git.rev_parse("--verify", "--quiet", where).strip()
        except git.GitCommandError:  # the records folder did not exist yet: nothing to read, an empty Book
            return "empty"

    def settings_of(self, sha: str) -> Settings:
        """The settings of commit `sha` (its dealbook.yaml, else the defaults), read alone."""
        try:
            blob = self.repo.git.rev_parse("--verify", "--quiet", f"{sha}:{self.prefix}{SETTINGS_FILE}").strip()
        except git.GitCommandError:
            blob = ""
        return self.settings_at({SETTINGS_FILE: blob} if blob else {})

    def revision(self, rev: str) -> Revision:
        sha = self.resolve(rev)
        return Revision(sha, self.records_tree(sha), self.settings_of(sha))

    def kept_book(self, revision: Revision) -> Book:
        """The whole Book of a revision, restored from the signed snapshot kept for its tree (see
        `records.snapshot`) or read and kept for next time (the last KEEP_BOOKS revisions)."""
        from ..checks.reading import book_diagnostics, cache_key
        from ..records import snapshot as snapshots

        folder = os.path.join(self.root, CACHE_DIR, "at")
        key = f"{revision.tree}|{cache_key(revision.settings)}"
        name = f"book-{revision.tree}.pickle"
        state = snapshots.load(folder, key, name)
        book = None
        if state is not None:
            try:
                book = Book.from_snapshot(revision.settings, state, self._raw_reader(revision.commit))
            except Exception:  # another version's layout: read the revision again
                book = None
            if book is not None:
                book.defer_diagnostics(book_diagnostics(revision.settings))
                book.revision = revision.commit  # type: ignore[attr-defined]
                with contextlib.suppress(OSError):
                    os.utime(os.path.join(folder, name))  # the most recently used are kept
        if book is None:
            book = self.book(revision.commit)
            snapshots.save(folder, key, book.snapshot_state(), name)
            keep_newest(folder, "book-", KEEP_BOOKS)
        return book

    # -- what changed -----------------------------------------------------------------
    def changed(self, base: str, head: str | None) -> list[FileChange]:
        """Records files that differ between two commits (head None: the working tree, untracked
        files included), renames paired, from one `git diff --raw`."""
        spec = self._spec(RECORDS_DIR, SETTINGS_FILE)
        args = ["diff", "--raw", "-z", "--no-abbrev", "-M", base] + ([head] if head else []) + spec
        changes = parse_raw(self.git(*args), self._strip)
        if head is None:
            untracked = self.git("ls-files", "-z", "--others", "--exclude-standard", *spec)
            for path in untracked.split("\0"):
                local = self._strip(path) if path else None
                if local:
                    changes.append(FileChange("A", None, local, None, None))
        return changes

    # -- history ----------------------------------------------------------------------------
    def log(self, *paths: str, revisions: str = "HEAD", follow: bool = False) -> list[Commit]:
        """Every commit of `revisions` that touched the given records paths (default: all
        records), oldest first, with each file's blob ids before and after: one `git log --raw`.
        Renames are found (status R, with the old and the new path), so a renamed customer or a
        moved follow-up keeps its history; `follow` (one path) follows that file back through its
        renames, as `git log --follow` does."""
        if self.head() is None:
            return []
        following = follow and len(paths) == 1
        # git cannot follow renames walking forwards (--follow with --reverse loses them): newest first
        order = ["--follow"] if following else ["--reverse"]
        args = ["log", "--raw", "--no-abbrev", "--find-renames", *order, "--topo-order",
                "--format=%x1e%H%x1f%an%x1f%ae%x1f%aI%x1f%s", revisions, *self._spec(*(paths or (RECORDS_DIR,)))]
        # Parsed as it streams: git computes the later commits' changes while this process reads
        # the earlier ones (about a third of a cold change log on two cores).
        try:
            process = self.repo.git.execute(["git", "-c", "core.quotePath=false", *args], as_process=True)
        except git.GitCommandError as exc:
            raise GitStoreError(said(N_("git %(command)s failed: %(error)s"), command="log", error=str(exc))) from None
        proc = process.proc
        commits: list[Commit] = []
        rest = b""
        while True:
            block = proc.stdout.read(1 << 20)
            if not block:
                break
            rest += block
            cut = rest.rfind(b"\x1e")
            if cut > 0:
                commits.extend(parse_log(rest[:cut].decode("utf-8", "replace"), self._strip))
                rest = rest[cut:]
        commits.extend(parse_log(rest.decode("utf-8", "replace"), self._strip))
        error = proc.stderr.read().decode("utf-8", "replace").strip()
        if proc.wait() != 0:
            raise GitStoreError(said(N_("git %(command)s failed: %(error)s"), command="log", error=error))
        if following:
            commits.reverse()
        return commits


def open_store(repo: str) -> Store:
    """A Store for the records repo at `repo` (use it in a `with` block)."""
    return Store(repo)


# --- parsing git output ------------------------------------------------------------------
class FileChange(NamedTuple):
    """One file of a `git diff --raw` or `git log --raw`: A added, M modified, D deleted, R renamed.

    A NamedTuple: a history holds hundreds of thousands of them, made several times faster than
    frozen dataclass instances."""

    status: str
    old_path: str | None
    path: str | None
    old_blob: str | None
    blob: str | None


@dataclass(frozen=True)
class Commit:
    """A commit and the records files it changed."""

    sha: str
    author: str
    email: str
    when: dt.datetime
    subject: str
    files: tuple[FileChange, ...] = field(default=())


def _blob_or_none(blob: str) -> str | None:
    return None if blob == NULL_SHA else blob


def parse_raw(out: str, strip: Callable[[str], str | None]) -> list[FileChange]:
    """FileChanges from `git diff --raw -z` output."""
    fields = out.split("\0")
    changes: list[FileChange] = []
    append = changes.append
    i = 0
    count = len(fields)
    while i < count:
        meta = fields[i]
        if not meta.startswith(":"):
            i += 1
            continue
        parts = meta[1:].split()
        status = parts[4][0]
        if status in "RC":
            old, new = strip(fields[i + 1]), strip(fields[i + 2])
            i += 3
        else:
            old = new = strip(fields[i + 1])
            i += 2
            if status == "A":
                if new is not None:
                    append(FileChange("A", None, new, None, _blob_or_none(parts[3])))
                continue
            if status == "D":
                if old is not None:
                    append(FileChange("D", old, None, _blob_or_none(parts[2]), None))
                continue
        if old is None and new is None:
            continue
        if status == "C":
            status, old = "A", None
        if status == "R" and (old is None or new is None):  # moved across the records folder
            status = "A" if old is None else "D"
        append(FileChange(status if status in "AMDR" else "M", old, new,
                          _blob_or_none(parts[2]) if old else None,
                          _blob_or_none(parts[3]) if new else None))
    return changes


def _unquote(path: str) -> str:
    if not (path.startswith('"') and path.endswith('"')):
        return path
    raw = path[1:-1].encode("latin-1", "backslashreplace").decode("unicode_escape")
    return raw.encode("latin-1").decode("utf-8", "replace")


def parse_log(out: str, strip: Callable[[str], str | None]) -> list[Commit]:
    """Commits from `git log --raw --format=%x1e%H%x1f%an%x1f%ae%x1f%aI%x1f%s` output."""
    commits: list[Commit] = []
    for chunk in out.split("\x1e"):
        if not chunk.strip():
            continue
        header, _, body = chunk.partition("\n")
        sha, author, email, when, subject = (header.split("\x1f") + [""] * 5)[:5]
        files: list[FileChange] = []
        for line in body.splitlines():
            if not line.startswith(":"):
                continue
            meta, _, path = line.partition("\t")
            parts = meta[1:].split()
            if len(parts) < 5:
                continue
            status = parts[4][0]
            old_blob, new_blob = _blob_or_none(parts[2]), _blob_or_none(parts[3])
            if status in "RC":  # "old<TAB>new": a rename (or copy) found by --find-renames
                old_path, _, new_path = path.partition("\t")
                old, new = strip(_unquote(old_path)), strip(_unquote(new_path))
                if status == "C" or old is None:  # a copy, or moved in from outside the records
                    old, old_blob = None, None
                    status = "A"
                elif new is None:  # moved out of the records
                    new_blob, status = None, "D"
                if old is None and new is None:
                    continue
                files.append(FileChange(status, old, new, old_blob, new_blob))
                continue
            local = strip(_unquote(path))
            if local is None:
                continue
            files.append(FileChange(status if status in "AMD" else "M",
                                    None if status == "A" else local, None if status == "D" else local,
                                    old_blob, new_blob))
        commits.append(Commit(sha, author, email, dt.datetime.fromisoformat(when), subject, tuple(files)))
    return commits


# --- the parse cache, by blob id --------------------------------------------------------
def select_many(db: Any, table: str, names: list[str]) -> Iterator[tuple[str, bytes]]:
    """(name, value) rows of a cache table for these names, in batches SQLite accepts."""
    if db is None:
        return
    for i in range(0, len(names), 900):
        chunk = names[i:i + 900]
        marks = ",".join("?" * len(chunk))
        yield from db.execute(f"SELECT name, value FROM {table} WHERE name IN ({marks})", chunk)


def load_many(db: Any, table: str, names: list[str], decode: Callable[[Any], Any]) -> dict[str, Any]:
    """The rows of a marshal cache table for these names, each through `decode` (None: a row of
    another shape, a miss); a database error is a miss for all of them."""
    import sqlite3

    found: dict[str, Any] = {}
    try:
        for name, value in select_many(db, table, names):
            try:
                row = decode(marshal.loads(value))
            except (ValueError, EOFError, TypeError):
                continue  # a row of another shape: a miss, computed again
            if row is not None:
                found[name] = row
    except sqlite3.Error:
        return {}
    return found


def _blob_result(stored: Any) -> Result | None:
    data, rows = stored
    diagnostics = from_rows(rows)
    return None if diagnostics is None else (data, diagnostics)


class BlobCache:
    """(path, blob id) → (data, diagnostics) for one settings key, in .dealbook-cache/blobs.sqlite.

    Keyed lookups, so a review that needs a few hundred files reads a few hundred rows, and a
    replay of a whole revision reads that revision's rows only (the path is part of the key:
    diagnostics name it). Any failure of the cache only costs speed."""

    _LIMIT = 600_000  # rows; beyond this the cache starts over

    def __init__(self, root: str, key: str) -> None:
        import sqlite3

        self.file = os.path.join(root, CACHE_DIR, _BLOB_CACHE)
        self.key = key
        self.pending: list[tuple[str, bytes]] = []
        self.db: Any = None
        try:
            self.db = open_sqlite_cache(self.file, key, "entries (name TEXT PRIMARY KEY, value BLOB)")
        except (OSError, sqlite3.Error):
            self.db = None

    def get_many(self, names: list[str]) -> dict[str, Result]:
        return load_many(self.db, "entries", names, _blob_result)

    def put(self, name: str, result: Result) -> None:
        self.pending.append((name, marshal.dumps((result[0], [tuple(d) for d in result[1]]))))

    def save(self) -> None:
        import sqlite3

        if self.db is None:
            return
        try:
            if self.pending:
                count = self.db.execute("SELECT count(*) FROM entries").fetchone()[0]
                if count + len(self.pending) > self._LIMIT:
                    self.db.execute("DELETE FROM entries")
                self.db.executemany("INSERT OR REPLACE INTO entries VALUES (?, ?)", self.pending)
                self.db.commit()
            self.pending = []
        except sqlite3.Error:
            pass

    def close(self) -> None:
        self.save()
        if self.db is not None:
            self.db.close()
            self.db = None


_worker_settings: Settings | None = None


def _parse_chunk(chunk: list[tuple[str, bytes]]) -> list[tuple[str, Any, list[tuple]]]:
    out = []
    for path, raw in chunk:
        data, found = read_record(path, raw, _worker_settings)
        out.append((path, data, [tuple(d) for d in found]))
    return out


def parse_many(pairs: list[tuple[str, bytes]], settings: Settings) -> Iterator[tuple[str, Result]]:
    """Parse and check (path, bytes) pairs, on every core when there are many."""
    global _worker_settings
    jobs = os.cpu_count() or 1
    if jobs > 1 and len(pairs) >= _PARALLEL_MIN and "fork" in multiprocessing.get_all_start_methods():
        from ..checks.filecache import _warm_validators

        _warm_validators(settings)
        _worker_settings = settings
        size = max(50, len(pairs) // (jobs * 8))
        chunks = [pairs[i:i + size] for i in range(0, len(pairs), size)]
        try:
            with multiprocessing.get_context("fork").Pool(jobs) as pool:
                for chunk in pool.imap_unordered(_parse_chunk, chunks):
                    for path, data, found in chunk:
                        yield path, (data, [Diagnostic(*d) for d in found])
        finally:
            _worker_settings = None
        return
    for path, raw in pairs:
        yield path, read_record(path, raw, settings)


# --- the public contract --------------------------------------------------------------------
KEEP_BOOKS = 2  # Books of revisions kept (a snapshot of 10,000 customers is about 55 MB)


@dataclass(frozen=True)
class Revision:
    """A commit, the id of the records repo's tree in it, and its settings."""

    commit: str
    tree: str
    settings: Settings


def revision(repo: str, rev: str) -> Revision:
    """What `rev` (commit, tag, branch or YYYY-MM-DD date) names, without reading its records."""
    with Store(repo) as store:
        return store.revision(rev)


def book_at(repo: str, rev: str | Revision) -> Book:
    """The Book of the records as they were at `rev` (commit, tag, branch or YYYY-MM-DD date),
    read from git objects with that revision's dealbook.yaml; the working tree is not touched.
    Kept between runs by the revision's tree id (`Store.kept_book`)."""
    with Store(repo) as store:
        return store.kept_book(rev if isinstance(rev, Revision) else store.revision(rev))


@dataclass
class DiffBooks:
    """The two sides of a review, each read only as far as the changed customers reach."""

    before: Book
    after: Book
    ids: set[str]
    renames: dict[str, str]
    base: str  # the base commit id
    head: str | None  # the head commit id; None: the working tree
    notes: list[str]
    label: str = ""  # the base as the review names it
    changed: frozenset[str] = frozenset()  # the paths the change touched (both names of a renamed file)


def fork_point(store: Store, base: str, base_sha: str, head_sha: str | None) -> tuple[str, str]:
    """The commit a review of HEAD against BASE starts from, and its label: BASE itself when it is
    an ancestor of HEAD (HEAD~1, a tag, a date); else where HEAD forked from it, as a pull request
    is reviewed (`git diff BASE...HEAD`): a base branch that moved on since is not HEAD's change."""
    head = head_sha or store.head()
    fork = store.merge_base(base_sha, head) if head else None
    if fork is None or fork == base_sha:
        return base_sha, base
    return fork, f"{base} (merge base {fork[:8]})"


def default_base(store: Store) -> str:
    for candidate in ("origin/main", "main", "origin/master", "master"):
        try:
            ref = store.resolve(candidate)
        except GitStoreError:
            continue
        base = store.merge_base(ref, "HEAD") if store.head() else None
        return base or ref
    if store.head() is None:
        raise GitStoreError(said(N_("no base to compare with: the repository has no commits yet")))
    raise GitStoreError(said(N_("no base to compare with: give one (`dealbook diff origin/main`)%(hint)s"),
                             hint=store.history_hint()))


def diff_books(repo: str, base: str | None = None, head: str | None = None) -> DiffBooks:
    """The Books to review: BASE (default: the merge base with origin/main or main) and HEAD
    (default: the working tree, uncommitted and untracked files included), limited to the
    customers whose file or follow-ups changed (plus the team), so a review of a few deals in
    a repo of 100,000 files reads only those deals. One `git diff --raw` names the changes."""
    from ..checks.reading import open_book

    with Store(repo) as store:
        head_sha = store.resolve(head) if head else None
        if base:
            base_sha, label = fork_point(store, base, store.resolve(base), head_sha)
        else:
            base_sha = default_base(store)
            label = f"merge base {base_sha[:8]}"
        changes = store.changed(base_sha, head_sha)
        ids, renames, notes = touched(changes)

        def in_scope(path: str) -> bool:
            kind = kind_of(path)
            if kind == "customer":
                return file_stem(path) in ids
            return kind == "followup" and path.split("/")[-2] in ids

        # A customer's file, as it may be named: <id>.yaml or <id>.yml (check reads both).
        files = [path for i in sorted(ids) for path in customer_files(i)]
        # A few thousand customers: list just their files; beyond that one full listing is faster.
        scope = files + [f"{FOLLOWUPS_DIR}/{i}/" for i in sorted(ids)] if len(ids) <= 2000 else None
        if head_sha:
            after = store.book(head_sha, only=in_scope, paths=scope)
        else:
            paths = [TEAM_FILE, *files]
            for cid in sorted(ids):
                folder = os.path.join(store.root, FOLLOWUPS_DIR, cid)
                if os.path.isdir(folder):
                    paths.extend(f"{FOLLOWUPS_DIR}/{cid}/{n}" for n in sorted(os.listdir(folder))
                                 if not n.startswith("."))
            present = [p for p in paths if os.path.exists(os.path.join(store.root, p))]
            after = open_book(store.root, paths=present)
        # BASE in HEAD's language: its findings are worded as HEAD's, so one that both have is not
        # new because the branch changed `language:` (`changes.diagnostics_added` compares messages).
        before = store.book(base_sha, only=in_scope, paths=scope, language=after.settings.language)
        # Duplicate ids, names and contract numbers: the working tree's are found against every
        # customer on disk (a PATH-limited check), so each revision's against every customer of it.
        with_revision_duplicates(store, before, base_sha, ids)
        if head_sha:
            with_revision_duplicates(store, after, head_sha, ids)
        if not head_sha:
            from .unstaged import unstaged_renames  # a record moved without `git mv`: git sees no rename

            renames = {**renames, **unstaged_renames(changes, before, after, renames)}
        changed = frozenset({*touched_paths(changes), *renames, *renames.values()})  # the unstaged renames too
        return DiffBooks(before, after, ids, renames, base_sha, head_sha, notes, label, changed)


# --- a revision's customer files, and their duplicate ids and names -------------------------
@dataclass
class Listing:
    """A revision's customer files (path → blob), follow-up folders (id → tree id) and the team
    and settings files, from one non-recursive `ls-tree`."""

    customers: dict[str, str]
    by_stem: dict[str, list[tuple[str, str]]]
    folders: dict[str, str]
    singles: dict[str, str]


def list_revision(store: Store, sha: str) -> Listing:
    spec = store._spec(CUSTOMERS_DIR + "/", FOLLOWUPS_DIR + "/", TEAM_FILE, SETTINGS_FILE)
    out = store.git("--literal-pathspecs", "ls-tree", "-z", "--full-tree", sha, *spec)
    listing = Listing({}, {}, {}, {})
    followups, customers = FOLLOWUPS_DIR + "/", CUSTOMERS_DIR + "/"
    prefix, cut = store.prefix, len(store.prefix)
    for entry in out.split("\0"):
        meta, _, path = entry.partition("\t")
        if not path or not path.startswith(prefix):
            continue
        local = path[cut:] if cut else path
        kind, blob = meta[7:11], meta[12:]  # "<6-digit mode> <blob|tree> <id>"
        if kind == "tree" and local.startswith(followups):
            listing.folders[local[len(followups):]] = blob
        elif kind == "blob" and local.startswith(customers) and local.endswith((".yaml", ".yml")):
            listing.customers[local] = blob
            listing.by_stem.setdefault(file_stem(local), []).append((local, blob))
        elif kind == "blob":
            listing.singles[local] = blob
    return listing


_NAMES = "names.marshal"
_DUPLICATES = "duplicates.marshal"


def _customer_names(store: Store, customers: dict[str, str]) -> list[tuple[str, str, str]]:
    """(path, id, name) of every customer file, in path order, read the way a PATH-limited check
    reads the other customers (`dedupe.repo_names`: a line match, no YAML parse); cached by blob."""
    from ..checks.dedupe import id_and_name

    known = by_blob(store, _NAMES, customers, lambda pair: isinstance(pair, tuple) and len(pair) == 2 and all(
        x is None or isinstance(x, str) for x in pair), lambda raw: id_and_name(raw[:4096].decode("utf-8", "replace")))
    found = []
    for path in sorted(customers):
        ident, name = known.get(customers[path], (None, None))
        found.append((path, ident or file_stem(path), name))
    return found


BLOB_CACHE_SPARE = 5_000  # blob-keyed caches keep the listed revision's blobs and this many others


def by_blob(store: Store, name: str, customers: dict[str, str], valid: Callable[[Any], bool],
            read: Callable[[bytes], Any]) -> dict[str, Any]:
    """`read(raw)` of every blob `customers` (path → blob id) lists, kept in `.dealbook-cache/<name>`
    by blob id (signed; an entry `valid` rejects makes the whole file unread). Each edit of a customer
    file makes a new blob, so when it is written the file keeps the blobs of this listing and the
    `BLOB_CACHE_SPARE` entries added last (another revision's, mostly), not every blob ever seen."""
    filename = os.path.join(store.root, CACHE_DIR, name)
    cached = load_cache(filename, lambda v: isinstance(v, dict) and all(valid(x) for x in v.values()))
    known: dict[str, Any] = cached if cached is not None else {}
    listed = set(customers.values())
    missing = [b for b in listed if b not in known]
    for blob, raw in store.blobs(missing):
        known[blob] = read(raw)
    if missing:
        if len(known) > len(listed) + BLOB_CACHE_SPARE:
            others = [b for b in known if b not in listed][-BLOB_CACHE_SPARE:]
            known = {b: known[b] for b in (*others, *(b for b in known if b in listed))}
        save_marshal(filename, known)
    return known


def revision_duplicates(store: Store, customers: dict[str, str],
                        settings: Settings) -> dict[str, list[tuple[str, str, str]]]:
    """Per customer file of a revision: (severity, code, message) of its `duplicate-id` and
    `likely-duplicate` findings against every other customer of that revision, as a PATH-limited
    check of that one file would report them, said in the language of `settings` (the messages
    are the checks' own: `crosschecks.duplicate_id_message`, `dedupe.likely_duplicates`). Cached by
    the language and the revision's customer listing (a file's findings do not depend on which
    other files are checked with it)."""
    import hashlib
    import types

    from ..checks.crosschecks import duplicate_id_message
    from ..checks.dedupe import likely_duplicates
    from ..records.diagnostics import ERROR, WARNING
    from ..text.catalog import translator

    language = settings.language
    key = hashlib.blake2b(marshal.dumps((language, sorted(customers.items()))), digest_size=16).hexdigest()
    filename = os.path.join(store.root, CACHE_DIR, _DUPLICATES)
    cached = load_cache(filename, lambda v: isinstance(v, dict) and all(
        isinstance(found, dict) and all(isinstance(rows, list) and all(
            isinstance(r, tuple) and len(r) == 3 and all(isinstance(x, str) for x in r) for r in rows)
            for rows in found.values()) for found in v.values()))
    stored: dict[str, Any] = cached if cached is not None else {}
    if key in stored:
        return stored[key]
    names = _customer_names(store, customers)
    _ = translator(language)
    found: dict[str, list[tuple[str, str, str]]] = {}
    first: dict[str, str] = {}
    for path, ident, _name in names:
        other = first.setdefault(ident.casefold(), path)
        if other != path:
            found.setdefault(path, []).append((ERROR, "duplicate-id", duplicate_id_message(_, ident, other)))
    # likely_duplicates reads only these attributes of a Book: the settings (for the language) and
    # every customer's path, id and name.
    view = types.SimpleNamespace(complete=True, root=None, settings=settings, customers_by_path={
        path: types.SimpleNamespace(id=ident, name=name or "") for path, ident, name in names})
    for path, message in likely_duplicates(view, set(view.customers_by_path)):  # type: ignore[arg-type]
        found.setdefault(path, []).append((WARNING, "likely-duplicate", message))
    stored = dict(list(stored.items())[-7:])  # the last few revisions
    stored[key] = found
    save_marshal(filename, stored)
    return found


_CONTRACTS = "contracts.marshal"


def _contract_numbers(store: Store, customers: dict[str, str]) -> dict[str, tuple[str, ...]]:
    """Per customer file: the numbers of its contracts, by their index in `Customer.contracts` (""
    for a contract without one), as a check reads them; cached by blob (only files that mention
    `contracts` are parsed)."""
    from ..records.load import parse_bytes
    from ..records.model import Customer

    def numbers_in(raw: bytes) -> tuple[str, ...]:
        if b"contracts" in raw:
            loaded = parse_bytes(raw)
            if loaded.error is None and isinstance(loaded.data, dict):
                try:
                    return tuple(c.no for c in Customer.from_data("", loaded.data).contracts)
                except Exception:  # a record too broken to read: the file's own findings say so
                    pass
        return ()

    known = by_blob(store, _CONTRACTS, customers,
                    lambda numbers: isinstance(numbers, tuple) and all(isinstance(n, str) for n in numbers), numbers_in)
    return {path: known.get(blob, ()) for path, blob in customers.items()}


def touched_contracts(store: Store, customers: dict[str, str], settings: Settings,
                      ids: set[str]) -> list[tuple[str, int, str]]:
    """(path, contract index, message) of the `duplicate-contract` findings of the touched customer
    files (`ids`, by file stem) of a revision whose customer files are `customers`, as a PATH-limited
    check of those files finds them against every other customer file (`dealchecks`: the same
    findings, the same words), said in the language of `settings`."""
    from ..checks.dealchecks import duplicate_contract_findings
    from ..text.catalog import translator

    touched_paths = {path for path in customers if file_stem(path) in ids}
    numbers = _contract_numbers(store, customers)
    wanted = {n for path in touched_paths for n in numbers[path] if n}
    if not wanted:
        return []
    by_number: dict[str, list[tuple[str, int]]] = {}
    for path in sorted(customers):
        if path in touched_paths:
            for index, number in enumerate(numbers[path]):
                if number:
                    by_number.setdefault(number, []).append((path, index))
        else:
            for number in dict.fromkeys(n for n in numbers[path] if n in wanted):
                by_number.setdefault(number, []).append((path, -1))
    return list(duplicate_contract_findings(translator(settings.language), by_number))


# The findings `touched_duplicates` gives for a revision: a file's are against every customer of it.
REPO_WIDE = frozenset({"duplicate-id", "likely-duplicate", "duplicate-contract"})


def touched_duplicates(store: Store, customers: dict[str, str], settings: Settings,
                       ids: set[str]) -> list[tuple[str, str, tuple, tuple[str, str, str]]]:
    """(path, blob, where in the file, (severity, code, message)) of the repo-wide findings of the
    touched customer files (`ids`, by file stem) of a revision whose customer files are `customers`:
    duplicate ids and look-alike names (`revision_duplicates`), duplicate contract numbers
    (`touched_contracts`)."""
    from ..records.diagnostics import ERROR

    found = revision_duplicates(store, customers, settings)
    rows = [(path, blob, ("id",) if finding[1] == "duplicate-id" else ("name",), finding)
            for path, blob in sorted(customers.items()) if file_stem(path) in ids for finding in found.get(path, ())]
    rows.extend((path, customers[path], ("contracts", index, "no"), (ERROR, "duplicate-contract", message))
                for path, index, message in touched_contracts(store, customers, settings, ids))
    return rows


def with_revision_duplicates(store: Store, book: Book, sha: str, ids: set[str]) -> None:
    """Give a Book of the touched customers of commit `sha` (`Store.book` with `only`) the
    repo-wide findings of their files against every customer of that revision
    (`touched_duplicates`, in the Book's language), in place of those its cross-checks found
    among the touched customers alone: a review compares them with the working tree's, which a
    PATH-limited check finds against every customer of the repo (`checks.customer_index`)."""
    listing = list_revision(store, sha)
    kept = [d for d in book.diagnostics if d.code not in REPO_WIDE]
    for path, _blob, where, (severity, code, message) in touched_duplicates(store, listing.customers,
                                                                            book.settings, ids):
        line, column = book.mark(path, where)
        kept.append(Diagnostic(path, line, column, severity, code, message))
    book.diagnostics = kept


def touched_paths(changes: list[FileChange]) -> set[str]:
    """Every path the changes name: both names of a renamed file."""
    return {p for c in changes for p in (c.path, c.old_path) if p}


def touched(changes: list[FileChange]) -> tuple[set[str], dict[str, str], list[str]]:
    """The customer ids a set of file changes touches, the renamed paths (old → new) and notes."""
    ids: set[str] = set()
    renames: dict[str, str] = {}
    notes: list[str] = []
    customers, followups = CUSTOMERS_DIR + "/", FOLLOWUPS_DIR + "/"
    for change in changes:
        for path in {change.old_path, change.path}:
            if not path:
                continue
            if path.startswith(followups) and path.count("/") == 3 and path.endswith((".yaml", ".yml")):
                ids.add(path.split("/")[2])  # kind_of(path) == "followup", without its cost
                continue
            kind = kind_of(path)
            if kind == "customer":
                ids.add(path[len(customers):].rsplit(".", 1)[0])
            elif path == SETTINGS_FILE:
                notes.append(N_("dealbook.yaml changed: the rules may differ for customers not listed here"))
            elif kind == "team":
                notes.append(N_("records/team.yaml changed"))
        if change.status == "R" and change.old_path and change.path:
            renames[change.old_path] = change.path
    return ids, renames, list(dict.fromkeys(notes))


def revision_date(rev: str) -> dt.date | None:
    """The date a `--at` value names, when it is a date (the day a replay runs as of)."""
    if DATE.match(rev.strip()):
        try:
            return dt.date.fromisoformat(rev.strip())
        except ValueError:
            return None
    return None


def load_cache(filename: str, valid: Callable[[Any], bool] | None = None) -> Any:
    """A marshal cache file's content, or None when it is missing, unreadable, not signed by this
    user (see `cachefile`) or, with `valid`, of the wrong shape."""
    return load_marshal(filename, valid)
