"""The Jinja2 environment for site pages: autoescape on, team overrides first, formatting filters,
and the message catalog in the team's language (Jinja2's i18n extension: `_()`, `pgettext()`,
`ngettext()`, `{% trans %}`; see `dealbook.text.catalog`)."""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

import jinja2
from markupsafe import Markup, escape

from ..checks import privacy
from ..text.numbers import items_for_customers, losses_for_customers
from .feeds import calendar_feed
from .formats import day, money, number, percent
from .labels import Labels
from .urls import Link

PACKAGE_TEMPLATES = os.path.join(os.path.dirname(__file__), "templates")
OVERRIDES = os.path.join("overrides", "dealbook")  # inside docs_dir


def install_catalog(env: jinja2.Environment, translations: Any) -> None:
    """Jinja2's i18n extension over the catalog: `_()`, `gettext()`, `ngettext()`, `pgettext()`,
    `npgettext()` and `{% trans %}`. A translation is escaped like any other text (a quote or `<`
    in a catalog cannot break the page); the values put into it are escaped too."""

    def escaped(function: Callable[..., str]) -> Callable[..., Markup]:
        return lambda *args: escape(function(*args))

    gettext = escaped(translations.gettext)
    env.install_gettext_callables(  # type: ignore[attr-defined]
        gettext=gettext, ngettext=escaped(translations.ngettext),
        pgettext=escaped(translations.pgettext), npgettext=escaped(translations.npgettext), newstyle=True)
    # `_("…")` is most of the calls (tens per page, the same few hundred messages on every page): the
    # extension's `_` looks `gettext` up and formats the message each time; this one formats a message
    # without values once. The same text as the extension's: the escaped translation `%`-formatted
    # with the escaped values (with none, `%%` still becomes `%`).
    formatted: dict[str, Markup] = {}

    def underscore(message: str, /, **values: Any) -> Markup:
        if values:
            return gettext(message) % values  # type: ignore[no-any-return]
        found = formatted.get(message)
        if found is None:
            found = formatted[message] = gettext(message) % {}
        return found

    env.globals["_"] = underscore


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
        auto_reload=False,  # made again for each build: no template changes while it lives
        extensions=["jinja2.ext.i18n"],
    )
    install_catalog(env, labels.text.translations)
    settings = labels.settings
    currency = settings.currency
    masked = bool(settings.site.get("mask_contacts"))
    env.filters.update(
        # free text a person wrote (follow-ups, next actions, needs): with site.mask_contacts, the
        # phone numbers and mail addresses in it are masked like the contact fields
        private=(lambda v: privacy.mask_numbers(v, settings) if isinstance(v, str) else v) if masked else (lambda v: v),
        money=lambda v: money(v, currency),
        day=day,
        percent=percent,
        number=number,
    )
    # `t` is the old word table: calling it says where the words are now (a team's old override template).
    env.globals.update(t=labels, enum=labels.enum, lang=labels.language, period_name=labels.period,
                       calendar_feed=calendar_feed,
                       items_for_customers=lambda n, c: escape(items_for_customers(labels.text, n, c)),
                       losses_for_customers=lambda n, c: escape(losses_for_customers(labels.text, n, c)))
    return env


def render_page(env: jinja2.Environment, spec: Any, data: Any, root: str, edit_url: str | None = None,
                context: dict[str, Any] | None = None) -> str:
    """A generated page's HTML body: its template over its context (`spec.context()` unless given)
    plus what every page gets."""
    context = dict(spec.context() if context is None else context)
    context.update(root=root, link=Link(root), title=spec.title, today=data.today, missing=data.missing,
                   edit_url=edit_url, member_name=data.member_name,
                   author_name=data.author_name)
    return env.get_template(spec.template).render(**context)
