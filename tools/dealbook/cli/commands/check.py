"""`dealbook check [PATH...]`: validate records; exit 1 when any error is found."""

from __future__ import annotations

import datetime as dt
import os
import sys
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

import click

from ...records.dates import parse_time
from ...records.diagnostics import ERROR, WARNING, Diagnostic, has_errors, sort_key
from ...records.model import RECORDS_DIR, TEAM_FILE, discover, kind_of
from ...records.settings import SETTINGS_FILE
from ...records.siteconfig import MKDOCS_FILE, site_config_problems
from ...text.catalog import translator
from ...text.output import to_json
from ..click_words import Command
from ..context import Env, pass_env, words

if TYPE_CHECKING:
    from ...records.book import Book


def _github_escape(text: str, prop: bool = False) -> str:
    text = text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    if prop:
        text = text.replace(":", "%3A").replace(",", "%2C")
    return text


def render_text(d: Diagnostic) -> str:
    colour = "red" if d.severity == ERROR else "yellow"
    return f"{d.path}:{d.line}:{d.column}: {click.style(d.severity, fg=colour, bold=True)} {d.code}: {d.message}"


def render_github(d: Diagnostic) -> str:
    level = "error" if d.severity == ERROR else "warning"
    return (f"::{level} file={_github_escape(d.path, True)},line={d.line},col={d.column},"
            f"title={_github_escape('dealbook ' + d.code, True)}::{_github_escape(d.message)}")


def resolve_paths(env: Env, given: tuple[str, ...]) -> tuple[list[str] | None, list[Diagnostic]]:
    """Repo-relative record paths for the PATH arguments (None: the whole repo).

    Folders expand to the records inside them; files that are not records (a README
    passed by a hook, say) are skipped; a path that does not exist is reported."""
    if not given:
        return None, []
    paths: list[str] = []
    problems: list[Diagnostic] = []
    everything = None
    _ = translator(env.settings.language)
    for item in given:
        absolute = os.path.abspath(item)
        relative = os.path.relpath(absolute, env.repo).replace(os.sep, "/")
        if relative == ".." or relative.startswith("../"):  # `..` holds the repo but is not in it
            problems.append(Diagnostic(item, 1, 1, ERROR, "outside-repo",
                                       _("%(path)s is outside the records repo %(repo)s; pass --repo or cd into it",
                                         path=item, repo=env.repo)))
            continue
        if os.path.isdir(absolute):
            if everything is None:
                everything = discover(env.repo)
            prefix = "" if relative == "." else relative.rstrip("/") + "/"
            # a folder where a record file belongs is listed itself: reading it reports it
            paths.extend(p for p in everything if p.startswith(prefix) or p == relative)
        elif os.path.lexists(absolute):  # a dangling or looping link too: reading it reports it
            if relative == MKDOCS_FILE:
                problems.extend(site_config_problems(absolute, _=_).values())
            elif relative == SETTINGS_FILE or (relative.startswith(RECORDS_DIR + "/") and kind_of(relative)):
                paths.append(relative)
        else:
            problems.append(Diagnostic(relative, 1, 1, ERROR, "no-file", _("%(path)s: no such file", path=item)))
    if TEAM_FILE in paths or SETTINGS_FILE in paths:
        # Every record depends on the team and the settings: a change to either is checked repo-wide.
        return None, problems
    return paths, problems


def _now(timezone: str) -> dt.datetime:
    """The local clock in the team's timezone; DEALBOOK_NOW ('YYYY-MM-DD HH:MM', team-local) pins it."""
    zone = ZoneInfo(timezone)
    pinned = parse_time(os.environ.get("DEALBOOK_NOW", "").strip())
    return pinned.replace(tzinfo=zone) if pinned else dt.datetime.now(zone)


def _given_records(env: Env, given: tuple[str, ...]) -> list[str]:
    """The customer and follow-up files named on the command line, repo-relative."""
    found = []
    for item in given:
        relative = os.path.relpath(os.path.abspath(item), env.repo).replace(os.sep, "/")
        if kind_of(relative) in ("customer", "followup") and os.path.isfile(os.path.join(env.repo, relative)):
            found.append(relative)
    return found


