"""Dates and times as records write them: `YYYY-MM-DD` and `YYYY-MM-DD HH:MM`."""

from __future__ import annotations

import datetime as dt
import re

_DATE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")
_TIME = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}[ T][0-9]{2}:[0-9]{2}$")


def parse_date(value: object) -> dt.date | None:
    """A `YYYY-MM-DD` string as a date, or None when it is not one."""
    if isinstance(value, str) and _DATE.match(value):
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            return None
    return None


def after(on: dt.date | None, day: dt.date | None) -> bool:
    """Whether a record's date `on` falls after `day`, the day the rules run for: what it records
    (an approval, a signature, a receipt) had not happened yet at the end of that day. An undated
    entry, or no day (the record as written), is not after."""
    return on is not None and day is not None and on > day


def happened_by(on: dt.date | None, day: dt.date | None) -> dt.date | None:
    """A record's date `on` when it falls by the end of `day` (`after`); None when it falls later
    or is not written: a contract signed (delivered) later was not signed (delivered) yet."""
    return None if after(on, day) else on


def parse_time(value: object) -> dt.datetime | None:
    """A `YYYY-MM-DD HH:MM` string (team-local, naive) as a datetime, or None."""
    if isinstance(value, str) and _TIME.match(value):
        try:
            return dt.datetime.fromisoformat(value.replace("T", " "))
        except ValueError:
            return None
    return None


def parse_moment(value: object) -> tuple[dt.datetime, bool] | None:
    """`YYYY-MM-DD HH:MM` or `YYYY-MM-DD` as (team-local naive datetime, whether a time was given);
    a date alone is its midnight. None when it is neither."""
    when = parse_time(value)
    if when is not None:
        return when, True
    day = parse_date(value)
    return (dt.datetime.combine(day, dt.time()), False) if day is not None else None


def add_hours(moment: dt.datetime, hours: float, timezone: str) -> dt.datetime:
    """A team-local time `hours` real hours later, in the team's timezone (across a clock change too)."""
    from zoneinfo import ZoneInfo

    try:
        zone = ZoneInfo(timezone)
    except (KeyError, ValueError):
        return moment + dt.timedelta(hours=hours)
    later = moment.replace(tzinfo=zone).astimezone(dt.timezone.utc) + dt.timedelta(hours=hours)
    return later.astimezone(zone).replace(tzinfo=None)
