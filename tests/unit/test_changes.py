"""The review of two Books (changes.review), field changes, stage history vs git, forecast vs actual."""

from __future__ import annotations

import datetime as dt

import yaml
from conftest import TEAM, customer_data, dump
from dealbook.checks.reading import open_book_from
from dealbook.git.changes import (
    backfilled,
    compare_history,
    field_changes,
    forecast_vs_actual,
    line_of,
    review,
)
from dealbook.records.settings import settings_from_bytes
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

CID = "粤IT2024001"
TODAY = dt.date(2024, 5, 20)
SETTINGS = settings_from_bytes(b"as_of: 2024-05-20\n")
CONTACTS = [
    {"name": "王总监", "title": "技术总监", "role": "decision_maker", "phone": "0755-8888-1234", "phone_kind": "work"},
    {"name": "李经理", "title": "生产经理", "role": "user", "phone": "0755-8888-5678", "phone_kind": "work"},
]
TO_PROPOSAL = [{"stage": "lead", "on": "2024-01-05"}, {"stage": "proposal", "on": "2024-04-01"}]
NEED = {"summary": "质检提效", "budget": {"status": "clear", "min": 500000, "max": 800000},
        "timeline": {"start": "2024-06-01"}}


def book(*records: tuple[str, dict]):
    files = [("records/team.yaml", dump(TEAM).encode())]
    files += [(path, dump(data).encode()) for path, data in records]
    return open_book_from(SETTINGS, files, read_raw=dict(files).get)


def customer(cid: str = CID, **overrides) -> tuple[str, dict]:
    return f"records/customers/{cid}.yaml", customer_data(cid, **overrides)


def followup(at: str, cid: str = CID, **fields) -> tuple[str, dict]:
    data = {"customer": cid, "at": at, "method": "visit", "by": "zhang", "summary": "现场沟通", **fields}
    return f"records/followups/{cid}/{at.replace(' ', '-').replace(':', '')}.yaml", data


def proposal(**overrides) -> tuple[str, dict]:
    fields = {"stage": "proposal", "stage_history": TO_PROPOSAL, "contacts": CONTACTS, "need": NEED,
              "deal": {"amount": 650000}}
    return customer(**{**fields, **overrides})


def test_the_issue_example_line():
    """B: urgency 2 + budget 2 + access 1 (held with a user); the two new visits reach the
    decision maker, so A; the latest one sets the next action for 2024-05-20."""
    before = book(proposal(), followup("2024-05-01 10:00", contact="李经理"))
    after = book(
        proposal(stage="negotiation", stage_history=[*TO_PROPOSAL, {"stage": "negotiation", "on": "2024-05-19"}],
                 deal={"amount": 620000}),
        followup("2024-05-01 10:00", contact="李经理"),
        followup("2024-05-18 10:00", contact="王总监"),
        followup("2024-05-19 15:00", contact="王总监",
                 next=[{"action": "发送合同草稿", "due": "2024-05-20", "owner": "zhang"}]),
    )
    result = review(before, after, TODAY)
    assert [line_of(c) for c in result.customers] == [
        "粤IT2024001 A科技有限公司: proposal → negotiation (B → A), deal ¥650,000 → ¥620,000; "
        "2 follow-ups added; next action due 2024-05-20"
    ]
    change = result.customers[0]
    assert change.stage_labels == ("方案呈现", "商务谈判")
    assert change.next_due == (dt.date(2024, 5, 8), dt.date(2024, 5, 20))  # 05-01 + 7 days (B) before
    # Weighted pipeline: 650,000 × 0.35 → 620,000 × 0.6.
    assert result.weighted == (227500.0, 372000.0)
    assert [(r["stage"], r["converted_before"], r["converted_after"], r["entered_before"], r["entered_after"])
            for r in result.funnel] == [("proposal", 0, 1, 1, 1), ("negotiation", 0, 0, 0, 1)]
    assert result.new_diagnostics == ()


