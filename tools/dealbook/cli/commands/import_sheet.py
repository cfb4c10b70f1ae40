"""`dealbook import FILE`: bring customers or follow-ups in from an xlsx or csv sheet (dry run first)."""

from __future__ import annotations

import datetime as dt
import io
import os
import sys
from collections.abc import Iterable, Iterator
from typing import Any, TypeVar

import click

from ...interchange.importing import (
    NEW,
    REJECTED,
    UNCHANGED,
    UPDATED,
    Checker,
    Options,
    Plan,
    apply_plan,
    plan_customers,
    plan_followups,
)
from ...interchange.sheets import CUSTOMERS, FOLLOWUPS, SheetError, open_sheet
from ...records.load import load_file
from ...records.model import CUSTOMER, TEAM, discover, kind_of
from ...records.writing import PathTaken, StaleFile, atomic_write, os_error_text
from ...text.catalog import NP_, Said, Translator, translator
from ...text.output import CsvWriter, pad, to_json
from ..click_words import Command
from ..context import Env, pass_env
from .edit_flow import cannot_write, require_readable_setup, stale_text

T = TypeVar("T")

# A row's status as the text output names it (translated where shown; JSON keeps the key).
STATUS_WORDS = {NEW: NP_("import row", "new"), UPDATED: NP_("import row", "updated"),
                UNCHANGED: NP_("import row", "unchanged"), REJECTED: NP_("import row", "rejected")}


def _progress(label: str, total: int | None) -> Any:
    """A progress bar on a terminal; a pass-through elsewhere (pipes, CI, tests)."""
    def wrap(items: Iterable[T]) -> Iterator[T]:
        if not sys.stderr.isatty():
            yield from items
            return
        with click.progressbar(items, length=total, label=label, file=sys.stderr) as bar:
            yield from bar
    return wrap


def read_map(path: str | None, _: Translator | None = None) -> dict[str, str] | None:
    """A --map file: `sheet header: field` lines (fields as `dealbook import --help` lists them)."""
    if path is None:
        return None
    _ = _ or translator("en")
    loaded = load_file(path, path)
    if loaded.error is not None:
        raise click.UsageError(f"{path}:{loaded.error.line}: {loaded.error.text(_)}")
    data = loaded.data
    if isinstance(data, dict) and isinstance(data.get("columns"), dict):
        data = data["columns"]
    if not isinstance(data, dict) or not all(isinstance(v, str) for v in data.values()):
        raise click.UsageError(_("%(path)s: write one `sheet header: field` line per column, e.g. `公司: name`",
                                 path=path))
    return {str(k): v for k, v in data.items()}


def rejects_csv(plan: Plan, source: str, sheet: str) -> str:
    out = io.StringIO()
    writer = CsvWriter(out)  # a sheet's hostile cell comes back guarded, never as a formula
    writer.header(["file", "sheet", "row", "record", "reason"])
    for entry in plan.rejected:
        writer.row([source, sheet, entry.row, entry.label, " | ".join(entry.reasons)])
    return "\ufeff" + out.getvalue()  # a BOM so Excel opens the Chinese text as UTF-8


def default_rejects(env: Env) -> str:
    """import-rejects-<timestamp>.csv in the current folder, or at the top of the repo when the current
    folder is in records/ (a rep importing from records/customers/): nothing but records goes there."""
    name = f"import-rejects-{dt.datetime.now().strftime('%Y%m%d-%H%M%S')}.csv"
    if env.in_records(os.curdir):
        return os.path.relpath(os.path.join(os.path.realpath(env.repo), name))
    return name


def summary_rows(plan: Plan) -> list[dict[str, Any]]:
    return [{"row": e.row, "status": e.status, "path": e.path or None, "record": e.label or None,
             "reasons": e.reasons} for e in plan.entries]


@click.command(name="import", cls=Command)
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--kind", type=click.Choice([CUSTOMERS, FOLLOWUPS]), default=None,
              help="What the sheet holds (default: guessed from its header row).")
