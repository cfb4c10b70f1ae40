"""Every customer's history from one `git log` pass: change logs, stage timelines, first commits."""

from __future__ import annotations

import datetime as dt
import gc
import multiprocessing
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo

import git

from ..records.cachefile import has_keys, save_marshal
from ..records.model import CUSTOMERS_DIR, FOLLOWUPS_DIR, kind_of
from ..records.settings import load_settings
from ..text.catalog import N_, said
from .store import _PARALLEL_MIN, CACHE_DIR, SHALLOW_HINT, Commit, FileChange, GitStoreError, Store, load_cache


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
    action: str = ""  # created | deleted | edited | renamed (a customer file); added | removed | edited | moved |
    # renamed (a follow-up)
    subject: str = ""  # the follow-up file's name; the stage a customer file was created in


def _pack(commit: Commit) -> tuple:
    return (commit.sha, commit.author, commit.email, commit.when.isoformat(), commit.subject,
            [(f.status, f.old_path, f.path, f.old_blob, f.blob) for f in commit.files])


def _unpack(row: tuple) -> Commit:
    sha, author, email, when, subject, files = row
    return Commit(sha, author, email, dt.datetime.fromisoformat(when), subject,
                  tuple(FileChange(*f) for f in files))


_LOG_VERSION = 2  # 2: renames as R changes (old and new path)


def _unpacked(rows: list) -> list[Commit] | None:
    """The commits of a cached log, or None when a row is not of this version's shape."""
    try:
        commits = [_unpack(row) for row in rows]
    except (TypeError, ValueError, AttributeError):
        return None
    ok = all(isinstance(c.sha, str) and all(isinstance(f.status, str) and isinstance(f.path or "", str)
                                           and isinstance(f.old_path or "", str) for f in c.files) for c in commits)
    return commits if ok else None


def _history(store: Store) -> list[Commit]:
    """The records history (oldest first), from .dealbook-cache/log.marshal when HEAD has not
    moved, else extended by a `git log OLD..HEAD` pass when the cached head is an ancestor."""
    head = store.head()
    if head is None:
        return []
    filename = os.path.join(store.root, CACHE_DIR, "log.marshal")
    # a shallow clone's log stops at its cut: once the history is fetched it is read again
    key = (_LOG_VERSION, store.prefix, tuple(sorted(store.shallow())))
    cached = load_cache(filename, lambda v: has_keys(v, head=str, commits=list) and v.get("key") == key)
    old = _unpacked(cached["commits"]) if cached is not None else None
    if old is not None:
        if cached["head"] == head:
            return old
        try:
            store.repo.git.merge_base("--is-ancestor", cached["head"], head)
            newer = store.log(revisions=f"{cached['head']}..{head}")
            save_marshal(filename, {"key": key, "head": head, "commits": [*cached["commits"], *map(_pack, newer)]})
            return old + newer
        except git.GitCommandError:
            pass  # history rewritten: read it all again
    commits = store.log()
    save_marshal(filename, {"key": key, "head": head, "commits": [_pack(c) for c in commits]})
    return commits


