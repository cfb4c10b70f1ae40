"""Page reuse under `mkdocs serve`: a generated page is rendered again only when what it shows changed.

A page's key is a digest of everything its template is given (its context, pickled)
and of what every page shares: the settings, the team, the day, the site configuration, the
navigation, the other documentation pages and the records-error banner. When the key is the
one of the previous build, the page's previous output (the whole HTML file the theme wrote) and
its search index entries are used again; the theme and the search plugin never see the page.

A customer page has a first, cheaper key (`inputs_key`): the files it is made from (the customer's
file and follow-ups, by path and stamp as `checks.filecache.scan` takes them), the git HEAD its
change log and recorded times come from, and what every page shares. A customer page's context
depends on nothing else: its state, row and deal views are the rules run on its own records with
the settings, the team and the day, which the shared key covers. While a page's inputs are those of
the kept page, its context is neither computed nor pickled: at 10,000 customers that was most of
a serve rebuild after one edit. When they differ (an edit, a commit), the context is computed and
its key compared as for every other page.

The context is pickled for its key: pickling follows every field of every object (dataclasses,
records, dates), and refuses what it cannot name (a lambda, a local function), which makes the
page unkeyable: it is rendered every time. A value that pickles differently from build to build
(a set in another order) only costs a
render, never a stale page. (No record class in dealbook trims what it pickles.)
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import importlib.metadata
import io
import marshal
import pickle
from typing import Any

import jinja2

from ..records import cachefile


@functools.cache
def code_fingerprint() -> tuple[Any, ...]:
    """The dealbook package's files (`cachefile.code_key`), MkDocs' and Material's versions: pages
    kept by an older dealbook, or for another theme version, are never reused."""
    versions = []
    for dist in ("mkdocs", "mkdocs-material", "jieba"):
        try:
            versions.append(importlib.metadata.version(dist))
        except importlib.metadata.PackageNotFoundError:
            versions.append("")
    return cachefile.code_key(), tuple(versions)


def fingerprint(*values: Any) -> str | None:
    """A digest of the values' pickle; None when they cannot be pickled.

    The pickler runs without its memo ("fast" mode): an object met twice is written twice, so
    the digest depends on the values only, not on which of them happen to be one object."""
    buffer = io.BytesIO()
    pickler = pickle.Pickler(buffer, protocol=pickle.HIGHEST_PROTOCOL)
    pickler.fast = True
    try:
        pickler.dump(values)
    except (pickle.PicklingError, TypeError, AttributeError, RecursionError, ValueError):
        return None
    return hashlib.blake2b(buffer.getbuffer(), digest_size=20).hexdigest()


def customer_inputs(book: Any, stamps: dict[str, Any], head: str) -> dict[str, str | None]:
    """Per customer id, a digest of what its own records are made of (see the module's note): the
    path and stamp of its file and of each of its follow-ups (one filed under it from another
    folder included), and the git HEAD its change log comes from. None when a file has no stamp."""
    found: dict[str, str | None] = {}
    for cid, customer in book.customers.items():
        items: list[Any] = [head, customer.path, stamps.get(customer.path)]
        for followup in book.followups_of(cid):
            items.append(followup.path)
            items.append(stamps.get(followup.path))
        try:
            raw = None if None in items else marshal.dumps(items, 2)
        except ValueError:
            raw = None
        found[cid] = None if raw is None else hashlib.blake2b(raw, digest_size=20).hexdigest()
    return found


class MemoryBytecodeCache(jinja2.BytecodeCache):
    """Compiled templates kept between rebuilds (Jinja compares each template's source checksum,
    so an edited template is compiled again): compiling them was a tenth of a serve rebuild."""

    def __init__(self) -> None:
        self.compiled: dict[str, tuple[str, bytes]] = {}

    def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        found = self.compiled.get(bucket.key)
        if found is not None and found[0] == bucket.checksum:
            bucket.bytecode_from_string(found[1])

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        self.compiled[bucket.key] = (bucket.checksum, bucket.bytecode_to_string())


@dataclasses.dataclass
class Reused:
    """One page's previous build: its key, the file the theme wrote, its search entries, and the key
    of its inputs (customer pages: `inputs_key`)."""

    key: str
    output: bytes  # zlib-compressed UTF-8
    entries: list[dict[str, Any]]
    inputs: str | None = None


@dataclasses.dataclass
class PageStore:
    """The previous build's pages (src_uri → Reused) and this build's counts."""

    pages: dict[str, Reused] = dataclasses.field(default_factory=dict)
    shared: str | None = None  # the key every page shares (None before the first build)
    rendered: list[str] = dataclasses.field(default_factory=list)
    reused: list[str] = dataclasses.field(default_factory=list)

    def begin(self, shared: str | None) -> None:
        """A new build: a changed shared key forgets every page."""
        if shared is None or shared != self.shared:
            self.pages.clear()
        self.shared = shared
        self.rendered, self.reused = [], []

    def key(self, context: dict[str, Any]) -> str | None:
        if self.shared is None:
            return None
        own = fingerprint(context)
        return None if own is None else self.shared + own

    def find(self, src_uri: str, key: str | None) -> Reused | None:
        found = self.pages.get(src_uri)
        return found if found is not None and key is not None and found.key == key else None

    def find_inputs(self, src_uri: str, inputs: str | None) -> Reused | None:
        """The kept page made from these same inputs (`inputs_key`), if any."""
        found = self.pages.get(src_uri)
        return found if found is not None and inputs is not None and found.inputs == inputs else None

    def keep(self, src_uri: str, key: str | None, output: bytes, entries: list[dict[str, Any]],
             inputs: str | None = None) -> None:
        if key is None:
            self.pages.pop(src_uri, None)
        else:
            self.pages[src_uri] = Reused(key, output, entries, inputs)
