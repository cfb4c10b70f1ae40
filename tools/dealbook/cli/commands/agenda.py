"""`dealbook agenda`: what needs doing, grouped overdue / today / this week, oldest first, with the reason."""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

import click

from ...checks.customer_views import PerCustomer, compute_view
from ...records.book import Book
from ...records.model import Customer
from ...rules.agenda import GROUPS, AgendaItem, customer_items, dict_order, group_of
from ...rules.state import evaluate
from ...text.catalog import NP_, translator
from ...text.numbers import items_for_customers
from ...text.output import FORMATS, echo_utf8, table, to_csv, to_json
from ..click_words import Command
from ..context import Env, pass_env

COLUMNS = ("group", "due", "overdue_days", "customer_id", "name", "owner", "who", "kind", "reason")
# the groups' headings, translated where shown (`days` fills the week's)
TITLES = {"overdue": NP_("agenda group", "Overdue"), "today": NP_("agenda group", "Today"),
          "week": NP_("agenda group", "Next %(days)s days"), "later": NP_("agenda group", "Later")}


_ITEM_FIELDS = tuple(f.name for f in dataclasses.fields(AgendaItem))


def _part(book: Book, customer: Customer, today: dt.date) -> dict[str, Any]:
    """One customer's agenda items (due as ISO text, so they can be stored) and its owner."""
    items = []
    for item in customer_items(evaluate(book, today)[customer.id], today):
        # `dataclasses.asdict` without its deep copies (strings, numbers and a date; `who` is listed below)
        row = {name: getattr(item, name) for name in _ITEM_FIELDS}
        row["due"] = item.due.isoformat()
        row["who"] = list(item.who)
        items.append(row)
    return {"id": customer.id, "owner": customer.owner, "items": items}


def _whole(parts: list[dict[str, Any]], members: list[str]) -> dict[str, Any]:
    items = [item for part in parts for item in part["items"]]
    items.sort(key=dict_order)  # the agenda's order (`item_order`)
    owners = sorted(set(members) | {part["owner"] for part in parts})
    return {"items": items, "members": members, "owners": owners, "ids": [part["id"] for part in parts]}


def agenda_spec(today: dt.date) -> PerCustomer:
    """The agenda view, customer by customer (see `customer_views`)."""
    return PerCustomer("agenda", lambda book, customer: _part(book, customer, today), _whole)


def agenda_view(book: Book, today: dt.date) -> dict[str, Any]:
    """Every agenda item of the team (due as ISO text, so it can be stored), members and owners."""
    return compute_view(book, agenda_spec(today))


def select_items(view: dict[str, Any], today: dt.date, owner: str | None, days: int,
                 dates: bool = True) -> list[dict[str, Any]]:
    """The items of `owner` (all when None), grouped for a `days`-day week, oldest first; with
    `dates` False, `due` stays the ISO text the view stores (what JSON and text tables print) and an
    item whose group is unchanged is the view's own dict (shared: never to be changed)."""
    days_seen: dict[str, tuple[Any, str]] = {}  # ISO due date -> (due, group): many items share a day
    rows = []
    for item in view["items"]:
        if owner is not None and owner not in item.get("who", (item["owner"],)):
            continue
        text = item["due"]
        seen = days_seen.get(text)
        if seen is None:
            due = dt.date.fromisoformat(text)
            seen = days_seen[text] = (due if dates else text, group_of(due, today, days))
        if not dates and seen[1] == item["group"]:
            rows.append(item)
        else:
            rows.append({**item, "due": seen[0], "group": seen[1]})
    rows.sort(key=dict_order)
    return rows


@click.command(cls=Command)
@click.option("--owner", metavar="HANDLE",
              help="Only what this person must act on: their customers, leads to review, help asked of them.")
@click.option("--days", type=click.IntRange(min=0), default=7, show_default=True,
              help="How far ahead 'this week' looks, in days.")
@click.option("--all", "show_all", is_flag=True, help="Also list what is due later than --days.")
@click.option("--format", "fmt", type=click.Choice([*FORMATS, "ics"]), default="text", show_default=True,
              help="text for people, json or csv for machines, ics for a calendar (every item, later ones too).")
@click.option("--site-url", metavar="URL", default=None,
              help="ics: the published site's address for links to customer pages (default: site_url in mkdocs.yml).")
