"""`dealbook codeowners [--check]`: write .github/CODEOWNERS and CODEOWNERS from the customers' owners."""

from __future__ import annotations

import os
import sys

import click

from ...checks.ownership import CODEOWNERS_FILES, codeowners_text, managers, owner_handle
from ...records.diagnostics import ERROR
from ...records.model import TEAM_FILE
from ...records.writing import atomic_write, no_links
from ...text.catalog import translator
from ..click_words import Command
from ..context import Env, pass_env, words


@click.command(cls=Command)
@click.option("--check", "check_only", is_flag=True,
              help="Write nothing; exit 1 when a file is missing or out of date.")
@pass_env
def codeowners(env: Env, check_only: bool) -> None:
    """Write CODEOWNERS so a change to a customer needs its owner's review.

    Writes `.github/CODEOWNERS` (GitHub) and `CODEOWNERS` (GitLab) with one line for each
    customer's file and one for its follow-up folder, naming the owner's `git` handle from
    records/team.yaml; the managers own everything else and stand in for owners without a
    git handle. Turn on "Require review from Code Owners" in the branch protection (GitHub)
    or "Code owner approval" in the protected branch (GitLab) for it to take effect.
    `dealbook check` warns (codeowners-stale) when the files fall out of date.

    \b
    Example:
        dealbook codeowners
        dealbook codeowners --check
    """
    if env.at:
        _ = words()
        raise click.UsageError(_("codeowners writes the working tree's files; drop --at"))
    book = env.book()
    _ = translator(env.settings.language)
    if book.team_path is None and TEAM_FILE not in book.file_diagnostics:  # a broken one: its error below
        raise click.ClickException(_("%(file)s is missing: CODEOWNERS needs the team's git handles", file=TEAM_FILE))
    errors = [d for d in book.diagnostics if d.severity == ERROR]
    if errors:
        # A repo with errors gets no CODEOWNERS: a broken record could name the wrong paths or owners.
        for d in errors[:10]:
            click.echo(f"{d.path}:{d.line}:{d.column}: error {d.code}: {d.message}", err=True)
        raise click.ClickException(_.ngettext(
            "%(num)d error in the records (run `dealbook check`): fix them first; CODEOWNERS was not written",
            "%(num)d errors in the records (run `dealbook check`): fix them first; CODEOWNERS was not written",
            len(errors)))
    text = codeowners_text(book)
    stale = []
    for relative in CODEOWNERS_FILES:
        filename = os.path.join(env.repo, relative)
        try:
            with open(filename, encoding="utf-8") as handle:
                current = handle.read()
        except (OSError, UnicodeDecodeError):
            current = None
        if current == text:
            continue
        stale.append(relative)
        if not check_only:
            try:
                no_links(env.repo, filename, top=True)  # a linked `.github` would send it out of the repo
                atomic_write(filename, text, root=env.repo)
            except OSError as exc:  # `.github` a file or a link, a read-only folder
                from .edit_flow import cannot_write

                raise click.ClickException(cannot_write(exc, env.repo, relative, _)) from None
    without = sorted({c.owner for c in book.customers.values()
                      if not (book.members.get(c.owner) and owner_handle(book.members[c.owner].git))})
    if without:
        click.echo(_("note: %(note)s", note=_(
            "no git handle for %(members)s: their customers fall back to the managers (%(managers)s)",
            members=_.pgettext("enumeration", ", ").join(without), managers=" ".join(managers(book)) or _("none"))),
            err=True)
    if check_only:
        for relative in stale:
            click.echo(_("%(file)s: out of date; run `dealbook codeowners`", file=relative))
        if stale:
            sys.exit(1)
        click.echo(_("CODEOWNERS files are up to date"), err=True)
        return
    if stale:
        click.echo(_("wrote %(files)s (%(num)s customers)", num=len(book.customers),
                     files=_.pgettext("enumeration", ", ").join(stale)), err=True)
    else:
        click.echo(_("CODEOWNERS files are already up to date"), err=True)
