"""All git access: the Book at any revision, what changed between two, and every file's history.

Built on GitPython with one `Repo` per `Store`, closed after use. Blobs are read through one
pipelined `git cat-file --batch --buffer` process per request (never one process per file),
history comes from one `git log --raw` pass, and parsed records are cached by blob id, so a
replay at another revision re-parses only the blobs that differ.
"""

from __future__ import annotations

import concurrent.futures
import datetime as dt
import gc
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

from .book import Book
from .diagnostics import Diagnostic
from .filechecks import check_loaded, read_record
from .records import CUSTOMERS_DIR, FOLLOWUPS_DIR, RECORDS_DIR, TEAM_FILE, kind_of
from .settings import SETTINGS_FILE, Settings, load_settings, settings_from_bytes
from .writing import save_marshal

DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
NULL_SHA = "0" * 40
CACHE_DIR = ".dealbook-cache"
_BLOB_CACHE = "blobs.sqlite"
_PARALLEL_MIN = 400  # below this many misses a process pool costs more than it saves

Result = tuple[Any, list[Diagnostic]]


class GitStoreError(Exception):
    """A repository or revision problem, worded for the user."""


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
            raise GitStoreError(f"{self.root} is not inside a git repository: "
                                "git-based features (--at, diff, history) need one") from None
        top = self.repo.working_tree_dir
        if top is None:
            self.repo.close()
            raise GitStoreError(f"{self.root}: bare repositories are not supported; use a clone")
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
            raise GitStoreError(f"git {args[0]} failed: {detail or exc}") from None

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
            raise GitStoreError(f"{rev!r} is not a revision")
        try:
            return self.repo.git.rev_parse("--verify", "--quiet", f"{rev}^{{commit}}").strip()
        except git.GitCommandError:
            pass
        if DATE.match(rev):
            try:
                day = dt.date.fromisoformat(rev)
            except ValueError:
                raise GitStoreError(f"{rev} is not a date") from None
            zone = ZoneInfo(timezone or load_settings(self.root).timezone)
            end = dt.datetime.combine(day, dt.time(23, 59, 59), zone)
            found = self.git("rev-list", "-1", "--first-parent", f"--before={end.isoformat()}", "HEAD")
            if not found.strip():
                raise GitStoreError(f"no commit on or before {rev}: the history starts later")
            return found.strip()
        raise GitStoreError(f"unknown revision {rev!r}: give a commit, tag, branch or date (YYYY-MM-DD)")

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
                    raise GitStoreError("git cat-file stopped answering")
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
        from .reading import cache_key

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

    def book(self, sha: str, only: Callable[[str], bool] | None = None, paths: list[str] | None = None) -> Book:
        """The checked Book of commit `sha`: all records, or those `only` accepts (plus the team),
        listed from `paths` (files and `folder/`s) when given, else from the whole tree."""
        files = self.tree(sha, None if paths is None else [SETTINGS_FILE, TEAM_FILE, *paths])
        settings = self.settings_at(files)
        chosen = [(p, b) for p, b in sorted(files.items())
                  if p != SETTINGS_FILE and (only is None or only(p) or kind_of(p) == "team")]
        results = self.parsed(settings, chosen)
        from .reading import open_book_from

        repo = self.repo

        def read_raw(path: str) -> bytes | None:
            """One file's bytes, for line numbers of cross-record findings: through GitPython's
            persistent `cat-file` process (restarted on demand if the store was closed)."""
            blob = files.get(path)
            if blob is None:
                return None
            try:
                return repo.git.get_object_data(blob)[3]
            except (git.GitCommandError, ValueError, OSError):
                return None

        book = open_book_from(settings, chosen, read_raw=read_raw, read=lambda path, _blob: results[path])
        book.complete = only is None
        if settings.source is not None and only is None:
            book.diagnostics.extend(check_loaded(settings.source, settings))
        book.revision = sha  # type: ignore[attr-defined]
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
    def log(self, *paths: str, revisions: str = "HEAD") -> list[Commit]:
        """Every commit of `revisions` that touched the given records paths (default: all
        records), oldest first, with each file's blob ids before and after: one `git log --raw`."""
        if self.head() is None:
            return []
        args = ["log", "--raw", "--no-abbrev", "--no-renames", "--topo-order", "--reverse",
                "--format=%x1e%H%x1f%an%x1f%ae%x1f%aI%x1f%s", revisions, *self._spec(*(paths or (RECORDS_DIR,)))]
        # Parsed as it streams: git computes the later commits' changes while this process reads
        # the earlier ones (about a third of a cold change log on two cores).
        try:
            process = self.repo.git.execute(["git", "-c", "core.quotePath=false", *args], as_process=True)
        except git.GitCommandError as exc:
            raise GitStoreError(f"git log failed: {exc}") from None
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
            raise GitStoreError(f"git log failed: {error}")
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
            local = strip(_unquote(path))
            if local is None or len(parts) < 5:
                continue
            status = parts[4][0]
            old_blob, new_blob = _blob_or_none(parts[2]), _blob_or_none(parts[3])
            files.append(FileChange(status if status in "AMD" else "M",
                                    None if status == "A" else local, None if status == "D" else local,
                                    old_blob, new_blob))
        commits.append(Commit(sha, author, email, dt.datetime.fromisoformat(when), subject, tuple(files)))
    return commits


