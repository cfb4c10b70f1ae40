"""The generated pages: where each lives, its title, template and the data its template shows."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ..checks import privacy
from ..records.losses import losses
from ..records.model import Customer
from ..rules.agenda import WEEK_DAYS
from ..rules.dealview import contracts_view, quotes_view
from ..text.catalog import N_
from . import charts, reviews
from . import dashboard as figures
from . import rows as rows_module
from .formats import money, percent
from .urls import Urls
from .views import SNAPSHOT, SiteData, month_start, periods_for

GRADES = figures.GRADES
CHANGES_SHOWN = 50


@dataclass(frozen=True)
class PageSpec:
    """A page to generate: `context()` is called only when MkDocs renders it."""

    src_uri: str
    title: str
    template: str
    context: Callable[[], dict[str, Any]]
    nav: str | None = None  # the nav section it is listed under; None: not in the nav
    edit_path: str | None = None  # repo-relative record file the edit link opens
    search: bool = True
    customer: str | None = None  # a customer page: the customer's id (its inputs key, reuse.py)


# --- rows and figures (rows.py, dashboard.py) ------------------------------------------------------

customer_row = rows_module.customer_row
customer_rows = rows_module.customer_rows
dashboard = figures.dashboard
_attr = rows_module.attr
_owners = figures.owners


def report_chart(data: SiteData, report: Any) -> Any:
    """The report's chart: bars of its `chart_key` column (else its first number column) per row,
    labelled by its first text column; the title names the column drawn. A line for `line` reports."""
    if report is None or not report.rows:
        return None
    kind = getattr(report, "chart", None) or "bar"
    text = next((c for c in report.columns if c.kind in ("text", "date") and c.key != "id"), None)
    numbers = [c for c in report.columns if c.kind in ("int", "money", "days")]
    if text is None or not numbers:
        return None
    _ = data.labels.text

    def label(row: dict[str, Any]) -> str:
        value = row.get(text.key)
        if text.values and isinstance(value, str):
            value = text.values.get(value, value)
        return "" if value is None else str(value)

    if kind == "reach":  # the funnel of a cohort: customers who reached each stage, with each step's rate
        steps = [_("%(rate)s of the stage before", rate=percent(r["step"])) if r.get("step") is not None else ""
                 for r in report.rows]
        return charts.funnel_chart([(label(r), r.get("reached") or 0) for r in report.rows], report.title,
                                   empty=_("No data"), steps=steps)
    if kind == "line":
        series = [(c.label, [row.get(c.key) or 0 for row in report.rows]) for c in numbers[:3]]
        return charts.line_chart([label(r) for r in report.rows], series, report.title, empty=_("No data"))
    key = getattr(report, "chart_key", None)
    first = next((c for c in numbers if c.key == key), numbers[0])
    fmt = (lambda v: _money(data, v)) if first.kind == "money" else charts._number
    title = report.title.split(" · ")[0]
    return charts.bar_chart([(label(r), r.get(first.key) or 0) for r in report.rows], f"{title} · {first.label}",
                            fmt=fmt, empty=_("No data"))


def _money(data: SiteData, value: float) -> str:
    return money(value, data.settings.currency)


# --- the customer page ------------------------------------------------------------------------------


def _recorded(data: SiteData, followups: list[Any]) -> dict[str, dict[str, Any]]:
    """Per follow-up path: when it was recorded (first committed) and whether that was late.

    Conversations before entry_deadlines.since are left out: their commit time is when the
    history was brought in, which a reader would take for a late entry."""
    commits = data.first_commits
    if not commits:
        return {}
    from ..reports.activity import EntryDeadlines

    deadlines = EntryDeadlines.of(data.settings)

    found = {}
    for followup in followups:
        when = commits.get(followup.path)
        if when is not None and followup.at is not None and deadlines.judged(followup.at):
            found[followup.path] = {"when": when.replace(tzinfo=None),
                                    "late": deadlines.late(followup.at, when)}
    return found


def customer_page(data: SiteData, customer: Customer) -> dict[str, Any]:
    """Everything the customer page shows."""
    settings = data.settings
    state = data.state(customer.id)
    mask = bool(settings.site.get("mask_contacts"))
    contacts = [
        {"name": c.name, "title": c.title, "role": c.role, "phone_kind": c.phone_kind,
         "phone": privacy.mask(c.phone) if mask and c.phone else c.phone,
         "email": privacy.mask(c.email) if mask and c.email else c.email}
        for c in customer.contacts
    ]
    followups = list(reversed(data.book.followups_of(customer.id)))
    latest = followups[0] if followups else None
    history = []
    entries = list(customer.stage_history)
    lost = {loss.index: loss for loss in losses(customer, settings)}  # each loss with its own reason
    for i, entry in enumerate(entries):
        following = entries[i + 1].on if i + 1 < len(entries) else None
        end = following or (data.today if not settings.is_won(entry.stage) and settings.is_open(entry.stage) else None)
        days = (end - entry.on).days if end and entry.on else None
        history.append({"stage": entry.stage, "on": entry.on, "days": days, "loss": lost.get(i)})
    recorded = _recorded(data, followups)
    changes = None
    if data.changelog is not None:
        from ..git.changelines import change_line

        changes = [change._replace(summary=change_line(change, settings))
                   for change in list(reversed(data.changelog.get(customer.id) or []))[:CHANGES_SHOWN]]
    need = customer.get("need") if isinstance(customer.get("need"), dict) else {}
    return {
        "c": customer,
        "d": customer.data,
        "row": customer_row(data, customer),
        "state": state,
        "grade": _attr(state, "grade"),
        "due": _attr(state, "due"),
        "flags": list(_attr(state, "flags", ()) or ()),
        "value_tier": _attr(state, "value_tier"),
        "paused_until": _attr(state, "paused_until") or customer.paused_until,
        "owner_name": data.member_name(customer.owner),
        "support": [(h, data.member_name(h)) for h in customer.support],
        "contacts": contacts,
        "need": need,
        "budget": need.get("budget") if isinstance(need.get("budget"), dict) else {},
        "needs": [n for n in (customer.get("needs") or []) if isinstance(n, dict)],
        "history": history,
        "quotes": quotes_view(customer, settings, data.today),
        "contracts": contracts_view(customer, settings, data.today),
        "deal_items": list(_attr(state, "deals", ()) or ()),
        "next_actions": list(latest.next) if latest else [],
        "followups": followups,
        "recorded": recorded,
        "changes": changes,
        "today": data.today,
    }


# --- owner and agenda pages -----------------------------------------------------------------------


AGENDA_GROUPS = ("overdue", "today", "week")


def rows_by_id(data: SiteData) -> dict[str, dict[str, Any]]:
    return rows_module.rows_by_id(data, (c.id for c in data.customers))


def week_window(data: SiteData) -> tuple[dt.date, dt.date]:
    """The first and last day of the agenda's "this week" group (the days after today it covers)."""
    return data.today + dt.timedelta(days=1), data.today + dt.timedelta(days=WEEK_DAYS)