@pass_env
def agenda(env: Env, owner: str | None, days: int, show_all: bool, fmt: str, site_url: str | None) -> None:
    """What needs a touch: overdue, due today and due in the next N days, oldest first.

    Each line says why: a next action's deadline, the grade's cadence, a new lead's first
    response, an after-sales visit, the end of a pause, or a flag (A-grade not contacted,
    unanswered calls, a competitor to answer, a reassessment, a lead to review or plan, help
    asked of a colleague). `who` is who must act (the owner unless a reviewer or helper).
    JSON: {"today", "days", "owner", "items": [{"customer_id", "name", "owner", "who", "due",
    "kind", "reason", "overdue_days", "group"}]}.

    With --format ics, the items (later ones included) as an iCalendar feed: one all-day event
    each, overdue ones shown on today, each linking to the customer's page on the site.

    \b
    Example:
        dealbook agenda --owner zhang
        dealbook agenda --days 14 --format json
        dealbook agenda --owner zhang --format ics > zhang.ics
    """
    view = env.view(agenda_spec(env.today))
    if owner is not None and owner not in view["owners"]:
        _ = translator(env.settings.language)
        raise click.BadParameter(_("no team member or owner %(owner)s; members: %(members)s", owner=repr(owner),
                                   members=_.pgettext("enumeration", ", ").join(view["members"])),
                                 param_hint="--owner")
    if not env.at:
        env.warn_left_out(view["ids"])
    rows = select_items(view, env.today, owner, days, dates=fmt in ("ics", "csv"))
    if fmt == "ics":
        echo_utf8(agenda_ics(env, view, rows, owner, site_url))
        return
    if not show_all:
        rows = [r for r in rows if r["group"] != "later"]
    if fmt == "json":
        click.echo(to_json({"today": env.today, "days": days, "owner": owner, "items": rows}))
        return
    if fmt == "csv":
        click.echo(to_csv(rows, COLUMNS), nl=False)
        return
    _ = translator(env.settings.language)
    if not rows:
        click.echo(_("Nothing due up to %(days)s days after %(today)s.", days=days, today=env.today), err=True)
        return
    headers = [_("Due"), _.pgettext("agenda", "Late"), _("ID"), _.pgettext("agenda", "Customer"),
               _.pgettext("agenda", "For"), _.pgettext("agenda", "Why")]
    blocks = []
    for group in GROUPS:
        in_group = [r for r in rows if r["group"] == group]
        if not in_group:
            continue
        title = _.pgettext("agenda group", TITLES[group], days=days) if group == "week" else \
            _.pgettext("agenda group", TITLES[group])
        cells = [[r["due"], _("%(days)sd", days=r["overdue_days"]) if r["overdue_days"] else "", r["customer_id"],
                  r["name"], ", ".join(r.get("who") or (r["owner"],)), r["reason"]] for r in in_group]
        styles = [{"fg": "red"} if group == "overdue" else None for _row in in_group]
        counted = items_for_customers(_, len(in_group), len({r["customer_id"] for r in in_group}))
        heading = click.style(f"{title} ({counted})", bold=True)
        blocks.append(heading + "\n" + table(cells, headers, right=[1], styles=styles))
    click.echo("\n\n".join(blocks))


def agenda_ics(env: Env, view: dict[str, Any], rows: list[dict[str, Any]], owner: str | None,
               site_url: str | None) -> bytes:
    """The rows as the calendar feed the site publishes for `owner` (the team when None)."""
    from ...reports.calendar import agenda_calendar, calendar_domain, calendar_name

    config = env.site_config(site_url)
    # the team of the revision the agenda is of (--at reads it as a whole already), else the team file alone
    names = ({handle: m.name for handle, m in env.book().members.items() if m.name} if env.at
             else member_names(env.repo))
    fields = {f.name for f in dataclasses.fields(AgendaItem)}
    items = [AgendaItem(**{k: v for k, v in row.items() if k in fields}) for row in rows]
    title = env.settings.site_title
    return agenda_calendar(items, env.today, name=calendar_name(title, owner, names, env.settings.language),
                           language=env.settings.language, timezone=env.settings.timezone,
                           link=config.customer_link, owner_name=lambda h: names.get(h, h),
                           domain=calendar_domain(config.site_url))



def member_names(repo: str) -> dict[str, str]:
    """Handle → name from records/team.yaml (empty when it cannot be read)."""
    import os

    from ...records.load import load_file
    from ...records.model import TEAM_FILE, members_from_data

    loaded = load_file(os.path.join(repo, TEAM_FILE), TEAM_FILE)
    if loaded.error is not None:
        return {}
    return {handle: member.name for handle, member in members_from_data(loaded.data).items() if member.name}
