"""`dealbook quote ID`: add a quote (报价单) with its lines; the amounts, total and margin are computed."""

from __future__ import annotations

import datetime as dt
from typing import Any

import click

from ...editing.edits import Change, parse_money
from ...editing.roundtrip import EditError
from ...records.dates import parse_date
from ...records.deals import deal_desk, needs_margin_approval, quote_from
from ...text.catalog import Translator, translator
from ...text.money import money
from ...text.numbers import percent
from ..click_words import Command
from ..context import Env, pass_env
from .edit_flow import finish, interactive, open_customer, retrying, working_book

LINE_FORM = "ITEM|SPEC|QUANTITY|UNIT_PRICE[|UNIT_COST]"
LINE_EXAMPLE = "'视觉检测工位|VX-200|2|120000|80000'"
LINE_HELP = f"{LINE_FORM}, e.g. {LINE_EXAMPLE}"


def parse_line(text: str, _: Translator) -> dict[str, Any]:
    """One `--line` value as a quote line with its amount (quantity × unit price); refused in the
    translator's language."""
    parts = [p.strip() for p in text.split("|")]
    if len(parts) not in (4, 5) or not parts[0]:
        raise click.BadParameter(_("`%(text)s`: write %(form)s, e.g. %(example)s", text=text, form=LINE_FORM,
                                   example=LINE_EXAMPLE), param_hint="--line")
    item, spec, quantity_text, price_text = parts[:4]
    try:
        quantity: float | int = float(quantity_text) if "." in quantity_text else int(quantity_text)
    except ValueError:
        raise click.BadParameter(_("`%(text)s` is not a quantity", text=quantity_text), param_hint="--line") from None
    if quantity < 0:
        raise click.BadParameter(_("`%(text)s`: a quantity is not negative", text=quantity_text), param_hint="--line")
    try:
        price = parse_money(price_text, _("unit price"), _)
        cost = parse_money(parts[4], _("unit cost"), _) if len(parts) == 5 and parts[4] else None
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--line") from None
    line: dict[str, Any] = {"item": item}
    if spec:
        line["spec"] = spec
    line.update(quantity=quantity, unit_price=price, amount=round(quantity * price))
    if cost is not None:
        line["unit_cost"] = cost
    return line


def _ask_lines(_: Translator) -> list[dict[str, Any]]:
    """The quote's lines, asked for on a terminal in the translator's language."""
    lines = []
    while True:
        item = click.prompt(_("Item (empty to finish)"), default="", show_default=False).strip()
        if not item:
            return lines
        spec = click.prompt("  " + _("Spec"), default="", show_default=False).strip()
        quantity = click.prompt("  " + _("Quantity"), default="1")
        price = click.prompt("  " + _("Unit price (plain integer)"))
        cost = click.prompt("  " + _("Unit cost (plain integer, empty if unknown)"), default="", show_default=False)
        lines.append(parse_line("|".join([item, spec, quantity, price, cost]), _))


def build_quote(number: str, day: dt.date, lines: list[dict[str, Any]], valid_until: dt.date,
                cost: int | None, margin: float | None, delivery: str | None, terms: str | None,
                draft: bool) -> dict[str, Any]:
    """The quote mapping as written to the file: total = the lines' sum; cost from the lines'
    unit costs when every line has one; margin = (total − cost) / total when the cost is known."""
    total = sum(line["amount"] for line in lines)
    if cost is None and lines and all("unit_cost" in line for line in lines):
        cost = sum(round(line["quantity"] * line["unit_cost"]) for line in lines)
    if margin is None and cost is not None and total > 0:
        margin = round((total - cost) / total, 4)
    quote: dict[str, Any] = {"no": number, "date": day.isoformat()}
    if draft:
        quote["status"] = "draft"
    quote.update(valid_until=valid_until.isoformat(), lines=lines, total=total)
    if cost is not None:
        quote["cost"] = cost
    if margin is not None:
        quote["margin"] = margin
    if delivery:
        quote["delivery"] = delivery
    if terms:
        quote["payment_terms"] = terms
    return quote


@click.command(cls=Command)
@click.argument("customer_id", metavar="ID")
@click.option("--line", "lines", multiple=True, metavar="LINE", help=f"A line item, repeatable: {LINE_HELP}.")
@click.option("--no", "number", help="Quote number (default: ID-Q and the next number, e.g. 粤IT2024001-Q2).")
@click.option("--date", "day", metavar="YYYY-MM-DD", help="Date of the quote (default: today).")
@click.option("--valid-until", metavar="YYYY-MM-DD", help="Last day the quote is valid.")
@click.option("--valid-days", type=click.IntRange(min=1), default=30, show_default=True,
              help="Days valid from the quote date, when --valid-until is not given.")
