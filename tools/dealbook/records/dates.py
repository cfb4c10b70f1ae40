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


def parse_time(value: object) -> dt.datetime | None:
    """A `YYYY-MM-DD HH:MM` string (team-local, naive) as a datetime, or None."""
    if isinstance(value, str) and _TIME.match(value):
        try:
            return dt.datetime.fromisoformat(value.replace("T", " "))
        except ValueError:
            return None
    return None
