"""What the editing commands share: check the new files, refuse or show the diff, then write."""

from __future__ import annotations

import difflib
import os
import random
import sys
import time
from collections.abc import Callable
from typing import TypeVar

import click

from ...editing.assignments import approvals_added
from ...editing.edits import Change, check_changes, diff_text, write_changes
from ...editing.roundtrip import Document, EditError
from ...editing.roundtrip import load as load_document
from ...records.book import Book
from ...records.diagnostics import ERROR, Diagnostic
from ...records.ids import ids_on_disk
from ...records.model import SETTINGS, TEAM_FILE, UnsafeId, customer_path, id_problem, safe_id
from ...records.schema import settings_enums, validator
from ...records.writing import PathTaken, StaleFile, os_error_text
from ...text.catalog import Translator, translator
from ..context import Env, words

T = TypeVar("T")
ATTEMPTS = 25  # another dealbook process writing first makes us read again; this many times at most


def render(d: Diagnostic) -> str:
    colour = "red" if d.severity == ERROR else "yellow"
    return f"{d.path}:{d.line}:{d.column}: {click.style(d.severity, fg=colour, bold=True)} {d.code}: {d.message}"


def stale_text(exc: StaleFile | PathTaken, _: Translator) -> str:
    """What `StaleFile` / `PathTaken` say (`records.writing`), in the translator's language."""
    if isinstance(exc, PathTaken):
        return _("%(path)s already exists", path=exc.path)
    if str(exc) == f"{exc.path} was deleted since dealbook read it":
        return _("%(path)s was deleted since dealbook read it", path=exc.path)
    if str(exc) == f"{exc.path} changed on disk since dealbook read it":
        return _("%(path)s changed on disk since dealbook read it", path=exc.path)
    return str(exc)


def interactive(flag: bool | None) -> bool:
    """Prompt for missing values? --interactive/--no-interactive, else when stdin is a terminal."""
    return flag if flag is not None else sys.stdin.isatty()


def retrying(attempt: Callable[[], T]) -> T:
    """Run `attempt` (read the file, make the edit, check it, write it) again when another process
    changed the file or took the new name between our read and our write: the edit is re-applied
    to the file as it is now, and re-checked. After ATTEMPTS tries the command gives up, having
    written nothing."""
    for number in range(ATTEMPTS):
        try:
            return attempt()
        except (StaleFile, PathTaken) as exc:
            last = exc
            time.sleep(random.uniform(0, 0.02 * (number + 1)))  # let the other writer finish
    _ = words()
    raise click.ClickException(_("%(problem)s; other changes kept landing first, so nothing was written: run the "
                                 "command again", problem=stale_text(last, _)))


def checked_id(customer_id: str, param: str = "ID") -> str:
    """The id when it can name a file under records/ (checked before it becomes a path), else a usage error."""
    try:
        return safe_id(customer_id)
    except UnsafeId as exc:
        raise click.BadParameter(exc.text(words()), param_hint=param) from None


def working_book(env: Env, customer_ids: list[str] | None = None, all_customers: bool = False) -> Book:
    """The records an edit needs — the team and the named customers (or all customers) — not the follow-ups.

    Edits go to the working tree, so `--at` makes no sense here."""
    if env.at:
        _ = words()
        raise click.UsageError(_("--at reads an old revision; the editing commands change the working tree: "
                                 "drop --at"))
    env.require_records()
    for customer_id in customer_ids or []:
        checked_id(customer_id)
    paths = [TEAM_FILE]
    on_disk = {stem for stem in ids_on_disk(env.repo) if id_problem(stem) is None}  # `check` reports the others
    if all_customers:
        paths.extend(customer_path(stem) for stem in sorted(on_disk))
    for customer_id in customer_ids or []:
        folded = {stem.casefold(): stem for stem in on_disk}
        stem = customer_id if customer_id in on_disk else folded.get(customer_id.casefold())
        if stem is None:
            close = difflib.get_close_matches(customer_id, sorted(on_disk), n=3, cutoff=0.6)
            _ = translator(env.settings.language)
            folder = f"{env.repo}/records/customers"
            if close:
                raise click.ClickException(_("no customer `%(id)s` in %(folder)s; did you mean %(close)s?",
                                             id=customer_id, folder=folder,
                                             close=_.pgettext("enumeration", ", ").join(close)))
            raise click.ClickException(_("no customer `%(id)s` in %(folder)s", id=customer_id, folder=folder))
        paths.append(customer_path(stem))
    from ...checks.reading import open_book

    # A few files parse faster than the whole repo's cache loads.
    book = open_book(env.repo, paths=paths, settings=env.settings, use_cache=all_customers)
    require_readable_setup(env, book)
    return book


def require_readable_setup(env: Env, book: Book) -> None:
    """Refuse an edit when dealbook.yaml or records/team.yaml exists but cannot be read, or does not
    follow its schema (a value of the wrong type, a member's unknown role): the edit would be checked
    against the default settings and no team (an unknown owner would pass), or fail on the broken
    value, which every record's check reports as its own. A setting the rules replace with a stated
    fallback (an unknown time zone: Asia/Shanghai meanwhile) is `dealbook check`'s error, not a block."""
    from ...checks.filechecks import settings_errors

    settings = env.settings
    _ = translator(settings.language)
    source = settings.source
    found: list[Diagnostic] = []
    if source is not None and settings.fallback:
        found = list(settings_errors(settings)) or [
            Diagnostic(source.path, 1, 1, ERROR, "settings",
                       _("the settings cannot be used (see `dealbook check`)"))]
    elif source is not None and isinstance(source.data, dict):
        schema = validator(SETTINGS, settings_enums(SETTINGS, settings))
        found = [Diagnostic(source.path, *source.mark(where), ERROR, code, message)
                 for where, code, message in schema.errors(source.data, settings.language)]
    if os.path.lexists(os.path.join(env.repo, TEAM_FILE)):
        team = [d for d in book.file_diagnostics.get(TEAM_FILE, []) if d.severity == ERROR]
        if book.team_path is None and not team:
            team = [Diagnostic(TEAM_FILE, 1, 1, ERROR, "unreadable", _("the team file cannot be read"))]
        found += team
    if found:
        for d in found:
            click.echo(render(d), err=True)
        names = sorted({d.path for d in found})
        raise click.ClickException(_.ngettext(
            "%(files)s cannot be used as written, and every record written is checked against it: fix it first "
            "(shown above); nothing was written",
            "%(files)s cannot be used as written, and every record written is checked against them: fix them first "
            "(shown above); nothing was written", len(names), files=_.pgettext("both", " and ").join(names)))


