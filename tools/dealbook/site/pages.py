"""The generated pages: where each lives, its title, template and the data its template shows."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from ..records.model import Customer
from . import charts
from .formats import money
from .urls import Urls
from .views import PERIOD_KEYS, PERIOD_WORDS, SiteData, month_start, periods_for

GRADES = ("A", "B", "C")
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


# --- rows shared by several pages ----------------------------------------------------------------


def _attr(obj: Any, name: str, default: Any = None) -> Any:
    return getattr(obj, name, default) if obj is not None else default


def customer_row(data: SiteData, customer: Customer) -> dict[str, Any]:
    """One line of a customers table (computed once per build)."""
    cached = data.rows.get(customer.id)
    if cached is not None:
        return cached
    state = data.state(customer.id)
    grade = _attr(state, "grade")
    due = _attr(state, "due")
    last = data.last_contact(customer)
    row = data.rows[customer.id] = {
        "id": customer.id,
        "name": customer.name,
        "stage": customer.stage,
        "stage_order": data.settings.order(customer.stage),
        "grade": _attr(grade, "letter") or (customer.grade_override or ("", ""))[0],
        "owner": customer.owner,
        "owner_name": data.member_name(customer.owner),
        "industry": customer.industry,
        "region": customer.region,
        "last_contact": last.date() if isinstance(last, dt.datetime) else last,
        "next_due": _attr(due, "date"),
        "overdue_days": _attr(due, "overdue_days", 0) or 0,
        "amount": customer.deal_amount,
    }
    return row


def customer_rows(data: SiteData, customers: Iterable[Customer]) -> list[dict[str, Any]]:
    return [customer_row(data, c) for c in customers]


def _first_won(data: SiteData, customer: Customer) -> dt.date | None:
    for entry in customer.stage_history:
        if data.settings.is_won(entry.stage) and entry.on:
            return entry.on
    return None


def _won_amount(customer: Customer) -> int:
    signed = sum(c.amount or 0 for c in customer.contracts)
    return signed or customer.deal_amount or 0


def dashboard(data: SiteData) -> dict[str, Any]:
    """The home page figures."""
    settings = data.settings
    today = data.today
    pipeline = weighted = 0.0
    open_deals = 0
    for c in data.customers:
        if settings.is_open(c.stage) and c.deal_amount:
            open_deals += 1
            pipeline += c.deal_amount
            weighted += c.deal_amount * settings.stage_by_key[c.stage].probability
    periods = periods_for(today)
    won: dict[str, list[int]] = {"this-month": [], "this-quarter": []}
    for c in data.customers:
        first = _first_won(data, c)
        if first is None:
            continue
        for key in won:
            start, end, _ = periods[key]
            if start <= first <= end:
                won[key].append(_won_amount(c))
    overdue = due_week = None
    if data.agenda is not None:
        overdue = sum(1 for item in data.agenda if item.group == "overdue")
        due_week = sum(1 for item in data.agenda if item.group in ("today", "week"))
    elif data.states is not None:
        overdue = sum(1 for s in data.states.values() if (_attr(s.due, "overdue_days", 0) or 0) > 0)
    funnel = data.report("funnel", "this-month") if data.reports and "funnel" in data.reports else None
    return {
        "pipeline": pipeline, "weighted": weighted, "open_deals": open_deals,
        "won_month": (len(won["this-month"]), sum(won["this-month"])),
        "won_quarter": (len(won["this-quarter"]), sum(won["this-quarter"])),
        "overdue": overdue, "due_week": due_week,
        "funnel_chart": funnel_chart(data, funnel) if funnel else None,
        "grades": _count(customer_row(data, c)["grade"] for c in data.customers),
        "stages": [(s.key, sum(1 for c in data.customers if c.stage == s.key)) for s in settings.stages],
        "owners": _owners(data),
        "reports": sorted((data.reports or {}).keys()),
        "today": today,
    }


def _count(values: Iterable[str]) -> dict[str, int]:
    counted: dict[str, int] = defaultdict(int)
    for v in values:
        counted[v] += 1
    return dict(counted)


def _owners(data: SiteData) -> list[tuple[str, str, int]]:
    """(handle, name, customer count) for every member and every owner named in a record."""
    counts = _count(c.owner for c in data.customers)
    handles = list(data.book.members) + sorted(h for h in counts if h not in data.book.members and h)
    return [(h, data.member_name(h), counts.get(h, 0)) for h in handles]


def funnel_chart(data: SiteData, report: Any) -> Any:
    column = next((c for c in report.columns if c.key == "stage"), None)
    items = []
    for row in report.rows:
        label = row.get("stage")
        if column is not None and column.values and isinstance(label, str):
            label = column.values.get(label, label)
        items.append((str(label), row.get("entered") or 0))
    return charts.funnel_chart(items, report.title, empty=data.labels("no_data"))


def report_chart(data: SiteData, report: Any) -> Any:
    """The report's chart: its `chart` kind, drawn from its first text column and number columns."""
    if report is None or not report.rows:
        return None
    kind = getattr(report, "chart", None) or "bar"
    if report.name == "funnel" or kind == "funnel":
        return funnel_chart(data, report)
    text = next((c for c in report.columns if c.kind in ("text", "date")), None)
    numbers = [c for c in report.columns if c.kind in ("int", "money")]
    if text is None or not numbers:
        return None

    def label(row: dict[str, Any]) -> str:
        value = row.get(text.key)
        if text.values and isinstance(value, str):
            value = text.values.get(value, value)
        return "" if value is None else str(value)

    if kind == "line":
        series = [(c.label, [row.get(c.key) or 0 for row in report.rows]) for c in numbers[:3]]
        return charts.line_chart([label(r) for r in report.rows], series, report.title, empty=data.labels("no_data"))
    first = numbers[0]
    fmt = (lambda v: _money(data, v)) if first.kind == "money" else charts._number
    return charts.bar_chart([(label(r), r.get(first.key) or 0) for r in report.rows], f"{report.title} · {first.label}",
                            fmt=fmt, empty=data.labels("no_data"))