def _commit_of(env: Env, rev: str, option: str) -> str:
    """The commit `rev` names (a commit, tag, branch or date), or a usage error that says why not."""
    from ...git.store import GitStoreError, open_store

    try:
        with open_store(env.repo) as store:
            return store.resolve(rev, env.settings.timezone)
    except GitStoreError as exc:
        raise click.BadParameter(exc.text(translator(env.settings.language)), param_hint=option) from None


def _late_entries(env: Env, wanted: list[str], since: str | None, book: Book | None = None,
                  use_cache: bool = True) -> list[Diagnostic]:
    """`late-entry` warnings for the new records among `wanted` (see `git.entry`); `book` is the
    checked Book, when it holds them."""
    from ...checks.reading import open_book
    from ...git.entry import entry_times, late_entry_diagnostics

    since = since or os.environ.get("PRE_COMMIT_FROM_REF") or None
    until = os.environ.get("PRE_COMMIT_TO_REF") or "HEAD"
    entered = entry_times(env.repo, wanted, _now(env.settings.timezone), since, until)
    if not entered:
        return []
    if book is None or not set(entered) <= set(book.paths):
        book = open_book(env.repo, sorted(entered), env.settings, use_cache)
    return late_entry_diagnostics(book, entered)


@click.command(cls=Command)
@click.argument("paths", nargs=-1, type=click.Path())
@click.option("--format", "fmt", type=click.Choice(["text", "json", "github"]), default=None,
              help="text (default), json, or github (workflow annotations; the default under GitHub Actions).")
@click.option("--strict", is_flag=True, help="Fail on warnings too.")
@click.option("--new-since", "new_since", metavar="REV",
              help="Records added after REV were entered when their commit was made (CI); records not yet "
                   "committed are entered now. Default: the pre-commit hook's PRE_COMMIT_FROM_REF.")
@click.option("--quiet", "-q", is_flag=True, help="Print only the problems, no summary line.")
@click.option("--hook", is_flag=True,
              help="The pre-commit hook's mode: check the given PATHs and the follow-ups a deleted or renamed "
                   "customer file leaves behind; no PATH and no such deletion means nothing to check.")
@click.option("--no-cache", "no_cache", is_flag=True,
              help="Read every record file afresh and leave nothing in .dealbook-cache/ (for a CI job that only "
                   "checks; the commands that usually follow a check then start cold). With PATHs, the whole repo "
                   "is read and the findings in those files are printed.")
@click.option("--approvals", is_flag=True,
              help="Also verify from git history that each approval was committed by the approver's own git "
                   "identity (team.yaml `git` or `email`).")
@click.option("--approvals-since", "since", metavar="REV",
              help="With --approvals: verify only approvals added after REV (a pull request's base).")
