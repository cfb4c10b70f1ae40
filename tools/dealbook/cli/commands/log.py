"""`dealbook log ID`: record a follow-up as a new file records/followups/<ID>/<date>-<HHMM>.yaml."""

from __future__ import annotations

import datetime as dt
import os
import re
import tempfile
from collections.abc import Callable
from typing import Any

import click

from ...editing.edits import Change, git_identity, logging_time, member_for, now_local
from ...editing.roundtrip import EditError, render_new
from ...records.dates import parse_time
from ...records.load import parse_text
from ...records.model import UnsafeId, followup_folder, followup_path
from ...records.settings import pinned_day
from ...text.catalog import SOURCE_LANGUAGE, Translator, translator
from ..click_words import Command
from ..context import Env, pass_env
from .edit_flow import finish, open_customer, retrying, working_book
from .edit_flow import interactive as is_interactive

METHODS = ("phone", "visit", "email", "meeting", "im", "other")
OUTCOMES = ("held", "no_answer", "missed", "rescheduled", "no_need")


def followup_options(command: Callable) -> Callable:
    """The options `log` and `new followup` share."""
    options = [
        click.argument("customer_id", metavar="ID"),
        click.option("--method", "-m", type=click.Choice(METHODS), default="phone", show_default=True,
                      help="How the customer was contacted."),
        click.option("--contact", "-c", help="The contact spoken to (a name from the customer's contacts)."),
        click.option("--summary", "-s", help="Topic and content of the conversation."),
        click.option("--feedback", help="The customer's feedback and changed needs."),
        click.option("--outcome", type=click.Choice(OUTCOMES), default=None,
                     help="held (default), no_answer, missed, rescheduled or no_need "
                          "(暂无需求: the cadence drops one grade, reassess later)."),
        click.option("--objection", "objections", multiple=True, metavar="TAG",
                     help="An objection tag (price, competitor, …); repeat for more."),
        click.option("--next", "next_actions", multiple=True, metavar="ACTION@YYYY-MM-DD[@OWNER]",
                     help="A next step and its due date; repeat for more."),
        click.option("--help-from", "help_from", metavar="WHO",
                     help="Ask a colleague (a team handle, or a department) for help; it is on their agenda."),
        click.option("--help-detail", "help_detail", metavar="TEXT", help="What help is needed."),
        click.option("--help-due", "help_due", metavar="YYYY-MM-DD",
                     help="When the help is needed by (default: help.due_days after the follow-up)."),
        click.option("--at", "at", metavar="'YYYY-MM-DD HH:MM'",
                     help="When it happened (default: now in the team's timezone, on --today's date when given)."),
        click.option("--by", help="Who followed up (default: the team member whose email is git's user.email)."),
        click.option("--edit", "use_editor", is_flag=True, help="Open $EDITOR on the filled-in file before writing."),
        click.option("--interactive/--no-interactive", default=None,
                     help="Ask for the contact, summary, feedback and next steps when not given "
                          "(default: when stdin is a terminal and neither --summary nor --edit is given)."),
        click.option("--dry-run", is_flag=True, help="Show the file that would be written; write nothing."),
    ]
    for option in reversed(options):
        command = option(command)
    return command


_DATE_SHAPE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")  # a real calendar date is the checker's job


def parse_next(items: tuple[str, ...], _: Translator | None = None) -> list[dict[str, Any]]:
    """`发送方案@2024-05-25[@li]` → [{action, due[, owner]}]; refused in the translator's language."""
    _ = _ or translator(SOURCE_LANGUAGE)
    found = []
    for item in items:
        parts = item.rsplit("@", 2)
        owner = None
        if len(parts) == 3 and _DATE_SHAPE.match(parts[1].strip()):
            action, due, owner = parts
        elif len(parts) >= 2 and _DATE_SHAPE.match(parts[-1].strip()):
            action, due = item.rsplit("@", 1)
        else:
            raise click.BadParameter(_("`%(item)s`: write ACTION@YYYY-MM-DD, e.g. '发送方案@2024-05-25'", item=item),
                                     param_hint="--next")
        entry: dict[str, Any] = {"action": action.strip(), "due": due.strip()}
        if owner:
            entry["owner"] = owner.strip()
        found.append(entry)
    return found


def help_request(helper: str | None, detail: str | None, due: str | None,
                 _: Translator | None = None) -> dict[str, str] | None:
    """`--help-from li --help-detail … --help-due 2024-05-23` → {from, detail, due}, or None;
    refused in the translator's language."""
    if not (helper or detail or due):
        return None
    _ = _ or translator(SOURCE_LANGUAGE)
    if not helper or not detail:
        raise click.UsageError(_("a help request needs --help-from (who) and --help-detail (what)"))
    if due is not None and not _DATE_SHAPE.match(due.strip()):
        raise click.BadParameter(_("`%(due)s`: write YYYY-MM-DD", due=due), param_hint="--help-due")
    found = {"from": helper.strip(), "detail": detail.strip()}
    return found | ({"due": due.strip()} if due else {})


def resolve_at(env: Env, at: str | None) -> dt.datetime:
    if at:
        when = parse_time(at.strip())
        if when is None:
            _ = translator(env.settings.language)
            raise click.BadParameter(_("`%(at)s` is not a time: write 'YYYY-MM-DD HH:MM'", at=at), param_hint="--at")
        return when
    today = env.today  # a bad DEALBOOK_TODAY is reported here, as a usage error
    pinned = pinned_day(env.settings, env.today_override)
    return logging_time(now_local(env.settings.timezone), today if pinned is not None else None)


