"""`dealbook customers`: every customer's stage, grade, owner, last contact, next due and days overdue."""

from __future__ import annotations

import datetime as dt
import difflib
from typing import Any

import click

from ...checks.customer_views import PerCustomer, compute_view
from ...records.book import Book
from ...records.model import Customer, UnsafeId, customer_path
from ...records.settings import Settings
from ...rules.grading import has_grade
from ...rules.state import CustomerState, evaluate
from ...text.catalog import Translator, translator
from ...text.output import format_option, plain, table, to_csv, to_json
from ..click_words import Command
from ..context import Env, pass_env

COLUMNS = ("id", "name", "owner", "stage", "stage_label", "grade", "grade_override", "score",
           "last_contact", "next_due", "due_kind", "due_reason", "overdue_days", "region", "industry")
SORTS = ("id", "name", "stage", "grade", "owner", "due", "overdue")


def find_customer(book: Book, ident: str) -> Customer:
    """The customer with this id (or exact name); else a ClickException naming close matches."""
    found = book.customers.get(ident)
    if found is None:  # `粤it2024001`, as the editing commands take it
        folded = [c for cid, c in book.customers.items() if cid.casefold() == ident.casefold()]
        found = folded[0] if len(folded) == 1 else None
    if found is not None:
        return found
    by_name = [c for c in book.customers.values() if c.name == ident]
    if len(by_name) == 1:
        return by_name[0]
    try:
        broken = book.read_error(customer_path(ident))
    except UnsafeId:
        broken = None
    _ = translator(book.settings.language)
    if broken is not None:  # the file is there: say why it cannot be read, not that it is unknown
        where = f"{broken.path}:{broken.line}:{broken.column}"
        raise click.ClickException(_("%(where)s: %(message)s (%(code)s); the customer cannot be shown until the "
                                     "file is fixed", where=where, message=broken.message, code=broken.code))
    names = {c.name: c.id for c in book.customers.values()}
    close = difflib.get_close_matches(ident, list(book.customers), n=5, cutoff=0.85)
    close += [names[n] for n in difflib.get_close_matches(ident, list(names), n=3, cutoff=0.6) if names[n] not in close]
    if close:
        shown = ", ".join(f"{cid} ({plain(book.customers[cid].name)})" for cid in close)
        raise click.ClickException(_("no customer %(id)s; did you mean %(close)s?", id=repr(ident), close=shown))
    raise click.ClickException(_("no customer %(id)s", id=repr(ident)))


def row_of(state: CustomerState, book: Book) -> dict[str, Any]:
    """The plain row `customers` prints (also the JSON object per customer)."""
    customer, grade, due = state.customer, state.grade, state.due
    graded = has_grade(book.settings, customer.stage)  # as on the site: a won or lost customer has no grade
    return {
        "id": customer.id,
        "name": customer.name,
        "owner": customer.owner,
        "stage": customer.stage,
        "stage_label": book.settings.stage_label(customer.stage),
        "grade": grade.letter if graded else "",
        "grade_override": grade.override and graded,
        "score": grade.score if graded else None,
        "last_contact": state.last_contact,
        "next_due": due.date,
        "due_kind": due.kind,
        "due_reason": due.reason,
        "overdue_days": due.overdue_days,
        "region": customer.region,
        "industry": customer.industry,
    }


def _sort_key(sort: str, settings: Settings):
    order = settings.order
    keys = {
        "id": lambda r: r["id"],
        "name": lambda r: (r["name"], r["id"]),
        "stage": lambda r: (order(r["stage"]), r["id"]),
        "grade": lambda r: (r["grade"] or "~", r["id"]),  # the ungraded (won, lost) last
        "owner": lambda r: (r["owner"], r["id"]),
        "due": lambda r: (r["next_due"] is None, r["next_due"] or 0, r["id"]),
        "overdue": lambda r: (-r["overdue_days"], r["next_due"] is None, r["next_due"] or 0, r["id"]),
    }
    return keys[sort]


def _check_choice(given: tuple[str, ...], known: set[str], what: str, option: str, _: Translator) -> None:
    """Refuse a --stage or --owner `given` that names none of the `known`, in the translator's language."""
    for value in given:
        if value not in known:
            close = difflib.get_close_matches(value, sorted(known), n=3)
            words = _.pgettext("enumeration", ", ")
            values = {"value": repr(value), "close": words.join(close), "known": words.join(sorted(known))}
            if what == "stage":
                message = (_("no stage %(value)s; did you mean %(close)s?", **values) if close
                           else _("no stage %(value)s; known: %(known)s", **values))
            else:
                message = (_("no owner %(value)s; did you mean %(close)s?", **values) if close
                           else _("no owner %(value)s; known: %(known)s", **values))
            raise click.BadParameter(message, param_hint=option)


_DATES = ("last_contact", "next_due")
def customer_row(book: Book, customer: Customer, today: dt.date) -> dict[str, Any]:
    """One customer's row as plain data (dates as ISO text, so it can be stored)."""
    row = row_of(evaluate(book, today)[customer.id], book)
    for key in _DATES:
        if row[key] is not None:
            row[key] = row[key].isoformat()
    return row


