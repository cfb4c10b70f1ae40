"""The figures of the dashboard, the board and the data-quality chase lists: each says what it counts."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from ..records.deals import deal_desk, needs_margin_approval
from ..reports.receivables import open_instalments
from ..rules.deals import standing_quote
from ..text.catalog import translator
from .rows import customer_row, first_won, won_value
from .views import SiteData, periods_for

GRADES = ("A", "B", "C")
BOARD_CARDS = 60  # cards per board column; the column's totals always count every deal


def count(values: Iterable[str]) -> dict[str, int]:
    counted: dict[str, int] = defaultdict(int)
    for v in values:
        counted[v] += 1
    return dict(counted)


def owners(data: SiteData) -> list[tuple[str, str, int]]:
    """(handle, name, customer count) for every member and every owner named in a record."""
    counts = count(c.owner for c in data.customers)
    handles = list(data.book.members) + sorted(h for h in counts if h not in data.book.members and h)
    return [(h, data.member_name(h), counts.get(h, 0)) for h in handles]


def open_figures(data: SiteData, owner: str | None = None) -> dict[str, Any]:
    """The open pipeline as the pipeline report counts it: open deals as of today (by stage history),
    how many carry an amount, their amount, and the amount weighted by each stage's probability
    from the settings."""
    settings = data.settings
    deals = priced = 0
    amount = weighted = 0.0
    for customer, stage in data.open_deals:
        if owner is not None and customer.owner != owner:
            continue
        deals += 1
        if customer.deal_amount is not None:
            priced += 1
            amount += customer.deal_amount
            weighted += customer.deal_amount * settings.stage_by_key[stage].probability
    return {"deals": deals, "priced": priced, "unpriced": deals - priced, "amount": amount,
            "weighted": round(weighted)}


def won_in(data: SiteData, period_key: str, owner: str | None = None) -> tuple[int, int]:
    """(customers first won in the period, what they signed)."""
    start, end, _ = periods_for(data.today)[period_key]
    found = [won_value(c) for c in data.customers
             if (owner is None or c.owner == owner) and (day := first_won(data, c)) is not None
             and start <= day <= end]
    return len(found), sum(found)


def receivables_figures(data: SiteData, owner: str | None = None) -> dict[str, Any]:
    """Money still owed on contract instalments as of today (the receivables report's rows):
    overdue, due within `deal_desk.payment_warn_days`, and all outstanding, each with its count."""
    warn = deal_desk(data.settings).payment_warn_days
    rows = [r for r in open_instalments(data.book, data.today) if owner is None or r["owner"] == owner]
    overdue = [r for r in rows if r["days_overdue"] > 0]
    soon = [r for r in rows if r["days_overdue"] == 0 and (r["due"] - data.today).days <= warn]
    return {"overdue": sum(r["outstanding"] for r in overdue), "overdue_count": len(overdue),
            "soon": sum(r["outstanding"] for r in soon), "soon_count": len(soon), "warn_days": warn,
            "outstanding": sum(r["outstanding"] for r in rows), "count": len(rows)}


def awaiting_approval(data: SiteData, owner: str | None = None) -> list[dict[str, Any]]:
    """The standing quotes of open deals below the margin floor without their `margin` approval
    (`rules.deals.standing_quote`: not one from before a re-opening), largest first: customer, quote
    number, amount, margin and who may approve."""
    settings = data.settings
    desk = deal_desk(settings)
    _ = translator(settings.language)
    found = []
    for customer in data.customers:
        if owner is not None and customer.owner != owner:
            continue
        state = data.state(customer.id)
        quote = standing_quote(customer, settings, data.today, state.reopened if state is not None else None)
        if quote is not None and needs_margin_approval(quote, desk, data.today):
            found.append({"id": customer.id, "name": customer.name, "owner": customer.owner, "no": quote.no,
                          "amount": quote.amount, "margin": quote.effective_margin,
                          "who": desk.who_label("margin", _)})
    found.sort(key=lambda q: (-(q["amount"] or 0), q["id"]))
    return found


def dashboard(data: SiteData) -> dict[str, Any]:
    """The home page figures."""
    settings = data.settings
    overdue = overdue_customers = due_week = due_week_customers = None
    overdue_kinds: list[tuple[str, int]] = []
    if data.agenda is not None:
        late = [item for item in data.agenda if item.group == "overdue"]
        overdue, overdue_customers = len(late), len({item.customer_id for item in late})
        overdue_kinds = sorted(count(item.kind for item in late).items(), key=lambda kv: (-kv[1], kv[0]))
        soon = [item for item in data.agenda if item.group in ("today", "week")]
        due_week, due_week_customers = len(soon), len({item.customer_id for item in soon})
    rows = [customer_row(data, c) for c in data.customers]
    by_stage: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        by_stage[row["stage"]].append(row)
    stages = [(s.key, s.kind, len(by_stage[s.key]),
               sum(r["amount"] or 0 for r in by_stage[s.key]) if s.kind == "open" else None)
              for s in settings.stages]
    conversion = data.report("funnel", "this-month") if data.reports and "funnel" in data.reports else None
    reach = data.report("stage-reach", "trailing-12") if data.reports and "stage-reach" in data.reports else None
    return {
        "open": open_figures(data),
        "probabilities": [(s.key, s.probability) for s in settings.stages if s.kind == "open"],
        "won_month": won_in(data, "this-month"),
        "won_quarter": won_in(data, "this-quarter"),
        "overdue": overdue, "overdue_customers": overdue_customers, "overdue_kinds": overdue_kinds,
        "due_week": due_week, "due_week_customers": due_week_customers,
        "conversion": conversion,
        "reach": reach,
        "month": periods_for(data.today)["this-month"][2],
        "grades": count(r["grade"] for r in rows if r["grade"]),
        "stages": stages,
        "owners": owners(data),
        "reports": sorted((data.reports or {}).keys()),
        "today": data.today,
        "risks": risk_groups(data),
        "receivables": receivables_figures(data),
        "awaiting": awaiting_approval(data),
        "margin_floor": deal_desk(settings).margin_floor,
        "changes": feed_summary(data),
        "overdue_delta": overdue_delta(data, overdue),
    }


def overdue_delta(data: SiteData, now: int | None) -> dict[str, int] | None:
    """The overdue card's week-over-week change: the agenda's overdue items today against the end of
    the day before the what-changed window (the book replayed to that day, git/replay)."""
    before = data.overdue_before if now is not None else None
    if before is None or now is None:
        return None
    return {"now": now, "before": before, "change": now - before}


def chase(data: SiteData) -> dict[str, list[dict[str, Any]]]:
    """Open deals a manager must chase for data: no amount, no expected close date, close date passed."""
    rows = [customer_row(data, customer) for customer, _ in data.open_deals]
    return {
        "missing_amount": [r for r in rows if r["amount"] is None],
        "missing_close": [r for r in rows if data.book.customers[r["id"]].close_by is None],
        "close_passed": sorted((r for r in rows if r["close_passed"]), key=lambda r: (r["close_by"], r["id"])),
    }


def board(data: SiteData) -> dict[str, Any]:
    """One column per open stage (the pipeline report's stages and deals): its count, amount and cards."""
    settings = data.settings
    columns: dict[str, dict[str, Any]] = {
        s.key: {"stage": s.key, "probability": s.probability, "cards": [], "count": 0, "priced": 0, "amount": 0}
        for s in settings.stages if s.kind == "open"}
    for customer, stage in data.open_deals:
        column = columns.get(stage)
        if column is None:
            continue
        row = customer_row(data, customer)
        column["cards"].append(row)
        column["count"] += 1
        if customer.deal_amount is not None:
            column["priced"] += 1
            column["amount"] += customer.deal_amount
    for column in columns.values():
        column["cards"].sort(key=lambda r: (-(r["amount"] or 0), r["id"]))
        column["more"] = max(0, len(column["cards"]) - BOARD_CARDS)  # the rest: on the stage's own page
        column["cards"] = column["cards"][:BOARD_CARDS]
        column["weighted"] = round(column["amount"] * column["probability"])
    return {"columns": list(columns.values()), "open": open_figures(data)}


# Agenda items that also put a deal at risk (quotes and contracts): their kind is the reason code.
AGENDA_RISKS = ("instalment_overdue", "quote_expired", "quote_expiring")


@dataclass(frozen=True)
class AgendaRisk:
    """An agenda item shown as an at-risk reason (same fields the template reads from rules.risk.Risk)."""

    customer_id: str
    owner: str
    code: str
    message: str


def risk_groups(data: SiteData, owner: str | None = None) -> list[dict[str, Any]] | None:
    """The at-risk list, one entry per deal with all its reasons, largest deals first: the rules'
    at-risk reasons plus the agenda's overdue instalments and expired or expiring quotes."""
    if data.risks is None:
        return None
    everyone, by_owner = _risk_reasons(data)
    groups: dict[str, dict[str, Any]] = {}
    for risk in everyone if owner is None else by_owner.get(owner, ()):
        if risk.customer_id not in data.book.customers:
            continue
        group = groups.get(risk.customer_id)
        if group is None:
            row = customer_row(data, data.book.customers[risk.customer_id])
            group = groups[risk.customer_id] = {
                "id": row["id"], "name": row["name"], "owner": row["owner"], "owner_name": row["owner_name"],
                "stage": row["stage"], "amount": row["amount"], "row": row, "reasons": []}
        group["reasons"].append(risk)
    return sorted(groups.values(), key=lambda g: (g["amount"] is None, -(g["amount"] or 0), g["id"]))


def _risk_reasons(data: SiteData) -> tuple[list[Any], dict[Any, list[Any]]]:
    """Every at-risk reason, and each owner's, in one order: found once per build for the team's
    list and every owner's."""
    key = ("risk-reasons",)
    if key not in data.computed_reports:
        reasons: list[Any] = list(data.risks or ())
        # rules.risk lists the quote and instalment reasons itself now: the agenda's only fill in where it does not
        known = {(r.customer_id, r.code) for r in reasons}
        reasons += [AgendaRisk(i.customer_id, i.owner, i.kind, i.reason) for i in data.agenda or ()
                    if i.kind in AGENDA_RISKS and (i.kind != "instalment_overdue" or i.group == "overdue")
                    and (i.customer_id, i.kind) not in known]
        by_owner: dict[Any, list[Any]] = {}
        for risk in reasons:
            by_owner.setdefault(risk.owner, []).append(risk)
        data.computed_reports[key] = (reasons, by_owner)
    return data.computed_reports[key]  # type: ignore[no-any-return]


def feed_summary(data: SiteData, owner: str | None = None) -> dict[str, Any] | None:
    """The what-changed window: its events (of `owner`'s customers when given) and, per event kind,
    the count now and in the window before."""
    feed = data.feed
    if feed is None:
        return None
    events = [e for e in feed.events if owner is None or e.owner == owner]
    kinds = [d for d in feed.deltas if d.key not in ("won_amount", "open_deals", "open_amount", "weighted_amount")]
    return {"feed": feed, "events": events, "kinds": kinds if owner is None else None,
            "deltas": {d.key: d for d in feed.deltas}}
