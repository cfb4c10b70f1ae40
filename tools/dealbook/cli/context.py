"""What every command shares: the repo, the date the rules run as of, the revision to read."""

from __future__ import annotations

import contextlib
import contextvars
import datetime as dt
import functools
import gc
import os
import stat
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import click

from ..records.book import Book
from ..records.settings import SETTINGS_FILE, Settings, load_settings, today_for
from ..text.catalog import N_, SOURCE_LANGUAGE, Translator, translator

if TYPE_CHECKING:
    from ..checks.customer_views import PerCustomer
    from ..records.siteconfig import SiteConfig


def find_repo(start: str) -> str:
    """The nearest folder upwards from `start` holding dealbook.yaml or records/ (else `start`)."""
    here = os.path.abspath(start)
    while True:
        if os.path.exists(os.path.join(here, SETTINGS_FILE)) or os.path.isdir(os.path.join(here, "records")):
            return here
        parent = os.path.dirname(here)
        if parent == here:
            return os.path.abspath(start)
        here = parent


def is_records_repo(folder: str, settings_file: bool = False) -> bool:
    """Whether `folder` is a records repo: it holds records/ or dealbook.yaml (a file, when
    `settings_file`)."""
    settings = os.path.join(folder, SETTINGS_FILE)
    return os.path.isdir(os.path.join(folder, "records")) or \
        (os.path.isfile(settings) if settings_file else os.path.exists(settings))


def team_language(repo: str | None = None) -> str:
    """The language to speak in before a command reads its settings: that of `repo` when it is a
    records repo (dealbook.yaml or records/), else that of the repo found from the current folder,
    else English. The one place this guess is made (usage errors, click's words)."""
    for folder in (repo, find_repo(os.getcwd())):
        if folder and is_records_repo(folder, settings_file=True):
            try:
                return load_settings(folder).language
            except Exception:  # unreadable: the next guess
                continue
    return SOURCE_LANGUAGE


def repo_root(repo: str | None) -> str:
    """The repo a run works on: `--repo` made absolute, else the one found from the current folder."""
    return os.path.abspath(repo) if repo else find_repo(os.getcwd())


class Speaker:
    """The repo one dealbook run was told it works on (`--repo`, heard before the settings are
    read) and the language guessed for it, worked out when first needed (a run that says nothing
    reads no settings for it)."""

    def __init__(self) -> None:
        self.repo: str | None = None
        self._language: str | None = None

    def hear(self, repo: str) -> None:
        if repo != self.repo:
            self.repo, self._language = repo, None

    @property
    def language(self) -> str:
        if self._language is None:
            self._language = team_language(self.repo)
        return self._language


_speaker: contextvars.ContextVar[Speaker | None] = contextvars.ContextVar("dealbook_speaker", default=None)


@contextlib.contextmanager
def run_speaker() -> Iterator[Speaker]:
    """One dealbook run's speaker until the block ends (a block inside another keeps the outer
    one's: `main()` shows the errors `cli.main` raised)."""
    current = _speaker.get()
    if current is not None:
        yield current
        return
    token = _speaker.set(Speaker())
    try:
        yield _speaker.get()  # type: ignore[misc]
    finally:
        _speaker.reset(token)


def speaking() -> bool:
    """Whether a dealbook run is under way (outside one, click is left to itself)."""
    return _speaker.get() is not None


def hear(repo: str) -> None:
    """The run works on `repo`: what it says follows that repo's team from now on."""
    current = _speaker.get()
    if current is not None:
        current.hear(repo)


def language() -> str:
    """The team's language for what a run says: the one place it is picked. Inside a command
    with an `Env`, its language (the settings' once they are read; before that `team_language`'s
    guess for its repo); before the global options are read, the guess for the repo the run was
    told (`--repo`, `hear`), else for the current folder."""
    context = click.get_current_context(silent=True)
    env = context.find_object(Env) if context is not None else None
    if env is not None:
        return env.language
    current = _speaker.get()
    return current.language if current is not None else team_language()


def words() -> Translator:
    """The translator of the team's language (`language()`)."""
    return translator(language())


