"""The weekly digest: what changed, what is at risk and what is due, for one owner or the team.

One pure function of (book, the git change log, today, the window): the `what_changed` feed
(`git.recent`), the at-risk list (`rules.risk`) and the agenda (`rules.agenda`) cut to the
overdue items and those due within the days ahead. The command renders it as markdown (chat
webhooks), html (e-mail) or json.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass
from typing import Any

from ..records.book import Book
from ..rules.agenda import AgendaItem, agenda_items
from ..rules.risk import Risk, at_risk
from .history import Change
from .recent import Feed, what_changed


@dataclass(frozen=True)
class Digest:
    """A digest's content: the window, whose it is, and the three lists."""

    today: dt.date
    start: dt.date  # first day of the window (today - days + 1)
    days: int
    ahead: int  # "due" covers overdue items and those due up to today + ahead
    owner: str | None  # None: the team
    owner_name: str
    feed: Feed
    risks: tuple[Risk, ...]
    due: tuple[AgendaItem, ...]
    currency: str = "CNY"  # the settings' currency: every amount the digest shows is written in it

    def as_dict(self) -> dict[str, Any]:
        return {"today": self.today, "start": self.start, "days": self.days, "ahead": self.ahead,
                "owner": self.owner, "owner_name": self.owner_name,
                "changes": self.feed.as_dict(), "at_risk": [r.as_dict() for r in self.risks],
                "due": [asdict(item) for item in self.due]}


def weekly_digest(book: Book, changelog: dict[str, list[Change]], today: dt.date, days: int | None = None,
                  owner: str | None = None, ahead: int = 7) -> Digest:
    """The digest of the last `days` days (default: the `what_changed.days` setting) up to `today`,
    of `owner`'s customers (the team's when None), with what is due up to `ahead` days on."""
    feed = what_changed(book, changelog, today, days, owner)
    risks = at_risk(book, book.settings, today, owner)
    due = [item for item in agenda_items(book, today, owner, ahead) if item.group != "later"]
    member = book.members.get(owner) if owner else None
    name = (member.name if member and member.name else owner) if owner else ""
    return Digest(today, feed.start, feed.days, ahead, owner, name or "", feed, tuple(risks), tuple(due),
                  book.settings.currency)
