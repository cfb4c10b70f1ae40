"""`dealbook export`: the records as tables in xlsx, csv, sqlite or json."""

from __future__ import annotations

import os
from typing import Any

import click

from ...interchange.exporting import FORMATS, READING, default_out, stream_tables, tables
from ...interchange.exporting import export as write_export
from ...records.writing import os_error_text
from ...text.catalog import Translator, translator
from ..click_words import Command
from ..context import Env, pass_env, words
from .import_sheet import _progress


@click.command(cls=Command)
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="xlsx", help="File format (default xlsx).")
@click.option("--out", "out", type=click.Path(), default=None,
              help="File to write (a folder for csv); default dealbook-export.<format> in the current folder.")
@click.option("--partial", is_flag=True,
              help="Export the records that can be read when some files cannot (named on stderr); without it, "
                   "such a file stops the export and nothing is written.")
@pass_env
def export(env: Env, fmt: str, out: str | None, partial: bool) -> None:
    """Export customers, follow-ups, contacts, next actions and stage history as tables.

    xlsx: one sheet per table, header row frozen, dates as dates. csv: a folder with one
    UTF-8 file per table. sqlite: one database (open it in Datasette or a BI tool). json:
    {table: [rows]}. The customers and follow-ups tables use the record keys as column
    names, so `dealbook import` reads an exported file back without changing anything.

    A customer or follow-up file that cannot be read (a YAML error, GBK) would be missing
    from the tables: the export stops, exit status 1, naming the files, and writes nothing;
    with --partial it exports the rest and names them in a warning.

    \b
    Example:
        dealbook export
        dealbook export --format sqlite --out crm.sqlite
        dealbook export --format csv --out tables/
    """
    if not env.at:
        env.require_records()  # a wrong folder is an error, not an empty export
    target = env.output_path(out or default_out(fmt), "--out")
    _ = words()
    if fmt == "csv" and os.path.exists(target) and not os.path.isdir(target):
        raise click.BadParameter(_("%(path)s is a file: csv writes a folder of tables; give a folder", path=target),
                                 param_hint="--out")
    if fmt != "csv" and os.path.isdir(target):
        example = os.path.join(target, default_out(fmt))
        raise click.BadParameter(_("%(path)s is a folder: give a file name, e.g. %(example)s", path=target,
                                   example=example), param_hint="--out")

    def progress(name: str, length: int) -> Any:  # in the team's language; a table keeps its name (its sheet's)
        return _progress(_(READING) if name == READING else _("Exporting %(table)s", table=name), length)

    # The working tree is read one record at a time, so memory stays flat however many records
    # there are; a past revision (--at) has no working tree to stream from and is read as a Book.
    items = tables(env.book()) if env.at else stream_tables(env.repo, env.settings, progress)
    total = items[0].count
    unread = [path for table in items for path in table.left_out]
    _ = translator(env.settings.language)
    if unread and not partial:  # an export is taken as the whole book: a silent gap would be misread
        raise click.ClickException(_.ngettext(
            "%(files)s cannot be read, so the export would lack it (`dealbook check` says why): fix it, or pass "
            "--partial to export the rest; nothing was exported",
            "%(files)s cannot be read, so the export would lack them (`dealbook check` says why): fix them, or pass "
            "--partial to export the rest; nothing was exported", len(unread), files=_files(unread, _)))
    try:
        files = write_export(items, fmt, target, progress)
    except OSError as exc:  # a folder that cannot be made or written to, a full disk …
        raise click.ClickException(_("cannot write %(where)s: %(error)s; nothing was exported", where=target,
                                     error=os_error_text(exc, _))) from None
    click.echo(_.ngettext("exported %(num)d customer to %(where)s", "exported %(num)d customers to %(where)s", total,
                          where=", ".join(files) if fmt != "csv" else target + "/"))
    if unread:  # --partial: the count, and the export, lack them
        click.secho(_.ngettext("warning: %(files)s left out of the export, it cannot be read: `dealbook check` "
                               "says why",
                               "warning: %(files)s left out of the export, they cannot be read: `dealbook check` "
                               "says why", len(unread), files=_files(unread, _)), fg="yellow", err=True)


def _files(paths: list[str], _: Translator) -> str:
    """`2 record files (a.yaml, b.yaml)`, the first five named."""
    names = _.pgettext("enumeration", ", ").join(paths[:5]) + (" …" if len(paths) > 5 else "")
    return _.ngettext("%(num)d record file (%(names)s)", "%(num)d record files (%(names)s)", len(paths), names=names)