def test_owner_change_new_and_removed_customers():
    before = book(customer(), customer("粤IT2024002", name="B公司"))
    after = book(customer(owner="li"), customer("粤IT2024003", name="C公司", owner="li"))
    lines = [line_of(c) for c in review(before, after, TODAY).customers]
    assert lines == [
        "粤IT2024001 A科技有限公司: owner zhang → li",
        "粤IT2024002 B公司: removed",
        "粤IT2024003 C公司: new customer (lead, grade C), owner li; next due 2024-01-08",
    ]


def test_unchanged_customers_are_left_out_and_followup_edits_counted():
    before = book(customer(), customer("粤IT2024002", name="B公司"),
                  followup("2024-05-10 14:00"), followup("2024-05-11 14:00"))
    after = book(customer(), customer("粤IT2024002", name="B公司"),
                 followup("2024-05-10 14:00", summary="改过的纪要"))
    result = review(before, after, TODAY)
    assert [c.id for c in result.customers] == [CID]
    change = result.customers[0]
    assert [(f.status, f.at) for f in change.followups] == [("changed", "2024-05-10 14:00"),
                                                            ("removed", "2024-05-11 14:00")]
    assert line_of(change).startswith("粤IT2024001 A科技有限公司: 1 follow-up changed, 1 removed")


def test_renamed_customer_and_moved_followup_are_one_change_each():
    old_f = followup("2024-05-10 14:00")
    before = book(customer(), old_f)
    new_f = ("records/followups/粤IT2024009/2024-05-10-1400.yaml", {**old_f[1], "customer": "粤IT2024009"})
    after = book(customer("粤IT2024009"), new_f)
    renames = {"records/customers/粤IT2024001.yaml": "records/customers/粤IT2024009.yaml", old_f[0]: new_f[0]}
    result = review(before, after, TODAY, renames=renames)
    assert len(result.customers) == 1
    change = result.customers[0]
    assert (change.status, change.id, change.old_id) == ("renamed", "粤IT2024009", CID)
    assert [(f.status, f.old_path) for f in change.followups] == [("moved", old_f[0])]
    assert line_of(change) == "粤IT2024009 A科技有限公司: renamed from 粤IT2024001; 1 follow-up moved"


def test_new_diagnostics_ignore_old_ones_and_moved_lines():
    broken = customer(owner="nobody")
    before = book(broken)
    after = book(customer(owner="nobody", region="广东 广州"), customer("粤IT2024002", name="B公司", owner="ghost"))
    found = review(before, after, TODAY).new_diagnostics
    assert [(d.path, d.code) for d in found] == [("records/customers/粤IT2024002.yaml", "unknown-member")]


def test_field_changes_track_grade_relevant_fields():
    old = customer_data(contacts=CONTACTS[:1], need={"budget": {"status": "partial"}})
    new = customer_data(contacts=CONTACTS, need={"budget": {"status": "clear"}},
                        grade={"value": "A", "reason": "大客户"})
    assert field_changes(old, new) == [
        ("need.budget.status", "partial", "clear"),
        ("grade.value", None, "A"),
        ("contacts", "王总监 (decision_maker)", "王总监 (decision_maker), 李经理 (user)"),
    ]


def test_compare_history_flags_missing_and_late_entries():
    d = dt.date
    events = [("lead", d(2024, 1, 5), "c1", "A"), ("proposal", d(2024, 3, 1), "c2", "B"),
              ("negotiation", d(2024, 5, 1), "c3", "C")]
    history = [("lead", d(2024, 1, 5)), ("discovery", d(2024, 2, 1)), ("negotiation", d(2024, 5, 3))]
    rows = compare_history(events, history)
    assert [(r.stage, r.status) for r in rows] == [
        ("lead", "ok"), ("discovery", "not_in_git"), ("proposal", "missing"), ("negotiation", "after_commit")]