@click.option("--map", "map_file", type=click.Path(dir_okay=False, exists=True), default=None,
              help="A YAML file of `sheet header: field` lines for headers dealbook does not know.")
@click.option("--sheet", "sheet_name", default=None,
              help="The workbook sheet to read (default: the first visible one with the needed columns).")
@click.option("--apply", "apply_", is_flag=True, help="Write the records (without it: a dry run that writes nothing).")
@click.option("--phone-kind", type=click.Choice(["work"]), default=None,
              help="The sheet's mobile numbers are company-issued work phones (personal mobiles are refused).")
@click.option("--province", default=None, help="Province for ids when a row's region names none, e.g. 粤.")
@click.option("--rejects", "rejects_path", type=click.Path(dir_okay=False), default=None,
              help="Where to write rejected rows (default: import-rejects-<timestamp>.csv in the current folder; "
                   "at the top of the repo when the current folder is in records/).")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", help="Output format.")
@pass_env
def import_sheet(env: Env, file: str, kind: str | None, map_file: str | None, sheet_name: str | None, apply_: bool,
                 phone_kind: str | None, province: str | None, rejects_path: str | None, fmt: str) -> None:
    """Import customers (客户信息总表) or follow-ups (销售跟进记录表) from an .xlsx or .csv file.

    Headers may be the usual Chinese column names of these two sheets (客户名称, 所属行业, 客户规模, 联系人姓名及职务,
    联系方式, 需求描述, 来源渠道, 负责人, 建档日期, 客户状态 …; 跟进日期, 客户名称, 联系人, 跟进方式,
    跟进主题/内容, 客户反馈, 下一步计划, 完成时限, 跟进人), their English names, or those of
    `dealbook export`. A row updates the customer with its 客户编号 (id), else the one with
    its name (full-width brackets and spaces aside); other rows become new customers with ids by
    the id rule. Every record is checked as `dealbook check` would before anything is written;
    rows that fail go to a rejects file with their row number and reasons. Without --apply nothing is written.

    \b
    Example:
        dealbook import 客户信息总表.xlsx
        dealbook import 客户信息总表.xlsx --apply
        dealbook import 跟进记录.csv --kind followups --apply
        dealbook import sheet.xlsx --map columns.yaml --sheet 2024
    """
    if rejects_path is not None:  # refused before the sheet is read, not after the records are written
        rejects_path = env.output_path(rejects_path, "--rejects", inputs=[file, *([map_file] if map_file else [])])
    _ = translator(env.settings.language)
    mapping = read_map(map_file, _)
    try:
        sheet = open_sheet(file, kind, mapping, sheet_name)
    except SheetError as exc:
        raise click.ClickException(exc.text(_)) from None
    if sheet.kind == CUSTOMERS and not env.at:
        # customers and the team are all a customer sheet is matched and checked against
        book = env.book([p for p in discover(env.repo) if kind_of(p) in (CUSTOMER, TEAM)])
    else:
        book = env.book()
    if not env.at:
        require_readable_setup(env, book)  # rows are checked against the settings and the team
    options = Options(today=env.today, phone_kind=phone_kind, province=province)
    read: dict[str, bytes | None] = {}  # what each updated file held: the write checks it still does

    def read_text(path: str) -> str | None:
        try:
            with open(os.path.join(env.repo, path), "rb") as handle:
                raw = handle.read()
            text = raw.decode("utf-8")
        except (OSError, UnicodeDecodeError):
            read[path] = None
            return None
        read[path] = raw
        return text

    checker = Checker(sheet.kind, book, read_text, keep_data=False, jobs=os.cpu_count() or 1)
    progress = _progress(_("Reading rows"), sheet.total)
    if sheet.kind == CUSTOMERS:
        plan = plan_customers(sheet, book, options, progress, checker)
    else:
        plan = plan_followups(sheet, book, options, progress, checker=checker)
    texts = checker.finish()
    plan.notes = [note.say(_) if isinstance(note, Said) else note for note in plan.notes]
    if sheet.unmapped:
        plan.notes.append(_("columns kept under `custom:` (not a known field): %(columns)s",
                            columns=_.pgettext("enumeration", ", ").join(sheet.unmapped)))
    if "last_contact" in sheet.fields:
        plan.notes.append(_("最新跟进日期 (latest follow-up) is not imported: dealbook computes it from the "
                            "follow-ups"))
    written = 0
    if apply_ and texts:
        try:
            written = apply_plan(env.repo, texts, read, _progress(_("Writing records"), len(texts)))
        except (StaleFile, PathTaken) as exc:
            raise click.ClickException(_("%(problem)s: the records changed while the sheet was being checked, so "
                                         "nothing was written; run the import again",
                                         problem=stale_text(exc, _))) from None
        except OSError as exc:  # a file where a folder belongs, a read-only folder, a full disk
            raise click.ClickException(_("%(why)s; check `git status` for the records written before it",
                                         why=cannot_write(exc, env.repo, next(iter(texts)), _))) from None
    rejects_file = None
    if plan.rejected:
        rejects_file = rejects_path or default_rejects(env)
        try:
            atomic_write(rejects_file, rejects_csv(plan, file, sheet.name))
        except OSError as exc:
            values = {"file": rejects_file, "error": os_error_text(exc, _), "rejected": len(plan.rejected)}
            raise click.ClickException(
                _("cannot write the rejects file %(file)s: %(error)s; %(written)s records were written; run it "
                  "again with --rejects FILE to keep the rejected rows (%(rejected)s)", written=written, **values)
                if written else
                _("cannot write the rejects file %(file)s: %(error)s; nothing was written; run it again with "
                  "--rejects FILE to keep the rejected rows (%(rejected)s)", **values)) from None
    counts = {status: plan.count(status) for status in (NEW, UPDATED, UNCHANGED, REJECTED)}
    if fmt == "json":
        click.echo(to_json({"kind": plan.kind, "sheet": sheet.name, "applied": apply_, "written": written,
                            "counts": counts, "rejects_file": rejects_file, "notes": plan.notes,
                            "rows": summary_rows(plan)}))
    else:
        for note in plan.notes:
            click.echo(_("note: %(note)s", note=note), err=True)
        for entry in plan.entries:
            status = _.pgettext("import row", STATUS_WORDS[entry.status])
            if entry.status in (NEW, UPDATED):
                click.echo(_("row %(row)s: %(status)s %(path)s  %(label)s", row=entry.row, status=pad(status, 8),
                             path=entry.path, label=entry.label).rstrip())
            elif entry.status == REJECTED:  # a row without a name: `row 9: rejected: …`
                named = status + " " + entry.label if entry.label else status
                click.echo(_("row %(row)s: %(status)s: %(reasons)s", row=entry.row, status=named,
                             reasons=" | ".join(entry.reasons)))
        what = _("customers") if plan.kind == CUSTOMERS else _("follow-ups")
        if plan.rejected:  # the rows above are rows of this sheet
            click.echo(_("rows are those of %(file)s, sheet '%(sheet)s' (header row %(row)s)", file=file,
                         sheet=sheet.name, row=sheet.header_row))
        click.echo(_("%(what)s: %(new)s new, %(updated)s updated, %(unchanged)s unchanged, %(rejected)s rejected",
                     what=what, new=counts[NEW], updated=counts[UPDATED], unchanged=counts[UNCHANGED],
                     rejected=counts[REJECTED]))
        if rejects_file:
            click.echo(_("rejected rows and their reasons: %(file)s", file=rejects_file))
        if apply_:
            click.echo(_.ngettext("wrote %(num)d file; review with `git diff`, then commit",
                                  "wrote %(num)d files; review with `git diff`, then commit", written))
        elif texts:
            click.echo(_("dry run: nothing written; run again with --apply to write"))
