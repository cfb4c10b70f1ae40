"""The agenda as an iCalendar feed (RFC 5545), built with the `icalendar` library.

Every agenda item, whatever its kind (next action, cadence, first response, after-sales visit,
end of a pause, flags, and any kind the rules add), becomes one all-day VEVENT:

- on its due date, or on today when it is overdue, with "逾期 N 天" / "overdue N days" in front
  of the title: an overdue item stays in sight on today instead of sinking into the past (the
  feed is rebuilt every day, so it moves along until it is done);
- titled with the customer's name and the agenda's reason, described with the owner, the
  original due date and a link to the customer's page (also its URL property);
- with a UID made from the customer id, the item's kind and its stable key, never from the
  date, so a calendar that refreshes the feed replaces the event instead of adding a second one;
- free time (TRANSP:TRANSPARENT) and CLASS:PRIVATE, so shared free/busy views show neither a
  block nor the customer.

Events rather than to-dos: Google Calendar and Outlook ignore VTODO in a subscribed feed, and
Apple Calendar shows subscribed to-dos nowhere; all-day events show everywhere.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable, Iterable
from urllib.parse import urlsplit

from icalendar import Calendar, Event, vDuration

from ..rules.agenda import AgendaItem
from ..text.catalog import Translator, translator

PRODID = "-//dealbook//agenda feed//EN"
REFRESH = dt.timedelta(hours=4)


def calendar_domain(site_url: str | None) -> str:
    """The right-hand side of every UID: the site's host name, else "dealbook"."""
    return (urlsplit(site_url).hostname if site_url else None) or "dealbook"


def calendar_name(title: str, owner: str | None, names: dict[str, str], language: str) -> str:
    """`<site title> · 张伟` for an owner's feed, `<site title> · 全队` for the team's."""
    if owner is None:
        _ = translator(language)
        return f"{title} · " + _("team")
    return f"{title} · {names.get(owner, owner)}"


def item_uid(item: AgendaItem, domain: str, seen: dict[str, int] | None = None) -> str:
    """A UID that stays the same while the item stays: customer id, kind and key, never the date.

    Two items of one customer with the same kind and key (a kind without keys listed twice)
    are numbered in the agenda's order when `seen` is given."""
    basis = "\x1f".join((item.customer_id, item.kind, item.key))
    digest = hashlib.sha1(basis.encode("utf-8")).hexdigest()[:20]
    uid = f"{item.kind}-{digest}@{domain}"
    if seen is not None:
        count = seen.get(uid, 0) + 1
        seen[uid] = count
        if count > 1:
            uid = f"{item.kind}-{digest}-{count}@{domain}"
    return uid


def _title(item: AgendaItem, today: dt.date, _: Translator) -> str:
    late = (today - item.due).days
    prefix = _.ngettext("[overdue %(num)s day] ", "[overdue %(num)s days] ", late) if late > 0 else ""
    return _("%(prefix)s%(name)s: %(reason)s", prefix=prefix, name=item.name, reason=item.reason)


def _description(item: AgendaItem, today: dt.date, owner: str, link: str | None, _: Translator) -> str:
    late = (today - item.due).days
    lines = [item.reason, _("Customer: %(name)s (%(id)s)", name=item.name, id=item.customer_id),
             _("Owner: %(owner)s", owner=owner),
             _("Due: %(due)s", due=item.due) + (_(" (overdue %(late)s days, shown on today)", late=late)
                                                if late > 0 else "")]
    if link:
        lines.append(_("Customer page: %(link)s", link=link))
    return "\n".join(lines)


def agenda_calendar(items: Iterable[AgendaItem], today: dt.date, *, name: str, language: str = "zh",
                    timezone: str = "Asia/Shanghai", link: Callable[[str], str | None] = lambda cid: None,
                    owner_name: Callable[[str], str] = lambda handle: handle, domain: str = "dealbook",
                    stamp: dt.datetime | None = None) -> bytes:
    """The items as an iCalendar file named `name`: one all-day event each (see the module text).

    `link(customer_id)` gives the customer page's absolute URL (None: no link); `owner_name(handle)`
    the owner as shown; `stamp` is DTSTAMP (now, when not given)."""
    _ = translator(language)
    stamp = (stamp or dt.datetime.now(dt.timezone.utc)).astimezone(dt.timezone.utc).replace(microsecond=0)
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", name)
    calendar.add("name", name)
    calendar.add("x-wr-timezone", timezone)
    calendar.add("x-wr-caldesc", _("dealbook agenda (holds customer data: keep it private)"))
    calendar.add("refresh-interval", REFRESH, parameters={"VALUE": "DURATION"})
    calendar["X-PUBLISHED-TTL"] = vDuration(REFRESH)  # Outlook's name for the refresh interval
    seen: dict[str, int] = {}
    for item in items:
        day = max(item.due, today)
        url = link(item.customer_id)
        event = Event()
        event.add("uid", item_uid(item, domain, seen))
        event.add("dtstamp", stamp)
        event.add("dtstart", day)
        event.add("dtend", day + dt.timedelta(days=1))
        event.add("summary", _title(item, today, _))
        event.add("description", _description(item, today, owner_name(item.owner), url, _))
        if url:
            event.add("url", url)
        event.add("categories", [item.kind])
        event.add("transp", "TRANSPARENT")
        event.add("x-microsoft-cdo-busystatus", "FREE")
        event.add("class", "PRIVATE")
        event.add("status", "CONFIRMED")
        calendar.add_component(event)
    return calendar.to_ical()
