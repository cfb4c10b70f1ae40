"""How a count or a share is written for people: the one pair of functions the command line's
tables, the review lines and the site's filters use (money has its own: `text.money`)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .catalog import Translator

DASH = "—"


def number(value: Any) -> str:
    """`12,345` (a whole number, grouped by thousands), `1,234.5` (a fraction, one decimal), a dash
    for none; any other value (a word, a flag) as it is."""
    if value is None:
        return DASH
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, float) and not value.is_integer():
        return f"{value:,.1f}"
    return f"{int(value):,}"


def items_for_customers(_: Translator, items: int, customers: int) -> str:
    """What an agenda or risk figure counts: `3 items for 2 customers` (`3 项,涉及 2 个客户`). One
    customer can have several items (an overdue next action and an overdue instalment), so the
    items alone read as customers behind."""
    return (_.ngettext("%(num)s item", "%(num)s items", items)
            + _.ngettext(" for %(num)s customer", " for %(num)s customers", customers))


def losses_for_customers(_: Translator, losses: int, customers: int) -> str:
    """What a count of losses counts: `2 losses of 1 customer` (`流失 2 次,涉及 1 个客户`). A
    customer can be lost, re-opened and lost again, so the losses alone read as customers behind.
    None: `0 losses` alone."""
    counted = _.ngettext("%(num)s loss", "%(num)s losses", losses)
    return counted + _.ngettext(" of %(num)s customer", " of %(num)s customers", customers) if losses else counted


def percent(value: float | None) -> str:
    """A share (0.25) as `25.0%`, a dash for none."""
    return DASH if value is None else f"{value * 100:.1f}%"