def agenda_groups(data: SiteData, owner: str | None = None) -> dict[str, list[Any]] | None:
    if data.agenda is None:
        return None
    groups: dict[str, list[Any]] = {g: [] for g in AGENDA_GROUPS}
    for item in data.agenda if owner is None else data.agenda_of(owner):
        if item.group in groups:
            groups[item.group].append(item)
    return groups


def owner_page(data: SiteData, handle: str) -> dict[str, Any]:
    rows = customer_rows(data, data.owned(handle))
    by_grade: dict[str, list[dict[str, Any]]] = {g: [] for g in (*GRADES, "", "won", "lost")}
    for row in rows:
        key = row["grade"] if row["stage_kind"] == "open" else row["stage_kind"]
        by_grade.setdefault(key or "", []).append(row)
    member = data.book.members.get(handle)
    return {"handle": handle, "name": data.member_name(handle), "member": member,
            "agenda": agenda_groups(data, handle), "week": week_window(data), "by_grade": by_grade, "count": len(rows),
            "rows": rows_module.rows_by_id(data, (i.customer_id for i in data.agenda_of(handle))),
            "money": rows_module.money_totals(rows),
            "risks": figures.risk_groups(data, handle), "changes": figures.feed_summary(data, handle),
            "targets": [p for p in (data.progress(handle, "this-month"), data.progress(handle, "this-quarter"))
                        if p is not None]}


def owners_index(data: SiteData) -> dict[str, Any]:
    """Per member: customers owned, overdue and due-this-week agenda items."""
    counts: dict[str, dict[str, int]] = defaultdict(lambda: {"overdue": 0, "week": 0})
    for person, items in data.agenda_by_person.items():  # the items on each person's own agenda page
        for item in items:
            if item.group == "overdue":
                counts[person]["overdue"] += 1
            elif item.group in ("today", "week"):
                counts[person]["week"] += 1
    rows = []
    for handle, name, n in _owners(data):
        member = data.book.members.get(handle)
        mine = [customer_row(data, c) for c in data.owned(handle)]
        rows.append({"handle": handle, "name": name, "role": member.role if member else "", "customers": n,
                     "money": rows_module.money_totals(mine), "quarter": data.progress(handle, "this-quarter"),
                     "overdue": counts[handle]["overdue"] if data.agenda is not None else None,
                     "week": counts[handle]["week"] if data.agenda is not None else None})
    return {"owners": rows}


# --- the whole set ---------------------------------------------------------------------------------


