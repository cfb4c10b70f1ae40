"""`dealbook set`: change fields of one customer, or of every customer a --where filter selects."""

from __future__ import annotations

import os
from typing import Any

import click

from ...editing.edits import Change, parse_value, schema_at
from ...editing.roundtrip import EditError, split_path
from ...editing.roundtrip import load as load_document
from ...records.model import Customer
from ..context import Env, pass_env
from .edit_flow import finish, open_customer, retrying, working_book

# Changed through their own commands so that history and ids stay consistent.
_GUARDED = {"id": "an id never changes once created",
            "stage": "use `dealbook move ID STAGE`, which also records stage_history",
            "stage_history": "use `dealbook move ID STAGE`"}


def _assignments(texts: list[str], settings) -> list[tuple[str, Any]]:
    found = []
    for text in texts:
        key, raw = text.split("=", 1)
        key = key.strip()
        try:
            parts = split_path(key)
        except EditError as exc:
            raise click.UsageError(str(exc)) from None
        if str(parts[0]) in _GUARDED:
            raise click.UsageError(f"`{key}` cannot be set here: {_GUARDED[str(parts[0])]}")
        schema = schema_at("customer", parts, settings)
        if schema is None:
            raise click.UsageError(f"unknown field `{key}`: see schemas/customer.schema.json "
                                   "(team-specific data goes under custom.…)")
        if raw.strip() == "" or raw.strip() == "null":
            found.append((key, None))
            continue
        try:
            found.append((key, parse_value(raw, schema, key)))
        except ValueError as exc:
            raise click.UsageError(str(exc)) from None
    return found


def _matches(customer: Customer, where: list[tuple[str, str]]) -> bool:
    for key, wanted in where:
        value = customer.get(key)
        if isinstance(value, list):
            if wanted not in [str(v) for v in value]:
                return False
        elif ("" if value is None else str(value)) != wanted:
            return False
    return True


@click.command()
@click.argument("items", nargs=-1, required=True, metavar="[ID...] KEY=VALUE...")
@click.option("--where", "where", multiple=True, metavar="KEY=VALUE",
              help="Select customers by a field (repeat to combine), e.g. owner=zhang or stage=lead.")
@click.option("--yes", "-y", is_flag=True, help="Write without asking (for scripts).")
@click.option("--dry-run", is_flag=True, help="Show the diff; write nothing.")
@pass_env
def set_fields(env: Env, items: tuple[str, ...], where: tuple[str, ...], yes: bool, dry_run: bool) -> None:
    """Set fields on customers: by id, or on every customer --where selects.

    Values are read as the schema types them: money as plain integers (`65万` is
    refused with the number to write), lists as `a,b` or `[a, b]`, an empty value
    removes the field. Every file is edited in place (comments and layout kept) and
    checked before anything is written; with more than one file the diff is shown
    and you are asked first (--yes skips the question).

    \b
    Example:
        dealbook set 粤IT2024001 need.budget.status=partial need.budget.min=500000
        dealbook set --where owner=zhang owner=li            # reassign everything zhang owned
        dealbook set --where owner=zhang --where stage=lead owner=li --yes
        dealbook set 粤IT2024001 tags=重点,复购 --dry-run
    """
    ids = [item for item in items if "=" not in item]
    texts = [item for item in items if "=" in item]
    if not texts:
        raise click.UsageError("give at least one KEY=VALUE to set")
    if not ids and not where:
        raise click.UsageError("say which customers: give IDs or --where KEY=VALUE")
    conditions = []
    for condition in where:
        if "=" not in condition:
            raise click.BadParameter(f"`{condition}`: write KEY=VALUE", param_hint="--where")
        key, value = condition.split("=", 1)
        try:
            known = schema_at("customer", split_path(key.strip()), env.settings) is not None
        except EditError as exc:
            raise click.BadParameter(str(exc), param_hint="--where") from None
        if not known:  # a typo would match no customer and change nothing, silently
            raise click.BadParameter(f"unknown field `{key.strip()}`: see schemas/customer.schema.json",
                                     param_hint="--where")
        conditions.append((key.strip(), value.strip()))
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
                        raise click.ClickException(f"{path}: {exc}") from None
        if not documents:
            click.echo("no customer matches; nothing to change")
            return
        changes = []
        for path, doc in documents:
            try:
                for key, value in assignments:
                    if value is None:
                        doc.delete(key)
                    else:
                        doc.set(key, value)
            except EditError as exc:
                raise click.ClickException(f"{path}: {exc}") from None
            changes.append(Change(path, doc.source, doc.dumps()))
        several = len([c for c in changes if c.before != c.after]) > 1
        finish(env, book, changes, dry_run, ask=(several or bool(conditions)) and not yes, summary=True)

    retrying(attempt)
