"""Approvals are commits: each approval written in a record must have been added by a commit
authored by the approver's own git identity (team.yaml `git` name or `email`).

One `git log --raw` over the customer files that hold approvals, their versions read through
one `git cat-file` process; the commit that (last) added each approval is its proof.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from ..records.book import Book
from ..records.deals import approvals_from
from ..records.diagnostics import ERROR, Diagnostic
from ..records.load import parse_bytes
from ..records.model import Member
from ..text.catalog import Translator, translator
from .store import FETCH_HISTORY, Commit, GitStoreError, open_store

Key = tuple[str, str, str, str, str]  # (quotes|contracts, number or #index, step, by, on)


def approval_keys(data: Any) -> Iterator[tuple[Key, tuple]]:
    """Every approval of a customer's data: its identity and where it is written."""
    if not isinstance(data, dict):
        return
    for group in ("quotes", "contracts"):
        items = data.get(group)
        for index, item in enumerate(items if isinstance(items, list) else []):
            if not isinstance(item, dict):
                continue
            number = item.get("no") if isinstance(item.get("no"), str) and item.get("no") else f"#{index}"
            for approval in approvals_from(item.get("approvals")):
                on = approval.on.isoformat() if approval.on else ""
                yield ((group, number, approval.step, approval.by, on),
                       (group, index, "approvals", approval.index))


def authored_by(commit: Commit, member: Member) -> bool:
    """Whether the commit's author is this member: the same email, or the member's git name."""
    if member.email and commit.email and member.email.casefold() == commit.email.casefold():
        return True
    return bool(member.git) and commit.author == member.git


def _short(commit: Commit, _: Translator) -> str:
    return _("%(commit)s by %(author)s <%(email)s>", commit=commit.sha[:7], author=commit.author, email=commit.email)


def _keys_in(raw: bytes | None, path: str) -> set[Key]:
    loaded = parse_bytes(raw, path) if raw is not None else None
    if loaded is None or loaded.error is not None:
        return set()
    return {key for key, _ in approval_keys(loaded.data)}


def verify_approvals(repo: str, book: Book, since: str | None = None) -> list[Diagnostic]:
    """A diagnostic for each approval in the working tree that git history does not prove.

    With `since` (a revision: the pull request's base, say), only approvals that were not
    already in the records at that revision are verified."""
    wanted: dict[str, list[tuple[Key, tuple]]] = {}
    for path, customer in sorted(book.customers_by_path.items()):
        found = list(approval_keys(customer.data))
        if found:
            wanted[path] = found
    if not wanted:
        return []
    out: list[Diagnostic] = []
    _ = translator(book.settings.language)
    try:
        with open_store(repo) as store:
            before: dict[str, set[Key]] = {}
            if since is not None:
                base = store.tree(store.resolve(since), sorted(wanted))
                raws = dict(store.blobs(sorted(set(base.values())))) if base else {}
                before = {path: _keys_in(raws.get(blob), path) for path, blob in base.items()}
                wanted = {path: [(k, w) for k, w in items if k not in before.get(path, set())]
                          for path, items in wanted.items()}
                wanted = {path: items for path, items in wanted.items() if items}
                if not wanted:
                    return []
            # Each commit's own change to the file, against its parent's version (`old_blob`): in a
            # history with merges the commits of two branches interleave, so the version listed
            # before a commit is not always its parent's. A merge lists no change of its own.
            versions: dict[str, list[tuple[Commit, str | None, str | None]]] = {path: [] for path in wanted}
            for commit in store.log(*sorted(wanted)):
                for change in commit.files:
                    if change.path in versions:
                        versions[change.path].append((commit, change.old_blob, change.blob))
            head = store.head()
            committed = store.tree(head, sorted(wanted)) if head else {}
            blob_ids = {blob for items in versions.values() for _, old, new in items for blob in (old, new) if blob}
            blob_ids |= set(committed.values())
            blobs = dict(store.blobs(sorted(blob_ids))) if blob_ids else {}
            cut = store.shallow()
    except GitStoreError as exc:
        first = next(iter(wanted))
        return [Diagnostic(first, 1, 1, ERROR, "approvals-no-git",
                           _("approvals cannot be verified without git history: %(error)s", error=exc.text(_)))]
    for path, approvals in wanted.items():
        added: dict[Key, Commit] = {}
        for commit, old_blob, blob in versions[path]:  # oldest first: the last commit to add it wins
            for key in _keys_in(blobs.get(blob) if blob else None, path) - _keys_in(
                    blobs.get(old_blob) if old_blob else None, path):
                added[key] = commit
        present = _keys_in(blobs.get(committed[path]), path) if path in committed else set()
        for key, where in approvals:
            _group, number, step, handle, _on = key
            values = {"step": step, "by": handle, "number": number}
            line, column = book.mark(path, where)
            commit = added.get(key)
            member = book.members.get(handle)
            if key not in present:
                out.append(Diagnostic(path, line, column, ERROR, "approval-uncommitted",
                                      _("approval `%(step)s` by `%(by)s` on %(number)s is not in any commit yet: "
                                        "%(by)s commits it under their own git identity", **values)))
            elif commit is None:  # only a merge's resolution brought it in: no one's own change
                out.append(Diagnostic(path, line, column, ERROR, "approval-not-proven",
                                      _("approval `%(step)s` by `%(by)s` on %(number)s came in with a merge commit, "
                                        "not a commit of its own: %(by)s commits it under their own git identity",
                                        **values)))
            elif commit.sha in cut:  # a shallow clone's first commit holds what came before it
                out.append(Diagnostic(path, line, column, ERROR, "approvals-shallow",
                                      _("approval `%(step)s` by `%(by)s` on %(number)s is in commit %(commit)s, "
                                        "where this shallow clone's history starts: who added it cannot be known; "
                                        "%(fetch)s", commit=commit.sha[:7], fetch=FETCH_HISTORY.say(_), **values)))
            elif member is None:
                continue  # `dealbook check` reports the unknown member
            elif not authored_by(commit, member):
                who = " / ".join(x for x in (member.git, member.email) if x) or _("no git identity in team.yaml")
                out.append(Diagnostic(path, line, column, ERROR, "approval-not-proven",
                                      _("approval `%(step)s` by `%(by)s` on %(number)s was added in commit "
                                        "%(commit)s, not by %(by)s (%(who)s): the approver commits their own "
                                        "approval", commit=_short(commit, _), who=who, **values)))
    return out