def page_specs(data: SiteData) -> list[PageSpec]:
    """Every generated page of one build."""
    _ = data.labels.text
    specs = [
        PageSpec(Urls.home, _("Sales dashboard"), "home.html", lambda: _home(data), nav="home"),
        PageSpec(Urls.customers, _.pgettext("navigation", "Customers"), "customers.html",
                 lambda: _listing_context(data, None, "", data.customers), nav="customers", search=False),
        PageSpec(Urls.agenda, _("Team agenda"), "agenda.html",
                 lambda: {"agenda": agenda_groups(data), "owner": None, "rows": rows_by_id(data),
                         "week": week_window(data)}, nav="agenda",
                 search=False),
        PageSpec(Urls.process, _("Sales process"), "process.html", lambda: {"s": data.settings}, nav="process"),
        PageSpec(Urls.board, _("Deal board"), "board.html", lambda: {"board": figures.board(data)}, nav="board",
                 search=False),
        PageSpec(Urls.risk, _("Deals at risk"), "risk.html", lambda: {"risks": figures.risk_groups(data)}, nav="agenda",
                 search=False),
        PageSpec(Urls.changes, _("What changed"), "changes.html", lambda: {"changes": figures.feed_summary(data)},
                 nav="agenda", search=False),
        PageSpec(Urls.problems, _("Data quality"), "problems.html",
                 lambda: {"diagnostics": data.diagnostics, "failures": data.failures, "chase": figures.chase(data),
                         "left_out": data.left_out},
                 nav="problems", search=False),
    ]
    specs += [
        PageSpec(Urls.reviews, _("Reviews"), "reviews.html",
                 lambda: {"owners": [(h, n) for h, n, c in _owners(data) if c]}, nav="reviews", search=False),
        PageSpec(Urls.monday, _("Monday sales meeting"), "review_monday.html", lambda: {"m": reviews.monday(data)},
                 nav="reviews", search=False),
        PageSpec(Urls.month, _("Monthly review"), "review_month.html", lambda: {"m": reviews.monthly(data)},
                 nav="reviews", search=False),
    ]
    for handle, name, n in _owners(data):
        if n:
            specs.append(PageSpec(Urls.friday(handle), _("Friday review: %(name)s", name=name), "review_friday.html",
                                  _bind(lambda h: {"m": reviews.friday(data, h)}, handle), search=False))
    for customer in data.customers:
        specs.append(PageSpec(Urls.customer(customer.id), customer.name or customer.id, "customer.html",
                              _bind(customer_page, data, customer), edit_path=customer.path,
                              customer=customer.id))
    specs.append(PageSpec(Urls.owners, _("Owners"), "owners.html", _bind(owners_index, data), nav="owners",
                          search=False))
    for handle, name, _count in _owners(data):
        specs.append(PageSpec(Urls.owner(handle), name, "owner.html", _bind(owner_page, data, handle), search=False))
    for kind, key, customers in _listings(data):
        title = f"{data.labels.listing(kind)}: {_listing_label(data, kind, key)}"
        specs.append(PageSpec(Urls.listing(kind, key), title, "customers.html",
                              _bind(_listing_context, data, kind, key, customers), search=False))
    if data.reports is not None:
        specs.append(PageSpec(Urls.reports, _("Reports"), "reports.html",
                              lambda: {"names": sorted(data.reports or {}), "titles": report_titles(data),
                                       "periods": {n: _period_links(data, n) for n in data.reports or {}},
                                       "trend": monthly_trend(data), "trend_title": _(TREND_TITLE)},
                              nav="reports", search=False))
        titles = report_titles(data)
        for name in sorted(data.reports):
            for period in data.report_periods(name):
                specs.append(PageSpec(Urls.report(name, period), titles.get(name, name), "report.html",
                                      _bind(report_context, data, name, period),
                                      search=False))
    return specs


def _bind(function: Callable[..., dict[str, Any]], *args: Any) -> Callable[[], dict[str, Any]]:
    return lambda: function(*args)


TREND_TITLE = N_("Last 12 months: new customers and deals won")


def monthly_trend(data: SiteData) -> Any:
    """A line chart of the last 12 months, to today: per month, the new customers (created in it:
    `history.created_on`, the rule of the dashboard's new leads) and the deals won (customers first
    won in it: `history.won_in`, so a deal won, re-opened and won again counts once, in the month
    of its first win). One pass over the customers (`trend_share`); under `mkdocs serve` the sum is
    updated by difference (`SiteData.kept_total`)."""
    if optional_reports() is None or not data.reports:
        return None
    start = month_start(data.today, 11)
    months = [f"{month_start(data.today, back):%Y-%m}" for back in range(11, -1, -1)]
    total = data.guard("trend", "the 12-month trend", data.kept_total, ("trend", start, data.today),
                        lambda customer: trend_share(data.settings, customer, start, data.today))
    if total is None:
        return None
    _ = data.labels.text
    new, won = ([total.get(month, [0, 0])[k] for month in months] for k in (0, 1))
    return charts.line_chart(months, [(_("New customers (created)"), new), (_("Deals won (first win)"), won)],
                             _(TREND_TITLE), empty=_("No data"))