# --- the parse cache, by blob id --------------------------------------------------------
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
            folder = os.path.dirname(self.file)
            os.makedirs(folder, exist_ok=True)
            ignore = os.path.join(folder, ".gitignore")
            if not os.path.exists(ignore):
                with open(ignore, "w") as handle:
                    handle.write("*\n")
            self.db = sqlite3.connect(self.file, timeout=5)
            self.db.execute("CREATE TABLE IF NOT EXISTS meta (key TEXT)")
            self.db.execute("CREATE TABLE IF NOT EXISTS entries (name TEXT PRIMARY KEY, value BLOB)")
            row = self.db.execute("SELECT key FROM meta").fetchone()
            if row is None or row[0] != key:
                self.db.execute("DELETE FROM entries")
                self.db.execute("DELETE FROM meta")
                self.db.execute("INSERT INTO meta VALUES (?)", (key,))
                self.db.commit()
        except (OSError, sqlite3.Error):
            self.db = None

    def get_many(self, names: list[str]) -> dict[str, Result]:
        import sqlite3

        found: dict[str, Result] = {}
        if self.db is None:
            return found
        try:
            for i in range(0, len(names), 900):
                chunk = names[i:i + 900]
                marks = ",".join("?" * len(chunk))
                for name, value in self.db.execute(f"SELECT name, value FROM entries WHERE name IN ({marks})", chunk):
                    data, diagnostics = marshal.loads(value)
                    found[name] = (data, [Diagnostic(*d) for d in diagnostics])
        except (sqlite3.Error, ValueError, EOFError, TypeError):
            return {}
        return found

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
        from .reading import _warm_validators

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
def book_at(repo: str, rev: str) -> Book:
    """The Book of the records as they were at `rev` (commit, tag, branch or YYYY-MM-DD date),
    read from git objects with that revision's dealbook.yaml; the working tree is not touched."""
    with Store(repo) as store:
        return store.book(store.resolve(rev))


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


def _default_base(store: Store) -> str:
    for candidate in ("origin/main", "main", "origin/master", "master"):
        try:
            ref = store.resolve(candidate)
        except GitStoreError:
            continue
        base = store.merge_base(ref, "HEAD") if store.head() else None
        return base or ref
    raise GitStoreError("no base to compare with: give one (`dealbook diff origin/main`)")


def diff_books(repo: str, base: str | None = None, head: str | None = None) -> DiffBooks:
    """The Books to review: BASE (default: the merge base with origin/main or main) and HEAD
    (default: the working tree, uncommitted and untracked files included), limited to the
    customers whose file or follow-ups changed (plus the team), so a review of a few deals in
    a repo of 100,000 files reads only those deals. One `git diff --raw` names the changes."""
    from .reading import open_book

    with Store(repo) as store:
        base_sha = store.resolve(base) if base else _default_base(store)
        head_sha = store.resolve(head) if head else None
        ids, renames, notes = _touched(store.changed(base_sha, head_sha))

        def in_scope(path: str) -> bool:
            kind = kind_of(path)
            if kind == "customer":
                return os.path.splitext(path.split("/")[-1])[0] in ids
            return kind == "followup" and path.split("/")[-2] in ids

        # A few thousand customers: list just their files; beyond that one full listing is faster.
        scope = ([f"{CUSTOMERS_DIR}/{i}.yaml" for i in sorted(ids)] + [f"{FOLLOWUPS_DIR}/{i}/" for i in sorted(ids)]
                 if len(ids) <= 2000 else None)
        before = store.book(base_sha, only=in_scope, paths=scope)
        if head_sha:
            after = store.book(head_sha, only=in_scope, paths=scope)
        else:
            paths = [TEAM_FILE] + [f"{CUSTOMERS_DIR}/{i}.yaml" for i in sorted(ids)]
            for cid in sorted(ids):
                folder = os.path.join(store.root, FOLLOWUPS_DIR, cid)
                if os.path.isdir(folder):
                    paths.extend(f"{FOLLOWUPS_DIR}/{cid}/{n}" for n in sorted(os.listdir(folder))
                                 if not n.startswith("."))
            present = [p for p in paths if os.path.exists(os.path.join(store.root, p))]
            after = open_book(store.root, paths=present)
        return DiffBooks(before, after, ids, renames, base_sha, head_sha, notes)


