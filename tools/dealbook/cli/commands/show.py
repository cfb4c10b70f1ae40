"""`dealbook show ID`: one customer at a glance — facts, contacts, need, stages, follow-ups, due, grade, flags."""

from __future__ import annotations

import dataclasses
from typing import Any

import click

from ...records.book import Book
from ...records.losses import losses
from ...records.model import Customer
from ...records.settings import Settings
from ...rules.dealview import contracts_view, needs_table, quotes_view
from ...rules.grading import has_grade
from ...rules.reopening import since_reopening
from ...rules.state import CustomerState, evaluate
from ...rules.thresholds import followups_until
from ...text.catalog import Translator, translator
from ...text.enums import enum_label
from ...text.output import DASH, money, pad, percent, plain, table, to_json
from ..click_words import Command
from ..context import Env, pass_env
from .customers import find_customer

RECENT = 5


def show_payload(book: Book, customer: Customer, state: CustomerState, today) -> dict[str, Any]:
    """Everything `show` prints, as plain data (the JSON form)."""
    settings = book.settings
    counted = followups_until(book, customer.id, today)
    # a next action planned before a re-opening is not open any more (nor due: `rules.reopening`)
    current = since_reopening(counted, state.reopened)
    latest = current[-1] if current else None
    recent = counted[-RECENT:][::-1]
    member = book.members.get(customer.owner)
    return {
        "id": customer.id,
        "name": customer.name,
        "today": today,
        "path": customer.path,
        "stage": customer.stage,
        "stage_label": settings.stage_label(customer.stage),
        "owner": customer.owner,
        "owner_name": member.name if member else None,
        "support": list(customer.support),
        "industry": customer.industry,
        "region": customer.region,
        "size": customer.data.get("size"),
        "source": customer.data.get("source"),
        "lead_type": customer.lead_type or None,
        "created": customer.created,
        "last_contact": state.last_contact,
        "contacts": [dataclasses.asdict(c) for c in customer.contacts],
        "decision_chain": customer.data.get("decision_chain"),
        "need": customer.data.get("need"),
        "deal": customer.data.get("deal"),
        "stage_history": _timeline(customer, settings),
        "followups": [{"at": f.at.strftime("%Y-%m-%d %H:%M") if f.at else None, "method": f.method, "by": f.by,
                       "contact": f.contact or None, "outcome": f.outcome, "summary": f.summary,
                       "objections": list(f.objections), "path": f.path} for f in recent],
        "followup_count": len(counted),
        "next_actions": [{"action": n.action, "due": n.due, "owner": n.owner or None,
                          "overdue": n.due is not None and n.due < today} for n in (latest.next if latest else ())],
        "due": {"date": state.due.date, "kind": state.due.kind, "reason": state.due.reason,
                "overdue_days": state.due.overdue_days},
        "grade": {"letter": state.grade.letter, "score": state.grade.score, "computed": state.grade.computed,
                  "override": state.grade.override, "downgraded": state.grade.downgraded,
                  "reasons": [dataclasses.asdict(r) for r in state.grade.reasons]},
        "paused_until": state.paused_until,
        "value_tier": state.value_tier,
        "flags": [dataclasses.asdict(f) for f in state.flags],
        "needs": needs_table(customer.data),
        "quotes": quotes_view(customer, settings, today),
        "contracts": contracts_view(customer, settings, today),
        "deal_items": [dataclasses.asdict(i) for i in state.deals],
        "lost": customer.data.get("lost"),
        "tags": list(customer.tags),
    }


def _timeline(customer: Customer, settings: Any) -> list[dict[str, Any]]:
    """The stage history; a loss carries the reason and note of that loss (`records.losses`; None
    when the record does not hold them, as for a loss re-opened before each loss kept its own)."""
    lost = {loss.index: loss for loss in losses(customer, settings)}
    out = []
    for i, e in enumerate(customer.stage_history):
        item: dict[str, Any] = {"stage": e.stage, "label": settings.stage_label(e.stage), "on": e.on}
        if i in lost:
            item.update(reason=lost[i].reason or None, note=lost[i].note or None)
        out.append(item)
    return out


LABEL_COLUMNS = 14  # the labels' column (display width: a Chinese character takes two)


def _line(label: str, value: Any) -> str:
    return f"  {pad(label, LABEL_COLUMNS)} {plain(value) if value not in (None, '', []) else DASH}"


