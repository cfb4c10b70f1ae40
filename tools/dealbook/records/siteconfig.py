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

from ..text.catalog import N_, Said, Translator, said, translator
from .diagnostics import ERROR, Diagnostic

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


_CONTROL = re.compile("[\x00-\x1f\x7f]")
_NOT_IN_HOST = re.compile(r"[\s\"<>\\^`{|}%]")
_LONE_PERCENT = re.compile("%(?![0-9A-Fa-f]{2})")
# What a path keeps as is: RFC 3986's unreserved characters, `/` and the sub-delimiters but for `(`
# and `)`, which end a Markdown link's address (a chat digest's `[name](address)`).
_PATH_SAFE = "/%:@!$&'*+,;=-._~"


def url_problem(value: Any) -> Said | None:
    """Why `value` (mkdocs.yml's site_url or repo_url) cannot be the address links start from, to
    be said in the reader's language (`str()` is the English): None when it can, or when it is not set."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if not isinstance(value, str):
        return said(N_("is not an address: write one like https://sales.example.com/crm/"))
    text = value.strip()
    if _CONTROL.search(text):
        return said(N_("holds a line break or another control character: write the address on one line"))
    try:
        parts = urlsplit(text)
        parts.port  # noqa: B018 - a port that is not a number raises here
    except ValueError as exc:
        return said(N_("is not an address (%(error)s)"), error=str(exc))  # Python's words: not translated
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return said(N_("must start with http:// or https:// and a host name, like https://sales.example.com/crm/"))
    if "?" in text or "#" in text:
        return said(N_("holds a ? or a # (a query or a fragment): the pages' paths are added after it, so every "
                       "link would point at the same page; write the site's folder only"))
    try:
        if _NOT_IN_HOST.search(parts.hostname) or not parts.hostname.encode("idna"):
            raise UnicodeError
    except UnicodeError:
        return said(N_("has a host name that cannot be one (%(host)r)"), host=parts.hostname)
    return None


def base_url(value: Any) -> str | None:
    """`value` as the start of absolute links: ending in "/", its host in ASCII and its path
    percent-encoded where a URL may not hold a character as is (a space, a Chinese folder name, a
    quote); None when it is not set or cannot be one (`url_problem` says why)."""
    if value is None or url_problem(value) is not None or not value.strip():
        return None
    parts = urlsplit(value.strip())
    host = parts.hostname.encode("idna").decode("ascii")  # type: ignore[union-attr] - checked above
    host = f"[{host}]" if ":" in host else host  # an IPv6 address
    user = parts.netloc.rpartition("@")[0]
    netloc = (quote(user, safe=":%!$&'*+,;=-._~") + "@" if user else "") + host + (
        f":{parts.port}" if parts.port is not None else "")
    path = quote(_LONE_PERCENT.sub("%25", parts.path), safe=_PATH_SAFE)
    return f"{parts.scheme.lower()}://{netloc}{path if path.endswith('/') else path + '/'}"


def site_config(site_url: Any, repo_url: Any, options: dict[str, Any] | None = None) -> SiteConfig:
    """A SiteConfig from mkdocs.yml's values and the dealbook plugin's options (`repo_kind`, `branch`);
    an address links cannot start from counts as not set (see `site_config_problems`)."""
    options = options or {}
    repo = base_url(repo_url)
    kind = options.get("repo_kind")
    kind = kind if kind in HOST_KINDS else guess_host_kind(repo)
    branch = options.get("branch")
    return SiteConfig(base_url(site_url), repo, kind, branch if isinstance(branch, str) and branch else "main")


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


def _read(path: str) -> tuple[dict[str, Any], str]:
    """mkdocs.yml's values and its text; empty when it cannot be read."""
    try:
        with open(path, encoding="utf-8") as handle:
            text = handle.read()
        data = yaml.load(text, Loader=_Loader)  # a SafeLoader subclass
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        return {}, ""
    return (data, text) if isinstance(data, dict) else ({}, "")


def _key_lines(text: str) -> dict[Any, int]:
    """The line of each top-level key of a YAML mapping's text (1-based)."""
    tree = yaml.compose(text, Loader=_Loader)  # nodes only: no tag is resolved
    return {key.value: key.start_mark.line + 1 for key, _ in getattr(tree, "value", ())
            if isinstance(key, yaml.ScalarNode)}


def site_config_problems(path: str, shown: str = MKDOCS_FILE, keys: tuple[str, ...] = ("site_url", "repo_url"),
                         _: Translator | None = None) -> dict[str, Diagnostic]:
    """Key → an error, for each of `keys` in the mkdocs.yml at `path` (`shown` as its name) that links
    cannot start from, at its line: links are left out until it is fixed, rather than broken. Said in
    the translator's language (default English)."""
    _ = _ or translator("en")
    data, text = _read(path)
    found = {}
    for key in keys:
        problem = url_problem(data.get(key))
        if problem:
            message = _("%(key)s %(value)s %(problem)s (links to the site's pages are left out until it is fixed)",
                        key=key, value=repr(data[key]), problem=problem.say(_)) if key == "site_url" else \
                _("%(key)s %(value)s %(problem)s (links to the git host's editor are left out until it is fixed)",
                  key=key, value=repr(data[key]), problem=problem.say(_))
            found[key] = Diagnostic(shown, _key_lines(text).get(key, 1), 1, ERROR, "bad-url", message)
    return found


def read_site_config(repo: str) -> SiteConfig:
    """The SiteConfig of the mkdocs.yml in `repo` (all unset when there is none or it cannot be read)."""
    data = _read(os.path.join(repo, MKDOCS_FILE))[0]
    options: dict[str, Any] = {}
    for plugin in data.get("plugins") or ():
        if isinstance(plugin, dict) and isinstance(plugin.get("dealbook"), dict):
            options = plugin["dealbook"]
    return site_config(data.get("site_url"), data.get("repo_url"), options)
