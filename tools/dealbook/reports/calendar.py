"""The agenda as an iCalendar feed (RFC 5545), written directly as text.

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

The text is written here rather than through an iCalendar library: the site writes one feed per
owner on every build, and building component objects only to serialise them cost a fifth of a
build. The writer follows RFC 5545 (sections 3.1 and 3.3.11): CRLF line ends, lines folded at 75 octets
(never inside a UTF-8 character), TEXT values with backslash, semicolon, comma and newline
escaped; the tests parse the output back with the icalendar library.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections.abc import Callable, Iterable
from urllib.parse import urlsplit

from ..rules.agenda import AgendaItem
from ..rules.deals import LATER_STATE_OF
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
    """A UID that stays the same while the item stays: customer id, kind and key, never the date;
    an instalment that falls overdue, a quote that expires, keep theirs (`LATER_STATE_OF`).

    Two items of one customer with the same kind and key (a kind without keys listed twice)
    are numbered in the agenda's order when `seen` is given."""
    kind = LATER_STATE_OF.get(item.kind, item.kind)
    basis = "\x1f".join((item.customer_id, kind, item.key))
    digest = hashlib.sha1(basis.encode("utf-8")).hexdigest()[:20]
    uid = f"{kind}-{digest}@{domain}"
    if seen is not None:
        count = seen.get(uid, 0) + 1
        seen[uid] = count
        if count > 1:
            uid = f"{kind}-{digest}-{count}@{domain}"
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


# RFC 5545's CONTROL characters (but tab, and CR and LF, which become `\n`): no TEXT value may hold
# one, and a calendar app may refuse the whole feed for it (a vertical tab pasted from Word).
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def escape_text(value: str) -> str:
    """A TEXT value (RFC 5545, section 3.3.11): backslash, semicolon and comma escaped, newlines as
    `\\n`, any other control character a space."""
    value = _CONTROL.sub(" ", value).replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
    return value.replace("\r\n", "\\n").replace("\r", "\\n").replace("\n", "\\n")


def fold(line: str) -> str:
    """A content line folded at 75 octets (RFC 5545, section 3.1), never inside a UTF-8 character."""
    if len(line) <= 18 or (len(line) <= 75 and line.isascii()):  # 18 characters: at most 72 octets
        return line
    data = line.encode("utf-8")
    if len(data) <= 75:
        return line
    parts, start, limit = [], 0, 75  # a continuation line's leading space counts: 74 octets after it
    while len(data) - start > limit:
        end = start + limit
        while data[end] & 0xC0 == 0x80:  # a continuation byte: step back to the character's start
            end -= 1
        parts.append(data[start:end])
        start, limit = end, 74
    parts.append(data[start:])
    return b"\r\n ".join(parts).decode("utf-8")


def _date(day: dt.date) -> str:
    return f"{day.year:04}{day.month:02}{day.day:02}"


def agenda_calendar(items: Iterable[AgendaItem], today: dt.date, *, name: str, language: str = "zh",
                    timezone: str = "Asia/Shanghai", link: Callable[[str], str | None] = lambda cid: None,
                    owner_name: Callable[[str], str] = lambda handle: handle, domain: str = "dealbook",
                    stamp: dt.datetime | None = None, events: dict[AgendaItem, tuple[str, str]] | None = None) -> bytes:
    """The items as an iCalendar file named `name`: one all-day event each (see the module text).

    `link(customer_id)` gives the customer page's absolute URL (None: no link); `owner_name(handle)`
    the owner as shown; `stamp` is DTSTAMP (now, when not given). `events`: each item's event text
    (but its DTSTAMP and UID) kept by a caller that makes feeds of the same items again with the same
    `today`, `language`, `link` and `owner_name` (the team's feed, then each owner's)."""
    _ = translator(language)
    stamp = (stamp or dt.datetime.now(dt.timezone.utc)).astimezone(dt.timezone.utc)
    dtstamp = fold(f"DTSTAMP:{stamp:%Y%m%dT%H%M%SZ}")
    refresh = f"PT{int(REFRESH.total_seconds() // 3600)}H"
    about = _("dealbook agenda (holds customer data: keep it private)")
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", f"PRODID:{escape_text(PRODID)}", "CALSCALE:GREGORIAN",
             "METHOD:PUBLISH", f"X-WR-CALDESC:{escape_text(about)}",
             f"NAME:{escape_text(name)}", f"X-WR-CALNAME:{escape_text(name)}",
             f"REFRESH-INTERVAL;VALUE=DURATION:{refresh}",
             f"X-PUBLISHED-TTL:{refresh}",  # Outlook's name for the refresh interval
             f"X-WR-TIMEZONE:{escape_text(timezone)}"]
    parts = ["\r\n".join(map(fold, lines))]
    seen: dict[str, int] = {}
    for item in items:
        event = events.get(item) if events is not None else None
        if event is None:
            day = max(item.due, today)
            url = link(item.customer_id)
            head = ["BEGIN:VEVENT", "SUMMARY:" + escape_text(_title(item, today, _)),
                    f"DTSTART;VALUE=DATE:{_date(day)}", f"DTEND;VALUE=DATE:{_date(day + dt.timedelta(days=1))}"]
            tail = [f"CATEGORIES:{escape_text(item.kind)}", "CLASS:PRIVATE",
                    "DESCRIPTION:" + escape_text(_description(item, today, owner_name(item.owner), url, _)),
                    "STATUS:CONFIRMED", "TRANSP:TRANSPARENT"]
            if url:
                tail.append(f"URL:{url}")  # a URI value: not escaped as TEXT
            tail += ["X-MICROSOFT-CDO-BUSYSTATUS:FREE", "END:VEVENT"]
            event = ("\r\n".join(map(fold, head)), "\r\n".join(map(fold, tail)))
            if events is not None:
                events[item] = event
        parts += [event[0], dtstamp, fold(f"UID:{item_uid(item, domain, seen)}"), event[1]]
    parts.append("END:VCALENDAR")
    return ("\r\n".join(parts) + "\r\n").encode("utf-8")