def _money(data: SiteData, value: float) -> str:
    return money(value, data.settings.currency)


# --- the customer page ------------------------------------------------------------------------------


def _mask(text: str) -> str:
    """Keep the first 3 and last 2 characters of a phone or email: enough to recognise, not to call."""
    if len(text) <= 5:
        return "•" * len(text)
    return text[:3] + "•" * (len(text) - 5) + text[-2:]


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
    mask = bool((settings.raw.get("site") or {}).get("mask_contacts"))
    contacts = [
        {"name": c.name, "title": c.title, "role": c.role, "phone_kind": c.phone_kind,
         "phone": _mask(c.phone) if mask and c.phone else c.phone,
         "email": _mask(c.email) if mask and c.email else c.email}
        for c in customer.contacts
    ]
    followups = list(reversed(data.book.followups_of(customer.id)))
    latest = followups[0] if followups else None
    history = []
    entries = list(customer.stage_history)
    for i, entry in enumerate(entries):
        following = entries[i + 1].on if i + 1 < len(entries) else None
        end = following or (data.today if not settings.is_won(entry.stage) and settings.is_open(entry.stage) else None)
        days = (end - entry.on).days if end and entry.on else None
        history.append({"stage": entry.stage, "on": entry.on, "days": days})
    recorded = _recorded(data, followups)
    changes = None
    if data.changelog is not None:
        changes = list(reversed(data.changelog.get(customer.id) or []))[:CHANGES_SHOWN]
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
        "quotes": [q for q in (customer.get("quotes") or []) if isinstance(q, dict)],
        "contracts": [k for k in (customer.get("contracts") or []) if isinstance(k, dict)],
        "next_actions": list(latest.next) if latest else [],
        "followups": followups,
        "recorded": recorded,
        "changes": changes,
        "today": data.today,
    }


# --- owner and agenda pages -----------------------------------------------------------------------


AGENDA_GROUPS = ("overdue", "today", "week")


