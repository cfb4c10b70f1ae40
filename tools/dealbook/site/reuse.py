"""Page reuse under `mkdocs serve`: a generated page is rendered again only when what it shows changed.

A page's key is a digest of everything its template is given (its context, walked value by value)
and of what every page shares: the settings, the team, the day, the site configuration, the
navigation, the other documentation pages and the records-error banner. When the key is the
one of the previous build, the page's previous output (the whole HTML file the theme wrote) and
its search index entries are used again; the theme and the search plugin never see the page.

The walk knows plain values, containers, dataclasses (every field, not their `repr`) and named
tuples. Anything else (a function, a Book, an object with a hand-written `repr`) makes the page
unkeyable: it is rendered every time, so a reused page is never a stale one.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import decimal
import enum
import hashlib
from typing import Any

PLAIN = (str, int, float, bool, type(None), dt.date, dt.datetime, dt.time, dt.timedelta, decimal.Decimal, bytes)
MAX_DEPTH = 40  # deeper than any page context: a cycle, or something not meant to be walked


class Unkeyable(Exception):
    """The value holds something the walk does not know: the page is rendered every time."""


_FIELDS: dict[type, tuple[str, ...]] = {}


def _walk(value: Any, out: list[str], depth: int) -> None:
    if depth > MAX_DEPTH:
        raise Unkeyable("too deep")
    kind = type(value)
    if kind in PLAIN or isinstance(value, str):  # Markup is a str
        out.append(f"{kind.__name__}:{value!r}")
        return
    if isinstance(value, enum.Enum):
        out.append(f"{kind.__name__}.{value.name}")
        return
    if isinstance(value, dict):
        out.append(f"{{{len(value)}")
        for key, item in value.items():
            _walk(key, out, depth + 1)
            _walk(item, out, depth + 1)
        out.append("}")
        return
    if isinstance(value, (list, tuple)):
        out.append(f"{kind.__name__}[{len(value)}")
        for item in value:
            _walk(item, out, depth + 1)
        out.append("]")
        return
    if isinstance(value, (set, frozenset)):
        parts = []
        for item in value:
            inner: list[str] = []
            _walk(item, inner, depth + 1)
            parts.append("\x1f".join(inner))
        out.append(f"set[{len(parts)}:" + "\x1e".join(sorted(parts)) + "]")
        return
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        names = _FIELDS.get(kind)
        if names is None:
            names = _FIELDS[kind] = tuple(f.name for f in dataclasses.fields(value))
        out.append(f"<{kind.__module__}.{kind.__qualname__}")
        for name in names:
            _walk(getattr(value, name), out, depth + 1)
        out.append(">")
        return
    raise Unkeyable(f"{kind.__module__}.{kind.__qualname__}")


def fingerprint(*values: Any) -> str | None:
    """A digest of the values, walked as described above; None when one is unkeyable."""
    out: list[str] = []
    try:
        for value in values:
            _walk(value, out, 0)
    except Unkeyable:
        return None
    return hashlib.blake2b("\x1f".join(out).encode("utf-8", "surrogatepass"), digest_size=20).hexdigest()


@dataclasses.dataclass
class Reused:
    """One page's previous build: its key, the file the theme wrote, its search entries."""

    key: str
    output: bytes  # zlib-compressed UTF-8
    entries: list[dict[str, Any]]


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

    def keep(self, src_uri: str, key: str | None, output: bytes, entries: list[dict[str, Any]]) -> None:
        if key is None:
            self.pages.pop(src_uri, None)
        else:
            self.pages[src_uri] = Reused(key, output, entries)