@dataclass
class Env:
    """The global options, resolved."""

    repo: str
    today_override: str | None = None
    at: str | None = None

    @classmethod
    def create(cls, repo: str | None, today: str | None, at: str | None) -> Env:
        root = repo_root(repo)
        if os.path.isdir(root):
            hear(root)
        _ = words()
        if today is not None:
            try:
                dt.date.fromisoformat(today)
            except ValueError:
                raise click.BadParameter(_("%(today)s is not a date; write YYYY-MM-DD", today=repr(today)),
                                         param_hint="--today") from None
        if repo and not os.path.isdir(root):
            raise click.BadParameter(_("%(repo)s is not a folder", repo=repo), param_hint="--repo")
        return cls(root, today, at)

    @property
    def language(self) -> str:
        """The settings' language once they are read; before that (the usage errors said before,
        or instead of, reading them: `--at` naming no revision cannot wait for the revision's
        settings), and in a folder that is no records repo (its settings are the packaged
        defaults, no team's), the language `team_language` guesses."""
        if "settings" in self.__dict__ and is_records_repo(self.repo):
            return self.settings.language
        return self._guessed_language

    @functools.cached_property
    def _guessed_language(self) -> str:
        return team_language(self.repo)

    @functools.cached_property
    def settings(self) -> Settings:
        if self.at:
            return self._revision.settings
        settings = load_settings(self.repo)
        if settings.fallback and settings.source is not None:  # said once, before any figure it changes
            from ..checks.filechecks import settings_errors

            _ = translator(settings.language)  # the broken file's own `language:` line, if it still says one
            error = next(iter(settings_errors(settings)), None)
            where = f"{error.path}:{error.line}:{error.column}: {error.message}" if error else \
                _("%(file)s cannot be used (see `dealbook check`)", file=SETTINGS_FILE)
            click.secho(_("warning: %(warning)s", warning=_(
                "%(where)s; the default settings (stages, cadence, as_of …) are used until it is fixed",
                where=where)), fg="yellow", err=True)
        return settings

    @functools.cached_property
    def today(self) -> dt.date:
        try:
            if self.at and not self.today_override and not os.environ.get("DEALBOOK_TODAY"):
                from ..git.store import revision_date

                day = revision_date(self.at)  # `--at 2024-05-31` replays as of that day
                if day is not None:
                    return day
            return today_for(self.settings, self.today_override)
        except ValueError:  # --today was read when the options were: the variable is what fails
            _ = words()
            raise click.BadParameter(_("%(today)s is not a date; write YYYY-MM-DD",
                                       today=repr(os.environ.get("DEALBOOK_TODAY", ""))),
                                     param_hint="DEALBOOK_TODAY") from None

    def require_records(self) -> None:
        """Stop with a usage error when the repo is not a records repo at all (a wrong folder)."""
        if not is_records_repo(self.repo):
            _ = words()
            raise click.UsageError(_(
                "%(repo)s is not a dealbook records repo (it has no dealbook.yaml and no records/ "
                "folder, nor has any folder above it): cd into one, pass --repo DIR, or create one with "
                "`dealbook init DIR`", repo=self.repo))

    def in_records(self, path: str) -> bool:
        """Whether `path` (a file or folder) is the repo's records/ folder or inside it."""
        real = os.path.realpath(path)
        records = os.path.join(os.path.realpath(self.repo), "records")
        return real == records or real.startswith(records + os.sep)

    def output_path(self, path: str, option: str, inputs: Iterable[str] = ()) -> str:
        """Where a file the user named for output (`export --out`, `import --rejects`) is written:
        through a symbolic link to the file it names. Refused with a usage error, before anything is
        read: a device, pipe or socket (`/dev/null`: a rename would replace the device itself), a
        place inside records/ or the repo's settings and site files (the output would overwrite a
        record or be read as one), and a file the command reads (`inputs`: the sheet imported)."""
        real = os.path.realpath(path)
        try:
            mode = os.stat(real).st_mode
        except OSError:
            mode = None
        _ = words()
        if mode is not None and not (stat.S_ISREG(mode) or stat.S_ISDIR(mode)):  # a folder: the command says
            raise click.BadParameter(_("%(path)s is not a regular file (a device, a pipe or a socket): give the "
                                       "name of a file to write", path=path), param_hint=option)
        repo = os.path.realpath(self.repo)
        if self.in_records(real):
            if real == os.path.join(repo, "records"):
                problem = _("%(path)s is the records folder: what is written there would overwrite a record or "
                            "be read as one; write it outside records/", path=path)
            else:
                problem = _("%(path)s is inside the records folder: what is written there would overwrite a "
                            "record or be read as one; write it outside records/", path=path)
            raise click.BadParameter(problem, param_hint=option)
        kept = {os.path.join(repo, SETTINGS_FILE): N_("the repo's settings"),
                os.path.join(repo, "mkdocs.yml"): N_("the site's settings"),
                **{os.path.realpath(source): N_("a file this command reads") for source in inputs}}
        if real in kept:
            raise click.BadParameter(_("%(path)s is %(what)s: writing there would lose it; give another file",
                                       path=path, what=_(kept[real])), param_hint=option)
        return real if os.path.islink(path) else path

    def view(self, view: PerCustomer) -> Any:
        """A per-customer view as of `self.today`, kept between runs and recomputed only for the
        customers whose files changed (see `customer_views`); computed afresh at a git revision."""
        from ..checks.customer_views import per_customer_view, view_at

        if self.at:  # kept by the revision's tree id: what a commit holds never changes
            value = view_at(self.repo, self.settings, view, f"{self._revision.tree}|{self.today.isoformat()}",
                            self.book)
        else:
            self.require_records()
            value = per_customer_view(self.repo, self.settings, view, self.today.isoformat())
        # As with a Book (see `book`): a view of 10,000 customers is hundreds of thousands of objects
        # without cycles, which the collector's next full pass (set off by the rows a command builds
        # from it) would walk for a tenth of a second.
        gc.freeze()
        return value

    def warn_left_out(self, shown: Iterable[str]) -> None:
        """Say on stderr which customer files an answer leaves out, beside the ids it `shown`: they
        cannot be read, and a list or a count that silently lacks a customer would be misread."""
        from ..records.ids import left_out as files_left_out

        left_out = files_left_out(self.repo, shown)
        if left_out:
            _ = translator(self.settings.language)
            names = ", ".join(f"{stem}.yaml" for stem in left_out[:5]) + (" …" if len(left_out) > 5 else "")
            click.secho(_.ngettext("warning: %(num)d customer file left out, it cannot be read (%(names)s): "
                                   "`dealbook check` says why",
                                   "warning: %(num)d customer files left out, they cannot be read (%(names)s): "
                                   "`dealbook check` says why", len(left_out), names=names),
                        fg="yellow", err=True)

    def site_config(self, site_url: str | None = None) -> SiteConfig:
        """Where links point (`records.siteconfig`): mkdocs.yml, its site_url replaced by a `--site-url`
        given. A given address that links cannot start from is a usage error; mkdocs.yml's is said on
        stderr with its line, and the links are left out (a feed or a message stays whole)."""
        from ..records.siteconfig import MKDOCS_FILE, read_site_config, site_config, site_config_problems, url_problem

        config = read_site_config(self.repo)
        if site_url:
            problem = url_problem(site_url)
            if problem:
                raise click.BadParameter(f"{site_url!r} {problem.say(words())}", param_hint="--site-url")
            return site_config(site_url, config.repo_url, {"repo_kind": config.repo_kind, "branch": config.branch})
        _ = translator(self.settings.language)
        for d in site_config_problems(os.path.join(self.repo, MKDOCS_FILE), keys=("site_url",), _=_).values():
            where = f"{d.path}:{d.line}: {d.message}"
            click.secho(_("warning: %(warning)s", warning=where), fg="yellow", err=True)
        return config

    def book(self, paths: list[str] | None = None) -> Book:
        """The records (at `--at` when given), checked."""
        if self.at:
            book = self._revision_book
        else:
            from ..checks.reading import open_book

            self.require_records()

            book = open_book(self.repo, paths=paths, settings=self.settings, snapshot=paths is None)
        # A command is short-lived and the Book lives to its end: move it out of the collector's
        # sight, or a full collection over a 100k-record Book lands in the middle of a report.
        gc.freeze()
        return book

    @functools.cached_property
    def _revision(self) -> Any:
        """The commit `--at` names, its records tree and its settings (`git.store.Revision`)."""
        try:
            from ..git.store import GitStoreError, revision
        except ImportError:
            _ = words()
            raise click.UsageError(_("--at needs the git features, which are not installed")) from None
        try:
            return revision(self.repo, self.at or "HEAD")
        except GitStoreError as exc:
            raise click.BadParameter(exc.text(words()), param_hint="--at") from None

    @functools.cached_property
    def _revision_book(self) -> Book:
        from ..git.store import GitStoreError, book_at

        # A replay builds (or unpickles) a large heap of records without cycles: the collector's full
        # passes over it only cost time, so it is paused meanwhile (and `book()` freezes the result).
        collecting = gc.isenabled()
        gc.disable()
        try:
            return book_at(self.repo, self._revision)
        except GitStoreError as exc:
            raise click.BadParameter(exc.text(words()), param_hint="--at") from None
        finally:
            if collecting:
                gc.enable()


pass_env = click.make_pass_decorator(Env)