def trend_share(settings: Any, customer: Customer, start: dt.date, end: dt.date) -> dict[str, list[int]]:
    """One customer's share of the trend: {"YYYY-MM": [created in it, first won in it]} for the
    months of `start`..`end` it counts in (empty when none)."""
    from ..reports.history import created_on, won_in

    share: dict[str, list[int]] = {}
    created = created_on(customer)
    if created is not None and start <= created <= end:
        share[f"{created:%Y-%m}"] = [1, 0]
    won = won_in(settings, customer, start, end)
    if won is not None:
        share.setdefault(f"{won:%Y-%m}", [0, 0])[1] = 1
    return share


def optional_reports() -> Any:
    from .views import optional

    return optional("dealbook.reports")


def _period_links(data: SiteData, name: str) -> list[tuple[str, str]]:
    """(site period key, its words) of each page a report has."""
    return [(key, data.labels.period(key)) for key in data.report_periods(name)]


def report_titles(data: SiteData) -> dict[str, str]:
    """Report titles in the team's language, from a run over the report's first period."""
    titles = {}
    for name in sorted(data.reports or {}):
        report = data.report(name, data.report_periods(name)[0])
        # Snapshot reports append their as-of date ("销售管道 · 2024-05-20"): the nav shows the name only.
        titles[name] = report.title.split(" · ")[0] if report is not None else name
    return titles


def _home(data: SiteData) -> dict[str, Any]:
    dash = dashboard(data)
    return {"dash": dash, "reach_chart": report_chart(data, dash["reach"]) if dash.get("reach") else None}


# Reports whose page leads with another report's chart over the same period: the stage conversion
# table (funnel) opens with the real funnel of the period's cohort (stage-reach).
LEAD_CHARTS = {"funnel": "stage-reach"}


def report_context(data: SiteData, name: str, period: str) -> dict[str, Any]:
    report = data.report(name, period)
    start, end, label = periods_for(data.today)[period] if period != SNAPSHOT else (None, None, "")
    lead = LEAD_CHARTS.get(name) if name in LEAD_CHARTS and LEAD_CHARTS[name] in (data.reports or {}) else None
    lead_report = data.report(lead, period) if lead else None
    return {"report": report, "name": name, "period": period, "period_label": label, "start": start, "end": end,
            "periods": _period_links(data, name), "snapshot": period == SNAPSHOT,
            "chart": report_chart(data, report), "feature": f"report:{name}",
            "lead": lead if lead_report is not None else None, "lead_report": lead_report,
            "lead_chart": report_chart(data, lead_report) if lead_report is not None else None}


def facets(data: SiteData) -> dict[str, list[tuple[str, str, int]]]:
    """(key, label, count) per grade, stage and industry, for the links above the customers table."""
    found: dict[str, list[tuple[str, str, int]]] = {}
    for kind, key, customers in _listings(data):
        found.setdefault(kind, []).append((key, _listing_label(data, kind, key), len(customers)))
    return found


def _listings(data: SiteData) -> list[tuple[str, str, list[Customer]]]:
    """Listing pages: per grade (open deals only), per stage, per industry 大类 (C39, not C3982)."""
    from ..records.industries import industry_group

    grades: dict[str, list[Customer]] = defaultdict(list)
    stages: dict[str, list[Customer]] = defaultdict(list)
    industries: dict[str, list[Customer]] = defaultdict(list)
    for c in data.customers:
        grade = customer_row(data, c)["grade"]
        if grade:
            grades[grade].append(c)
        stages[c.stage].append(c)
        industries[industry_group(c.industry)].append(c)
    out = [("grade", g, grades[g]) for g in sorted(grades)]
    order = data.settings.order
    out += [("stage", s, stages[s]) for s in sorted(stages, key=lambda s: (order(s), s))]
    out += [("industry", i, industries[i]) for i in sorted(industries)]
    return out


def _listing_label(data: SiteData, kind: str, key: str) -> str:
    if kind == "stage":
        return data.labels.enum("stage", key) or "—"
    if kind == "industry":
        return data.labels.industry(key) or "—"
    return key or "—"


def _listing_context(data: SiteData, kind: str | None, key: str, customers: list[Customer]) -> dict[str, Any]:
    found = customer_rows(data, customers)
    return {"rows": found, "listing": (kind, _listing_label(data, kind, key)) if kind else None,
            "facets": None if kind else facets(data), "money": rows_module.money_totals(found)}
