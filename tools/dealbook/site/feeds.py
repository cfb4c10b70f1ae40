"""Files the site publishes beside its pages: the calendar feeds.

`calendar.ics` holds the whole team's agenda, `calendar/<handle>.ics` one owner's (every team
member and every owner named on a customer). Each is the agenda as `dealbook agenda --format
ics` prints it, with links to the customer pages at the site's `site_url`.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from ..records.siteconfig import SiteConfig, slug
from ..reports.calendar import agenda_calendar, calendar_domain, calendar_name

TEAM_FEED = "calendar.ics"


def site_title(settings: Any) -> str:
    """`site.title` from settings, else "dealbook" (what feeds and the digest are named after)."""
    return settings.site_title


def owner_feed(handle: str) -> str:
    """The path of an owner's feed on the site."""
    return f"calendar/{slug(handle)}.ics"


def calendar_feed(handle: Any = None) -> str:
    """The feed a page links to: the owner's for a handle, else the team's."""
    return owner_feed(handle) if isinstance(handle, str) and handle else TEAM_FEED


def calendar_paths(data: Any) -> dict[str, str | None]:
    """Path on the site → the owner whose feed it is (None: the team's), for the team and each
    owner (nothing when the agenda failed)."""
    if data.agenda is None:
        return {}
    book = data.book
    owners = sorted(set(book.members) | {c.owner for c in book.customers.values() if c.owner})
    return {TEAM_FEED: None, **{owner_feed(handle): handle for handle in owners}}


def calendar_files(data: Any, config: SiteConfig, title: str, stamp: dt.datetime | None = None,
                   kept: dict[str, Any] | None = None) -> dict[str, bytes]:
    """Path on the site → feed content, for the team and each owner (nothing when the agenda failed).

    Each agenda item's event is written once (the team's feed, then its owner's); with `kept` (a
    server between rebuilds) the events are kept for the next build while the day, the settings, the
    team and the site's address stay, so only the items that changed are written again."""
    items = data.agenda
    if items is None:
        return {}
    book = data.book
    settings = book.settings
    names = {handle: member.name for handle, member in book.members.items() if member.name}
    common: dict[str, Any] = {
        "language": settings.language, "timezone": settings.timezone, "link": config.customer_link,
        "owner_name": lambda handle: names.get(handle, handle), "domain": calendar_domain(config.site_url),
        "stamp": stamp or dt.datetime.now(dt.timezone.utc),
    }
    events: dict[Any, tuple[str, str]] = {}
    if kept is not None:
        from .reuse import fingerprint

        key = fingerprint(data.today, settings.raw, names, config.site_url, common["domain"])
        if key is None or kept.get("key") != key:
            kept.clear()
        old = kept.get("events") or {}
        events = {item: old[item] for item in items if item in old}  # (the items gone are let go)
        kept.update(key=key, events=events)
    files = {}
    for path, handle in calendar_paths(data).items():
        mine = items if handle is None else data.agenda_of(handle)
        files[path] = agenda_calendar(mine, data.today, name=calendar_name(title, handle, names, settings.language),
                                      events=events, **common)
    return files