def agenda_groups(data: SiteData, owner: str | None = None) -> dict[str, list[Any]] | None:
    if data.agenda is None:
        return None
    groups: dict[str, list[Any]] = {g: [] for g in AGENDA_GROUPS}
    for item in data.agenda:
        if item.group in groups and (owner is None or item.owner == owner):
            groups[item.group].append(item)
    return groups


def owner_page(data: SiteData, handle: str) -> dict[str, Any]:
    mine = [c for c in data.customers if c.owner == handle]
    rows = customer_rows(data, mine)
    by_grade: dict[str, list[dict[str, Any]]] = {g: [] for g in (*GRADES, "")}
    for row in rows:
        by_grade.setdefault(row["grade"] or "", []).append(row)
    member = data.book.members.get(handle)
    return {"handle": handle, "name": data.member_name(handle), "member": member,
            "agenda": agenda_groups(data, handle), "by_grade": by_grade, "count": len(rows)}


def owners_index(data: SiteData) -> dict[str, Any]:
    """Per member: customers owned, overdue and due-this-week agenda items."""
    counts: dict[str, dict[str, int]] = defaultdict(lambda: {"overdue": 0, "week": 0})
    for item in data.agenda or ():
        if item.group == "overdue":
            counts[item.owner]["overdue"] += 1
        elif item.group in ("today", "week"):
            counts[item.owner]["week"] += 1
    rows = []
    for handle, name, n in _owners(data):
        member = data.book.members.get(handle)
        rows.append({"handle": handle, "name": name, "role": member.role if member else "", "customers": n,
                     "overdue": counts[handle]["overdue"] if data.agenda is not None else None,
                     "week": counts[handle]["week"] if data.agenda is not None else None})
    return {"owners": rows}


# --- the whole set ---------------------------------------------------------------------------------


def page_specs(data: SiteData) -> list[PageSpec]:
    """Every generated page of one build."""
    t = data.labels
    specs = [
        PageSpec(Urls.home, t("dashboard"), "home.html", lambda: {"dash": dashboard(data)}, nav="home"),
        PageSpec(Urls.customers, t("customers"), "customers.html",
                 lambda: {"rows": customer_rows(data, data.customers), "listing": None,
                          "facets": facets(data)}, nav="customers", search=False),
        PageSpec(Urls.agenda, t("team_agenda"), "agenda.html",
                 lambda: {"agenda": agenda_groups(data), "owner": None}, nav="agenda", search=False),
        PageSpec(Urls.process, t("process"), "process.html", lambda: {"s": data.settings}, nav="process"),
        PageSpec(Urls.problems, t("problems"), "problems.html",
                 lambda: {"diagnostics": data.diagnostics, "failures": data.failures}, nav="problems", search=False),
    ]
    for customer in data.customers:
        specs.append(PageSpec(Urls.customer(customer.id), customer.name or customer.id, "customer.html",
                              _bind(customer_page, data, customer), edit_path=customer.path))
    specs.append(PageSpec(Urls.owners, t("owners"), "owners.html", _bind(owners_index, data), nav="owners",
                          search=False))
    for handle, name, _ in _owners(data):
        specs.append(PageSpec(Urls.owner(handle), name, "owner.html", _bind(owner_page, data, handle), search=False))
    for kind, key, customers in _listings(data):
        title = f"{t(kind)}: {_listing_label(data, kind, key)}"
        specs.append(PageSpec(Urls.listing(kind, key), title, "customers.html",
                              _bind(_listing_context, data, kind, key, customers), search=False))
    if data.reports is not None:
        specs.append(PageSpec(Urls.reports, t("reports"), "reports.html",
                              lambda: {"names": sorted(data.reports or {}), "titles": report_titles(data),
                                       "trend": monthly_trend(data)},
                              nav="reports", search=False))
        titles = report_titles(data)
        for name in sorted(data.reports):
            for period in PERIOD_KEYS:
                specs.append(PageSpec(Urls.report(name, period), titles.get(name, name), "report.html",
                                      _bind(report_context, data, name, period),
                                      search=False))
    return specs