def _touched(changes: list[FileChange]) -> tuple[set[str], dict[str, str], list[str]]:
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
                notes.append("dealbook.yaml changed: the rules may differ for customers not listed here")
            elif kind == "team":
                notes.append("records/team.yaml changed")
        if change.status == "R" and change.old_path and change.path:
            renames[change.old_path] = change.path
    return ids, renames, list(dict.fromkeys(notes))


# --- reviews of two commits, customer by customer ------------------------------------------------
_SIDES_VERSION = 1
_SIDE_CACHE = "review.sqlite"


class SideCache:
    """Per customer and revision: its review sides and the diagnostics of its files, keyed by a
    digest of everything they depend on (customer blob, follow-up folder tree, team blob,
    settings, today), in .dealbook-cache/review.sqlite. Sides hold grades and due dates as of
    one day, so rows of other days are dropped when new ones are written (a big review stores
    some megabytes a day). Any failure only costs speed."""

    _LIMIT = 200_000

    def __init__(self, root: str, day: dt.date) -> None:
        import sqlite3

        self.day = day.isoformat()
        self.pending: list[tuple[str, str, bytes]] = []
        self.db: Any = None
        try:
            folder = os.path.join(root, CACHE_DIR)
            os.makedirs(folder, exist_ok=True)
            ignore = os.path.join(folder, ".gitignore")
            if not os.path.exists(ignore):
                with open(ignore, "w") as handle:
                    handle.write("*\n")
            self.db = sqlite3.connect(os.path.join(folder, _SIDE_CACHE), timeout=5)
            self.db.execute("CREATE TABLE IF NOT EXISTS sides (name TEXT PRIMARY KEY, day TEXT, value BLOB)")
        except (OSError, sqlite3.Error):
            self.db = None

    def get_many(self, names: list[str]) -> dict[str, Any]:
        import sqlite3

        found: dict[str, Any] = {}
        if self.db is None:
            return found
        try:
            for i in range(0, len(names), 900):
                chunk = names[i:i + 900]
                marks = ",".join("?" * len(chunk))
                for name, value in self.db.execute(f"SELECT name, value FROM sides WHERE name IN ({marks})", chunk):
                    found[name] = marshal.loads(value)
        except (sqlite3.Error, ValueError, EOFError, TypeError):
            return {}
        return found

    def put(self, name: str, value: Any) -> None:
        self.pending.append((name, self.day, marshal.dumps(value)))

    def close(self) -> None:
        import sqlite3

        if self.db is None:
            return
        try:
            if self.pending:
                self.db.execute("DELETE FROM sides WHERE day != ?", (self.day,))
                count = self.db.execute("SELECT count(*) FROM sides").fetchone()[0]
                if count + len(self.pending) > self._LIMIT:
                    self.db.execute("DELETE FROM sides")
                self.db.executemany("INSERT OR REPLACE INTO sides VALUES (?, ?, ?)", self.pending)
                self.db.commit()
            self.db.close()
        except sqlite3.Error:
            pass
        self.db = None
        self.pending = []


@dataclass
class RevisionSides:
    """One revision as a review needs it: its settings, the touched customers as sides (by id,
    the first file in path order winning, like `Book.customers`) and the diagnostics of their files."""

    settings: Settings
    sides: dict[str, Any]
    diagnostics: list[Diagnostic]
    customers: dict[str, str]  # every customer file of the revision: path → blob id


