"""Properties of the rules over generated customers: dates, letters and monotonicity always hold."""

from __future__ import annotations

import datetime as dt
from typing import Any

from dealbook.rules.state import LETTERS, due_of, evaluate, grade_of
from hypothesis import given, settings
from hypothesis import strategies as st
from test_rules import CID, book, cust

BASE = dt.date(2024, 1, 1)
STAGES = ["lead", "discovery", "proposal", "negotiation", "won", "after_sales", "lost"]
days = st.integers(min_value=0, max_value=400)


def day(offset: int) -> str:
    return (BASE + dt.timedelta(days=offset)).isoformat()


followup = st.fixed_dictionaries({
    "offset": days,
    "minute": st.integers(0, 59),
    "outcome": st.sampled_from(["held", "no_answer", "missed", "rescheduled"]),
    "contact": st.sampled_from(["王总监", "李经理", "门卫", None]),
    "method": st.sampled_from(["phone", "visit", "email", "im"]),
    "next_in": st.one_of(st.none(), st.integers(-5, 30)),
    "objections": st.lists(st.sampled_from(["price", "competitor", "timing"]), max_size=2),
})

customer = st.fixed_dictionaries({
    "created": days,
    "start": st.one_of(st.none(), st.integers(-100, 600)),
    "budget": st.sampled_from(["clear", "partial", "undetermined", "none", None]),
    "stage": st.sampled_from(STAGES),
    "override": st.sampled_from([None, "A", "B", "C"]),
    "paused": st.one_of(st.none(), days),
    "delivered": st.one_of(st.none(), days),
    "followups": st.lists(followup, max_size=8),
    "today": days,
})


def build(spec: dict[str, Any]):
    need: dict[str, Any] = {"summary": "需求"}
    if spec["budget"]:
        need["budget"] = {"status": spec["budget"]}
    if spec["start"] is not None:
        need["timeline"] = {"start": day(spec["created"] + spec["start"])}
    extra: dict[str, Any] = {"created": day(spec["created"]), "stage": spec["stage"], "need": need}
    if spec["override"]:
        extra["grade"] = {"value": spec["override"], "reason": "手动"}
    if spec["paused"] is not None:
        extra["paused_until"] = day(spec["paused"])
    if spec["stage"] == "lost":
        extra["lost"] = {"reason": "budget"}
    if spec["delivered"] is not None:
        extra["contracts"] = [{"no": "HT-1", "amount": 300000, "signed": day(spec["created"]),
                               "delivered": day(spec["delivered"])}]
    followups = []
    for f in spec["followups"]:
        at = day(spec["created"] + f["offset"]) + f" 10:{f['minute']:02d}"
        data: dict[str, Any] = {"at": at, "outcome": f["outcome"], "method": f["method"],
                                "objections": f["objections"]}
        if f["contact"]:
            data["contact"] = f["contact"]
        if f["next_in"] is not None:
            data["next"] = [{"action": "下一步", "due": day(spec["created"] + f["offset"] + f["next_in"])}]
        followups.append(data)
    b = book(cust(**extra), followups)
    return b, b.customers[CID], BASE + dt.timedelta(days=spec["today"])


@settings(max_examples=300, deadline=None)
@given(customer)
def test_due_and_grade_invariants(spec: dict[str, Any]) -> None:
    b, c, today = build(spec)
    g = grade_of(b, c, today)
    d = due_of(b, c, today)
    assert g.letter in LETTERS and g.computed in LETTERS
    assert g.score == sum(r.points for r in g.reasons)
    assert 0 <= g.score <= 6
    assert d.overdue_days >= 0
    assert d.overdue_days == (max(0, (today - d.date).days) if d.date else 0)
    if spec["stage"] == "lost":
        assert d.date is None and d.kind == "none"
    else:
        assert d.date is not None
    counted = [f for f in b.followups_of(CID) if f.at.date() <= today]
    if d.kind == "first_response":
        assert not counted and d.date > c.created  # a fresh lead is never due before it was created
    if d.kind == "cadence":
        assert d.date >= counted[-1].at.date()  # cadence counts forward from the latest follow-up
    state = evaluate(b, today)[CID]
    assert (state.grade, state.due) == (g, d)
    assert state.last_contact == (counted[-1].at.date() if counted else None)


@settings(max_examples=200, deadline=None)
@given(customer, st.sampled_from(["budget", "start", "access"]))
def test_grade_is_monotone_in_each_dimension(spec: dict[str, Any], dimension: str) -> None:
    spec = dict(spec, override=None)
    b, c, today = build(spec)
    before = grade_of(b, c, today)
    better = dict(spec)
    if dimension == "budget":
        better["budget"] = "clear"
    elif dimension == "start":
        better["start"] = spec["today"] - spec["created"]  # starts today: as urgent as it gets
    else:  # a held meeting with the decision maker, earlier than any other follow-up (no streak changes)
        meeting = {"offset": 0, "minute": 0, "outcome": "held", "contact": "王总监", "method": "visit",
                   "next_in": None, "objections": []}
        better["followups"] = [meeting, *spec["followups"]]
    after = grade_of(*build(better))
    assert after.score >= before.score
    assert after.downgraded == before.downgraded
    assert "ABC".index(after.letter) <= "ABC".index(before.letter)