def test_backfilled_inserts_in_git_order_without_going_backwards():
    history = [{"stage": "lead", "on": "2024-01-05"}, {"stage": "negotiation", "on": "2024-02-20"}]
    events = [("lead", dt.date(2024, 1, 5)), ("discovery", dt.date(2024, 2, 1)), ("proposal", dt.date(2024, 3, 1)),
              ("negotiation", dt.date(2024, 3, 2))]
    assert backfilled(history, events) == [
        {"stage": "lead", "on": "2024-01-05"},
        {"stage": "discovery", "on": "2024-02-01"},
        {"stage": "proposal", "on": "2024-02-20"},  # clamped to the following entry's date
        {"stage": "negotiation", "on": "2024-02-20"},
    ]


def test_forecast_vs_actual():
    contract = [{"no": "HT-1", "amount": 600000, "signed": "2024-05-10"}]
    then = book(proposal(), customer("粤IT2024002", name="B公司", stage="negotiation",
                                     stage_history=[{"stage": "lead", "on": "2024-01-05"},
                                                    {"stage": "negotiation", "on": "2024-03-01"}],
                                     deal={"amount": 100000}))
    won_history = [*TO_PROPOSAL, {"stage": "won", "on": "2024-05-10"}]
    now = book(proposal(stage="won", stage_history=won_history, contracts=contract),
               customer("粤IT2024002", name="B公司", stage="lost",
                        stage_history=[{"stage": "lead", "on": "2024-01-05"}, {"stage": "lost", "on": "2024-04-15"}],
                        lost={"reason": "budget"}, deal={"amount": 100000}))
    rows = forecast_vs_actual(then, dt.date(2024, 4, 30), now, TODAY)
    assert [(r.id, r.stage_then, round(r.weighted), r.outcome, r.won_value) for r in rows] == [
        (CID, "proposal", 227500, "won", 600000),
        ("粤IT2024002", "negotiation", 60000, "lost", 0),
    ]


# --- the incremental review: sums over touched customers equal the whole-Book figures ---------
def _history_books():
    """A five-customer history: 001 moves proposal → negotiation (650,000 → 620,000), 002 is lost
    from discovery, 003 is new (proposal, 100,000), 004 is removed (negotiation, 300,000) and
    005 (proposal, 200,000) does not change."""
    lead = [{"stage": "lead", "on": "2024-01-05"}]
    discovery = [*lead, {"stage": "discovery", "on": "2024-02-01"}]
    negotiation = [*TO_PROPOSAL, {"stage": "negotiation", "on": "2024-04-20"}]
    same = [customer("粤IT2024005", name="E公司", stage="proposal", stage_history=TO_PROPOSAL,
                     deal={"amount": 200000}), followup("2024-05-02 10:00", cid="粤IT2024005")]
    before = book(proposal(), customer("粤IT2024002", name="B公司", stage="discovery", stage_history=discovery),
                  customer("粤IT2024004", name="D公司", stage="negotiation", stage_history=negotiation,
                           deal={"amount": 300000}), *same)
    after = book(
        proposal(stage="negotiation", stage_history=[*TO_PROPOSAL, {"stage": "negotiation", "on": "2024-05-19"}],
                 deal={"amount": 620000}),
        customer("粤IT2024002", name="B公司", stage="lost",
                 stage_history=[*discovery, {"stage": "lost", "on": "2024-05-10"}], lost={"reason": "budget"}),
        customer("粤IT2024003", name="C公司", stage="proposal", stage_history=TO_PROPOSAL, deal={"amount": 100000}),
        *same)
    return before, after