def resolve_by(env: Env, book, by: str | None) -> str:
    if by:
        return by
    email, name = git_identity(env.repo)
    handle = member_for(book, email, name)
    if handle is None:
        _ = translator(env.settings.language)
        raise click.UsageError(_("--by is required: git's user.email (%(who)s) matches no member of "
                                 "records/team.yaml", who=email or name or _("not set")))
    return handle


def ask_followup(customer, contact: str | None, feedback: str | None, next_actions: tuple[str, ...],
                 _: Translator) -> tuple[str | None, str, str | None, tuple[str, ...]]:
    """Prompt on a terminal, in the translator's language, for what a follow-up needs and was not
    given as an option."""
    names = [c.name for c in customer.contacts if c.name]
    if not contact:
        prompt = _("Contact (%(names)s)", names=", ".join(names)) if names else _("Contact")
        contact = click.prompt(prompt, default=names[0] if len(names) == 1 else "",
                               show_default=len(names) == 1).strip() or None
    summary = click.prompt(_("Summary (跟进主题/内容)")).strip()
    if not feedback:
        feedback = click.prompt(_("Customer feedback (客户反馈, optional)"), default="",
                                show_default=False).strip() or None
    steps = list(next_actions)
    while True:
        step = click.prompt(_("Next step ACTION@YYYY-MM-DD (empty to finish)"), default="",
                            show_default=False).strip()
        if not step:
            break
        try:
            parse_next((step,), _)
        except click.BadParameter as exc:
            click.echo(exc.format_message(), err=True)
            continue
        steps.append(step)
    return contact, summary, feedback, tuple(steps)


def write_followup(env: Env, customer_id: str, method: str, contact: str | None, summary: str | None,
                   feedback: str | None, outcome: str | None, objections: tuple[str, ...],
                   next_actions: tuple[str, ...], at: str | None, by: str | None, use_editor: bool,
                   dry_run: bool, interactive: bool | None = None, help_from: str | None = None,
                   help_detail: str | None = None, help_due: str | None = None) -> None:
    book = working_book(env, [customer_id])
    path, _doc = open_customer(env, book, customer_id)
    customer = book.customers_by_path[path]
    customer_id = customer.id
    _ = translator(env.settings.language)
    try:
        followup_folder(customer_id)  # the id inside the file becomes the folder name
    except UnsafeId as exc:
        raise click.ClickException(_("%(path)s: %(error)s; run `dealbook check`", path=path,
                                     error=exc.text(_))) from None
    typed = not summary and not use_editor and is_interactive(interactive)  # what the user typed is kept
    if typed:
        contact, summary, feedback, next_actions = ask_followup(customer, contact, feedback, next_actions, _)
    when = resolve_at(env, at)
    data: dict[str, Any] = {
        "customer": customer_id,
        "at": when.strftime("%Y-%m-%d %H:%M"),
        "method": method,
        "by": resolve_by(env, book, by),
        "contact": contact,
        "summary": summary,
        "feedback": feedback,
        "objections": list(objections) or None,
        "outcome": outcome,
        "next": parse_next(next_actions, _) or None,
        "help": help_request(help_from, help_detail, help_due, _),
    }
    data = {k: v for k, v in data.items() if v not in (None, "")}
    if not summary and not use_editor:
        raise click.UsageError(_("--summary is required (or --edit to write it in your editor)"))
    try:
        text = render_new("followup", data if summary else {**data, "summary": "TODO"})
    except EditError as exc:
        raise click.ClickException(str(exc)) from None
    if use_editor:
        edited = click.edit(text, extension=".yaml", require_save=True)
        if edited is None:
            raise click.ClickException(_("the editor was closed without saving; nothing was written"))
        text = edited
        loaded = parse_text(text)
        when = parse_time(loaded.data.get("at")) if isinstance(loaded.data, dict) else None
        when = when or resolve_at(env, at)

    def attempt() -> None:
        # A name another process takes first (PathTaken) sends us to the next free suffix.
        relative = followup_path(env.repo, customer_id, when)
        if finish(env, book, [Change(relative, None, text)], dry_run):
            click.echo(relative)

    try:
        retrying(attempt)
    except click.ClickException as exc:
        if use_editor or typed:  # refused: the text written in the editor or at the prompts is not lost
            exc.message += _("; what you wrote is kept in %(path)s", path=keep_text(text))
        raise


def keep_text(text: str) -> str:
    """Save a refused follow-up's text outside the repo (the system's temporary folder); its path."""
    handle, path = tempfile.mkstemp(prefix="dealbook-followup-", suffix=".yaml")
    with os.fdopen(handle, "w", encoding="utf-8") as out:
        out.write(text)
    return path


@click.command(cls=Command)
@followup_options
@pass_env
def log(env: Env, **options: Any) -> None:
    """Record a follow-up with customer ID as a new file.

    The file is records/followups/<ID>/<YYYY-MM-DD>-<HHMM>.yaml (with -2, -3 … when
    that name is taken). It is checked like `dealbook check` before it is written;
    a file that would not pass is refused and nothing is written.

    \b
    Example:
        dealbook log 粤IT2024001 --method phone --contact 王总监 \\
            --summary "反馈精度测试数据" --next "与王总监预约现场对接@2024-05-14"
        dealbook log 粤IT2024001 -m visit -c 王总监 -s 现场演示 --at "2024-05-20 14:00" --by zhang
        dealbook log 粤IT2024001 -m visit -c 王总监 -s 方案交流 \\
            --help-from li --help-detail "需技术支持演示" --help-due 2024-05-23
        dealbook log 粤IT2024001 --edit
        dealbook log 粤IT2024001          # on a terminal: asks for contact, summary, feedback, next steps
    """
    write_followup(env, **options)
