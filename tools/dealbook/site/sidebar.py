"""The theme's navigation sidebar rendered once for the many generated pages that show the same one.

Material renders the whole site navigation (every nav entry, as links relative to the page) into
every page: at 10,000 customers that was a sixth of the work of a customer page. A customer page
is not in the nav, so no entry is marked active for it and nothing in the sidebar depends on the
page itself, only on where it sits: links are made relative to the page's folder
(`mkdocs.utils.get_relative_url`). Two pages in sibling folders (`customers/A/`, `customers/B/`)
get the same links when nothing else in the site lives under either folder.

Only with Material's own templates (no `custom_dir`) and no plugin but `search` and `dealbook` (another
plugin could change the nav for one page). Then a generated page that is not in the nav and has no
table of contents is rendered with
TEMPLATE, which extends the theme's `main.html` and replaces only its `site_nav` block: the first
page of each kind renders the block as the theme does (`super()`) and keeps the HTML; the others of
the same kind are given that HTML. The kind (`NavCache.kind`) is the page's folder, or its parent
folder when the page is alone in its folder, and the page's `hide` list. A theme without a
`site_nav` block never calls it: the pages come out as before. The sites are equal file by file
with and without it (tests/acceptance/test_site_serve.py).
"""

from __future__ import annotations

import posixpath
from collections import Counter
from typing import Any

from markupsafe import Markup

TEMPLATE = "dealbook-main.html"
SOURCE = ('{% extends "main.html" %}{% block site_nav %}{% if dealbook_nav is defined %}'
          '{% if dealbook_nav.html is not none %}{{ dealbook_nav.html }}{% else %}'
          '{% set html %}{{ super() }}{% endset %}{{ dealbook_nav.keep(html) }}{% endif %}'
          '{% else %}{{ super() }}{% endif %}{% endblock %}')


def _folder(url: str) -> str | None:
    """The folder links are made relative to, as `mkdocs.utils.get_relative_url` takes it from a
    page's URL: the URL without a last part that has a dot (a file). None: a URL with `..`."""
    head, _, tail = url.rpartition("/")
    parts = [part for part in (head if "." in tail else url).split("/") if part and part != "."]
    return None if ".." in parts else "/".join(parts)


class NavPiece:
    """One page's sidebar: the kept HTML of its kind, or `keep()` to keep what the theme rendered."""

    def __init__(self, cache: dict[Any, Markup], kind: Any) -> None:
        self._cache, self._kind = cache, kind
        self.html = cache.get(kind)

    def keep(self, html: str) -> Markup:
        self.html = self._cache[self._kind] = Markup(html)
        return self.html


class NavCache:
    """The sidebars of one build, by kind (a new build, a new cache: the nav may have changed)."""

    def __init__(self, files: Any, nav: Any) -> None:
        self.pieces: dict[Any, Markup] = {}
        # every folder some URL of the site (or of the nav: links) lies in, with how many lie there
        self._used: Counter[str] = Counter()
        urls = [file.url for file in files]
        stack = list(getattr(nav, "items", []) or [])
        while stack:
            item = stack.pop()
            stack.extend(getattr(item, "children", None) or [])
            url = getattr(item, "url", None)
            if isinstance(url, str) and not getattr(item, "file", None):
                urls.append(url)  # a link (pages are counted with the files)
        for url in urls:
            parts = url.split("/")
            for end in range(1, len(parts) + 1):
                self._used["/".join(parts[:end])] += 1

    def kind(self, page: Any) -> Any:
        """The page's kind, None when its sidebar may depend on the page itself (in the nav, a table
        of contents, a URL the site does not list)."""
        if page.file.inclusion.is_in_nav() or page.parent is not None or page.toc or page.url is None:
            return None
        folder = _folder(page.url)
        if not folder or self._used[page.url] != 1:
            return None
        hide = tuple(str(x) for x in (page.meta.get("hide") or ()))
        if self._used[folder] == 1:  # nothing else under the page's own folder: its parent decides
            return ("parent", posixpath.dirname(folder), hide)
        return ("folder", folder, hide)

    def piece(self, page: Any) -> NavPiece | None:
        kind = self.kind(page)
        return None if kind is None else NavPiece(self.pieces, kind)
