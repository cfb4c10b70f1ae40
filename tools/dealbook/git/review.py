"""Reviews of two commits, customer by customer: only what a change touched is read and evaluated."""

from __future__ import annotations

import concurrent.futures
import datetime as dt
import marshal
import os
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

import git

from ..records.book import Book
from ..records.diagnostics import Diagnostic, from_rows
from ..records.model import FOLLOWUPS_DIR, TEAM_FILE, file_stem, kind_of
from ..records.settings import SETTINGS_FILE, Settings, settings_from_bytes
from .store import (
    CACHE_DIR,
    REPO_WIDE,
    Listing,
    Result,
    Store,
    default_base,
    fork_point,
    list_revision,
    load_many,
    open_sqlite_cache,
    touched,
    touched_duplicates,
    touched_paths,
)

# --- reviews of two commits, customer by customer ------------------------------------------------
_SIDES_VERSION = 5  # 2: follow-ups carry method, contact and next steps; 3: quotes and pending approvals;
# 4: the funnel tally is the funnel's share (no all-zero stages); 5: follow-up digests leave out `customer`
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
            self.db = open_sqlite_cache(os.path.join(root, CACHE_DIR, _SIDE_CACHE), f"sides {_SIDES_VERSION}",
                                        "sides (name TEXT PRIMARY KEY, day TEXT, value BLOB)")
        except (OSError, sqlite3.Error):
            self.db = None

    def get_many(self, names: list[str]) -> dict[str, Any]:
        return load_many(self.db, "sides", names, lambda row: row if _side_row_ok(row) else None)

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


def _side_row_ok(row: Any) -> bool:
    """Whether a cached row is (packed sides, diagnostic rows) as this version writes it."""
    from .changes import Side

    try:
        packed, diagnostics = row
        for side in packed:
            Side.unpack(side)
    except (TypeError, ValueError, AttributeError):
        return False
    return from_rows(diagnostics) is not None


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
    from ..checks.crosschecks import record_diagnostics
    from .changes import side_of

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
                   listing: Listing | None = None, language: str | None = None) -> RevisionSides:
    """The touched customers (`ids`, by file stem) of commit `sha` as review sides; with
    `language`, evaluated and worded in that language instead of its settings' own.

    One non-recursive `ls-tree` lists every customer file and follow-up folder (with its tree
    id); a customer whose file, folder, the team, the settings and `today` are as in an earlier
    review comes from the side cache, the others are read (through the blob parse cache) and
    evaluated one customer at a time: a Book of the team, the customer and its folder."""
    from ..checks.reading import cache_key
    from .changes import Side

    listing = listing or list_revision(store, sha)
    customers, folders, singles = listing.customers, listing.folders, listing.singles
    by_stem = listing.by_stem
    settings = settings_from_bytes(store.blob(singles.get(SETTINGS_FILE)))
    if language is not None:
        settings = settings.speaking(language)
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
                own.setdefault(file_stem(path), []).append(path)
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


def _unread(side: RevisionSides, ids: set[str]) -> set[str]:
    """The touched customers whose file is in the revision but could not be read."""
    read = {s.path for s in side.sides.values()}
    return {file_stem(path) for path in side.customers if file_stem(path) in ids and path not in read}


def review_revisions(repo: str, base: str | None, head: str, today: dt.date) -> tuple[Any, str, str]:
    """The review (`changes.Review`) of commit `head` against `base`, costing what changed:
    one `git diff --raw -M` names the touched customers, and only they are read, each as a
    cached side; the funnel and forecast effect are sums over them, and new diagnostics are
    looked for only in their files. BASE None: the merge base with origin/main (or main).
    Returns (review, base commit, head commit); the review is labelled `base` (or `merge base
    <commit>`) and `head`."""
    from .changes import diagnostics_added, review_sides

    with Store(repo) as store:
        head_sha = store.resolve(head)
        if base:
            base_sha, label = fork_point(store, base, store.resolve(base), head_sha)
        else:
            base_sha = default_base(store)
            label = f"merge base {base_sha[:8]}"
        # git works out the changes while this process lists both trees.
        with concurrent.futures.ThreadPoolExecutor(1) as pool:
            changed = pool.submit(store.changed, base_sha, head_sha)
            listings = list_revision(store, base_sha), list_revision(store, head_sha)
            changes = changed.result()
            ids, renames, notes = touched(changes)
        cache = SideCache(store.root, today)
        try:
            after = revision_sides(store, head_sha, ids, today, cache, listings[1])
            # BASE in HEAD's language: a finding both have is worded alike on both sides, so it is
            # not new because the branch changed `language:` (findings are compared by message).
            before = revision_sides(store, base_sha, ids, today, cache, listings[0], after.settings.language)
        finally:
            cache.close()
        # Repo-wide findings (duplicate ids, names and contract numbers) of the touched customer
        # files against every customer of their revision, both sides in HEAD's language: in place
        # of those each customer's own Book found (`REPO_WIDE`).
        # A file the change left as it was keeps its finding at one place, though the words may
        # name another file that changed (see `changes.diagnostics_added`).
        back = {new: old for old, new in renames.items()}
        changed_paths = touched_paths(changes)
        had = touched_duplicates(store, before.customers, after.settings, ids)
        seen = {(path, code, message) for path, _, _, (_, code, message) in had}
        placed = {(path, code, where) for path, _, where, (_, code, _) in had}
        fresh = [(path, blob, where, finding) for path, blob, where, finding
                 in touched_duplicates(store, after.customers, after.settings, ids)
                 if (back.get(path, path), *finding[1:]) not in seen
                 and (path in changed_paths or (path, finding[1], where) not in placed)]
        extra = []
        if fresh:
            from ..records.load import parse_bytes

            raw = dict(store.blobs(blob for _, blob, _, _ in fresh))
            for path, blob, where, (severity, code, message) in fresh:
                loaded = parse_bytes(raw.get(blob, b""), path)
                line, column = loaded.mark(where)
                extra.append(Diagnostic(path, line, column, severity, code, message))
    result = review_sides(before.sides, after.sides, before.settings, after.settings, label, head, ids, renames,
                          unread=_unread(after, ids), unread_before=_unread(before, ids))
    found = diagnostics_added([d for d in before.diagnostics if d.code not in REPO_WIDE],
                              [d for d in after.diagnostics if d.code not in REPO_WIDE], renames, changed_paths)
    found = sorted({*found, *extra}, key=lambda d: (d.path, d.line, d.column, d.code))
    return replace(result, new_diagnostics=tuple(found), notes=tuple(notes)), base_sha, head_sha