def _slot_key(base: str, cid: str, files: list[tuple[str, str]], folder: str | None) -> str:
    import hashlib

    text = "\0".join([base, cid, *(f"{p}={b}" for p, b in files), folder or "-"])
    return hashlib.blake2b(text.encode("utf-8"), digest_size=16).hexdigest()


def _stem(path: str) -> str:
    return os.path.splitext(path.split("/")[-1])[0]


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
            listing.by_stem.setdefault(local[len(customers):].rsplit(".", 1)[0], []).append((local, blob))
        elif kind == "blob":
            listing.singles[local] = blob
    return listing


@dataclass
class _SlotJob:
    """What evaluating touched customers needs: parsed files, each customer's files, the team."""

    settings: Settings
    today: dt.date
    results: dict[str, Result]
    own: dict[str, list[str]]
    blob_of: dict[str, str]
    team: Book


def _slot_values(job: _SlotJob, cids: list[str], read: Callable[[str], bytes | None]) -> list[tuple[str, Any]]:
    """(id, (packed sides, diagnostics)) of each customer: a Book of its files and the team."""
    from .changes import side_of
    from .crosschecks import record_diagnostics

    values = []
    for cid in cids:
        paths = sorted(job.own.get(cid, []))
        book = Book(job.settings, [(p, job.results[p][0]) for p in paths], (), read, False)
        book.members, book.team_path = job.team.members, job.team.team_path  # the team, read once
        book.diagnostics = [d for p in paths for d in job.results[p][1]] + record_diagnostics(book, set(paths))
        values.append((cid, ([side_of(book, c, job.today).pack() for c in book.customers_by_path.values()],
                             [tuple(d) for d in book.diagnostics])))
    return values


def _evaluate(store: Store, job: _SlotJob, cids: list[str]) -> list[tuple[str, Any]]:
    """Evaluate customers in this process (a process pool measured no faster: the results
    travel back pickled, and the Books are small)."""
    repo = store.repo

    def read(path: str) -> bytes | None:
        blob = job.blob_of.get(path)
        if blob is None:
            return None
        try:
            return repo.git.get_object_data(blob)[3]
        except (git.GitCommandError, ValueError, OSError):
            return None

    return _slot_values(job, cids, read)


def revision_sides(store: Store, sha: str, ids: set[str], today: dt.date, cache: SideCache,
                   listing: Listing | None = None) -> RevisionSides:
    """The touched customers (`ids`, by file stem) of commit `sha` as review sides.

    One non-recursive `ls-tree` lists every customer file and follow-up folder (with its tree
    id); a customer whose file, folder, the team, the settings and `today` are as in an earlier
    review comes from the side cache, the others are read (through the blob parse cache) and
    evaluated one customer at a time: a Book of the team, the customer and its folder."""
    from .changes import Side
    from .reading import cache_key

    listing = listing or list_revision(store, sha)
    customers, folders, singles = listing.customers, listing.folders, listing.singles
    by_stem = listing.by_stem
    settings = settings_from_bytes(store.blob(singles.get(SETTINGS_FILE)))
    team_blob = singles.get(TEAM_FILE)
    base = f"{_SIDES_VERSION}|{cache_key(settings)}|{today.isoformat()}|{team_blob}"
    slots = {cid: _slot_key(base, cid, sorted(by_stem.get(cid, [])), folders.get(cid))
             for cid in sorted(ids) if cid in by_stem or cid in folders}
    found = cache.get_many(list(slots.values()))
    missing = [cid for cid, name in slots.items() if name not in found]
    if missing:
        listed = [*(f for cid in missing for f in by_stem.get(cid, []))]
        with_folder = [cid for cid in missing if cid in folders]
        if with_folder:
            scope = [f"{FOLLOWUPS_DIR}/{cid}/" for cid in with_folder] if len(with_folder) <= 2000 else \
                [FOLLOWUPS_DIR + "/"]
            wanted = set(with_folder)
            listed += [(p, b) for p, b in store.tree(sha, scope).items()
                       if kind_of(p) == "followup" and p.split("/")[-2] in wanted]
        if team_blob:
            listed.append((TEAM_FILE, team_blob))
        results = store.parsed(settings, listed)
        own: dict[str, list[str]] = {}
        for path, _ in listed:
            kind = kind_of(path)
            if kind == "customer":
                own.setdefault(_stem(path), []).append(path)
            elif kind == "followup":
                own.setdefault(path.split("/")[-2], []).append(path)
        team = Book(settings, [(TEAM_FILE, results[TEAM_FILE][0])] if TEAM_FILE in results else [])
        for cid, value in _evaluate(store, _SlotJob(settings, today, results, own, dict(listed), team), missing):
            found[slots[cid]] = value
            cache.put(slots[cid], value)
    sides: dict[str, Any] = {}
    diagnostics: list[Diagnostic] = []
    for cid in sorted(slots):
        packed, diags = found[slots[cid]]
        diagnostics.extend(Diagnostic(*d) for d in diags)
        for row in packed:
            side = Side.unpack(row)
            sides.setdefault(side.id, side)
    if team_blob:
        diagnostics.extend(store.parsed(settings, [(TEAM_FILE, team_blob)])[TEAM_FILE][1])
    return RevisionSides(settings, sides, diagnostics, customers)