def _overdue_red(line: str, overdue: str | None) -> str:
    """The line with its overdue date in red: coloured after `_line` has shown the record's text safe,
    or the colour's own escape codes would be shown as text (`<U+001B>[31m`)."""
    return line.replace(overdue, click.style(overdue, fg="red"), 1) if overdue else line


def _grade_text(data: dict[str, Any], settings: Settings, _: Translator) -> str:
    grade = data["grade"]
    if not has_grade(settings, data["stage"]):  # as on the site and in `customers`
        return DASH + " (" + _("grades apply to open deals only") + ")"
    letter = grade["letter"] + ("*" if grade["override"] else "")
    if grade["override"]:
        text = _("%(grade)s (score %(score)s, computed %(computed)s)", grade=letter, score=grade["score"],
                 computed=grade["computed"])
    else:
        text = _("%(grade)s (score %(score)s)", grade=letter, score=grade["score"])
    if grade["downgraded"]:  # the rules' own sentence: which exception, the step (A→B, C→C) and the reassessment
        why = next((r["why"] for r in grade["reasons"] if r["dimension"] == "downgrade"), "")
        text = _("%(grade)s, one step lower: %(why)s", grade=text, why=why) if why else \
            _("%(grade)s, one step lower", grade=text)
    return text


def render_text(data: dict[str, Any], book: Book) -> str:
    cur = book.settings.currency  # every amount is written in it (`text.money`)
    settings = book.settings
    out = [click.style(plain(f"{data['id']}  {data['name']}"), bold=True)]
    _ = translator(settings.language)

    def label(group: str, key: Any) -> str:  # a key's label in the team's language, as on the site
        return enum_label(_, group, key) if isinstance(key, str) else key
    due = data["due"]
    due_text = DASH if due["date"] is None else str(due["date"])
    if due["overdue_days"]:
        due_text = _.ngettext("%(day)s, overdue %(num)d day", "%(day)s, overdue %(num)d days", due["overdue_days"],
                              day=due_text)
    since = data["stage_history"][-1]["on"] if data["stage_history"] else None
    stage = f"{data['stage_label']} ({data['stage']})"  # the key too: what `move` and `--stage` take
    owner = data["owner"] + (f" ({data['owner_name']})" if data["owner_name"] else "")
    if data["support"]:
        owner = _("%(owner)s; support: %(support)s", owner=owner, support=", ".join(data["support"]))
    source = data["source"] or {}
    channel = settings.label("source_channels", source.get("channel", "")) if source.get("channel") else None
    out += [
        _line(_("Stage"), _("%(stage)s since %(day)s", stage=stage, day=since) if since else stage),
        _line(_("Grade"), _grade_text(data, settings, _)),
        _overdue_red(_line(_("Next due"), f"{due_text} — {due['reason']}"),
                     due_text if due["overdue_days"] else None),
        _line(_("Owner"), owner),
        _line(_("Industry"), data["industry"]),
        _line(_("Region"), data["region"]),
        _line(_("Source"), " — ".join(x for x in (channel, source.get("detail")) if x)),
        _line(_("Created"), data["created"]),
        _line(_("Last contact"), data["last_contact"]),
    ]
    if data["paused_until"]:
        out.append(_line(_("Paused until"), data["paused_until"]))
    if data["value_tier"]:
        out.append(_line(_.pgettext("customer", "Value tier"), label("tier", data["value_tier"])))
    for flag in data["flags"]:
        out.append(click.style(_line(_("Flag"), flag["message"]), fg="yellow"))
    need = data["need"] or {}
    budget = need.get("budget") or {}
    out += ["", click.style(_("Need"), bold=True), _line(_("Summary"), need.get("summary"))]
    if need.get("pains"):
        out.append(_line(_("Pains"), "; ".join(map(str, need["pains"]))))
    if need.get("goal"):
        out.append(_line(_("Goal"), need.get("goal")))
    budget_text = label("budget", budget.get("status")) or None
    if isinstance(budget.get("min"), int) or isinstance(budget.get("max"), int):
        budget_text = f"{budget_text or DASH} ({money(budget.get('min'), cur)}–{money(budget.get('max'), cur)})"
    out += [_line(_("Budget"), budget_text), _line(_("Timeline"), (need.get("timeline") or {}).get("start"))]
    if data["deal"]:
        out.append(_line(_("Deal"), _("%(amount)s by %(day)s", amount=money(data["deal"].get("amount"), cur),
                                      day=plain(data["deal"].get("close_by")))))
    out += ["", click.style(_.pgettext("field", "Contacts"), bold=True)]
    if data["decision_chain"]:
        out.append(_line(_("Decision chain"), data["decision_chain"]))
    if data["contacts"]:
        out.append(table([[c["name"], c["title"], label("role", c["role"]), c["phone"], c["email"]]
                          for c in data["contacts"]],
                         [_("Contact"), _("Title"), _.pgettext("contact", "Role"), _("Phone"), _("Email")]))
    if data["stage_history"]:
        rows = [[e["on"], e["label"], e["stage"]] for e in data["stage_history"]]
        headers = [_("Date"), _("Stage"), _.pgettext("stage", "Key")]
        if any("reason" in e for e in data["stage_history"]):  # each loss with its own reason
            headers.append(_("Lost reason"))
            for row, e in zip(rows, data["stage_history"], strict=True):
                why = (settings.label("lost_reasons", e["reason"]) if e["reason"] else _("not recorded")) \
                    if "reason" in e else ""
                row.append(why + (f" — {e['note']}" if e.get("note") else ""))
        out += ["", click.style(_("Stage timeline"), bold=True), table(rows, headers)]
    out += ["", click.style(_("Last follow-ups (%(shown)s of %(total)s)", shown=len(data["followups"]),
                              total=data["followup_count"]), bold=True)]
    if data["followups"]:
        out.append(table([[f["at"], label("method", f["method"]), f["contact"], label("outcome", f["outcome"]),
                           f["summary"]] for f in data["followups"]],
                         [_.pgettext("follow-up", "At"), _.pgettext("follow-up", "Method"), _("Contact"),
                          _.pgettext("follow-up", "Outcome"), _.pgettext("follow-up", "Summary")]))
    if data["next_actions"]:
        out += ["", click.style(_("Open next actions"), bold=True),
                table([[n["due"], n["action"], n["owner"]] for n in data["next_actions"]],
                      [_("Due"), _("Action"), _("Owner")],
                      styles=[{"fg": "red"} if n["overdue"] else None for n in data["next_actions"]])]
    out += _deal_sections(data, settings)
    if data["lost"]:
        lost = data["lost"]
        here = settings.stage_by_key.get(data["stage"])
        earlier = here is not None and here.kind != "lost"  # re-opened since: the loss is history
        text = settings.label("lost_reasons", lost.get("reason", ""))
        text += f" — {lost['note']}" if lost.get("note") else ""
        if earlier:
            text += " " + (_("(on %(day)s; re-opened since)", day=lost["on"]) if lost.get("on")
                           else _("(re-opened since)"))
        out += ["", _line(_("Lost before") if earlier else _.pgettext("customer", "Lost"), text)]
    return "\n".join(out)


