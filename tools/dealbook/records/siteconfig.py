"""Where the team's site and records repo live: `site_url`, `repo_url` and the dealbook plugin's
options, read from the repo's mkdocs.yml, and the path of a customer's page on the site.

The site build reads the same values from MkDocs itself; the command line (calendar feeds, the
weekly digest) reads them here, so links in a feed or a chat message point at the pages the
site publishes.
"""

from __future__ import annotations

import hashlib
import os
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlsplit

import yaml

MKDOCS_FILE = "mkdocs.yml"
HOST_KINDS = ("github", "gitlab", "gitea", "forgejo")
_SAFE = re.compile(r"^[\w\-.]+$")


def slug(text: str) -> str:
    """A path segment for a key: the key itself when it is safe in a URL path, else a stable hash."""
    if text and _SAFE.match(text) and not text.startswith("."):
        return text
    return "x-" + hashlib.sha1(text.encode("utf-8")).hexdigest()[:12]


def url_of(src_uri: str) -> str:
    """The URL (relative to the site root) MkDocs gives `src_uri` with directory URLs."""
    stem = src_uri[: -len(".md")]
    if stem == "index":
        return ""
    if stem.endswith("/index"):
        stem = stem[: -len("/index")]
    return quote(stem) + "/"


def customer_page(customer_id: str) -> str:
    """The source path of a customer's page (`customers/<slug>.md`)."""
    return f"customers/{slug(customer_id)}.md"


def guess_host_kind(repo_url: str | None) -> str | None:
    """github, gitlab or None from the repo URL's host (self-hosted Gitea and Forgejo must be named)."""
    host = (urlsplit(repo_url).hostname or "") if repo_url else ""
    if host == "github.com" or host.endswith(".github.com"):
        return "github"
    if host == "gitlab.com" or host.startswith("gitlab."):
        return "gitlab"
    if host == "codeberg.org":
        return "forgejo"
    return None


@dataclass(frozen=True)
class SiteConfig:
    """What links need to know about the published site and the repo's web host."""

    site_url: str | None  # the published site's address, ending in "/" (None: not set)
    repo_url: str | None  # the records repo on its git host, ending in "/" (None: not set)
    repo_kind: str | None  # github | gitlab | gitea | forgejo (None: unknown)
    branch: str  # the branch records are merged into (the web editor branches from it)

    def page_link(self, src_uri: str) -> str | None:
        """The absolute URL of a page of the site (None when `site_url` is not set)."""
        return self.site_url + url_of(src_uri) if self.site_url else None

    def customer_link(self, customer_id: str) -> str | None:
        return self.page_link(customer_page(customer_id))


def _slash(url: Any) -> str | None:
    if not isinstance(url, str) or not url.strip():
        return None
    url = url.strip()
    return url if url.endswith("/") else url + "/"


def site_config(site_url: Any, repo_url: Any, options: dict[str, Any] | None = None) -> SiteConfig:
    """A SiteConfig from mkdocs.yml's values and the dealbook plugin's options (`repo_kind`, `branch`)."""
    options = options or {}
    repo = _slash(repo_url)
    kind = options.get("repo_kind")
    kind = kind if kind in HOST_KINDS else guess_host_kind(repo)
    branch = options.get("branch")
    return SiteConfig(_slash(site_url), repo, kind, branch if isinstance(branch, str) and branch else "main")


class _Loader(yaml.SafeLoader):
    """mkdocs.yml as MkDocs reads it: `!ENV` resolved, other tags (`!!python/name:…`) read as None."""


def _env(loader: yaml.SafeLoader, node: yaml.Node) -> Any:
    if isinstance(node, yaml.ScalarNode):
        names, default = [loader.construct_scalar(node)], None
    elif isinstance(node, yaml.SequenceNode):
        values = loader.construct_sequence(node)
        names, default = values[:-1], values[-1] if values else None
    else:
        return None
    for name in names:
        if isinstance(name, str) and name in os.environ:
            return os.environ[name]
    return default


def _other(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> Any:
    return None


_Loader.add_constructor("!ENV", _env)
_Loader.add_multi_constructor("", _other)


def read_site_config(repo: str) -> SiteConfig:
    """The SiteConfig of the mkdocs.yml in `repo` (all unset when there is none or it cannot be read)."""
    try:
        with open(os.path.join(repo, MKDOCS_FILE), encoding="utf-8") as handle:
            data = yaml.load(handle, Loader=_Loader)  # a SafeLoader subclass
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        data = None
    data = data if isinstance(data, dict) else {}
    options: dict[str, Any] = {}
    for plugin in data.get("plugins") or ():
        if isinstance(plugin, dict) and isinstance(plugin.get("dealbook"), dict):
            options = plugin["dealbook"]
    return site_config(data.get("site_url"), data.get("repo_url"), options)
