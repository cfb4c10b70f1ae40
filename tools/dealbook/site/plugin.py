"""The MkDocs plugin `dealbook`: reads the records once per build and adds the generated pages in memory."""

from __future__ import annotations

import atexit
import contextlib
import gc
import hashlib
import logging
import os
import subprocess
import zlib
from typing import Any
from urllib.parse import quote

from markupsafe import escape
from mkdocs.commands.build import get_context
from mkdocs.config import config_options as c
from mkdocs.config.base import Config
from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import PluginError
from mkdocs.plugins import BasePlugin, CombinedEvent, event_priority, get_plugin_logger
from mkdocs.structure.files import File, Files, InclusionLevel
from mkdocs.structure.pages import Page
from mkdocs.structure.toc import get_toc

from ..checks.reading import cache_key, open_book, reopen_book, scan_listed
from ..records.cachefile import has_keys, load_marshal, save_marshal
from ..records.settings import SETTINGS_FILE, Settings, load_settings, pinned_day, today_for
from ..records.siteconfig import HOST_KINDS, SiteConfig, site_config, site_config_problems
from ..records.writing import CACHE_DIR, cache_folder
from ..text.catalog import N_, translator
from .editor_links import log_actions_for
from .feeds import calendar_files, calendar_paths, site_title
from .guidelang import translated_guide
from .labels import Labels
from .oldsite import OldSite
from .pages import PageSpec, page_specs
from .parallel import PageWorkers, WorkerError, worker_count
from .render import make_environment, render_page
from .reuse import MemoryBytecodeCache, PageStore, Reused, code_fingerprint, customer_inputs, fingerprint
from .segment import forget_cuts, remember_cuts
from .sidebar import SOURCE as SIDEBAR_SOURCE
from .sidebar import TEMPLATE as SIDEBAR_TEMPLATE
from .sidebar import NavCache
from .urls import url_of
from .views import SiteData

log = get_plugin_logger("dealbook")

ASSETS_DIR = os.path.join(os.path.dirname(__file__), "assets")
ASSETS = ("dealbook.css", "dealbook.js")
ASSET_URI = "assets/dealbook/"
NAV_ORDER = ("home", "customers", "board", "agenda", "reviews", "owners", "reports", "process", "problems")
# A template may mark where the part worth searching ends; the search plugin then parses only
# what comes before it (parsing whole follow-up logs only to drop them cost most of a build).
SEARCH_END = "<!-- dealbook:search-end -->"
# Under `mkdocs serve`, a page whose inputs did not change is not rendered again: the theme renders
# this empty template for it and `on_post_page` hands MkDocs the previous build's file (reuse.py).
REUSE_TEMPLATE = "dealbook-reused.html"
CUSTOMER_TEMPLATE = "customer.html"


class DealbookConfig(Config):
    repo = c.Optional(c.Type(str))  # the records repo; default: the folder of mkdocs.yml
    edit_records_uri = c.Optional(c.Type(str))  # edit path prefix for records; default: edit_uri minus docs_dir
    today = c.Optional(c.Type(str))  # fixed date (else DEALBOOK_TODAY, settings as_of, the clock)
    repo_kind = c.Optional(c.Choice(HOST_KINDS))  # the git host of repo_url (guessed for github.com, gitlab.com)
    branch = c.Type(str, default="main")  # the branch records are merged into
    # reuse a generated page whose inputs did not change since the last build (serve and build)
    reuse_pages = c.Type(bool, default=True)
    # processes rendering the generated pages in `mkdocs build` (1: this one only; default: one per
    # core on Linux when there are 200 pages or more to render)
    workers = c.Optional(c.Type(int))


# The guide's pages in the sidebar, in the team's language (a page not listed shows its own title).
GUIDE_TITLES = {
    "guide/daily-use.md": N_("Daily use"),
    "guide/editing.md": N_("Editing records"),
    "guide/process.md": N_("The sales process"),
    "guide/reports.md": N_("Funnel and reports"),
    "guide/settings.md": N_("Settings"),
    "guide/site.md": N_("The internal site"),
    "guide/git.md": N_("Git: review, history, CI"),
    "guide/onboarding.md": N_("Moving in and out"),
    "guide/calendar.md": N_("Calendar feeds"),
    "guide/digest.md": N_("The weekly digest"),
    "guide/safety.md": N_("Safety: nothing lost, nothing planted"),
}