def _list(value: Any) -> str:
    return "; ".join(map(str, value)) if isinstance(value, list) else plain(value) if value is not None else ""


def _objections(value: Any, settings: Settings, _: Translator) -> str:
    """A need's objection tags by their labels (the settings' `objection_tags`, as on the site); text as written."""
    if isinstance(value, list):
        return _.pgettext("list separator", ", ").join(settings.label("objection_tags", str(o)) for o in value)
    return _list(value)


def _approval(q: dict[str, Any], _: Translator) -> str:
    """A quote's margin approval state, in the words of the customer page."""
    if q["approval"] == "needed":
        return _("needed from %(who)s", who=q["approvers_label"] or DASH)
    if q["approval"] == "approved":
        return ", ".join(_("approved by %(who)s on %(on)s", who=a["by"], on=a["on"]) for a in q["approvals"]
                         if a["step"] == "margin")
    if q["approval"] == "not_needed":
        return _("not needed")
    return _("margin unknown")


def _deal_sections(data: dict[str, Any], settings: Settings) -> list[str]:
    """The needs-to-solution table, the quotes with margin and approval state, the contracts with
    their approvals and payments, and what they ask for now."""
    cur = settings.currency  # every amount is written in it (`text.money`)
    _ = translator(settings.language)
    out: list[str] = []
    if data["needs"]:
        out += ["", click.style(_("Needs and solutions"), bold=True),
                table([[n["need"], enum_label(_, "priority", n["priority"]) if isinstance(n["priority"], str)
                        else n["priority"], enum_label(_, "class", n["class"]) if isinstance(n["class"], str)
                        else n["class"], n["solution"], n["value"], _objections(n["objections"], settings, _),
                        _list(n["adjustments"]), n["owner"]] for n in data["needs"]],
                      [_("Need"), _("Priority"), _("Class"), _("Solution"), _.pgettext("need", "Value"),
                       _.pgettext("follow-up", "Objections"), _("Adjustments"), _("Owner")])]
    if data["quotes"]:
        rows, styles = [], []
        for q in data["quotes"]:
            valid = DASH
            if q["valid_until"]:
                expired = _("expired")
                valid = f"{q['valid_until']} ({expired})" if q["expired"] else str(q["valid_until"])
            status = enum_label(_, "quote_status", q["status"]) if isinstance(q["status"], str) else plain(q["status"])
            rows.append([q["no"], q["date"], status + ("*" if q["standing"] else ""), money(q["total"], cur),
                         percent(q["margin"]), valid, _approval(q, _)])
            styles.append({"fg": "red"} if q["approval"] == "needed" else None)
        floor = settings.raw.get("deal_desk", {}).get("margin_floor")
        heading = _("Quotes (* the standing one; margin floor %(floor)s)", floor=percent(floor))
        out += ["", click.style(heading, bold=True),
                table(rows, [_("Quote"), _("Date"), _("Status"), _("Total"), _("Margin"), _("Valid until"),
                             _("Margin approval")], right=[3, 4], styles=styles)]
        standing = next(q for q in data["quotes"] if q["standing"])
        if standing["lines"]:
            out.append(table([[li["item"], li["spec"], li["quantity"], money(li["unit_price"], cur),
                               money(li["amount"], cur)] for li in standing["lines"]],
                             [_("Item"), _("Spec"), _("Quantity"), _("Unit price"), _("Amount")], right=[2, 3, 4]))
    for c in data["contracts"]:
        facts = [_("signed %(day)s", day=plain(c["signed"]))]
        if c["delivered"]:
            facts.append(_("delivered %(day)s", day=c["delivered"]))
        if c["service_end"]:
            facts.append(_("service until %(day)s", day=c["service_end"]))
        head = _("Contract %(no)s: %(amount)s, %(facts)s", no=c["no"], amount=money(c["amount"], cur),
                 facts=_.pgettext("list separator", ", ").join(facts))
        out += ["", click.style(head, bold=True)]
        given = ", ".join(f"{a['label']} {a['by']} {a['on']}" for a in c["approvals"])
        missing = ", ".join(_("%(step)s (by %(who)s)", step=m["label"], who=m["approvers_label"] or DASH)
                            for m in c["missing_steps"])
        if given:
            out.append(_line(_("Approvals"), given))
        if missing:
            out.append(click.style(_line(_.pgettext("approvals", "Missing"), missing), fg="red"))
        if c["acceptance"]:
            a = c["acceptance"]
            result = enum_label(_, "acceptance", a["result"]) if isinstance(a["result"], str) else a["result"]
            out.append(_line(_("Acceptance"), " — ".join(plain(x) for x in (result, a["on"], a["criteria"]) if x)))
        if c["payments"]:
            overdue = _.pgettext("instalment", "overdue")
            out.append(table([[p["due"], money(p["amount"], cur), p["received_on"] or DASH, money(p["received"], cur),
                               money(p["outstanding"], cur), overdue if p["overdue"] else "", p["note"]]
                              for p in c["payments"]],
                             [_("Due"), _("Amount"), _("Received on"), _("Received"), _("Outstanding"), "", _("Note")],
                             right=[1, 3, 4], styles=[{"fg": "red"} if p["overdue"] else None for p in c["payments"]]))
    if data["deal_items"]:
        out += ["", click.style(_("What quotes and contracts ask for"), bold=True)]
        out += [_line(str(i["due"]), i["message"]) for i in data["deal_items"]]
    return out


@click.command(cls=Command)
@click.argument("ident", metavar="ID")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True,
              help="text for people, json for machines.")
@pass_env
def show(env: Env, ident: str, fmt: str) -> None:
    """One customer at a glance: facts, contacts and decision chain, need and budget, stage
    timeline, the last five follow-ups, open next actions, due date, grade, flags, value tier,
    the needs-to-solution table, quotes with margin and approval state, and contracts with
    their approvals and payments.

    ID is a customer id (or an exact name); an unknown id lists close matches and exits 1.

    \b
    Example:
        dealbook show 粤IT2024001
        dealbook show 粤IT2024001 --format json
    """
    book = env.book()
    customer = find_customer(book, ident)
    state = evaluate(book, env.today)[customer.id]
    data = show_payload(book, customer, state, env.today)
    click.echo(to_json(data) if fmt == "json" else render_text(data, book))
