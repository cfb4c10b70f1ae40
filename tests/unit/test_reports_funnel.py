"""The funnel and cohort reports against hand-computed tables, plus properties on generated histories."""

from __future__ import annotations

import datetime as dt

import pytest
from dealbook.records.book import Book
from dealbook.records.settings import default_settings
from dealbook.reports import REPORTS, funnel_rows
from dealbook.reports.funnel import FUNNEL_KEYS, cohort, funnel
from dealbook.reports.periods import named_period
from hypothesis import given, settings
from hypothesis import strategies as st
from reports_fixtures import TODAY, sales_book

MAY = named_period("2024-05")


@pytest.fixture(scope="module")
def book(tmp_path_factory):
    return sales_book(tmp_path_factory.mktemp("sales"))


def table(rows, *keys):
    return {row["stage"]: tuple(row[k] for k in keys) for row in rows}


def test_funnel_may_hand_computed(book):
    # lead: entered C1 C5; converted C1 (skips discovery) C5; lost C2; days C1 8, C2 13, C5 3.
    # discovery: entered C5, C6 (moved back); converted C4 C5 C6; lost C3; days 30 52 4 25.
    # proposal: entered C1 C4 C5 C6; converted C1 C5; lost C4; C6's move back counts only for days: 21 20 4 15.
    # negotiation: entered C1 (on the 31st) C5; converted C7 C9 (to won); lost C5; days 18 35 30.
    # won: entered C7 C9; nothing left it in May.
    rows = funnel_rows(book, MAY)
    assert [r["stage"] for r in rows] == ["lead", "discovery", "proposal", "negotiation", "won", "after_sales"]
    assert table(rows, "entered", "converted", "lost", "converted_per_entered", "lost_per_entered", "avg_days") == {
        "lead": (2, 2, 1, 1.0, 0.5, 8.0),
        "discovery": (2, 3, 1, 1.5, 0.5, 27.8),
        "proposal": (4, 2, 1, 0.5, 0.25, 15.0),
        "negotiation": (2, 2, 1, 1.0, 0.5, 27.7),
        "won": (2, 0, 0, 0.0, 0.0, None),
        "after_sales": (0, 0, 0, None, None, None),
    }
    assert all(list(r) == list(FUNNEL_KEYS) for r in rows)


def test_funnel_totals_line(book):
    report = funnel(book, MAY, TODAY)
    assert report.totals == {"entered": 12, "converted": 9, "lost": 4, "converted_per_entered": 0.75,
                             "lost_per_entered": 0.3333, "avg_days": 19.9}  # 278 days / 14 departures
    assert report.chart == "funnel" and report.period == MAY


def test_month_boundary_the_31st_is_may_not_june(book):
    june = table(funnel_rows(book, named_period("2024-06")), "entered", "converted", "lost")
    # June: C8 enters lead, C6 re-enters proposal (from discovery: a forward move), C7 goes to after-sales.
    assert june == {"lead": (1, 0, 0), "discovery": (0, 1, 0), "proposal": (1, 0, 0), "negotiation": (0, 0, 0),
                    "won": (0, 1, 0), "after_sales": (1, 0, 0)}


def test_empty_period_gives_none_rates_not_zero(book):
    report = funnel(book, named_period("2023-01"), TODAY)
    assert all(r["entered"] == 0 and r["converted_per_entered"] is None and r["lost_per_entered"] is None
               and r["avg_days"] is None for r in report.rows)
    assert report.totals["converted_per_entered"] is None and report.totals["avg_days"] is None


def test_funnel_by_owner(book):
    rows = funnel_rows(book, MAY, by="owner")
    assert {r["owner"] for r in rows} == {"zhang", "li"}
    zhang = {r["stage"]: (r["entered"], r["converted"], r["lost"]) for r in rows if r["owner"] == "zhang"}
    li = {r["stage"]: (r["entered"], r["converted"], r["lost"]) for r in rows if r["owner"] == "li"}
    # zhang: C1 C2 C3 C4 C9; li: C5 C6 C7 C8
    assert zhang == {"lead": (1, 1, 1), "discovery": (0, 1, 1), "proposal": (2, 1, 1), "negotiation": (1, 1, 0),
                     "won": (1, 0, 0), "after_sales": (0, 0, 0)}
    assert li == {"lead": (1, 1, 0), "discovery": (2, 2, 0), "proposal": (2, 1, 0), "negotiation": (1, 1, 1),
                  "won": (1, 0, 0), "after_sales": (0, 0, 0)}
    assert list(rows[0])[:2] == ["owner", "stage"]


def test_funnel_by_source_keeps_only_groups_with_events(book):
    rows = funnel_rows(book, MAY, by="source")
    assert sorted({r["source"] for r in rows}) == ["referral", "trade_show", "visit", "website"]  # C8 online: June


def test_cohort_hand_computed(book):
    report = cohort(book, named_period("2024"), TODAY)
    keys = ["customers", "reached_lead", "reached_discovery", "reached_proposal", "reached_negotiation",
            "reached_won", "reached_after_sales", "lost", "win_rate"]
    got = {r["month"]: tuple(r[k] for k in keys) for r in report.rows}
    assert got == {
        "2024-01": (1, 1, 1, 1, 1, 1, 1, 0, 1.0),        # C7
        "2024-02": (0, 0, 0, 0, 0, 0, 0, 0, None),
        "2024-03": (2, 2, 2, 2, 1, 1, 0, 1, 0.5),        # C4 lost; C9 won, skipping proposal (still reached)
        "2024-04": (3, 3, 2, 1, 0, 0, 0, 2, 0.0),        # C2 C3 lost; C6 back in proposal
        "2024-05": (2, 2, 2, 2, 2, 0, 0, 1, 0.0),        # C1 skipped discovery; C5 lost
        "2024-06": (1, 1, 0, 0, 0, 0, 0, 0, 0.0),        # C8; months after today are not listed
    }
    assert report.totals["customers"] == 9 and report.totals["win_rate"] == 0.2222