_NAMES = "names.marshal"
_DUPLICATES = "duplicates.marshal"


def _customer_names(store: Store, customers: dict[str, str]) -> list[tuple[str, str, str]]:
    """(path, id, name) of every customer file, in path order, read the way a PATH-limited check
    reads the other customers (`dedupe.repo_names`: a line match, no YAML parse); cached by blob."""
    from .dedupe import _ID_LINE, _NAME_LINE, _unquote

    filename = os.path.join(store.root, CACHE_DIR, _NAMES)
    cached = _load_marshal(filename)
    known: dict[str, Any] = cached if isinstance(cached, dict) else {}
    missing = [b for b in set(customers.values()) if b not in known]
    for blob, raw in store.blobs(missing):
        text = raw[:4096].decode("utf-8", "replace")
        name, ident = _NAME_LINE.search(text), _ID_LINE.search(text)
        known[blob] = (_unquote(ident.group(1)) if ident else None, _unquote(name.group(1)) if name else None)
    if missing:
        _save_marshal(filename, known)
    found = []
    for path in sorted(customers):
        ident, name = known.get(customers[path], (None, None))
        found.append((path, ident or os.path.splitext(path.split("/")[-1])[0], name))
    return found


def revision_duplicates(store: Store, customers: dict[str, str]) -> dict[str, list[tuple[str, str, str]]]:
    """Per customer file of a revision: (severity, code, message) of its `duplicate-id` and
    `likely-duplicate` findings against every other customer of that revision, as a PATH-limited
    check of that one file would report them. Cached by the revision's customer listing (a file's
    findings do not depend on which other files are checked with it)."""
    import hashlib
    import types

    from .dedupe import likely_duplicates
    from .diagnostics import ERROR, WARNING

    key = hashlib.blake2b(marshal.dumps(sorted(customers.items())), digest_size=16).hexdigest()
    filename = os.path.join(store.root, CACHE_DIR, _DUPLICATES)
    cached = _load_marshal(filename)
    stored: dict[str, Any] = cached if isinstance(cached, dict) else {}
    if key in stored:
        return stored[key]
    names = _customer_names(store, customers)
    found: dict[str, list[tuple[str, str, str]]] = {}
    first: dict[str, str] = {}
    for path, ident, _ in names:
        other = first.setdefault(ident.casefold(), path)
        if other != path:
            found.setdefault(path, []).append((ERROR, "duplicate-id", f"id `{ident}` is already used by {other}: "
                                                                      "give this customer a new id"))
    # likely_duplicates reads only these attributes of a Book: every customer's path, id and name.
    view = types.SimpleNamespace(complete=True, root=None, customers_by_path={
        path: types.SimpleNamespace(id=ident, name=name or "") for path, ident, name in names})
    for path, message in likely_duplicates(view, set(view.customers_by_path)):  # type: ignore[arg-type]
        found.setdefault(path, []).append((WARNING, "likely-duplicate", message))
    stored = dict(list(stored.items())[-7:])  # the last few revisions
    stored[key] = found
    _save_marshal(filename, stored)
    return found


