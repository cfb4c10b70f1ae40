"""Where each generated page lives: path segments for keys, page URLs, and the `link` helper templates use."""

from __future__ import annotations

import hashlib
import re
from typing import Any
from urllib.parse import quote

_SAFE = re.compile(r"^[\w\-.]+$")
SNAPSHOT = "now"  # the one page of a report that shows the state as of today


def slug(text: str) -> str:
    """A path segment for a key: the key itself when it is safe in a URL path, else a stable hash."""
    if text and _SAFE.match(text) and not text.startswith("."):
        return text
    return "x-" + hashlib.sha1(text.encode("utf-8")).hexdigest()[:12]


def url_of(src_uri: str) -> str:
    """The URL (relative to the site root) MkDocs gives `src_uri` with directory URLs."""
    stem = src_uri[: -len(".md")]
    if stem == "index":
        return ""
    if stem.endswith("/index"):
        stem = stem[: -len("/index")]
    return quote(stem) + "/"


class Urls:
    """Where each generated page lives, relative to the site root."""

    home = "index.md"
    customers = "customers/index.md"
    agenda = "agenda.md"
    owners = "owners/index.md"
    reports = "reports/index.md"
    process = "process.md"
    problems = "problems.md"
    board = "board.md"
    risk = "at-risk.md"
    reviews = "reviews/index.md"
    monday = "reviews/monday.md"
    month = "reviews/month.md"
    changes = "changes.md"

    @staticmethod
    def customer(cid: str) -> str:
        return f"customers/{slug(cid)}.md"

    @staticmethod
    def owner(handle: str) -> str:
        return f"owners/{slug(handle)}.md"

    @staticmethod
    def friday(handle: str) -> str:
        return f"reviews/friday/{slug(handle)}.md"

    @staticmethod
    def listing(kind: str, key: str) -> str:
        return f"by/{kind}/{slug(key or '-')}.md"

    @staticmethod
    def report(name: str, period: str = SNAPSHOT) -> str:
        """A report's page for one site period; a snapshot report has one page, `reports/<name>/`."""
        return f"reports/{slug(name)}/index.md" if period == SNAPSHOT else f"reports/{slug(name)}/{period}.md"


class Link:
    """Template helper: `link.customer(id)` etc. give a URL relative to the page being rendered."""

    def __init__(self, root: str) -> None:
        self.root = root

    def __getattr__(self, name: str) -> Any:
        target = getattr(Urls, name)
        if callable(target):
            return lambda *args: self.root + url_of(target(*args))
        return self.root + url_of(target)
