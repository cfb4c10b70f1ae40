"""`dealbook approve ID NO`: the approver writes their approval of a quote or contract into the record."""

from __future__ import annotations

import click

from ...editing.edits import Change, git_identity, member_for
from ...editing.roundtrip import EditError
from ...records.dates import parse_date
from ...records.deals import MARGIN_STEP, deal_desk, pending_approvals
from ...text.catalog import Translator, translator
from ..click_words import Command
from ..context import Env, pass_env
from .edit_flow import finish, open_customer, retrying, working_book


@click.command(cls=Command)
@click.argument("customer_id", metavar="ID")
@click.argument("number", metavar="NO")
@click.option("--step", help="The approval step (default: margin for a quote; for a contract, the one step "
                             "still missing that you may give).")
@click.option("--as", "handle", metavar="HANDLE", help="Who approves (default: the team member whose email or git "
                                                       "name matches your git identity).")
@click.option("--on", "day", metavar="YYYY-MM-DD", help="Date of the approval (default: today).")
@click.option("--dry-run", is_flag=True, help="Show the diff; write nothing.")
@pass_env
def approve(env: Env, customer_id: str, number: str, step: str | None, handle: str | None, day: str | None,
            dry_run: bool) -> None:
    """Approve quote or contract NO of customer ID: appends `{step, by, on}` to its approvals.

    Only a member whose role `deal_desk.approvers` allows for the step may approve, and never
    the customer's owner. Approvals are commits: commit the change yourself, under your own
    git identity, so `dealbook check --approvals` can prove it was you.

    \b
    Example:
        dealbook approve 渝MF2024001 BJ-2024-0515 --dry-run
        dealbook approve 鲁MF2024001 HT-2024-0510 --step legal --as sun --dry-run
    """
    settings = env.settings
    _ = translator(settings.language)
    when = parse_date(day) if day else env.today
    if when is None:
        raise click.BadParameter(_("`%(day)s` is not a date: write YYYY-MM-DD", day=day), param_hint="--on")
    given_step, given_handle = step, handle

    def attempt() -> None:  # again from the file as it is now when another process wrote it meanwhile
        book = working_book(env, [customer_id])
        path, doc = open_customer(env, book, customer_id)
        customer = book.customers_by_path[path]
        handle = given_handle if given_handle is not None else member_for(book, *git_identity(env.repo))
        if handle is None:
            raise click.UsageError(_("your git identity (user.email, user.name) is not a member of "
                                     "records/team.yaml: give --as HANDLE, or set `git config user.email` to your "
                                     "team email"))
        member = book.members.get(handle)
        if member is None:
            raise click.UsageError(_("`%(handle)s` is not a member of the team (records/team.yaml)", handle=handle))
        group, index = _find(doc, number, _)
        desk = deal_desk(settings)
        step = given_step
        if step is None:
            if group == "quotes":
                step = MARGIN_STEP
            else:
                mine = [s for no, s, _who in pending_approvals(customer.data, settings)
                        if no == number and desk.may_approve(s, member.handle, member.role)]
                if len(mine) != 1:
                    missing = [s for no, s, _who in pending_approvals(customer.data, settings) if no == number]
                    raise click.UsageError(_("say which step with --step: missing on %(no)s: %(missing)s; %(handle)s "
                                             "(%(role)s) may give: %(mine)s", no=number,
                                             missing=", ".join(missing) or _("none"), handle=handle,
                                             role=member.role, mine=", ".join(mine) or _("none of them")))
                step = mine[0]
        existing = doc.get([group, index, "approvals"]) or []
        if any(isinstance(a, dict) and a.get("step") == step for a in existing):
            raise click.ClickException(_("%(no)s already has an approval `%(step)s`; nothing was written",
                                         no=number, step=step))
        try:
            doc.append([group, index, "approvals"], {"step": step, "by": handle, "on": when.isoformat()})
        except EditError as exc:
            raise click.ClickException(f"{path}: {exc.text(_)}") from None
        if finish(env, book, [Change(path, doc.original, doc.text)], dry_run):
            click.echo(_("%(id)s: %(no)s approved (%(step)s) by %(who)s on %(day)s (%(path)s)", id=customer.id,
                         no=number, step=desk.step_label(step), who=handle, day=when, path=path))
            click.echo(_("approvals are commits: commit this change yourself, under your own git identity"),
                       err=True)

    retrying(attempt)


def _find(doc, number: str, _: Translator) -> tuple[str, int]:
    """Where quote or contract NO is in the record: ("quotes" | "contracts", index); refused in the
    translator's language."""
    for group in ("quotes", "contracts"):
        for index, item in enumerate(doc.get(group) or []):
            if isinstance(item, dict) and item.get("no") == number:
                return group, index
    raise click.ClickException(_("no quote or contract numbered `%(no)s` in this customer", no=number))