def _whole(rows: list[dict[str, Any]], members: list[str]) -> dict[str, Any]:
    return {"rows": rows, "owners": sorted(set(members) | {r["owner"] for r in rows})}


def customers_spec(today: dt.date) -> PerCustomer:
    """The customers view, customer by customer (see `customer_views`)."""
    return PerCustomer("customers", lambda book, customer: customer_row(book, customer, today), _whole)


def customers_view(book: Book, today: dt.date) -> dict[str, Any]:
    """Every customer's row (dates as ISO text, so it can be stored) and the known owners."""
    return compute_view(book, customers_spec(today))


def select_rows(view: dict[str, Any], settings: Settings, owner: tuple[str, ...] = (), stage: tuple[str, ...] = (),
                grade: tuple[str, ...] = (), region: str | None = None, industry: str | None = None,
                overdue: bool = False, sort: str = "id") -> list[dict[str, Any]]:
    """The rows of a `customers_view` after filters and sort (stages by key or label; region by
    substring; industry by prefix)."""
    labels = {settings.stage_label(k): k for k in settings.stage_keys}
    stage_keys = {labels.get(s, s) for s in stage}
    _ = translator(settings.language)
    _check_choice(tuple(stage_keys), set(settings.stage_keys), "stage", "--stage", _)
    _check_choice(owner, set(view["owners"]), "owner", "--owner", _)
    rows = []
    for row in view["rows"]:
        if owner and row["owner"] not in owner:
            continue
        if stage_keys and row["stage"] not in stage_keys:
            continue
        if grade and row["grade"] not in grade:
            continue
        if region and region not in row["region"]:
            continue
        if industry and not row["industry"].upper().startswith(industry.upper()):
            continue
        if overdue and row["overdue_days"] <= 0:
            continue
        rows.append(row)
    rows.sort(key=_sort_key(sort, settings))
    return rows


def render_text(rows: list[dict[str, Any]], _: Translator) -> str:
    """The aligned table, its headers in the translator's language."""
    headers = [_("ID"), _("Name"), _("Stage"), _("Grade"), _("Owner"), _("Last contact"), _("Next due"), _("Overdue")]
    cells = [[r["id"], r["name"], r["stage_label"], r["grade"] + ("*" if r["grade_override"] else ""),
              r["owner"], r["last_contact"], r["next_due"],
              _("%(days)sd", days=r["overdue_days"]) if r["overdue_days"] else ""] for r in rows]  # as the agenda's
    styles = [{"fg": "red"} if r["overdue_days"] > 0 else None for r in rows]
    return table(cells, headers, right=[7], styles=styles)


@click.command(cls=Command)
@click.option("--owner", multiple=True, metavar="HANDLE", help="Only customers of this owner (repeatable).")
@click.option("--stage", multiple=True, metavar="STAGE", help="Only this stage, by key or label (repeatable).")
@click.option("--grade", multiple=True, type=click.Choice(["A", "B", "C"]), help="Only this grade (repeatable).")
@click.option("--region", metavar="TEXT", help="Only regions containing TEXT, e.g. 深圳.")
@click.option("--industry", metavar="CODE", help="Only industry codes starting with CODE, e.g. C39.")
@click.option("--overdue", is_flag=True, help="Only customers whose next due date has passed.")
@click.option("--sort", type=click.Choice(SORTS), default="id", show_default=True,
              help="Order of the rows (overdue: most overdue first).")
@format_option
@pass_env
def customers(env: Env, owner: tuple[str, ...], stage: tuple[str, ...], grade: tuple[str, ...],
              region: str | None, industry: str | None, overdue: bool, sort: str, fmt: str) -> None:
    """List customers with stage, grade, owner, last contact, next due and days overdue.

    A `*` after the grade marks a manual override. JSON: {"customers": [{"id", "name",
    "owner", "stage", "grade", "next_due", "overdue_days", ...}]}; next_due is null for
    customers never due (lost), overdue_days is 0 when not overdue.

    \b
    Example:
        dealbook customers --owner zhang --sort due
        dealbook customers --grade A --overdue
        dealbook customers --stage proposal --format csv > proposal.csv
    """
    view = env.view(customers_spec(env.today))
    rows = select_rows(view, env.settings, owner, stage, grade, region, industry, overdue, sort)
    if fmt == "json":
        click.echo(to_json({"today": env.today, "customers": rows}))
    elif fmt == "csv":
        click.echo(to_csv(rows, COLUMNS), nl=False)
    else:
        _ = translator(env.settings.language)
        if rows:
            click.echo(render_text(rows, _))
        overdue_count = sum(r["overdue_days"] > 0 for r in rows)
        click.echo(_.ngettext("%(num)d customer, %(overdue)d overdue (as of %(today)s)",
                              "%(num)d customers, %(overdue)d overdue (as of %(today)s)", len(rows),
                              overdue=overdue_count, today=env.today), err=True)
    if not env.at:  # beside the count it qualifies
        env.warn_left_out(row["id"] for row in view["rows"])
