"""How an amount of money is written for people: the one function every sentence, table and page uses."""

from __future__ import annotations

from typing import Any

DASH = "—"

# The sign written before an amount in a currency the settings name (`currency` in dealbook.yaml);
# the code of any other currency is written after the number.
CURRENCY_SYMBOLS = {"CNY": "¥", "RMB": "¥", "USD": "$", "EUR": "€", "GBP": "£", "JPY": "¥", "HKD": "HK$"}


def unit(currency: str) -> str:
    """How an amount's currency is named: its sign when it has a known one (`¥`), else its code."""
    return CURRENCY_SYMBOLS.get(currency, currency)


def money(value: Any, currency: str | None = None) -> str:
    """`¥1,234,567` (a currency with a known sign), `1,234,567 XYZ` (any other code), `—` for no
    amount. Every amount in a sentence (a reason, an agenda item, a check's message, `show`, the
    digest, a review, a page) takes the team's `currency` (`Settings.currency`); without one, the
    bare number (the cells of the command line's report tables, whose headers name the `unit`)."""
    if value is None or isinstance(value, bool) or not isinstance(value, (int, float)):
        return DASH
    number = f"{round(value):,}"
    if not currency:
        return number
    symbol = CURRENCY_SYMBOLS.get(currency)
    return f"{symbol}{number}" if symbol else f"{number} {currency}"