_EXIT_FROZEN: list[bool] = []


def freeze_at_exit() -> None:
    """`mkdocs build` ends its process: what is still alive then is frozen out of the collector first.
    Python's own shutdown otherwise walks the whole heap the build left (the Book, the pages, the
    search entries) again and again while it frees it: 1.2 s at 3,000 customers, about 4 s at 10,000,
    after the site was written; 0.07 s frozen. The process ends right after: the system takes its
    memory back."""
    if not _EXIT_FROZEN:
        _EXIT_FROZEN.append(True)
        atexit.register(gc.freeze)


RESTORED: set[str] = set()  # serve: this rebuild's reused pages whose old file was moved back (oldsite.py)


def _not_restored(record: logging.LogRecord) -> bool:
    """MkDocs notes every page it writes nothing for ("Page skipped"): under serve, a page whose old
    file was moved back (oldsite.py) is not worth a line in the log."""
    message = record.getMessage()
    return not (message.startswith("Page skipped: '") and message.split("'")[1] in RESTORED)


def _quiet_restored() -> None:
    from mkdocs.commands import build as mkdocs_build

    if _not_restored not in mkdocs_build.log.filters:
        mkdocs_build.log.addFilter(_not_restored)


def _render_nothing(page: Page, config: MkDocsConfig, files: Files) -> None:
    """`Page.render` for a generated page: what MkDocs' render leaves after converting no Markdown."""
    page.content = ""
    page.toc = get_toc([])
    page.present_anchor_ids = set()
    page.links_to_anchors = {}