def open_customer(env: Env, book: Book, customer_id: str) -> tuple[str, Document]:
    """The customer's repo-relative path and its file opened for editing; a clear error when unknown."""
    customer = book.customers.get(customer_id)
    if customer is None:
        folded = {c.casefold(): c for c in book.customers}
        if customer_id.casefold() in folded:
            customer = book.customers[folded[customer_id.casefold()]]
        else:
            customer = book.customers_by_path.get(customer_path(customer_id))
    if customer is None:
        path = customer_path(customer_id)
        broken = book.read_error(path)
        _ = translator(env.settings.language)
        why = (f"{broken.path}:{broken.line}:{broken.column}: {broken.message} ({broken.code})" if broken
               else _("%(path)s cannot be read (is it a file?): run `dealbook check` on it", path=path))
        raise click.ClickException(_("%(why)s; nothing was written", why=why))
    try:
        return customer.path, load_document(os.path.join(env.repo, customer.path))
    except (OSError, EditError) as exc:
        raise click.ClickException(cannot_read(exc, customer.path, translator(env.settings.language))) from None


def refuse_new_approvals(_: Translator, path: str, key: str, before: object, after: object) -> None:
    """Refuse a `KEY=VALUE` that wrote a quote's or contract's approval into the record data: the
    approver writes it with `dealbook approve`, which checks who may give it (never the owner)."""
    added = approvals_added(_, before, after)
    if added:
        raise click.ClickException(_(
            "%(path)s: `%(key)s` would add the approval %(approvals)s: approvals are written by the approver "
            "with `dealbook approve ID NO`, which checks who may give them; nothing was written",
            path=path, key=key, approvals=_.pgettext("list separator", "; ").join(added)))


def cannot_read(exc: OSError | EditError, path: str, _: Translator) -> str:
    """Why a record could not be opened for an edit: the round-trip editor's reason, or the system's
    (`[Errno 13] Permission denied: '…'`, kept whole) after a lead in the translator's language."""
    if isinstance(exc, EditError):
        return f"{path}: {exc.text(_)}"
    return _.pgettext("a file that cannot be read", "%(path)s: %(error)s", path=path, error=str(exc))


def cannot_write(exc: OSError, repo: str, path: str, _: Translator | None = None) -> str:
    """What stopped a write, naming the file or folder (repo-relative) it stopped at; in the
    translator's language (default: the running command's team's)."""
    _ = _ or words()
    where = os.path.relpath(exc.filename, repo) if isinstance(exc.filename, str) else path
    if isinstance(exc, (FileExistsError, NotADirectoryError)):
        return _("cannot write %(path)s: %(where)s is a file where a folder belongs", path=path, where=where)
    return _("cannot write %(where)s: %(error)s", where=where, error=os_error_text(exc, _))


def finish(env: Env, book: Book, changes: list[Change], dry_run: bool, ask: bool = False,
           summary: bool = False, hint: str = "", show_diff: bool = False) -> bool:
    """Check `changes`; refuse on new errors; print the diff (dry run, asking, or `show_diff`) and
    write. True when written."""
    changes = [c for c in changes if c.before != c.after]
    _ = translator(env.settings.language)
    if not changes:
        click.echo(_("nothing to change"))
        return False
    blocking, other = check_changes(book, env.repo, changes)
    if blocking:
        for d in blocking:
            click.echo(render(d), err=True)
        if hint and any(d.code == "stage-requires" for d in blocking):
            click.echo(_("hint: %(hint)s", hint=hint), err=True)
        raise click.ClickException(_.ngettext(
            "refused: the edit would leave %(num)d error (shown above); nothing was written",
            "refused: the edit would leave %(num)d errors (shown above); nothing was written", len(blocking)))
    for d in other:
        click.echo(render(d), err=True)
    if dry_run or ask or show_diff:
        click.echo(diff_text(changes), nl=False)
    if dry_run:
        click.echo(_.ngettext("dry run: %(num)d file would change; nothing was written",
                              "dry run: %(num)d files would change; nothing was written", len(changes)), err=True)
        return False
    if ask and not click.confirm(_.ngettext("Write %(num)d file?", "Write %(num)d files?", len(changes)),
                                 default=False):
        click.echo(_("nothing was written"), err=True)
        return False
    try:
        write_changes(env.repo, changes)
    except (StaleFile, PathTaken):
        raise  # another process wrote first: `retrying` reads again
    except OSError as exc:  # a file where a folder belongs, a read-only folder, a full disk
        why = cannot_write(exc, env.repo, changes[0].path, _)
        raise click.ClickException(_("%(why)s; nothing was written", why=why) if len(changes) == 1 else
                                   _("%(why)s; check `git status` for the files written before it", why=why)) from None
    if summary:
        click.echo(_.ngettext("%(num)d file changed:", "%(num)d files changed:", len(changes)))
        for change in changes:
            click.echo(f"  {change.path}")
    return True