def _commits(repo: str) -> tuple[list[Commit], str]:
    """The records history, oldest first, without the changes of a shallow clone's first commits:
    they list every file as added there, which is where the clone starts, not what they did."""
    with Store(repo) as store:
        commits, cut = _history(store), store.shallow()
        if cut:
            commits = [c if c.sha not in cut else Commit(c.sha, c.author, c.email, c.when, c.subject)
                       for c in commits]
        return commits, load_settings(store.root).timezone


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
    version = [2, *_tracked_keys()]
    width = len(version)  # a tuple per blob: the id, then each tracked field
    cached = load_cache(filename, lambda v: has_keys(v, blobs=dict) and v.get("v") == version and all(
        value is None or (isinstance(value, tuple) and len(value) == width) for value in v["blobs"].values()))
    known: dict[str, Any] = cached["blobs"] if cached is not None else {}
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
        save_marshal(filename, {"v": version, "blobs": data})
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
    commits, timezone = _commits(repo)
    with Store(repo) as store:
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
            if change.status == "R":
                change = _one_sided(change, _is_customer if _is_customer(change.old_path) or _is_customer(path)
                                    else _is_followup)
            if change.status == "R" and _is_customer(path):
                # a renamed customer: its history moves to the new id (git log --follow)
                before, after = data.get(change.old_blob), data.get(change.blob)
                old_id, cid = _customer_id(change.old_path, None), _customer_id(path, None)
                fields = value_changes(before, after)
                summary = f"renamed from {old_id}" + (f"; {describe_fields(fields)}" if fields else "")
                log[cid] = log.pop(old_id, []) + log.get(cid, [])
                log[cid].append(Change(commit.sha, commit.author, when, summary, tuple(fields), commit.email,
                                       "customer", "renamed", old_id))
            elif change.status == "R" and _is_followup(path):
                _, _, old_id, old_name = change.old_path.split("/")
                _, _, cid, name = path.split("/")
                what = f"moved from {old_id}" if old_id != cid else f"renamed from {_file_stem(old_name)}"
                log.setdefault(cid, []).append(Change(commit.sha, commit.author, when,
                                                      f"follow-up {_file_stem(name)} {what}", (), commit.email,
                                                      "followup", "moved" if old_id != cid else "renamed",
                                                      _file_stem(name)))
            elif _is_customer(path):
                before = data.get(change.old_blob) if change.old_blob else None
                after = data.get(change.blob) if change.blob else None
                cid = _customer_id(path, (after or before or (None,))[0])
                if change.status == "A":
                    fields = value_changes(None, after)
                    stage = after[stage_at] if after else None
                    summary, action = "created" + (f" ({stage})" if stage else ""), "created"
                elif change.status == "D":
                    fields = []
                    summary, action = "deleted", "deleted"
                else:
                    fields = value_changes(before, after)
                    summary, action = describe_fields(fields) or "edited (no tracked field changed)", "edited"
                log.setdefault(cid, []).append(
                    Change(commit.sha, commit.author, when, summary, tuple(fields), commit.email, "customer", action,
                           str(stage) if action == "created" and stage else ""))
            elif _is_followup(path):
                _, _, cid, name = path.split("/")
                name = _file_stem(name)
                verb = {"A": "added", "D": "removed"}.get(change.status, "edited")
                log.setdefault(cid, []).append(
                    Change(commit.sha, commit.author, when, f"follow-up {name} {verb}", (), commit.email, "followup",
                           verb, name))
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
    from ..records.load import parse_bytes
    from ..records.model import customer_path

    path = customer_path(customer_id)
    with Store(repo) as store:
        commits = store.log(path, follow=True)  # back through renames: the id's whole history
        if commits and commits[0].sha in store.shallow():  # its stages there may be older than that commit
            raise GitStoreError(said(N_("%(path)s: its history before commit %(commit)s is missing%(hint)s"),
                                     path=path, commit=commits[0].sha[:7], hint=SHALLOW_HINT))
        zone = ZoneInfo(load_settings(store.root).timezone)
        wanted = [b for commit in commits for c in commit.files for b in (c.old_blob, c.blob) if b]
        stages: dict[str, str | None] = {}
        for blob, raw in store.blobs(wanted):
            loaded = parse_bytes(raw, path)
            data = loaded.data if loaded.error is None and isinstance(loaded.data, dict) else {}
            stage = data.get("stage")
            stages[blob] = stage if isinstance(stage, str) and stage else None
    events: list[StageEvent] = []
    for commit in commits:
        for change in commit.files:  # this file's changes only, under each name it had
            # against the commit's parent (`old_blob`), not the commit listed before it: with merges
            # the two branches' commits interleave, and main's edit of another field is no move back
            stage = stages.get(change.blob) if change.blob else None
            before = stages.get(change.old_blob) if change.old_blob else None
            if stage is not None and stage != before:
                events.append(StageEvent(stage, commit.sha, commit.author, commit.when.astimezone(zone)))
    return events


def recorded_times(repo: str) -> dict[str, dt.datetime] | None:
    """`first_commit_times`, or None when the repo is not a git repository: what the
    team-activity report and the site take as the records' recorded times."""
    try:
        return first_commit_times(repo)
    except GitStoreError:
        return None


def first_commit_times(repo: str) -> dict[str, dt.datetime]:
    """When each records file was first committed (author time, in the team's timezone), by path;
    files never committed are absent. One `git log` pass, shared with the change log."""
    commits, timezone = _commits(repo)
    zone = ZoneInfo(timezone)
    first: dict[str, dt.datetime] = {}
    for commit in commits:
        for change in commit.files:
            if change.status in "AR" and change.path and change.path not in first:
                # a renamed or moved file was recorded when its first name was
                first[change.path] = first.get(change.old_path or "") or commit.when.astimezone(zone)
    return first


_CUSTOMER_PREFIX = CUSTOMERS_DIR + "/"


def _is_customer(path: str | None) -> bool:
    # The change log asks this of every file of every commit: a prefix test before kind_of.
    return bool(path) and path.startswith(_CUSTOMER_PREFIX) and kind_of(path) == "customer"


_FOLLOWUP_PREFIX = FOLLOWUPS_DIR + "/"


def _is_followup(path: str | None) -> bool:
    # kind_of's test for a follow-up, cheaper (asked of every file of every commit)
    return bool(path) and path.startswith(_FOLLOWUP_PREFIX) and path.count("/") == 3 \
        and path.endswith((".yaml", ".yml"))


def _one_sided(change: FileChange, kind: Any) -> FileChange:
    """A rename with only one side of the kind `kind` tests for: the delete or the add it is."""
    if kind(change.old_path) and kind(change.path):
        return change
    if kind(change.path):
        return FileChange("A", None, change.path, None, change.blob)
    return FileChange("D", change.old_path, None, change.old_blob, None)


def _file_stem(name: str) -> str:
    """`os.path.splitext(name)[0]` for a file name, without its cost (called per history entry)."""
    dot = name.rfind(".")
    return name[:dot] if dot > 0 else name


def _customer_id(path: str, ident: Any) -> str:
    """The id a customer file stands for: its stem (the checks insist the `id` field agrees)."""
    return _file_stem(path[path.rfind("/") + 1:])