def review_revisions(repo: str, base: str | None, head: str, today: dt.date) -> tuple[Any, str, str]:
    """The review (`changes.Review`) of commit `head` against `base`, costing what changed:
    one `git diff --raw -M` names the touched customers, and only they are read, each as a
    cached side; the funnel and forecast effect are sums over them, and new diagnostics are
    looked for only in their files. BASE None: the merge base with origin/main (or main).
    Returns (review, base commit, head commit); the review is labelled `base` (or `merge base
    <commit>`) and `head`."""
    from .changes import Review, diagnostics_added, review_sides

    with Store(repo) as store:
        base_sha = store.resolve(base) if base else _default_base(store)
        head_sha = store.resolve(head)
        # git works out the changes while this process lists both trees.
        with concurrent.futures.ThreadPoolExecutor(1) as pool:
            changed = pool.submit(store.changed, base_sha, head_sha)
            listings = list_revision(store, base_sha), list_revision(store, head_sha)
            ids, renames, notes = _touched(changed.result())
        cache = SideCache(store.root, today)
        try:
            before = revision_sides(store, base_sha, ids, today, cache, listings[0])
            after = revision_sides(store, head_sha, ids, today, cache, listings[1])
        finally:
            cache.close()
        # Repo-wide findings (duplicate ids and names) for the touched customer files only.
        back = {new: old for old, new in renames.items()}
        old_found = revision_duplicates(store, before.customers)
        seen = {(path, code, message) for path in before.customers if _stem(path) in ids
                for _, code, message in old_found.get(path, ())}
        new_found = revision_duplicates(store, after.customers)
        fresh = [(path, blob, finding) for path, blob in after.customers.items() if _stem(path) in ids
                 for finding in new_found.get(path, ()) if (back.get(path, path), *finding[1:]) not in seen]
        extra = []
        if fresh:
            from .load import parse_bytes

            raw = dict(store.blobs(blob for _, blob, _ in fresh))
            for path, blob, (severity, code, message) in fresh:
                loaded = parse_bytes(raw.get(blob, b""), path)
                line, column = loaded.mark(("id",) if code == "duplicate-id" else ("name",))
                extra.append(Diagnostic(path, line, column, severity, code, message))
    result = review_sides(before.sides, after.sides, before.settings, after.settings,
                          base or f"merge base {base_sha[:8]}", head, ids, renames)
    found = diagnostics_added(before.diagnostics, after.diagnostics, renames)
    found = sorted({*found, *extra}, key=lambda d: (d.path, d.line, d.column, d.code))
    return (Review(result.base, result.head, result.customers, result.weighted, result.funnel, tuple(found),
                   tuple(notes)), base_sha, head_sha)


def revision_date(rev: str) -> dt.date | None:
    """The date a `--at` value names, when it is a date (the day a replay runs as of)."""
    if DATE.match(rev.strip()):
        try:
            return dt.date.fromisoformat(rev.strip())
        except ValueError:
            return None
    return None


class Change(NamedTuple):
    """One commit's change to one customer: who, when, a one-line summary and the fields changed
    (a NamedTuple: a history makes a hundred thousand and more)."""

    commit: str
    author: str
    when: dt.datetime
    summary: str
    fields_changed: tuple[tuple[str, Any, Any], ...] = ()
    email: str = ""
    kind: str = "customer"  # customer | followup


def _load_marshal(filename: str) -> Any:
    try:
        with open(filename, "rb") as handle:
            return marshal.load(handle)
    except (OSError, EOFError, ValueError, TypeError):
        return None


def _save_marshal(filename: str, payload: Any) -> None:
    save_marshal(filename, payload)


def _pack(commit: Commit) -> tuple:
    return (commit.sha, commit.author, commit.email, commit.when.isoformat(), commit.subject,
            [(f.status, f.old_path, f.path, f.old_blob, f.blob) for f in commit.files])


def _unpack(row: tuple) -> Commit:
    sha, author, email, when, subject, files = row
    return Commit(sha, author, email, dt.datetime.fromisoformat(when), subject,
                  tuple(FileChange(*f) for f in files))


_LOG_VERSION = 1