def _bind(function: Callable[..., dict[str, Any]], *args: Any) -> Callable[[], dict[str, Any]]:
    return lambda: function(*args)


def monthly_trend(data: SiteData) -> Any:
    """A line chart of the last 12 months: entries into the first stage and into the won stage,
    each month's numbers taken from the funnel report (no second copy of its counting)."""
    reports = optional_reports()
    if reports is None or "funnel" not in (data.reports or {}):
        return None
    from ..reports.periods import Period

    settings = data.settings
    first = settings.progression[0].key if settings.progression else None
    won = next((s.key for s in settings.stages if s.kind == "won"), None)
    labels, entered, wins = [], [], []
    for back in range(11, -1, -1):
        start = month_start(data.today, back)
        end = month_start(data.today, back - 1) - dt.timedelta(days=1)
        try:
            report = reports.run_report("funnel", data.book, Period(start, end, f"{start:%Y-%m}"), data.today)
        except Exception:  # the funnel page itself reports the failure
            return None
        by_stage = {row.get("stage"): row for row in report.rows}
        labels.append(f"{start:%Y-%m}")
        entered.append((by_stage.get(first) or {}).get("entered") or 0)
        wins.append((by_stage.get(won) or {}).get("entered") or 0)
    t = data.labels
    return charts.line_chart(labels, [(t.enum("stage", first), entered), (t.enum("stage", won), wins)],
                             t("trend"), empty=t("no_data"))


def optional_reports() -> Any:
    from .views import optional

    return optional("dealbook.reports")


def report_titles(data: SiteData) -> dict[str, str]:
    """Report titles in the team's language, from a run over this month."""
    titles = {}
    for name in sorted(data.reports or {}):
        report = data.report(name, PERIOD_KEYS[0])
        # Snapshot reports append their as-of date ("销售管道 · 2024-05-20"): the nav shows the name only.
        titles[name] = report.title.split(" · ")[0] if report is not None else name
    return titles


def report_context(data: SiteData, name: str, period: str) -> dict[str, Any]:
    report = data.report(name, period)
    start, end, label = periods_for(data.today)[period]
    return {"report": report, "name": name, "period": period, "period_label": label, "start": start, "end": end,
            "periods": [(key, data.labels(PERIOD_WORDS[key])) for key in PERIOD_KEYS],
            "chart": report_chart(data, report), "feature": f"report:{name}"}


def facets(data: SiteData) -> dict[str, list[tuple[str, str, int]]]:
    """(key, label, count) per grade, stage and industry, for the links above the customers table."""
    found: dict[str, list[tuple[str, str, int]]] = {}
    for kind, key, customers in _listings(data):
        found.setdefault(kind, []).append((key, _listing_label(data, kind, key), len(customers)))
    return found


def _listings(data: SiteData) -> list[tuple[str, str, list[Customer]]]:
    grades: dict[str, list[Customer]] = defaultdict(list)
    stages: dict[str, list[Customer]] = defaultdict(list)
    industries: dict[str, list[Customer]] = defaultdict(list)
    for c in data.customers:
        grade = customer_row(data, c)["grade"]
        if grade:
            grades[grade].append(c)
        stages[c.stage].append(c)
        industries[c.industry].append(c)
    out = [("grade", g, grades[g]) for g in sorted(grades)]
    order = data.settings.order
    out += [("stage", s, stages[s]) for s in sorted(stages, key=lambda s: (order(s), s))]
    out += [("industry", i, industries[i]) for i in sorted(industries)]
    return out


def _listing_label(data: SiteData, kind: str, key: str) -> str:
    if kind == "stage":
        return data.labels.enum("stage", key) or "—"
    return key or "—"


def _listing_context(data: SiteData, kind: str, key: str, customers: list[Customer]) -> dict[str, Any]:
    return {"rows": customer_rows(data, customers), "listing": (kind, _listing_label(data, kind, key)),
            "facets": None}
