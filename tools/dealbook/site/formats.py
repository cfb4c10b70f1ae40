"""How the site writes money, dates, percentages and counts (the templates' filters)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from ..text import numbers
from ..text.money import money as text_money


def money(value: Any, currency: str = "CNY") -> str:
    """`¥1,234,567` (a known symbol) or `1,234,567 XYZ`; a dash when there is no amount (`text.money`)."""
    return text_money(value, currency)


def day(value: Any) -> str:
    """A date as YYYY-MM-DD, a time as YYYY-MM-DD HH:MM (team-local as recorded); '' for none."""
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, dt.date):
        return value.isoformat()
    return "" if value is None else str(value)


percent = numbers.percent  # the templates' filters: the command line's own (`text.numbers`)
number = numbers.number
