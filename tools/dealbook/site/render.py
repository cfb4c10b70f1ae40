"""The Jinja2 environment for site pages: autoescape on, team overrides first, formatting filters."""

from __future__ import annotations

import datetime as dt
import os
from typing import Any

import jinja2

from .labels import CURRENCY_SYMBOLS, Labels

PACKAGE_TEMPLATES = os.path.join(os.path.dirname(__file__), "templates")
OVERRIDES = os.path.join("overrides", "dealbook")  # inside docs_dir


def money(value: Any, currency: str = "CNY") -> str:
    """`¥1,234,567` (a known symbol) or `1,234,567 XYZ`; a dash when there is no amount."""
    if value is None or isinstance(value, bool) or not isinstance(value, (int, float)):
        return "—"
    symbol = CURRENCY_SYMBOLS.get(currency)
    number = f"{round(value):,}"
    return f"{symbol}{number}" if symbol else f"{number} {currency}"


def day(value: Any) -> str:
    """A date as YYYY-MM-DD, a time as YYYY-MM-DD HH:MM (team-local as recorded); '' for none."""
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, dt.date):
        return value.isoformat()
    return "" if value is None else str(value)


def percent(value: Any) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"


def number(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, float) and not value.is_integer():
        return f"{value:,.1f}"
    return f"{int(value):,}" if isinstance(value, (int, float)) else str(value)


def make_environment(docs_dir: str | None, labels: Labels) -> jinja2.Environment:
    """Templates from `<docs_dir>/overrides/dealbook/` win over the packaged ones, name by name."""
    loaders: list[jinja2.BaseLoader] = []
    if docs_dir:
        override = os.path.join(docs_dir, OVERRIDES)
        if os.path.isdir(override):
            loaders.append(jinja2.FileSystemLoader(override))
    loaders.append(jinja2.FileSystemLoader(PACKAGE_TEMPLATES))
    env = jinja2.Environment(
        loader=jinja2.ChoiceLoader(loaders),
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
        undefined=jinja2.ChainableUndefined,
    )
    currency = labels.settings.currency
    env.filters.update(
        money=lambda v: money(v, currency),
        day=day,
        percent=percent,
        number=number,
    )
    env.globals.update(t=labels, enum=labels.enum, lang=labels.language)
    return env


def render_page(env: jinja2.Environment, spec: Any, data: Any, root: str, edit_url: str | None = None) -> str:
    """A generated page's HTML body: its template over its context plus what every page gets."""
    from .pages import Link

    context = spec.context()
    context.update(root=root, link=Link(root), title=spec.title, today=data.today, missing=data.missing,
                   edit_url=edit_url, member_name=data.member_name)
    return env.get_template(spec.template).render(**context)