def test_cohort_counts_so_far_as_of_today(book):
    early = cohort(book, named_period("2024-05"), dt.date(2024, 5, 20))
    row = early.rows[0]
    assert (row["customers"], row["reached_negotiation"], row["lost"]) == (2, 1, 0)  # C1's move on the 31st: not yet


def test_every_report_is_registered_and_runs_on_an_empty_book():
    empty = Book(default_settings(), [])
    for name, function in REPORTS.items():
        report = function(empty, MAY, TODAY)
        assert report.name == name
        assert all(c.kind in ("text", "int", "money", "percent", "date", "days") for c in report.columns)


# --- properties on generated histories ------------------------------------------------------------

STAGES = ["lead", "discovery", "proposal", "negotiation", "won", "after_sales", "lost"]


@st.composite
def histories(draw):
    customers = []
    for n in range(draw(st.integers(0, 12))):
        day = dt.date(2024, 1, 1) + dt.timedelta(days=draw(st.integers(0, 200)))
        created = day
        history = []
        for _ in range(draw(st.integers(1, 6))):
            history.append({"stage": draw(st.sampled_from(STAGES)), "on": day.isoformat()})
            day += dt.timedelta(days=draw(st.integers(0, 40)))
        customers.append((f"records/customers/粤IT2024{n:03d}.yaml", {
            "id": f"粤IT2024{n:03d}", "owner": draw(st.sampled_from(["zhang", "li"])), "created": created.isoformat(),
            "stage": history[-1]["stage"], "stage_history": history}))
    return Book(default_settings(), customers)


@settings(max_examples=60, deadline=None)
@given(histories(), st.sampled_from(["2024-02", "2024-Q2", "2024", "2024-07-01"]))
def test_funnel_properties(book, text):
    period = named_period(text)
    rows = funnel_rows(book, period)
    assert all(r[k] >= 0 for r in rows for k in ("entered", "converted", "lost"))
    assert all(r["avg_days"] is None or r["avg_days"] >= 0 for r in rows)
    dated = sum(1 for c in book.customers.values() for e in c.stage_history if e.on in period)
    lost_entries = sum(1 for c in book.customers.values() for e in c.stage_history
                       if e.on in period and e.stage == "lost")
    assert sum(r["entered"] for r in rows) + lost_entries == dated
    split = funnel_rows(book, period, by="owner")
    for key in ("entered", "converted", "lost"):
        assert sum(r[key] for r in split) == sum(r[key] for r in rows)


@settings(max_examples=60, deadline=None)
@given(histories())
def test_cohort_never_counts_a_customer_twice(book):
    report = cohort(book, named_period("2024"), dt.date(2024, 12, 31))
    assert sum(r["customers"] for r in report.rows) == len(book.customers)
    for row in report.rows:
        reached = [row[f"reached_{s}"] for s in STAGES[:-1]]
        assert all(0 <= n <= row["customers"] for n in [*reached, row["lost"]])
        assert reached == sorted(reached, reverse=True)  # reaching a stage implies reaching the ones before


def test_stage_reach_funnel_of_a_cohort_hand_computed(book):
    """Q2 2024 cohort (created 04-01…06-30, today 06-15): C1 05-02, C2 04-20, C3 04-01, C5 05-01,
    C6 04-01, C8 06-01 — six customers. Furthest stage by today: C1 negotiation (it skipped
    discovery, which still counts as reached), C2 lead (then lost), C3 discovery (lost), C5
    negotiation (lost), C6 proposal (it went back to discovery and forward again), C8 lead."""
    from dealbook.reports import reach_rows
    from dealbook.reports.funnel import stage_reach

    rows, counts = reach_rows(book, named_period("2024-Q2"), TODAY)
    assert table(rows, "reached", "share", "step") == {
        "lead": (6, 1.0, None),
        "discovery": (4, 0.6667, 0.6667),
        "proposal": (3, 0.5, 0.75),
        "negotiation": (2, 0.3333, 0.6667),
        "won": (0, 0.0, 0.0),
        "after_sales": (0, 0.0, None),  # nothing reached the stage before: no rate
    }
    assert counts == {"customers": 6, "lost": 3, "won": 0, "open": 3, "undated": 0}
    # every customer: C4 proposal, C7 after-sales, C9 won (skipping proposal) join the six
    rows, counts = reach_rows(book, named_period("all"), TODAY)
    assert [r["reached"] for r in rows] == [9, 7, 6, 4, 2, 1]
    assert [r["step"] for r in rows] == [None, 0.7778, 0.8571, 0.6667, 0.5, 0.5]
    assert (counts["customers"], counts["won"], counts["lost"]) == (9, 2, 4)
    report = stage_reach(book, named_period("all"), TODAY)
    assert report.name == "stage-reach" and report.chart == "reach" and report.chart_key == "reached"
    assert "stage-reach" in REPORTS
