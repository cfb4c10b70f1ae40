"""`dealbook history ID [--backfill]`: a customer's stage timeline from git against its stage_history."""

from __future__ import annotations

import os
from typing import Any

import click

from ...git.changes import HistoryRow, backfilled, compare_history
from ...records.dates import parse_date
from ...records.load import load_file
from ...records.losses import losses
from ...records.model import Customer, customer_path
from ...text.catalog import NP_, Translator, translator
from ...text.output import table, to_json
from ..click_words import Command
from ..context import Env, pass_env, words
from .edit_flow import checked_id

_MARK = {"ok": "", "missing": NP_("history flag", "missing"), "after_commit": NP_("history flag", "dated after commit"),
         "not_in_git": NP_("history flag", "not seen in git")}


def _message(r: HistoryRow, stage: str, _: Translator) -> str:
    """What a disagreement between git and stage_history is, in the team's language (`r.message`
    is the English the JSON carries)."""
    if r.status == "missing":
        return _("git shows the move to %(stage)s on %(day)s (%(commit)s); no stage_history entry", stage=stage,
                 day=r.git_on, commit=(r.commit or "")[:8])
    if r.status == "after_commit":
        return _("stage_history dates %(stage)s %(on)s, after the commit that recorded it (%(day)s)", stage=stage,
                 on=r.recorded_on, day=r.git_on)
    return r.message


def _loss_reasons(env: Env, path: str, data: dict[str, Any]) -> dict[int, str]:
    """{stage_history position: the reason of the loss it records} ("" when the record does not hold it)."""
    customer = Customer.from_data(path, data)
    return {loss.index: loss.reason for loss in losses(customer, env.settings)}


def _row(r: HistoryRow, reasons: dict[int, str]) -> dict[str, Any]:
    """One row; a loss says the reason of that loss (`records.losses`; "" when the record does not hold it)."""
    row = {"stage": r.stage, "git_on": r.git_on, "commit": r.commit, "author": r.author,
           "recorded_on": r.recorded_on, "status": r.status, "message": r.message}
    if r.entry in reasons:
        row["reason"] = reasons[r.entry] or None
    return row


@click.command(cls=Command)
@click.argument("customer_id", metavar="ID")
@click.option("--backfill", is_flag=True,
              help="Add the stages git shows but stage_history lacks, dated by their commits (comments kept).")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@pass_env
def history(env: Env, customer_id: str, backfill: bool, fmt: str) -> None:
    """Show a customer's stage timeline reconstructed from git, next to its stage_history.

    Every commit in which the customer's `stage` took a new value is one git event,
    dated by the commit (author time, team timezone). Flags: `missing` (git saw the
    move, stage_history has no entry), `dated after commit` (the history dates a move
    after the commit that recorded it), `not seen in git` (entered and left between
    two commits; informational). --backfill writes the missing entries into the
    record, for teams that adopted dealbook without keeping history. Exit 1 when a
    disagreement is found (and not backfilled).

    \b
    Example:
        dealbook history 粤IT2024001
        dealbook history 粤IT2024001 --backfill
        dealbook history 粤IT2024001 --format json
    """
    from ...git.history import stage_timeline
    from ...git.store import GitStoreError

    if env.at:  # said before the settings are read: those of the revision --at names are not wanted
        _ = words()
        raise click.UsageError(_("history reads the whole git history itself; drop --at"))
    _ = translator(env.settings.language)
    relative = customer_path(checked_id(customer_id))
    filename = os.path.join(env.repo, relative)
    if not os.path.exists(filename):
        raise click.ClickException(_("no customer %(id)s: %(path)s does not exist", id=customer_id, path=relative))
    loaded = load_file(filename, relative)
    if loaded.error is not None or not isinstance(loaded.data, dict):
        problem = loaded.error.text(_) if loaded.error else _("not a mapping")
        line = loaded.error.line if loaded.error else 1
        raise click.ClickException(f"{relative}:{line}: {problem}")
    entries = [e for e in loaded.data.get("stage_history") or [] if isinstance(e, dict)]
    recorded = [(str(e.get("stage", "")), parse_date(e.get("on"))) for e in entries]
    try:
        events = stage_timeline(env.repo, customer_id)
    except GitStoreError as exc:
        raise click.ClickException(exc.text(_)) from None
    if not events:
        raise click.ClickException(_("%(path)s has no committed version yet: commit it first", path=relative))
    rows = compare_history([(e.stage, e.when.date(), e.commit, e.author) for e in events], recorded)
    missing = [r for r in rows if r.status == "missing"]
    if backfill and missing:
        from ...editing.roundtrip import load as load_document

        merged = backfilled(entries, [(e.stage, e.when.date()) for e in events])
        document = load_document(filename)
        source = document.source
        if merged[:len(entries)] == entries:  # only appended: edit nothing else, comments stay put
            for entry in merged[len(entries):]:
                document.append("stage_history", entry)
        else:  # entries inserted between others: the list is rewritten (comments outside it stay)
            document.set("stage_history", merged)
        from ...editing.edits import Change
        from ...records.writing import PathTaken, StaleFile
        from .edit_flow import finish, working_book

        try:  # checked as every edit is (settings and team readable, no new error), and only if nobody
            # changed the file since it was read
            finish(env, working_book(env, [customer_id]), [Change(relative, source, document.dumps())], False)
        except (StaleFile, PathTaken) as exc:
            raise click.ClickException(_("%(error)s: nothing was written; run the command again", error=exc)) from None
        recorded = [(str(e.get("stage", "")), parse_date(e.get("on"))) for e in merged]
        rows = compare_history([(e.stage, e.when.date(), e.commit, e.author) for e in events], recorded)
        click.echo(_.ngettext("%(path)s: added %(num)d stage_history entry: %(entries)s",
                              "%(path)s: added %(num)d stage_history entries: %(entries)s", len(missing),
                              path=relative, entries=", ".join(f"{env.settings.stage_label(r.stage)} {r.git_on}"
                                                               for r in missing)), err=True)
    reasons = _loss_reasons(env, relative, loaded.data if not (backfill and missing) else {**loaded.data,
                                                                                            "stage_history": merged})
    if fmt == "json":
        click.echo(to_json({"id": customer_id, "path": relative, "timeline": [_row(r, reasons) for r in rows],
                            "backfilled": len(missing) if backfill else 0}))
    else:
        label = env.settings.stage_label
        body = [[label(r.stage), r.git_on, r.commit[:8] if r.commit else None, r.author, r.recorded_on,
                 _.pgettext("history flag", _MARK[r.status]) if _MARK[r.status] else ""] for r in rows]
        headers = [_("Stage"), _("In git"), _("Commit"), _("Author"), _("In stage_history"),
                   _.pgettext("history", "Flag")]
        if reasons:
            headers.append(_("Lost reason"))
            for line, r in zip(body, rows, strict=True):
                why = reasons.get(r.entry) if r.entry is not None else None
                line.append("" if why is None else env.settings.label("lost_reasons", why) if why
                            else _("not recorded"))
        click.echo(table(body, headers))
        for r in rows:
            if r.status in ("missing", "after_commit"):
                click.echo(f"{relative}: {_message(r, label(r.stage), _)}")
    disagreements = [r for r in rows if r.status == "after_commit" or (r.status == "missing" and not backfill)]
    if disagreements:
        raise SystemExit(1)