@pass_env
def check(env: Env, paths: tuple[str, ...], fmt: str | None, strict: bool, quiet: bool,
          new_since: str | None, approvals: bool, since: str | None, hook: bool, no_cache: bool) -> None:
    """Validate records: schemas, ids, stages, team references, dates, privacy.

    Without PATHs (or with mkdocs.yml among them), also mkdocs.yml's site_url and repo_url, the
    addresses the calendar feeds, the digest and the site's editor links start from (`bad-url`).
    With PATHs (files or folders) only those records are checked, against the rest
    of the repo (this is what the pre-commit hook does). New records among them are
    also judged against the entry deadlines (entry_deadlines): a follow-up added more
    than followup_hours after the conversation, or a customer more than customer_hours
    after its `created` time, is warned (`late-entry`). Exit status: 0 clean, 1 errors
    found (or warnings with --strict), 2 bad usage. With --approvals, each approval
    (`approvals: [{step, by, on}]` on a quote or contract) must have been added by a commit
    whose author is that member's git identity: a rep cannot type one in.

    \b
    Example:
        dealbook check
        dealbook check records/customers/粤IT2024001.yaml
        dealbook check --format json
        dealbook check --approvals --approvals-since origin/main
        dealbook check --no-cache
    """
    if fmt is None:
        fmt = "github" if os.environ.get("GITHUB_ACTIONS") == "true" else "text"
    if not env.at:
        env.require_records()
    elif no_cache:
        _ = translator(env.settings.language)
        raise click.UsageError(_("--no-cache reads the working tree: drop --at"))
    if new_since:  # a revision that names nothing would silently judge no record as new
        new_since = _commit_of(env, new_since, "--new-since")
    if hook and not env.at:
        from ...git.deletions import left_behind

        # pre-commit passes only files that exist: a removed customer's orphans are added here
        extra = [os.path.join(env.repo, p) for p in left_behind(env.repo)]
        paths = (*paths, *(p for p in extra if p not in paths))
        if not paths:
            if fmt == "json":
                click.echo(to_json({"diagnostics": [], "files": 0}))
            return
    wanted, problems = resolve_paths(env, paths)
    if wanted == [] and not problems:
        if not quiet and fmt == "text":
            _ = translator(env.settings.language)
            click.echo(_("dealbook: no record files among the given paths"), err=True)
        if fmt == "json":
            click.echo(to_json({"diagnostics": [], "files": 0}))
        return
    if env.at:
        book = env.book(wanted)
        found, files = book.diagnostics, len(book.paths)
    else:
        from ...checks.reading import check_repo, open_book

        checked = None
        if no_cache:  # every file read afresh, no cache read or written: the whole repo, as the index is a cache
            found, files = check_repo(env.repo, None, env.settings, use_cache=False)
            if wanted is not None:
                kept = set(wanted)
                found, files = [d for d in found if d.path in kept], len(kept)
        elif wanted is None:  # a repo-wide re-run with nothing changed answers from its cache
            listed: dict[str, Any] = {}
            found, files = check_repo(env.repo, wanted, env.settings, listed=listed,
                                      after=lambda book, stamps: _keep_views(env, book, stamps, listed))
        else:  # the files and what they refer to, against the stored index of every customer
            checked = open_book(env.repo, wanted, env.settings)
            found, files = checked.diagnostics, len(checked.paths)
        given = _given_records(env, paths)  # also when the team file in the commit widens the check
        if given:
            found = [*found, *_late_entries(env, given, new_since, checked, not no_cache)]
    if approvals or since:
        if env.at:
            _ = words()
            raise click.UsageError(_("--approvals reads the history up to the working tree: drop --at"))
        from ...git.approvals import verify_approvals

        found = [*found, *verify_approvals(env.repo, env.book(wanted), since)]
    if wanted is None and not env.at:  # the addresses the feeds, the digest and the site's links start from
        found = [*found, *site_config_problems(os.path.join(env.repo, MKDOCS_FILE),
                                                  _=translator(env.settings.language)).values()]
    diagnostics = sorted(set(problems + found), key=sort_key)
    if fmt == "json":
        click.echo(to_json({"diagnostics": [d.as_dict() for d in diagnostics], "files": files}))
    else:
        render = render_github if fmt == "github" else render_text
        for d in diagnostics:
            click.echo(render(d))
        if not quiet:
            errors = sum(d.severity == ERROR for d in diagnostics)
            warnings = sum(d.severity == WARNING for d in diagnostics)
            checked = len(wanted) if wanted is not None else files
            _ = translator(env.settings.language)
            counts = {"errors": _.ngettext("%(num)d error", "%(num)d errors", errors),
                      "warnings": _.ngettext("%(num)d warning", "%(num)d warnings", warnings)}
            summary = _.ngettext("%(errors)s, %(warnings)s in %(num)d file",
                                 "%(errors)s, %(warnings)s in %(num)d files", checked, **counts)
            click.echo(click.style(summary, fg="red" if errors else "green"), err=True)
    if has_errors(diagnostics, strict):
        sys.exit(1)


def _keep_views(env: Env, book: Any, stamps: dict[str, Any], listings: dict[str, Any]) -> None:
    """What a whole-repo check that rebuilds the Book leaves behind for the read-only commands
    that usually follow it: the `customers` and `agenda` views as of today (with the folder
    listings the check's walk took)."""
    from ...checks.customer_views import store_views
    from .agenda import agenda_spec
    from .customers import customers_spec

    try:
        today = env.today
    except click.BadParameter:  # a DEALBOOK_TODAY that is not a date: the read-only commands will say so
        return
    views = [(customers_spec(today), today.isoformat()), (agenda_spec(today), today.isoformat())]
    store_views(env.repo, env.settings, book, stamps, views, listings)
