"""The review rhythm as pages: the Monday meeting (every open A-grade deal with its week), each
rep's Friday review, and the monthly review around the stage conversion table.

The week is the 7 days up to today; progress is what the records and git say happened in it
(follow-ups held, stage moves, wins and losses, amounts and close dates changed)."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Any

from ..records.model import Customer
from .dashboard import owners, risk_groups
from .rows import customer_row, rows_by_id
from .views import SiteData, periods_for

WEEK = 7


def _events_by_customer(data: SiteData, events: Any) -> dict[str, list[Any]]:
    found: dict[str, list[Any]] = defaultdict(list)
    for event in events or ():
        found[event.customer_id].append(event)
    return found


def _week_followups(data: SiteData, since: dt.date) -> list[Any]:
    """The follow-ups from `since` to today, latest first: found once for every rep's Friday review
    (each review walking all follow-ups made the reviews grow with team × follow-ups)."""
    key = ("followups-since", since.isoformat())
    if key not in data.computed_reports:
        data.computed_reports[key] = sorted(
            (f for f in data.book.all_followups() if f.at is not None and since <= f.at.date() <= data.today),
            key=lambda f: f.at, reverse=True)
    return data.computed_reports[key]


def _window_events(data: SiteData, days: int) -> Any:
    """The what-changed events of the last `days` days (None when the feed is not available)."""
    feed = data.feed_over(days)
    return None if feed is None else feed.events


def _blockers(data: SiteData, customer: Customer, since: dt.date, risks: list[Any]) -> list[str]:
    """What stands in the way: help asked for and objections raised in the window, and at-risk reasons."""
    t = data.labels
    _ = t.text
    found = []
    for followup in data.book.followups_of(customer.id):
        if followup.at is None or followup.at.date() < since or followup.at.date() > data.today:
            continue
        help_ = followup.data.get("help")
        if isinstance(help_, dict) and (help_.get("detail") or help_.get("from")):
            who = str(help_.get("from") or "")
            found.append(_("Help needed: %(who)s %(detail)s", who=data.member_name(who) if who else "",
                           detail=help_.get("detail") or "").strip())
        elif isinstance(help_, str) and help_:
            found.append(_("Help needed: %(detail)s", detail=help_))
        for objection in followup.objections:
            found.append(_("Objections: %(objection)s", objection=t.enum("objection", objection)))
    found.extend(risk.message for risk in risks)
    return list(dict.fromkeys(found))


def _deal(data: SiteData, customer: Customer, since: dt.date, events: dict[str, list[Any]],
          risks: dict[str, list[Any]]) -> dict[str, Any]:
    followups = [f for f in data.book.followups_of(customer.id)
                 if f.at is not None and since <= f.at.date() <= data.today]
    latest = next((f for f in reversed(data.book.followups_of(customer.id))
                   if f.at is not None and f.at.date() <= data.today), None)
    return {"row": customer_row(data, customer), "followups": list(reversed(followups)),
            "events": events.get(customer.id, []), "next": list(latest.next) if latest else [],
            "blockers": _blockers(data, customer, since, risks.get(customer.id, []))}


def _risks_by_customer(data: SiteData) -> dict[str, list[Any]]:
    found: dict[str, list[Any]] = defaultdict(list)
    for risk in data.risks or ():
        found[risk.customer_id].append(risk)
    return found


def monday(data: SiteData) -> dict[str, Any]:
    """Every open A-grade deal, by owner: its week, its open next steps, its blockers."""
    since = data.today - dt.timedelta(days=WEEK - 1)
    events = _events_by_customer(data, _window_events(data, WEEK))
    risks = _risks_by_customer(data)
    by_owner: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for customer in data.customers:
        row = customer_row(data, customer)
        if row["grade"] == "A":
            by_owner[customer.owner].append(_deal(data, customer, since, events, risks))
    groups = []
    for handle, name, _ in owners(data):
        deals = sorted(by_owner.get(handle, []), key=lambda d: (-(d["row"]["amount"] or 0), d["row"]["id"]))
        if deals:
            groups.append({"handle": handle, "name": name, "deals": deals,
                           "amount": sum(d["row"]["amount"] or 0 for d in deals)})
    return {"since": since, "groups": groups, "count": sum(len(g["deals"]) for g in groups),
            "feed": data.feed is not None}


def friday(data: SiteData, handle: str) -> dict[str, Any]:
    """A rep's week: progress (follow-ups, stage moves, wins), unfinished plans, next week's key actions."""
    since = data.today - dt.timedelta(days=WEEK - 1)
    mine = {c.id for c in data.owned(handle)}
    followups = [f for f in _week_followups(data, since) if f.by == handle or (f.customer in mine and not f.by)]
    events = [e for e in (_window_events(data, WEEK) or ()) if e.owner == handle]
    agenda = list(data.agenda_of(handle))
    next_week_end = data.today + dt.timedelta(days=WEEK)
    return {
        "handle": handle, "name": data.member_name(handle), "since": since,
        "followups": followups, "events": events, "feed": data.feed is not None,
        # (sorted: a set's order differs between processes, and the page's reuse key is its context's pickle)
        "names": {cid: data.book.customers[cid].name for cid in sorted({f.customer for f in followups})
                  if cid in data.book.customers},
        "unfinished": [i for i in agenda if i.group == "overdue"] if data.agenda is not None else None,
        "next_week": [i for i in agenda if data.today <= i.due <= next_week_end] if data.agenda is not None else None,
        "risks": risk_groups(data, handle),
        "rows": rows_by_id(data, (i.customer_id for i in agenda)),
        "targets": [p for p in (data.progress(handle, "this-month"), data.progress(handle, "this-quarter"))
                    if p is not None],
    }


def monthly(data: SiteData) -> dict[str, Any]:
    """The month so far: the stage conversion table and the month's changes, wins and losses."""
    start, end, label = periods_for(data.today)["this-month"]
    days = (data.today - start).days + 1
    feed = data.feed_over(days)
    events = list(feed.events) if feed is not None else None
    conversion = data.report("funnel", "this-month") if data.reports and "funnel" in data.reports else None
    counts = {d.key: d for d in feed.deltas} if feed is not None else {}
    return {"month": label, "start": start, "end": min(end, data.today), "conversion": conversion,
            "events": events, "counts": counts, "days": days,
            "won": [e for e in events or () if e.kind == "won"],
            "lost": [e for e in events or () if e.kind == "lost"],
            "kinds": [d for d in (feed.deltas if feed is not None else ())
                      if d.key not in ("won_amount", "open_deals", "open_amount", "weighted_amount")]}