class DealbookPlugin(BasePlugin[DealbookConfig]):
    """Generate the dashboard, customer, owner, agenda, report, process and data-quality pages."""

    supports_multiple_instances = False

    def __init__(self) -> None:
        self.repo = ""
        self.settings: Settings | None = None
        self.data: SiteData | None = None
        self.specs: dict[str, PageSpec] = {}
        self.env: Any = None
        self.user_nav = False
        self._bad_urls: frozenset[str] = frozenset()  # mkdocs.yml's site_url / repo_url links cannot start from
        self._full_html: str | None = None  # the page's whole content while the search plugin sees a part
        # `mkdocs serve` keeps this object between rebuilds (it has on_startup): pages, git data
        self.serving = False
        self.persist = False
        self.reusing = False
        self.store = PageStore()
        self._page_key: dict[str, str | None] = {}  # this build: src_uri -> key (None: unkeyable)
        self._inputs: dict[str, str | None] = {}  # this build: customer page -> its inputs key (reuse.py)
        self._context: dict[str, dict[str, Any]] = {}  # contexts computed for the key, rendered once
        self._reuse: dict[str, Reused] = {}  # this build's reused pages
        self._entries_from = 0
        self._entries: dict[str, list[dict[str, Any]]] = {}
        self._search: Any = None
        self._git: tuple[str, str, Any, Any] | None = None  # (HEAD, settings key, changelog, first commits)
        self._bytecode = MemoryBytecodeCache()  # our templates and the theme's, compiled once while serving
        # parallel rendering (parallel.py): pages whose content is rendered when they are built, not read
        self._deferring = False
        self._pending: set[str] = set()
        self._farmed: set[str] = set()  # pages a worker renders
        self._workers: PageWorkers | None = None
        self._files: Files | None = None
        self._farming = False  # True in a worker process
        self._nav_object: Any = None
        self._dirty = False
        self._same_sidebars = False
        self._replays: dict[str, Any] = {}  # serve: the last rebuild's "overdue a week ago" by customer (views.py)
        self._kept: dict[str, Any] = {}  # serve: the last rebuild's states and rows by customer (views.py)
        self._book: tuple[str, dict[str, Any], Any] | None = None  # serve: (settings key, stamps, Book) last read
        self._events: dict[str, Any] = {}  # serve: the calendar feeds' events of the last rebuild (feeds.py)
        self._feeds: list[File] = []
        self._old_site = OldSite()
        self._sidebars: NavCache | None = None  # the theme's nav sidebar, once per kind of page (sidebar.py)

    def on_startup(self, *, command: str, dirty: bool) -> None:
        """Pages are reused between the rebuilds of `mkdocs serve`, never in `mkdocs build`."""
        self.serving = command == "serve"
        if self.serving:
            _quiet_restored()
        if command in ("build", "gh-deploy"):
            freeze_at_exit()
        self._dirty = dirty
        self.persist = not self.serving  # `mkdocs build` keeps its pages in .dealbook-cache between runs
        # a new session starts from nothing
        self.store, self._git, self._replays, self._kept, self._book = PageStore(), None, {}, {}, None
        self._events = {}

    # --- configuration -------------------------------------------------------------------
    @event_priority(100)  # before the search plugin reads the theme language
    def on_config(self, config: MkDocsConfig) -> MkDocsConfig:
        config_dir = os.path.dirname(os.path.abspath(config.config_file_path or "mkdocs.yml"))
        repo = self.config.repo
        self.repo = os.path.abspath(os.path.join(config_dir, repo)) if repo else config_dir
        self.settings = settings = load_settings(self.repo)
        config.theme["language"] = settings.language
        title = settings.site.get("title")
        if title:
            config.site_name = str(escape(title))
        for name in ASSETS:
            target = config.extra_css if name.endswith(".css") else config.extra_javascript
            if ASSET_URI + name not in [str(x) for x in target]:
                target.append(ASSET_URI + name)
        self.user_nav = config.nav is not None
        # A site_url or repo_url links cannot start from leaves its links out, as on the command line:
        # judged as written, since MkDocs drops a line break from site_url and links to a wrong page.
        bad: dict[str, Any] = {}
        if config.config_file_path:
            bad = site_config_problems(config.config_file_path, os.path.basename(config.config_file_path),
                                       _=translator(settings.language))
        for d in bad.values():
            log.warning("%s:%s: %s", d.path, d.line, d.message)
        self._bad_urls = frozenset(bad)
        return config

    def on_serve(self, server: Any, config: MkDocsConfig, builder: Any) -> Any:
        """Rebuild when a record or the settings change."""
        for path in (os.path.join(self.repo, "records"), os.path.join(self.repo, SETTINGS_FILE)):
            if os.path.exists(path):
                server.watch(path)
        return server

    # --- the pages ---------------------------------------------------------------------------
    def on_files(self, files: Files, config: MkDocsConfig) -> Files:
        assert self.settings is not None
        stamps = scan_listed(self.repo)
        book = None
        if self.serving and self._book is not None and self._book[0] == cache_key(self.settings):
            book = reopen_book(self._book[2], self._book[1], stamps, self.settings)  # only what changed read
        if book is None:
            book = open_book(self.repo, settings=self.settings, snapshot=True, scanned=stamps)
        if self.serving:
            self._book = (cache_key(self.settings), stamps, book)
        today = today_for(self.settings, self.config.today)
        labels = Labels(self.settings)
        self.data = data = SiteData(book, today, labels, self.repo)
        head = self._git_head()
        if self.serving:
            self._reuse_git_history(data, head)
            data.replays = self._replays
        if self.serving or (self.persist and self.config.reuse_pages):
            data.inputs = customer_inputs(book, stamps, head)
        if self.serving:
            data.kept = self._kept
            data.reuse_kept()
        self.env = make_environment(config.docs_dir, labels)
        translated_guide(files, self.settings.language)
        if self.serving:
            self.env.bytecode_cache = self._bytecode
        self.specs = {}
        for spec in page_specs(data):
            self.specs[spec.src_uri] = spec
            old = files.get_file_from_path(spec.src_uri)
            if old is not None:
                files.remove(old)
            inclusion = InclusionLevel.INCLUDED if spec.nav else InclusionLevel.NOT_IN_NAV
            files.append(File.generated(config, spec.src_uri, content="", inclusion=inclusion))
        for name in ASSETS:
            with open(os.path.join(ASSETS_DIR, name), encoding="utf-8") as handle:
                files.append(File.generated(config, ASSET_URI + name, content=handle.read()))
        self.env.globals["log_actions_for"] = log_actions_for(data, self.site_config(config),
                                                             pinned_day(self.settings, self.config.today))
        # the calendar feeds: their files now, their content in on_env (beside the page workers)
        self._feeds = [File.generated(config, path, content=b"") for path in calendar_paths(data)]
        for file in self._feeds:
            files.append(file)
        if not self.user_nav:
            config.nav = self._nav(files)
        # The Book, the rows and states live until the build ends: the collector need not walk them
        # again and again while the pages are built (back in on_post_build)
        gc.freeze()
        self.reusing = bool(self.config.reuse_pages) and (self.serving or self.persist)
        self._search = self._search_plugin(config)
        # Generated pages are rendered when they are built (by workers where it pays), not when read,
        # where nothing but the search plugin and this plugin looks at them.
        only_ours = all(plugin is self or type(plugin).__module__.startswith("material.plugins.search")
                        for plugin in config.plugins.values())
        self._deferring = not self.serving and self._search is not False and self.config.workers != 1 and only_ours
        # the theme's sidebar once per kind of page: Material's own templates, nothing else changing pages
        self._same_sidebars = only_ours and config.theme.name == "material" and not config.theme.custom_dir
        self._pending, self._farmed, self._workers, self._files = set(), set(), None, files
        # with workers, they also compute each page's context and reuse key
        self._worker_count = worker_count(self.config.workers, len(self.specs)) if self._deferring else 0
        if self.reusing:
            shared = self._shared_key(config, files)
            if self.persist:
                self._load_pages(shared)
            self.store.begin(shared)
            self._page_key, self._context, self._reuse, self._entries = {}, {}, {}, {}
            self._inputs = self._inputs_keys(shared, config)
        else:
            self._inputs = {}
        for message in data.errors[:20]:
            log.warning("%s:%s:%s: %s %s", message.path, message.line, message.column, message.code, message.message)
        if len(data.errors) > 20:
            log.warning("… and %d more errors in the records (see the data quality page)", len(data.errors) - 20)
        return files

    # --- page reuse under `mkdocs serve` (reuse.py) ------------------------------------------------
    def _git_head(self) -> str:
        """The records repo's HEAD commit ("" outside a git work tree)."""
        try:
            return subprocess.run(["git", "-C", self.repo, "rev-parse", "HEAD"], capture_output=True, text=True,
                                  timeout=20).stdout.strip()
        except (OSError, subprocess.SubprocessError):
            return ""

    def _inputs_keys(self, shared: str | None, config: MkDocsConfig) -> dict[str, str | None]:
        """Each customer page's inputs key (reuse.py), when its template is the packaged one: a team's
        own customer template may show anything the plugin has."""
        data = self.data
        if shared is None or data is None or data.inputs is None:
            return {}
        override = os.path.join(config.docs_dir, "overrides", "dealbook")
        with contextlib.suppress(OSError):
            if any(name == CUSTOMER_TEMPLATE or name.startswith("_") for name in os.listdir(override)):
                return {}
        # what a customer page shows of the features that may be missing, settled before any page
        data.states, data.changelog, data.first_commits  # noqa: B018
        shared = shared + (fingerprint({k: data.missing.get(k) for k in ("rules", "changes")}) or "")
        found: dict[str, str | None] = {}
        for uri, spec in self.specs.items():
            inputs = data.inputs.get(spec.customer) if spec.customer is not None else None
            if inputs is not None and spec.template == CUSTOMER_TEMPLATE:
                found[uri] = f"{shared}i{inputs}"
        return found

    def _reuse_git_history(self, data: SiteData, head: str) -> None:
        """The change logs and first-commit times of the previous build while HEAD and settings stay."""
        settings = fingerprint(data.settings.raw) or ""
        if head and self._git is not None and self._git[:2] == (head, settings):
            data.__dict__["changelog"], data.__dict__["first_commits"] = self._git[2:]
        self._git = (head, settings, data.changelog, data.first_commits) if head else None

    def _search_plugin(self, config: MkDocsConfig) -> Any:
        """Material's search plugin (its index is filled page by page), False for another search
        plugin (whose index cannot be given a reused page's entries), None for none."""
        for plugin in config.plugins.values():
            index = getattr(plugin, "search_index", None)
            if type(plugin).__module__.startswith("material.plugins.search"):
                return plugin if isinstance(getattr(index, "entries", None), list) else False
            if index is not None or type(plugin).__module__.startswith("mkdocs.contrib.search"):
                return False
        return None

    def _shared_key(self, config: MkDocsConfig, files: Files) -> str | None:
        """What every page depends on beyond its own context (None: reuse nothing this build)."""
        data = self.data
        if self._search is False or data is None:
            return None
        stamps = []
        for folder in (config.docs_dir, config.theme.custom_dir):
            for root, _dirs, names in os.walk(folder or ""):
                for name in names:
                    path = os.path.join(root, name)
                    try:
                        stat = os.stat(path)
                    except OSError:
                        continue
                    stamps.append((path, stat.st_mtime_ns, stat.st_size))
        try:
            with open(config.config_file_path or "", "rb") as handle:
                config_digest = hashlib.blake2b(handle.read(), digest_size=20).hexdigest()
        except OSError:
            config_digest = ""
        site = [str(config.get(key)) for key in ("site_name", "site_url", "repo_url", "repo_name", "edit_uri",
                                                 "copyright", "extra", "extra_css", "extra_javascript",
                                                 "markdown_extensions", "mdx_configs")]
        theme = config.theme  # (its repr holds a set: another order in another process)
        site += [theme.name or "", *theme.dirs, *sorted(f"{k}={v!r}" for k, v in theme.items())]
        pinned = pinned_day(data.settings, self.config.today)  # the log draft's day (a pinned today or the reader's)
        return fingerprint(data.settings.raw, data.book.members, data.today, pinned, len(data.errors), config.nav,
                           sorted(stamps), config_digest, site, dict(self.config), config.theme.get("language"),
                           [f.src_uri for f in files.documentation_pages()], code_fingerprint())

    def _pages_file(self) -> str:
        return os.path.join(cache_folder(os.path.join(self.repo, CACHE_DIR)), "site-pages")

    def _load_pages(self, shared: str | None) -> None:
        """`mkdocs build`: the pages of the last build, when it shared this build's key."""
        if shared is None or self.store.shared == shared:
            return
        stored = load_marshal(self._pages_file(), lambda v: has_keys(v, shared=str, pages=dict) and all(
            isinstance(p, tuple) and len(p) == 4 and isinstance(p[1], bytes) and isinstance(p[3], (str, type(None)))
            for p in v["pages"].values()))
        if stored is not None and stored["shared"] == shared:
            self.store.shared = shared
            self.store.pages = {uri: Reused(*page) for uri, page in stored["pages"].items()}

    def _save_pages(self) -> None:
        if self.store.shared is None:
            return
        pages = {uri: (page.key, page.output, page.entries, page.inputs) for uri, page in self.store.pages.items()}
        save_marshal(self._pages_file(), {"shared": self.store.shared, "pages": pages})  # failures only cost speed

    def on_pre_build(self, config: MkDocsConfig) -> None:
        """The previous build's files are moved aside and deleted beside the build (oldsite.py): MkDocs
        empties the site folder before every build, one file at a time, with nothing else done meanwhile."""
        if self._dirty or (self.serving and not self.store.pages):  # (serve's first build: a new folder)
            return
        self._old_site.clear(config.site_dir, fork=not self.serving, later=self.serving)

    def _end_restoring(self) -> None:
        """Serve: the old site's files not taken back are deleted now (oldsite.py)."""
        self._old_site.delete()
        RESTORED.clear()

    def on_env(self, env: Any, config: MkDocsConfig, files: Files) -> Any:
        import jinja2

        env.loader = jinja2.ChoiceLoader([jinja2.DictLoader({REUSE_TEMPLATE: "-", SIDEBAR_TEMPLATE: SIDEBAR_SOURCE}),
                                          env.loader])
        self._sidebars = NavCache(files, self._nav_object) if self._same_sidebars else None
        if self._search:
            remember_cuts()  # Material's search cuts each run of Chinese words once (segment.py)
        if self.serving:
            env.bytecode_cache = self._bytecode
        if self._pending and self._worker_count:
            self._farm_out(env, config, files)
        if self._feeds and self.data is not None:  # (MkDocs writes them next)
            feeds = calendar_files(self.data, self.site_config(config), site_title(self.data.settings),
                                   kept=self._events if self.serving else None)
            for file in self._feeds:
                file.content_bytes = feeds[file.src_uri]
            self._feeds = []
        return env

    # --- parallel rendering (parallel.py) ------------------------------------------------------------
    def _farm_out(self, env: Any, config: MkDocsConfig, files: Files) -> None:
        """Fork workers for the generated pages still to render (every page has been read by now)."""
        todo = [f.src_uri for f in files.documentation_pages() if f.src_uri in self._pending]
        # the pages that show many customers (home, agenda, owners, reviews, reports) cost up to
        # seconds each: they go out first, one at a time; the customer pages, alike, after them
        many = [uri for uri in todo if self.specs[uri].template != CUSTOMER_TEMPLATE]
        todo = many + [uri for uri in todo if self.specs[uri].template == CUSTOMER_TEMPLATE]
        count = self._worker_count
        data = self.data
        assert data is not None
        for name in ("states", "agenda", "risks", "feed", "first_commits", "changelog", "reports"):
            getattr(data, name)  # what many pages share: computed once, before the fork
        if self._search:
            with contextlib.suppress(ImportError):
                import jieba  # loaded once here, not once per worker

                jieba.initialize()
        from mkdocs.structure.files import InclusionLevel as Level

        doc_files = files.documentation_pages(inclusion=Level.is_included)
        nav = self._nav_object
        pages = {uri: files.get_file_from_path(uri).page for uri in todo}  # type: ignore[union-attr]

        def render(uri: str) -> tuple[str | None, list[dict[str, Any]], str | None]:
            page = pages[uri]
            key = None
            if self.reusing:
                key = self._key_of(page)
                if self.store.find(uri, key) is not None:
                    self._context.pop(uri, None)
                    return None, [], key  # the kept page is still right
            entries = self._search.search_index.entries if self._search else []
            before = len(entries)
            config._current_page = page
            page.active = True
            try:  # MkDocs' own steps for one page (mkdocs.commands.build._build_page), without the write
                context = get_context(nav, doc_files, config, page)
                template = env.get_template(page.meta.get("template", "main.html"))
                context = config.plugins.on_page_context(context, page=page, config=config, nav=nav)
                output = template.render(context)
                output = config.plugins.on_post_page(output, page=page, config=config)
            finally:
                page.active = False
                config._current_page = None
            found = entries[before:]
            del entries[before:]
            page.content = None  # the worker keeps nothing it sent
            return output, found, key

        self._workers = workers = PageWorkers()
        self._farming = True  # in the workers: render, hand the page back unchanged
        try:
            workers.start(todo, count, render, singles=len(many))
        finally:
            self._farming = False
        for uri in todo:
            page = pages[uri]
            page.meta["template"] = REUSE_TEMPLATE
            page.meta["search"] = {"exclude": True}  # its entries come from the worker
            self._pending.discard(uri)
            self._farmed.add(uri)
            self._context.pop(uri, None)
        log.info("%d generated pages handed to %d worker processes", len(todo), count)

    def on_nav(self, nav: Any, config: MkDocsConfig, files: Files) -> Any:
        self._nav_object = nav
        return nav

    def on_build_error(self, error: Exception) -> None:
        if self._workers is not None:
            self._workers.stop()
            self._workers = None
        forget_cuts()
        self._end_restoring()
        self._old_site.wait()
        gc.unfreeze()

    def on_pre_page(self, page: Page, config: MkDocsConfig, files: Files) -> Page:
        """A generated page has no Markdown to convert (on_page_content gives it its HTML): skip
        MkDocs' Markdown pass, whose setup per page cost a tenth of a serve rebuild."""
        if page.file.src_uri in self.specs:
            page.render = _render_nothing.__get__(page)  # type: ignore[method-assign]
        return page

    @event_priority(-100)  # last: the page as every other plugin left it
    def on_post_page(self, output: str, page: Page, config: MkDocsConfig) -> str | None:
        uri = page.file.src_uri
        if self._farming:
            return None  # a worker: the page goes back to the main process as it is
        found = self._reuse.get(uri)
        if found is not None and uri in self._farmed:  # rendered by a worker
            self.store.rendered.append(uri)
            if self.reusing and uri in self._page_key:
                self.store.keep(uri, self._page_key[uri], found.output, found.entries, self._inputs.get(uri))
            del self._reuse[uri]
            return zlib.decompress(found.output).decode("utf-8", "surrogatepass")
        if found is not None:
            self.store.reused.append(uri)
            if self._old_site.restore(page.file.dest_uri):  # (serve) the file as the last rebuild wrote it
                RESTORED.add(uri)
                return ""  # nothing for MkDocs to write (its note that it wrote nothing is filtered out)
            return zlib.decompress(found.output).decode("utf-8")
        if self.reusing and uri in self._page_key:
            self.store.rendered.append(uri)
            self.store.keep(uri, self._page_key[uri], zlib.compress(output.encode("utf-8"), 1),
                            self._entries.get(uri, []), self._inputs.get(uri))
        return None

    def on_post_build(self, config: MkDocsConfig) -> None:
        if self._workers is not None:
            warnings, cpu = self._workers.warnings, self._workers.cpu
            self._workers.stop()
            self._workers = None
            log.info("page workers' CPU: %s", ", ".join(f"{seconds:.1f} s" for seconds in cpu))
            if warnings:
                log.warning("%d warnings while rendering pages in worker processes (see above)", warnings)
        self._farmed, self._pending = set(), set()
        if self.serving and self.data is not None:
            self.data.keep()
        forget_cuts()
        self._end_restoring()
        self._old_site.wait()
        gc.unfreeze()
        if not self.reusing:
            return
        built = set(self._page_key)
        for uri in [uri for uri in self.store.pages if uri not in built]:
            del self.store.pages[uri]
        self._context, self._reuse, self._entries = {}, {}, {}
        if self.persist:
            self._save_pages()
        log.info("%d generated pages rendered, %d reused", len(self.store.rendered),
                 len(self.store.reused))
        if self.serving:
            # What the server keeps until the next rebuild (the pages, their entries) is collected once
            # here and then left out of the collector's walks: without this, the next rebuild's
            # allocations set off full collections over the whole kept heap (8 s of a rebuild at 10,000
            # customers). The next build's end unfreezes and collects again: nothing is kept for good.
            gc.collect()
            gc.freeze()

    def site_config(self, config: MkDocsConfig) -> SiteConfig:
        """The site's address, its repo and host kind (`repo_kind`, `branch` options), for links."""
        site, repo = (None if key in self._bad_urls else config[key] for key in ("site_url", "repo_url"))
        return site_config(site, repo,
                           {"repo_kind": self.config.repo_kind, "branch": self.config.branch})

    def _nav(self, files: Files) -> list[Any]:
        """Home, customers, agenda, owners, reports, process, data quality, then the guide and other pages."""
        _ = (self.data.labels if self.data else Labels(self.settings)).text  # type: ignore[arg-type]
        sections: dict[str, list[Any]] = {key: [] for key in NAV_ORDER}
        for spec in self.specs.values():
            if spec.nav:
                sections[spec.nav].append({str(escape(spec.title)): spec.src_uri})
        nav: list[Any] = []
        for key in NAV_ORDER:
            nav.extend(sections[key])
        guide, other = [], []
        for file in sorted(files.documentation_pages(), key=lambda f: f.src_uri):
            if file.src_uri in self.specs or not file.inclusion.is_in_nav():
                continue
            (guide if file.src_uri.startswith("guide/") else other).append(file.src_uri)
        if guide:
            guide.sort(key=lambda uri: (not uri.endswith("/index.md") and uri != "guide/index.md", uri))
            nav.append({_("Guide"): [{_(GUIDE_TITLES[uri]): uri} if uri in GUIDE_TITLES else uri for uri in guide]})
        nav.extend(other)
        return nav

    def on_page_markdown(self, markdown: str, page: Page, config: MkDocsConfig, files: Files) -> str | None:
        spec = self.specs.get(page.file.src_uri)
        if spec is None:
            return None
        # MkDocs themes print titles unescaped: hand them escaped text.
        page.meta["title"] = str(escape(spec.title))
        if not spec.search:
            page.meta["search"] = {"exclude": True}
        page.meta["hide"] = ["toc"]  # generated pages have no table of contents: give its column to the tables
        page.meta["template"] = SIDEBAR_TEMPLATE  # the theme's main.html, its nav sidebar kept (sidebar.py)
        page.edit_url = self._edit_url(spec.edit_path, config)
        if self.reusing and not self._worker_count:  # (with workers, they compute the key)
            uri = page.file.src_uri
            key = self._page_key[uri] = self._key_of(page)
            found = self.store.find(uri, key)
            if found is not None:
                self._reuse[uri] = found
                page.meta["template"] = REUSE_TEMPLATE
                page.meta["search"] = {"exclude": True}  # its entries are the previous build's
        return ""  # the content is rendered from the template in on_page_content, never parsed as Markdown

    def _key_of(self, page: Page) -> str | None:
        """The page's reuse key; its context is kept for the render. A customer page made from the
        kept page's inputs has the kept page's key: its context is not computed."""
        uri = page.file.src_uri
        kept = self.store.find_inputs(uri, self._inputs.get(uri))
        if kept is not None:
            return kept.key
        spec = self.specs[uri]
        context = self._context[uri] = spec.context()
        return self.store.key({"page": (spec.title, spec.template, spec.search, page.edit_url),
                               "missing": self.data.missing, "context": context}) if self.data else None

    def on_page_content(self, html: str, page: Page, config: MkDocsConfig, files: Files) -> str | None:
        uri = page.file.src_uri
        if uri not in self.specs:
            banner = self._banner("../" * (page.url or "").count("/"))
            return banner + html if banner else None
        if uri in self._reuse:
            return ""  # on_post_page hands MkDocs the previous build's file
        if self._deferring:
            self._pending.add(uri)
            return ""  # rendered when the page is built (_fill), by a worker where it pays
        return self._fill(page)

    def _fill(self, page: Page) -> str:
        """A generated page's content: the records-error banner and its template's HTML."""
        uri = page.file.src_uri
        root = "../" * (page.url or "").count("/")
        html = render_page(self.env, self.specs[uri], self.data, root, page.edit_url, self._context.pop(uri, None))
        page.content = self._banner(root) + html
        return page.content

    @event_priority(100)  # before the search plugin indexes the page…
    def _give_search_its_part(self, context: dict, page: Page, config: MkDocsConfig, nav: Any) -> dict:
        self._full_html = None
        uri = page.file.src_uri
        if uri in self._pending:
            self._pending.discard(uri)
            self._fill(page)
        elif uri in self._farmed and self._workers is not None:
            try:
                output, entries, key = self._workers.take(uri)
            except WorkerError as error:
                raise PluginError(str(error)) from None
            self._page_key[uri] = key
            kept = self.store.find(uri, key) if output is None else None
            if kept is not None:  # the worker found the kept page still right
                self._farmed.discard(uri)
                self._reuse[uri] = kept
            elif output is None:
                raise PluginError(f"a page worker reused {uri}, which was not kept")
            else:
                self._reuse[uri] = Reused(key or "", output, entries)
        if self._search and (self.reusing or self._farmed):
            entries = self._search.search_index.entries
            found = self._reuse.get(uri)
            if found is not None:
                entries.extend(found.entries)  # in the page's place: the index comes out as a full build's
            self._entries_from = len(entries)
        content = page.content or ""
        end = content.find(SEARCH_END) if uri in self.specs and uri not in self._reuse else -1
        if end >= 0:  # the search plugin gets the part before the marker (the banner left out)
            banner = self._banner("../" * (page.url or "").count("/"))
            self._full_html, page.content = content, content[len(banner) if content.startswith(banner) else 0:end]
        return context

    @event_priority(-100)  # …and the whole page back before the theme renders it
    def _restore_page(self, context: dict, page: Page, config: MkDocsConfig, nav: Any) -> dict:
        if self._full_html is not None:
            page.content, self._full_html = self._full_html, None
        if self._sidebars is not None and page.file.src_uri in self.specs:
            piece = self._sidebars.piece(page)
            if piece is not None:
                context["dealbook_nav"] = piece
        if self.reusing and self._search and page.file.src_uri in self._page_key and not self._farming:
            self._entries[page.file.src_uri] = self._search.search_index.entries[self._entries_from:]
        return context

    on_page_context = CombinedEvent(_give_search_its_part, _restore_page)

    def _banner(self, root: str) -> str:
        if not self.data or not self.data.errors:
            return ""
        _ = self.data.labels.text
        errors = _.ngettext("The records have %(num)s error; pages may be incomplete.",
                            "The records have %(num)s errors; pages may be incomplete.", len(self.data.errors))
        see = _("See data quality")
        left_out = len(self.data.left_out)
        if left_out:
            errors += " " + _.ngettext("%(num)s customer file cannot be read and is left out of every figure.",
                                       "%(num)s customer files cannot be read and are left out of every figure.",
                                       left_out)
        # data-search-exclude: the banner is on every page; the search index must not repeat it
        return (f'<div class="admonition warning db-banner" data-search-exclude><p class="admonition-title">'
                f'{escape(errors)}</p>'
                f'<p><a href="{root}{url_of("problems.md")}">{escape(see)}</a></p></div>')

    def _edit_url(self, path: str | None, config: MkDocsConfig) -> str | None:
        if not path or not config.repo_url:
            return None
        prefix = self.config.edit_records_uri
        if prefix is None:
            prefix = config.edit_uri or ""
            docs = os.path.basename(os.path.normpath(config.docs_dir)) + "/"
            if prefix.endswith("/" + docs):
                prefix = prefix[: -len(docs)]
        base = config.repo_url if config.repo_url.endswith("/") else config.repo_url + "/"
        return base + prefix.lstrip("/") + quote(path)