def _history(store: Store) -> list[Commit]:
    """The records history (oldest first), from .dealbook-cache/log.marshal when HEAD has not
    moved, else extended by a `git log OLD..HEAD` pass when the cached head is an ancestor."""
    head = store.head()
    if head is None:
        return []
    filename = os.path.join(store.root, CACHE_DIR, "log.marshal")
    cached = _load_marshal(filename)
    key = (_LOG_VERSION, store.prefix)
    if isinstance(cached, dict) and cached.get("key") == key and cached.get("head"):
        if cached["head"] == head:
            return [_unpack(row) for row in cached["commits"]]
        try:
            store.repo.git.merge_base("--is-ancestor", cached["head"], head)
            newer = store.log(revisions=f"{cached['head']}..{head}")
            commits = [_unpack(row) for row in cached["commits"]] + newer
            _save_marshal(filename, {"key": key, "head": head, "commits": [*cached["commits"], *map(_pack, newer)]})
            return commits
        except git.GitCommandError:
            pass  # history rewritten: read it all again
    commits = store.log()
    _save_marshal(filename, {"key": key, "head": head, "commits": [_pack(c) for c in commits]})
    return commits


def _commits(repo: str) -> tuple[list[Commit], str]:
    with Store(repo) as store:
        return _history(store), load_settings(store.root).timezone


def _tracked_chunk(chunk: list[tuple[str, bytes]]) -> list[tuple[str, Any]]:
    from .changes import tracked_values
    from .tracked import TrackedReader

    reader = TrackedReader()
    out = []
    for blob, raw in chunk:
        data = reader.read(raw)
        out.append((blob, None if data is None else tracked_values(data)))
    return out


def _tracked_keys() -> tuple[str, ...]:
    from .changes import TRACKED

    return TRACKED


