"""Renames git cannot see: a record moved with a plain `mv` (not `git mv`) leaves a tracked file
removed and an untracked one added, and git pairs only files it knows. A review of the working
tree pairs them itself, among the removed and added records of the change only."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from ..records.book import Book
from ..records.model import CUSTOMER, file_stem, kind_of
from .changes import data_digest


def _without(data: Any, key: str) -> Any:
    return {k: v for k, v in data.items() if k != key} if isinstance(data, dict) else data


Key = Callable[[str, Any], Any]  # (path, record) → what pairs it (None: nothing)


def _pair(old: dict[str, Any], new: dict[str, Any], keys: Iterable[tuple[Key, Key]]) -> dict[str, str]:
    """old path → new path: for each (old side's, new side's) key in turn, a record not yet paired
    with the first (in path order) one not yet paired on the other side that has the same key."""
    pairs: dict[str, str] = {}
    used: set[str] = set()
    for old_key, new_key in keys:
        waiting: dict[Any, list[str]] = {}
        for path in sorted(new):
            value = None if path in used else new_key(path, new[path])
            if value is not None:
                waiting.setdefault(value, []).append(path)
        for path in sorted(old):
            value = None if path in pairs else old_key(path, old[path])
            if value is not None and waiting.get(value):
                pairs[path] = waiting[value].pop(0)
                used.add(pairs[path])
    return pairs



def unstaged_renames(changes: list[Any], before: Book, after: Book, renames: dict[str, str]) -> dict[str, str]:
    """The renames (old path → new path) among `changes` (the review's `store.FileChange`s) that git
    did not pair (`renames`), of a record removed from the working tree to one added to it: a
    customer file whose content is the same but for its `id`, else whose id, else whose name is
    the same; then a follow-up whose content is the same but for its `customer` (as a moved
    follow-up is compared), else whose file name is the same in the folder of a renamed customer."""
    removed = {c.old_path for c in changes if c.status == "D" and c.old_path and c.old_path not in renames}
    taken = set(renames.values())
    added = {c.path for c in changes if c.status == "A" and c.path and c.path not in taken}
    if not removed or not added:
        return {}
    old = {p: c for p, c in before.customers_by_path.items() if p in removed}
    new = {p: c for p, c in after.customers_by_path.items() if p in added}
    same = (lambda _, c: data_digest(_without(c.data, "id")),) * 2
    ident = (lambda _, c: ("id", c.id),) * 2
    name = (lambda _, c: ("name", c.name) if c.name else None,) * 2
    found = _pair(old, new, (same, ident, name))
    folders = {file_stem(a): file_stem(b) for a, b in (*renames.items(), *found.items()) if kind_of(a) == CUSTOMER}
    old_f = {f.path: f for f in before.all_followups() if f.path in removed}
    new_f = {f.path: f for f in after.all_followups() if f.path in added}
    moved = (lambda _, f: data_digest(_without(f.data, "customer")),) * 2
    place = (lambda p, _: (folders[p.split("/")[-2]], p.split("/")[-1]) if p.split("/")[-2] in folders else None,
             lambda p, _: (p.split("/")[-2], p.split("/")[-1]))
    found.update(_pair(old_f, new_f, (moved, place)))
    return found