def test_incremental_totals_equal_the_whole_book_computation():
    from dealbook.git.changes import review_sides, side_of
    from dealbook.reports import funnel_rows
    from dealbook.reports.periods import ALL
    from dealbook.reports.pipeline import pipeline

    before, after = _history_books()
    touched = {CID, "粤IT2024002", "粤IT2024003", "粤IT2024004"}  # 005 is untouched
    old = {cid: side_of(before, c, TODAY) for cid, c in before.customers.items() if cid in touched}
    new = {cid: side_of(after, c, TODAY) for cid, c in after.customers.items() if cid in touched}
    result = review_sides(old, new, before.settings, after.settings, ids=touched)
    whole_before = pipeline(before, ALL, TODAY).totals["weighted"]
    whole_after = pipeline(after, ALL, TODAY).totals["weighted"]
    # By hand: before 650,000×0.35 + 300,000×0.6 = 407,500 (+ 005's 70,000 = 477,500 whole);
    # after 620,000×0.6 + 100,000×0.35 = 407,000 (+ 70,000 = 477,000 whole): a change of −500.
    assert result.weighted == (407500.0, 407000.0)
    assert (whole_before, whole_after) == (477500, 477000)
    assert result.weighted[1] - result.weighted[0] == whole_after - whole_before
    # The funnel change of the touched customers is the whole Book's funnel change, stage by stage.
    whole = {r["stage"]: r for r in funnel_rows(before, ALL)}
    whole_new = {r["stage"]: r for r in funnel_rows(after, ALL)}
    moved = {r["stage"]: r for r in result.funnel}
    for stage, row in whole.items():
        for key in ("entered", "converted", "lost"):
            delta = whole_new[stage][key] - row[key]
            got = moved[stage][f"{key}_after"] - moved[stage][f"{key}_before"] if stage in moved else 0
            assert got == delta, (stage, key)
    # By hand: proposal entries 001+004 → 001+003 and its conversions 004 → 001 balance out, as do
    # negotiation (004 → 001) and lead (3 → 3 conversions); only discovery moves: 002 lost (0 → 1).
    assert [(r["stage"], r["entered_before"], r["entered_after"], r["converted_before"], r["converted_after"],
             r["lost_before"], r["lost_after"]) for r in result.funnel] == [
        ("discovery", 1, 1, 0, 0, 0, 1),
    ]
    # The review through sides says the same as the review of the two Books.
    assert result.customers == review(before, after, TODAY, ids=touched).customers


def test_sides_survive_the_cache_round_trip():
    from dealbook.git.changes import Side, side_of

    before, _ = _history_books()
    side = side_of(before, before.customers[CID], TODAY)
    assert Side.unpack(side.pack()) == side
    assert side.open_stage == "proposal" and side.amount == 650000 and side.grade == "B"
    assert [f[0] for f in side.followups] == []


def test_followup_edits_that_leave_the_data_equal_are_not_changes():
    from dealbook.git.changes import data_digest

    assert data_digest({"a": 1, "b": [1, {"x": "y"}]}) == data_digest({"b": [1, {"x": "y"}], "a": 1})
    assert data_digest({"a": 1}) != data_digest({"a": 2})
    assert data_digest({1: "a", "b": 2}) == data_digest({"b": 2, 1: "a"})  # mixed keys: the slow path


# --- the review's funnel counts are the funnel's own formula --------------------------------------

def _tally_as_the_review_counted_it(settings, customer) -> tuple:
    """The review's own copy of the funnel counting, as it stood before it used the funnel's share:
    the reference the shared formula is held to (zero-count stages included)."""
    from dealbook.reports.history import kind_of_move, moves

    progression = {s.key for s in settings.progression}
    counts: dict[str, list[int]] = {}
    for entry in customer.stage_history:
        if entry.on is not None and entry.stage in progression:
            counts.setdefault(entry.stage, [0, 0, 0])[0] += 1
    for move in moves(customer):
        if move.on is None or move.source not in progression:
            continue
        kind = kind_of_move(settings, move)
        if kind == "lost":
            counts.setdefault(move.source, [0, 0, 0])[2] += 1
        elif kind == "forward":
            counts.setdefault(move.source, [0, 0, 0])[1] += 1
    return tuple((stage, *c) for stage, c in counts.items())