@click.option("--cost", help="Cost of the whole quote, a plain integer (else from the lines' unit costs).")
@click.option("--margin", type=click.FloatRange(0, 1), help="Gross margin 0–1, when the cost is not given.")
@click.option("--delivery", help="Delivery time, e.g. 签约后6周.")
@click.option("--payment-terms", "terms", help="Payment terms, e.g. 30%预付,60%到货,10%验收.")
@click.option("--draft", is_flag=True, help="Keep it a draft (not yet sent); a quote below the margin floor "
                                            "without approval is always written as a draft.")
@click.option("--interactive/--no-interactive", "ask", default=None,
              help="Ask for the lines (default: when stdin is a terminal and no --line is given).")
@click.option("--dry-run", is_flag=True, help="Show the diff; write nothing.")
@pass_env
def quote(env: Env, customer_id: str, lines: tuple[str, ...], number: str | None, day: str | None,
          valid_until: str | None, valid_days: int, cost: str | None, margin: float | None,
          delivery: str | None, terms: str | None, draft: bool, ask: bool | None, dry_run: bool) -> None:
    """Add a quote to customer ID: lines, total, cost and margin, validity, delivery and payment terms.

    Each line's amount is quantity × unit price and the total is their sum; with unit costs
    (or --cost) the margin is worked out. A margin below `deal_desk.margin_floor` needs an
    approval first: the quote is written as a draft and the approvers are named. The edit
    keeps the file's comments and layout, is checked first and written atomically.

    \b
    Example:
        dealbook quote 粤IT2024001 --line "视觉检测工位|VX-200|2|120000|80000" \\
            --line "实施服务|20 人天|20|3000|1000" --valid-days 30 --delivery 签约后6周
        dealbook quote 粤IT2024001 --line "MES 软件许可|200 工位|1|860000" --cost 600000 --dry-run
    """
    settings = env.settings
    _ = translator(settings.language)
    when = parse_date(day) if day else env.today
    if when is None:
        raise click.BadParameter(_("`%(day)s` is not a date: write YYYY-MM-DD", day=day), param_hint="--date")
    if not valid_until and valid_days > (dt.date.max - when).days:
        raise click.BadParameter(_("%(days)s days from %(day)s is past the year 9999", days=valid_days, day=when),
                                 param_hint="--valid-days")
    until = parse_date(valid_until) if valid_until else when + dt.timedelta(days=valid_days)
    if until is None or until < when:
        raise click.BadParameter(_("`%(day)s` is not a date on or after the quote date", day=valid_until),
                                 param_hint="--valid-until")
    parsed = [parse_line(text, _) for text in lines]
    if not parsed and interactive(ask):
        parsed = _ask_lines(_)
    if not parsed:
        raise click.UsageError(_("a quote needs at least one --line %(form)s, e.g. %(example)s", form=LINE_FORM,
                                 example=LINE_EXAMPLE))
    try:
        whole_cost = parse_money(cost, _("cost"), _) if cost else None
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--cost") from None
    if whole_cost is not None and margin is not None:
        raise click.UsageError(_("give --cost or --margin, not both: the margin is worked out from the cost"))
    def attempt():  # read, add the quote, check and write: again when the file changed meanwhile
        book = working_book(env, [customer_id])
        path, doc = open_customer(env, book, customer_id)
        customer = book.customers_by_path[path]
        existing = doc.get("quotes") or []
        given = number or f"{customer.id}-Q{len(existing) + 1}"
        if any(isinstance(q, dict) and q.get("no") == given for q in existing):
            raise click.ClickException(_("%(id)s already has a quote %(no)s; pick another --no", id=customer.id,
                                         no=given))
        data = build_quote(given, when, parsed, until, whole_cost, margin, delivery, terms, draft)
        desk = deal_desk(settings)
        below = needs_margin_approval(quote_from(len(existing), data), desk)
        if below and "status" not in data:
            data = {"no": data["no"], "date": data["date"], "status": "draft",
                    **{k: v for k, v in data.items() if k not in ("no", "date")}}
        try:
            doc.append("quotes", data)
        except EditError as exc:
            raise click.ClickException(f"{path}: {exc.text(_)}") from None
        written = finish(env, book, [Change(path, doc.source, doc.dumps())], dry_run)
        return written, customer, given, data, path, below, desk

    written, customer, number, data, path, below, desk = retrying(attempt)
    if not written:
        return
    _ = translator(env.settings.language)
    shown = percent(data['margin']) if "margin" in data else _("unknown (give --cost or unit costs)")
    total = money(data["total"], env.settings.currency)
    click.echo(_("%(id)s: quote %(no)s added (%(path)s): total %(total)s, margin %(margin)s, valid until %(day)s",
                 id=customer.id, no=number, path=path, total=total, margin=shown, day=data["valid_until"]))
    if below:
        who = desk.who_label("margin", _) if desk.who_may("margin") else \
            _("nobody (set deal_desk.approvers.margin)")
        click.echo(_("margin below the %(floor)s floor: kept as a draft until one of (%(who)s) adds "
                     "`{step: margin, by: HANDLE, on: YYYY-MM-DD}` under its approvals and commits it",
                     floor=percent(desk.margin_floor), who=who), err=True)