def tracked_data(store: Store, blobs: Iterable[str]) -> dict[str, Any]:
    """blob id → `changes.tracked_values` of that customer version (None: unreadable), cached in
    .dealbook-cache/tracked.marshal. Blobs are read in the order given: one customer's versions
    next to each other let the reader reuse the blocks they share (about a third faster)."""
    blobs = list(dict.fromkeys(blobs))
    filename = os.path.join(store.root, CACHE_DIR, "tracked.marshal")
    cached = _load_marshal(filename)
    version = [2, *_tracked_keys()]
    known: dict[str, Any] = cached.get("blobs", {}) if isinstance(cached, dict) and cached.get("v") == version else {}
    data = {b: known[b] for b in blobs if b in known}
    missing = [b for b in blobs if b not in known]
    if missing:
        jobs = os.cpu_count() or 1
        if jobs > 1 and len(missing) >= 4 * _PARALLEL_MIN and "fork" in multiprocessing.get_all_start_methods():
            size = max(200, len(missing) // (jobs * 8))

            def chunks() -> Iterator[list[tuple[str, bytes]]]:
                chunk: list[tuple[str, bytes]] = []
                for pair in store.blobs(missing):
                    chunk.append(pair)
                    if len(chunk) >= size:
                        yield chunk
                        chunk = []
                if chunk:
                    yield chunk

            # The workers parse while cat-file still streams (the pool forks first, so no worker
            # holds a copy of cat-file's pipes). Workers reading their own shares through their
            # own cat-file measured slower: each inflates the pack's delta chains anew.
            with multiprocessing.get_context("fork").Pool(jobs) as pool:
                for done in pool.imap_unordered(_tracked_chunk, chunks()):
                    data.update(done)
        else:
            data.update(_tracked_chunk(list(store.blobs(missing))))
        _save_marshal(filename, {"v": version, "blobs": data})
    return data


def customer_changelog(repo: str) -> dict[str, list[Change]]:
    """Every customer's change log over the whole history, oldest first: one `git log` pass
    (extended incrementally from the cache as HEAD moves), the customer versions it names read
    through one batch process, only their tracked fields parsed, each version once."""
    # Hundreds of thousands of small objects and no reference cycles: the collector's passes
    # over them cost a third of a warm run.
    collecting = gc.isenabled()
    gc.disable()
    try:
        return _changelog(repo)
    finally:
        if collecting:
            gc.enable()


def _changelog(repo: str) -> dict[str, list[Change]]:
    from .changes import TRACKED, describe_fields, value_changes

    stage_at = 1 + TRACKED.index("stage")
    followups = FOLLOWUPS_DIR + "/"
    with Store(repo) as store:
        commits = _history(store)
        timezone = load_settings(store.root).timezone
        versions: dict[str, list[str]] = {}  # path → its blob ids, oldest first
        for commit in commits:
            for change in commit.files:
                path = change.path or change.old_path
                if _is_customer(path):
                    versions.setdefault(path, []).extend(b for b in (change.old_blob, change.blob) if b)
        wanted = [blob for path in sorted(versions) for blob in versions[path]]
        data = tracked_data(store, wanted) if wanted else {}
    zone = ZoneInfo(timezone)
    log: dict[str, list[Change]] = {}
    for commit in commits:
        when = commit.when.astimezone(zone)
        for change in commit.files:
            path = change.path or change.old_path or ""
            if _is_customer(path):
                before = data.get(change.old_blob) if change.old_blob else None
                after = data.get(change.blob) if change.blob else None
                cid = _customer_id(path, (after or before or (None,))[0])
                if change.status == "A":
                    fields = value_changes(None, after)
                    stage = after[stage_at] if after else None
                    summary = "created" + (f" ({stage})" if stage else "")
                elif change.status == "D":
                    fields = []
                    summary = "deleted"
                else:
                    fields = value_changes(before, after)
                    summary = describe_fields(fields) or "edited (no tracked field changed)"
                log.setdefault(cid, []).append(
                    Change(commit.sha, commit.author, when, summary, tuple(fields), commit.email))
            elif path.startswith(followups) and path.count("/") == 3 and path.endswith((".yaml", ".yml")):
                _, _, cid, name = path.split("/")  # a follow-up (kind_of's test, cheaper)
                name = _file_stem(name)
                verb = {"A": "added", "D": "removed"}.get(change.status, "edited")
                log.setdefault(cid, []).append(
                    Change(commit.sha, commit.author, when, f"follow-up {name} {verb}", (), commit.email, "followup"))
    return log


@dataclass(frozen=True)
class StageEvent:
    """A commit in which a customer's `stage` took a new value (or the file first appeared)."""

    stage: str
    commit: str
    author: str
    when: dt.datetime  # author time in the team's timezone


def stage_timeline(repo: str, customer_id: str) -> list[StageEvent]:
    """The customer's stage changes as git recorded them, oldest first: one `git log` of its
    file, every version read through one batch process."""
    from .load import parse_bytes
    from .records import customer_path

    path = customer_path(customer_id)
    with Store(repo) as store:
        commits = store.log(path)
        zone = ZoneInfo(load_settings(store.root).timezone)
        wanted = [c.blob for commit in commits for c in commit.files if c.blob]
        stages: dict[str, str | None] = {}
        for blob, raw in store.blobs(wanted):
            loaded = parse_bytes(raw, path)
            data = loaded.data if loaded.error is None and isinstance(loaded.data, dict) else {}
            stage = data.get("stage")
            stages[blob] = stage if isinstance(stage, str) and stage else None
    events: list[StageEvent] = []
    current: str | None = None
    for commit in commits:
        for change in commit.files:
            if change.path != path:
                continue
            stage = stages.get(change.blob) if change.blob else None
            if stage is not None and stage != current:
                events.append(StageEvent(stage, commit.sha, commit.author, commit.when.astimezone(zone)))
            current = stage
    return events


def first_commit_times(repo: str) -> dict[str, dt.datetime]:
    """When each records file was first committed (author time, in the team's timezone), by path;
    files never committed are absent. One `git log` pass, shared with the change log."""
    commits, timezone = _commits(repo)
    zone = ZoneInfo(timezone)
    first: dict[str, dt.datetime] = {}
    for commit in commits:
        for change in commit.files:
            if change.status == "A" and change.path and change.path not in first:
                first[change.path] = commit.when.astimezone(zone)
    return first


_CUSTOMER_PREFIX = CUSTOMERS_DIR + "/"


def _is_customer(path: str | None) -> bool:
    # The change log asks this of every file of every commit: a prefix test before kind_of.
    return bool(path) and path.startswith(_CUSTOMER_PREFIX) and kind_of(path) == "customer"


def _file_stem(name: str) -> str:
    """`os.path.splitext(name)[0]` for a file name, without its cost (called per history entry)."""
    dot = name.rfind(".")
    return name[:dot] if dot > 0 else name


def _customer_id(path: str, ident: Any) -> str:
    """The id a customer file stands for: its stem (the checks insist the `id` field agrees)."""
    return _file_stem(path[path.rfind("/") + 1:])


__all__ = [
    "CUSTOMERS_DIR",
    "FOLLOWUPS_DIR",
    "Change",
    "Commit",
    "FileChange",
    "GitStoreError",
    "Store",
    "book_at",
    "customer_changelog",
    "first_commit_times",
    "revision_date",
    "stage_timeline",
]