def _demo_files() -> tuple[object, list[tuple[str, bytes]]]:
    from conftest import ROOT
    from dealbook.records.settings import load_settings

    files = sorted((str(p.relative_to(ROOT)), p.read_bytes()) for p in (ROOT / "records").rglob("*.yaml"))
    return load_settings(str(ROOT)), files


def _both_reviews(monkeypatch, before, after) -> tuple[tuple, tuple]:
    """(review, its text) with the shared formula, then with the review's old copy."""
    from dealbook.cli.commands.diff import render_text
    from dealbook.git import changes

    new = review(before, after, TODAY)
    with monkeypatch.context() as patch:
        patch.setattr(changes, "customer_tally", _tally_as_the_review_counted_it)
        old = review(before, after, TODAY)
    return (new, render_text(new)), (old, render_text(old))


def test_the_review_tally_is_the_funnel_share_and_the_demo_review_is_unchanged(monkeypatch):
    """Every demo customer's tally is what the review counted itself, without the stages counted
    zero times (a move backwards made one); reviews of the demo (all new, all removed, against
    itself with stages moved) read the same either way, funnel effect included."""
    from dealbook.git.changes import customer_tally

    settings, files = _demo_files()
    demo = open_book_from(settings, files)
    for customer in demo.customers.values():
        old = _tally_as_the_review_counted_it(settings, customer)
        assert customer_tally(settings, customer) == tuple(t for t in old if any(t[1:]))
    team = [f for f in files if f[0] == "records/team.yaml"]
    empty = open_book_from(settings, team)
    for before, after in ((empty, demo), (demo, empty)):
        new, old = _both_reviews(monkeypatch, before, after)
        assert new == old
        assert new[0].funnel  # the funnel effect is there to compare
    moved = []
    for path, raw in files:
        data = yaml.safe_load(raw)
        if path.startswith("records/customers/") and data.get("stage_history"):
            history = data["stage_history"]
            history.append({"stage": "lead" if history[-1]["stage"] != "lead" else "lost", "on": "2024-05-19"})
            raw = dump(data).encode()
        moved.append((path, raw))
    new, old = _both_reviews(monkeypatch, demo, open_book_from(settings, moved))
    assert new == old
    assert any(r["stage"] == "lead" for r in new[0].funnel)


@given(moves=st.lists(st.tuples(st.integers(0, 10_000), st.integers(0, 20), st.integers(0, 200)), max_size=12))
@hypothesis_settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_reviews_after_random_stage_moves_are_unchanged(monkeypatch, moves):
    """Stage moves of every kind (forward, skipped, backwards, lost, undated) on demo customers: the
    review of the demo against the moved Book is the same with the shared formula as with the
    review's old copy."""
    settings, files = _demo_files()
    stages = [s.key for s in settings.stages]
    customers = [i for i, (path, _) in enumerate(files) if path.startswith("records/customers/")]
    edited = dict(enumerate(files))
    for pick, stage, day in moves:
        index = customers[pick % len(customers)]
        path, raw = edited[index]
        data = yaml.safe_load(raw)
        on = None if day == 0 else (dt.date(2023, 6, 1) + dt.timedelta(days=day * 3)).isoformat()
        data.setdefault("stage_history", []).append({"stage": stages[stage % len(stages)], "on": on})
        edited[index] = (path, dump(data).encode())
    from dealbook.git.changes import customer_tally

    before = open_book_from(settings, files)
    after = open_book_from(settings, [edited[i] for i in range(len(files))])
    for customer in after.customers.values():
        counted = _tally_as_the_review_counted_it(settings, customer)
        assert customer_tally(settings, customer) == tuple(t for t in counted if any(t[1:]))
    new, old = _both_reviews(monkeypatch, before, after)
    assert new == old
