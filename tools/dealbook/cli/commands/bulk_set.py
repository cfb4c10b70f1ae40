"""`dealbook set`: change fields of one customer, or of every customer a --where filter selects."""

from __future__ import annotations

import os

import click

from ...editing.assignments import Assignment, read_assignment, value_at
from ...editing.edits import Change, diff_text, schema_at
from ...editing.roundtrip import EditError, split_path
from ...editing.roundtrip import load as load_document
from ...records.diagnostics import ERROR, Diagnostic
from ...records.model import Customer
from ...text.catalog import translator
from ..click_words import Command
from ..context import Env, pass_env
from .edit_flow import cannot_read, finish, open_customer, refuse_new_approvals, render, retrying, working_book


def _assignments(texts: list[str], settings) -> list[Assignment]:
    try:
        return [read_assignment(text, settings) for text in texts]
    except ValueError as exc:
        raise click.UsageError(str(exc)) from None


def _matches(customer: Customer, where: list[tuple[list, str]]) -> bool:
    """Whether the customer holds each wanted value (in a list: among its items)."""
    for parts, wanted in where:
        value = value_at(customer.data, parts)
        if isinstance(value, list):
            if wanted not in [str(v) for v in value]:
                return False
        elif ("" if value is None else str(value)) != wanted:
            return False
    return True


@click.command(cls=Command)
@click.argument("items", nargs=-1, required=True, metavar="[ID...] KEY=VALUE...")
@click.option("--where", "where", multiple=True, metavar="KEY=VALUE",
              help="Select customers by a field (repeat to combine), e.g. owner=zhang or stage=lead.")
@click.option("--replace", is_flag=True,
              help="Allow replacing or removing a list or mapping that already holds items "
                   "(contracts=[…], contacts.0=, need.budget={…}).")
@click.option("--yes", "-y", is_flag=True, help="Write without asking (for scripts).")
@click.option("--dry-run", is_flag=True, help="Show the diff; write nothing.")
@pass_env
def set_fields(env: Env, items: tuple[str, ...], where: tuple[str, ...], replace: bool, yes: bool,
               dry_run: bool) -> None:
    """Set fields on customers: by id, or on every customer --where selects.

    Values are read as the schema types them: money as plain integers (`65万` is
    refused with the number to write), lists as `a,b` or `[a, b]`, an empty value
    removes the field (or the list item). A value that would remove or change items
    a list or mapping already holds (`contracts=[…]` on a customer with contracts) is
    refused, naming them, unless --replace is given. Every file is edited in place
    (comments and layout kept) and checked before anything is written; the diff is
    always shown, and with more than one file you are asked first (--yes skips it).

    \b
    Example:
        dealbook set 粤IT2024001 need.budget.status=partial need.budget.min=500000
        dealbook set --where owner=zhang owner=li            # reassign everything zhang owned
        dealbook set --where owner=zhang --where stage=lead owner=li --yes
        dealbook set 粤IT2024001 tags=重点,复购 --dry-run
        dealbook set 粤IT2024001 'contacts.1={name: 陈工, role: user}' --replace
    """
    _ = translator(env.settings.language)
    ids = [item for item in items if "=" not in item]
    texts = [item for item in items if "=" in item]
    if not texts:
        raise click.UsageError(_("give at least one KEY=VALUE to set"))
    if not ids and not where:
        raise click.UsageError(_("say which customers: give IDs or --where KEY=VALUE"))
    conditions = []
    for condition in where:
        if "=" not in condition:
            raise click.BadParameter(_("`%(text)s`: write KEY=VALUE", text=condition), param_hint="--where")
        key, value = condition.split("=", 1)
        try:
            parts = split_path(key.strip())
        except EditError as exc:
            raise click.BadParameter(exc.text(_), param_hint="--where") from None
        if schema_at("customer", parts, env.settings) is None:  # a typo would match no customer, silently
            raise click.BadParameter(_("unknown field `%(key)s`: see schemas/customer.schema.json", key=key.strip()),
                                     param_hint="--where")
        conditions.append((parts, value.strip()))
    assignments = _assignments(texts, env.settings)

    def attempt() -> None:
        book = working_book(env, ids, all_customers=not ids)
        documents = []
        for customer_id in ids:
            path, doc = open_customer(env, book, customer_id)
            if _matches(book.customers_by_path[path], conditions):
                documents.append((path, doc))
        if not ids:
            for path in sorted(book.customers_by_path):
                if _matches(book.customers_by_path[path], conditions):
                    try:
                        documents.append((path, load_document(os.path.join(env.repo, path))))
                    except (OSError, EditError) as exc:
                        raise click.ClickException(cannot_read(exc, path, _)) from None
        if not documents:
            click.echo(_("no customer matches; nothing to change"))
            return
        changes = []
        losses = []
        for path, doc in documents:
            try:
                for assignment in assignments:
                    lost = assignment.losses(_, doc)
                    if lost:
                        line, column = book.mark(path, assignment.parts)
                        losses.append(Diagnostic(path, line, column, ERROR, "replaces-items",
                                                 f"`{assignment.key}` {lost}"))
                    before = doc.data
                    assignment.apply(doc)
                    refuse_new_approvals(_, path, assignment.key, before, doc.data)
            except EditError as exc:
                raise click.ClickException(_("%(path)s: %(error)s; nothing was written", path=path,
                                             error=exc.text(_))) from None
            changes.append(Change(path, doc.source, doc.dumps()))
        changed = [c for c in changes if c.before != c.after]
        if len(documents) > 1:
            same = len(documents) - len(changed)
            click.echo(_.ngettext("%(num)d customers selected: %(changed)d would change",
                                  "%(num)d customers selected: %(changed)d would change", len(documents),
                                  changed=len(changed))
                       + (_.ngettext(", %(num)d already holds what is asked", ", %(num)d already hold what is asked",
                                     same) if same else ""))
        if losses and not replace:
            click.echo(diff_text(changed), nl=False)
            for d in losses:
                click.echo(render(d), err=True)
            files = len({d.path for d in losses})
            if len(documents) > 1:
                raise click.ClickException(_.ngettext(
                    "refused: the edit would remove or change items or recorded facts in %(files)d of the %(num)d "
                    "file (shown above); to mean it, run it again with --replace; nothing was written",
                    "refused: the edit would remove or change items or recorded facts in %(files)d of the %(num)d "
                    "files (shown above); to mean it, run it again with --replace; nothing was written",
                    len(documents), files=files))
            raise click.ClickException(_("refused: the edit would remove or change items or recorded facts (shown "
                                         "above); to mean it, run it again with --replace; nothing was written"))
        several = len(changed) > 1
        finish(env, book, changes, dry_run, ask=(several or bool(conditions)) and not yes, summary=True,
               show_diff=True)

    retrying(attempt)
