"""Where each generated page lives: path segments for keys, page URLs, and the `link` helper templates use."""

from __future__ import annotations

from typing import Any

from ..records.siteconfig import customer_page, slug, url_of

__all__ = ["SNAPSHOT", "Link", "Urls", "slug", "url_of"]

SNAPSHOT = "now"  # the one page of a report that shows the state as of today


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
        return customer_page(cid)

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

    def guide(self, page: str, section: str = "") -> str:
        """A section of a guide page (`guide('settings', 'targets-sales-targets-per-member')`)."""
        return f"{self.root}guide/{page}/" + (f"#{section}" if section else "")
