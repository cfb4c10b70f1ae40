"""The process rules, branch by branch, with hand-computed expectations (today is 2024-05-20 unless said)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import yaml
from conftest import customer_data
from dealbook.records.book import Book
from dealbook.records.settings import Settings, _defaults, merge
from dealbook.rules.state import (
    CustomerState,
    Due,
    Flag,
    Grade,
    GradeReason,
    due_of,
    evaluate,
    flags_of,
    grade_of,
    value_tier,
)

TODAY = dt.date(2024, 5, 20)
CID = "粤IT2024001"
D = dt.date.fromisoformat

CONTACTS = [
    {"name": "王总监", "title": "技术总监", "role": "decision_maker"},
    {"name": "李经理", "title": "生产部经理", "role": "influencer"},
]


def settings(text: str = "") -> Settings:
    return Settings(merge(_defaults(), yaml.safe_load(text) or {}))


def book(customer: dict[str, Any], followups: list[dict[str, Any]] = (), text: str = "") -> Book:
    records: list[tuple[str, Any]] = [(f"records/customers/{customer['id']}.yaml", customer)]
    for n, f in enumerate(followups):
        data = {"customer": customer["id"], "method": "phone", "by": "zhang", "summary": "沟通"} | f
        records.append((f"records/followups/{customer['id']}/{data['at'][:10]}-{n:04d}.yaml", data))
    return Book(settings(text), records)


def cust(**overrides: Any) -> dict[str, Any]:
    return customer_data(CID, contacts=CONTACTS, **overrides)


def need(start: str | None = None, budget: str | None = None, **budget_range: int) -> dict[str, Any]:
    out: dict[str, Any] = {"summary": "质检效率低"}
    if budget:
        out["budget"] = {"status": budget, **budget_range}
    if start:
        out["timeline"] = {"start": start}
    return out


def fu(at: str, **fields: Any) -> dict[str, Any]:
    return {"at": at, **fields}


def grade(customer: dict[str, Any], followups: list[dict[str, Any]] = (), today: dt.date = TODAY,
          text: str = "") -> Grade:
    b = book(customer, followups, text)
    return grade_of(b, b.customers[CID], today)


def due(customer: dict[str, Any], followups: list[dict[str, Any]] = (), today: dt.date = TODAY,
        text: str = "") -> Due:
    b = book(customer, followups, text)
    return due_of(b, b.customers[CID], today)


def points(g: Grade) -> dict[str, int]:
    return {r.dimension: r.points for r in g.reasons}


# --- grade: urgency ---------------------------------------------------------------

@pytest.mark.parametrize(("start", "expected"), [
    ("2024-05-01", 2),   # already started: counts as urgent
    ("2024-05-20", 2),   # today
    ("2024-06-20", 2),   # 31 days away: the edge of "high"
    ("2024-06-21", 1),   # 32 days
    ("2024-08-20", 1),   # 92 days: the edge of "medium"
    ("2024-08-21", 0),   # 93 days
    (None, 0),           # no timeline
])
def test_urgency_points_by_days_to_start(start: str | None, expected: int) -> None:
    assert points(grade(cust(need=need(start))))["urgency"] == expected


@pytest.mark.parametrize(("status", "expected"), [
    ("clear", 2), ("partial", 1), ("undetermined", 0), ("none", 0), (None, 0)])
def test_budget_points(status: str | None, expected: int) -> None:
    assert points(grade(cust(need=need(budget=status))))["budget"] == expected


@pytest.mark.parametrize(("followups", "expected"), [
    ([], 0),
    ([fu("2024-05-10 14:00", contact="王总监")], 2),                              # held is the default
    ([fu("2024-05-10 14:00", contact="李经理", outcome="held")], 1),
    ([fu("2024-05-10 14:00", contact="门卫", outcome="held")], 1),                 # not on the record: another contact
    ([fu("2024-05-10 14:00", contact="王总监", outcome="no_answer")], 0),
    ([fu("2024-05-10 14:00", contact="王总监", outcome="missed")], 0),
    ([fu("2024-05-10 14:00", outcome="held")], 0),                                # no contact named
    ([fu("2024-04-01 09:00", contact="王总监"), fu("2024-05-10 14:00", contact="李经理")], 2),  # best held counts
])
def test_access_points(followups: list[dict[str, Any]], expected: int) -> None:
    assert points(grade(cust(), followups))["access"] == expected


@pytest.mark.parametrize(("start", "budget", "contact", "score", "letter"), [
    ("2024-06-01", "clear", "王总监", 6, "A"),
    ("2024-06-01", "partial", "王总监", 5, "B"),
    ("2024-07-01", "undetermined", "李经理", 2, "B"),
    ("2024-07-01", "undetermined", None, 1, "C"),
    (None, None, None, 0, "C"),
])
def test_letters_from_score(start, budget, contact, score, letter) -> None:
    followups = [fu("2024-05-10 14:00", contact=contact)] if contact else []
    g = grade(cust(need=need(start, budget)), followups)
    assert (g.score, g.letter, g.computed, g.override, g.downgraded) == (score, letter, letter, False, False)
    assert sum(r.points for r in g.reasons) == g.score


def test_seed_000_example_a_keji_is_b_with_a_weekly_cadence() -> None:
    # 000 §2.2: need clear, budget 待定 with 50–80万 mentioned, contact the production manager, start Q3.
    customer = cust(stage="discovery", need=need("2024-07-01", "undetermined", min=500000, max=800000))
    followups = [fu("2024-05-10 14:00", contact="李经理")]
    g = grade(customer, followups, today=D("2024-05-13"))
    assert points(g) == {"urgency": 1, "budget": 0, "access": 1}
    assert g.letter == "B"
    d = due(customer, followups, today=D("2024-05-13"), text="language: en")
    assert (d.date, d.kind) == (D("2024-05-17"), "cadence")
    assert d.reason == "B grade: every 7 days, last contact 3 days ago (B grade: company IM + email)"


def test_grade_thresholds_come_from_settings() -> None:
    text = "grading: {letters: {a_min: 5, c_max: 2}, urgency: {high_days: 10}}"
    g = grade(cust(need=need("2024-06-01", "partial")), [fu("2024-05-10 14:00", contact="王总监")], text=text)
    assert points(g)["urgency"] == 1 and g.score == 4 and g.letter == "B"
    g = grade(cust(need=need("2024-05-25", "partial")), [fu("2024-05-10 14:00", contact="王总监")], text=text)
    assert g.score == 5 and g.letter == "A"
    assert grade(cust(need=need(budget="partial")), [fu("2024-05-10 14:00", contact="李经理")], text=text).letter == "C"


def test_manual_override_wins_and_is_marked() -> None:
    g = grade(cust(grade={"value": "A", "reason": "集团战略客户"}))
    assert (g.letter, g.computed, g.score, g.override) == ("A", "C", 0, True)
    assert g.reasons[-1].dimension == "override" and "集团战略客户" in g.reasons[-1].why


# --- missed twice: downgrade and pause ------------------------------------------

A_CUSTOMER = {"need": need("2024-06-01", "clear")}
HELD_WITH_DM = fu("2024-04-01 10:00", contact="王总监")
PAUSE = "exceptions: {mode: pause}"  # the earlier default: nothing is due until the reassessment


def test_two_missed_in_a_row_drop_a_grade_and_pause_90_days_in_pause_mode() -> None:
    followups = [HELD_WITH_DM, fu("2024-05-06 10:00", outcome="missed"), fu("2024-05-13 10:00", outcome="missed")]
    g = grade(cust(**A_CUSTOMER), followups, text=PAUSE)
    assert (g.score, g.letter, g.computed, g.downgraded) == (6, "B", "B", True)
    assert g.pause_from_missed == g.reassess_on == D("2024-08-11")  # 2024-05-13 + 90 days
    d = due(cust(**A_CUSTOMER), followups, text="language: en\n" + PAUSE)
    assert (d.date, d.kind, d.overdue_days) == (D("2024-08-11"), "paused", 0)
    assert d.reason == "missed 2 appointments in a row: paused until 2024-08-11, then reassess"


def test_missed_then_held_is_no_streak() -> None:
    followups = [fu("2024-05-06 10:00", outcome="missed"), fu("2024-05-10 10:00", contact="王总监"),
                 fu("2024-05-13 10:00", outcome="missed")]
    g = grade(cust(**A_CUSTOMER), followups)
    assert (g.letter, g.downgraded, g.pause_from_missed) == ("A", False, None)


def test_c_stays_c_when_missed_twice_but_is_still_paused() -> None:
    followups = [fu("2024-05-06 10:00", outcome="missed"), fu("2024-05-13 10:00", outcome="missed")]
    g = grade(cust(), followups, text=PAUSE)
    assert (g.letter, g.computed, g.downgraded, g.pause_from_missed) == ("C", "C", True, D("2024-08-11"))
    assert due(cust(), followups, text=PAUSE).kind == "paused"


def test_pause_end_makes_the_reassessment_overdue_until_a_new_follow_up() -> None:
    followups = [HELD_WITH_DM, fu("2024-05-06 10:00", outcome="missed"), fu("2024-05-13 10:00", outcome="missed")]
    d = due(cust(**A_CUSTOMER), followups, today=D("2024-08-21"), text="language: en\n" + PAUSE)
    assert (d.date, d.kind, d.overdue_days) == (D("2024-08-11"), "paused", 10)
    assert d.reason == "pause ended 2024-08-11: reassess"
    # a held follow-up after the pause ends it: no streak any more, so A again and its 2-day cadence
    later = [*followups, fu("2024-08-12 10:00", contact="王总监")]
    d = due(cust(**A_CUSTOMER), later, today=D("2024-08-21"), text=PAUSE)
    assert (d.date, d.kind, d.overdue_days) == (D("2024-08-14"), "cadence", 7)


def test_the_override_drops_one_step_under_the_exception_and_the_pause_holds() -> None:
    followups = [fu("2024-05-06 10:00", outcome="missed"), fu("2024-05-13 10:00", outcome="missed")]
    customer = cust(grade={"value": "A", "reason": "战略客户"})
    g = grade(customer, followups, text=PAUSE)
    assert (g.letter, g.override, g.computed) == ("B", True, "C")
    assert due(customer, followups, text=PAUSE).date == D("2024-08-11")


def test_a_later_paused_until_in_the_record_wins_over_the_missed_pause() -> None:
    followups = [fu("2024-05-06 10:00", outcome="missed"), fu("2024-05-13 10:00", outcome="missed")]
    assert due(cust(paused_until="2024-10-01"), followups, text=PAUSE).date == D("2024-10-01")
    assert due(cust(paused_until="2024-06-01"), followups, text=PAUSE).date == D("2024-08-11")


def test_paused_until_in_the_record() -> None:
    d = due(cust(paused_until="2024-06-30"), [fu("2024-05-10 14:00", contact="李经理")], text="language: en")
    assert (d.date, d.kind, d.overdue_days, d.reason) == (D("2024-06-30"), "paused", 0,
                                                         "paused until 2024-06-30, then reassess")
    # a pause that ended before the latest follow-up no longer matters
    d = due(cust(paused_until="2024-05-01"), [fu("2024-05-10 14:00", contact="李经理")])
    assert (d.date, d.kind) == (D("2024-05-24"), "cadence")  # C (score 1): 14 days


# --- next due ------------------------------------------------------------------

def test_next_action_earlier_than_cadence_wins() -> None:
    followups = [fu("2024-05-10 14:00", contact="李经理",
                    next=[{"action": "整理MES对接方案", "due": "2024-05-16"},
                          {"action": "与技术王总监预约现场对接", "due": "2024-05-14"}])]
    d = due(cust(need=need("2024-07-01", "partial")), followups, text="language: en")
    assert (d.date, d.kind, d.overdue_days) == (D("2024-05-14"), "next_action", 6)
    assert d.reason == "next action 与技术王总监预约现场对接 due 2024-05-14"
    zh = due(cust(need=need("2024-07-01", "partial")), followups)
    assert zh.reason == "下一步「与技术王总监预约现场对接」截止 2024-05-14"


def test_cadence_earlier_than_next_action_wins() -> None:
    followups = [fu("2024-05-13 14:00", contact="李经理", next=[{"action": "报价", "due": "2024-06-30"}])]
    d = due(cust(need=need("2024-07-01", "partial")), followups, text="language: en")
    assert (d.date, d.kind, d.overdue_days) == (D("2024-05-20"), "cadence", 0)
    assert d.reason == "B grade: every 7 days, last contact 7 days ago (B grade: company IM + email)"
    # the contact method each grade calls for is a setting (cadence.methods)
    zh = due(cust(need=need("2024-07-01", "partial")), followups, text="cadence: {methods: {B: {zh: 微信+邮件}}}")
    assert zh.reason == "B级每 7 天一次,上次联系 7 天前(B级:微信+邮件)"


def test_only_the_latest_follow_ups_next_actions_count() -> None:
    followups = [fu("2024-05-01 14:00", next=[{"action": "旧任务", "due": "2024-05-03"}]), fu("2024-05-15 09:00")]
    d = due(cust(), followups)  # C: 14 days from 2024-05-15
    assert (d.date, d.kind) == (D("2024-05-29"), "cadence")


@pytest.mark.parametrize(("customer", "followups", "expected"), [
    (cust(grade={"value": "A", "reason": "r"}), [fu("2024-05-18 10:00")], "2024-05-20"),
    (cust(need=need("2024-07-01", "partial")), [fu("2024-05-18 10:00", contact="李经理")], "2024-05-25"),
    (cust(), [fu("2024-05-18 10:00")], "2024-06-01"),
])
def test_cadence_by_grade(customer, followups, expected) -> None:
    assert due(customer, followups).date == D(expected)


@pytest.mark.parametrize(("letter", "days", "hours"), [("A", 1, 24), ("B", 2, 48), ("C", 3, 72)])
def test_first_response_by_grade(letter: str, days: int, hours: int) -> None:
    customer = cust(created="2024-05-18", grade={"value": letter, "reason": "分级"})
    d = due(customer, text="language: en")
    assert (d.date, d.kind) == (D("2024-05-18") + dt.timedelta(days=days), "first_response")
    due_day = (D("2024-05-18") + dt.timedelta(days=days)).isoformat()
    assert d.reason == f"new lead (priority {letter}, by grade): first response within {hours} h, by {due_day}"
    assert d.overdue_days == max(0, (TODAY - d.date).days)


def test_a_no_follow_up_c_lead_is_due_created_plus_three_days() -> None:
    d = due(cust(created="2024-05-01"))
    assert (d.date, d.overdue_days, d.reason) == (D("2024-05-04"), 16,
                                                  "新线索(C类,按评级):72 小时内首次响应,截至 2024-05-04")


SEED_003 = """
language: en
stages:
  - {key: lead, kind: open, label: {zh: 潜在客户, en: Prospect}, probability: 0.1}
  - {key: qualified, kind: open, label: {zh: 意向客户, en: Qualified}, probability: 0.3}
  - {key: won, kind: won, label: {zh: 成交客户, en: Won}, probability: 1.0}
  - {key: lost, kind: lost, label: {zh: 流失客户, en: Lost}, probability: 0.0}
cadence:
  by: stage
  stage: {lead: 7, qualified: 3, won: 30}
"""


def test_cadence_by_stage_settings_variant() -> None:
    qualified = cust(stage="qualified", stage_history=[{"stage": "qualified", "on": "2024-05-01"}])
    d = due(qualified, [fu("2024-05-15 10:00")], text=SEED_003)
    assert (d.date, d.kind, d.overdue_days) == (D("2024-05-18"), "cadence", 2)
    assert d.reason == "Qualified stage: every 3 days, last contact 5 days ago"
    d = due(cust(), [fu("2024-05-15 10:00")], text=SEED_003)  # lead: 7 days, not C's 14
    assert d.date == D("2024-05-22")
    # a stage missing from cadence.stage falls back to the grade's cadence
    d = due(cust(), [fu("2024-05-15 10:00")], text=SEED_003.replace("lead: 7, ", ""))
    assert (d.date, d.reason) == (D("2024-05-29"), "C grade: every 14 days, last contact 5 days ago "
                                                   "(C grade: light touch (social posts, holiday greetings))")


def test_lost_is_never_due() -> None:
    lost = cust(stage="lost", lost={"reason": "budget"}, stage_history=[{"stage": "lead", "on": "2024-01-05"},
                                                                       {"stage": "lost", "on": "2024-03-01"}])
    d = due(lost, [fu("2024-02-01 10:00", next=[{"action": "x", "due": "2024-02-03"}])])
    assert (d.date, d.kind, d.overdue_days) == (None, "none", 0)


def test_future_follow_ups_are_ignored_when_replaying_a_past_date() -> None:
    followups = [fu("2024-05-10 14:00", contact="李经理"), fu("2024-05-25 09:00", contact="王总监"),
                 fu("2024-05-20 18:30", outcome="missed"), fu("2024-05-21 08:00", outcome="missed")]
    customer = cust(need=need("2024-06-01", "clear"))
    g = grade(customer, followups)
    assert points(g)["access"] == 1 and g.letter == "B" and not g.downgraded  # 05-25 DM meeting not yet held
    d = due(customer, followups)
    assert (d.date, d.kind) == (D("2024-05-27"), "cadence")  # B: 05-20 + 7
    b = book(customer, followups)
    assert evaluate(b, TODAY)[CID].last_contact == D("2024-05-20")
    assert evaluate(b, D("2024-05-26"))[CID].grade.letter == "A"


# --- after delivery ----------------------------------------------------------------

WON = {"stage": "after_sales", "need": need("2023-10-01", "clear"),
       "contracts": [{"no": "HT-001", "amount": 600000, "signed": "2023-12-01", "delivered": "2024-01-10"}]}


# Delivered 2024-01-10. Windows (days after delivery): 3–7 → 01-13..01-17, 23–37 → 02-02..02-16,
# 76–104 → 03-26..04-23, 166–194 → 06-24..07-22. Care letter: each 12-31, met by a held
# follow-up from 30 days before it (12-01) until the next year's span opens.
FIRST = "after-sales visit 3–7 days after delivery (delivered 2024-01-10)"
MONTH = "after-sales visit 23–37 days after delivery (delivered 2024-01-10)"
QUARTER = "after-sales visit 76–104 days after delivery (delivered 2024-01-10)"
CARE = "yearly customer-care letter (each 12-31)"


@pytest.mark.parametrize(("visits", "today", "expected", "reason"), [
    ([], "2024-01-12", "2024-01-17", FIRST),                              # in time: due on the window's last day
    ([], "2024-01-18", "2024-01-17", FIRST),                              # day 8, no visit: 1 day overdue
    (["2024-01-13 10:00"], "2024-01-20", "2024-02-16", MONTH),            # day 3 meets the first window
    (["2024-01-11 10:00"], "2024-01-20", "2024-02-16", MONTH),            # day 1: early still meets it
    (["2024-01-18 10:00"], "2024-01-20", "2024-02-16", MONTH),            # day 8: late, but it is the first visit
    (["2024-01-13 10:00", "2024-01-15 10:00"], "2024-01-20", "2024-02-16", MONTH),  # a 2nd call in week 1: no
    (["2024-01-13 10:00", "2024-01-25 10:00"], "2024-01-26", "2024-04-23", QUARTER),  # day 15: month visit, early
    (["2024-03-01 10:00"], "2024-03-02", "2024-04-23", QUARTER),          # day 51: month visit late, first missed
    (["2024-01-13 10:00", "2024-02-05 10:00", "2024-04-01 10:00", "2024-07-01 10:00"], "2024-07-02",
     "2024-12-31", CARE),                                                  # all four done: the year-end letter
])
def test_after_sales_visit_windows(visits: list[str], today: str, expected: str, reason: str) -> None:
    followups = [fu(v, method="visit", contact="王总监") for v in visits]
    d = due(cust(**WON), followups, today=D(today), text="language: en")
    assert (d.date, d.reason) == (D(expected), reason)
    assert d.kind == ("care_letter" if reason == CARE else "after_sales")
    assert d.overdue_days == max(0, (D(today) - D(expected)).days)


DONE = ["2024-01-13 10:00", "2024-02-05 10:00", "2024-04-01 10:00", "2024-07-01 10:00"]


@pytest.mark.parametrize(("extra", "today", "expected"), [
    (["2024-12-15 10:00"], "2024-12-20", "2025-12-31"),   # sent in December: next year's is due
    (["2024-11-20 10:00"], "2024-12-20", "2024-12-31"),   # before its 30-day span: does not count
    ([], "2025-01-10", "2024-12-31"),                      # across the year end, unsent: 10 days overdue
    (["2025-01-05 10:00"], "2025-01-10", "2025-12-31"),   # sent late, in January: it counts for 2024
    ([], "2025-12-05", "2025-12-31"),                      # 2024's letter was never sent; 2025's span has opened
])
def test_the_care_letter_across_the_year_end(extra: list[str], today: str, expected: str) -> None:
    followups = [fu(v, method="visit", contact="王总监") for v in DONE + extra]
    d = due(cust(**WON), followups, today=D(today), text="language: en")
    assert (d.date, d.kind) == (D(expected), "care_letter")
    assert d.overdue_days == max(0, (D(today) - D(expected)).days)


def test_the_care_letter_day_is_a_setting() -> None:
    followups = [fu(v, method="visit", contact="王总监") for v in DONE]
    d = due(cust(**WON), followups, today=D("2024-07-02"), text="after_sales:\n  care_letter: '09-30'\n")
    assert (d.date, d.kind, d.reason) == (D("2024-09-30"), "care_letter", "年度客户关怀函(每年 09-30)")


def test_a_missed_visit_does_not_meet_a_window() -> None:
    followups = [fu("2024-01-14 10:00", method="visit", outcome="missed")]
    assert due(cust(**WON), followups, today=D("2024-01-20")).date == D("2024-01-17")


def test_after_sales_next_action_after_delivery_counts_when_earlier() -> None:
    followups = [fu("2024-01-18 10:00", contact="王总监", next=[{"action": "培训", "due": "2024-01-25"}])]
    d = due(cust(**WON), followups, today=D("2024-01-20"))
    assert (d.date, d.kind) == (D("2024-01-25"), "next_action")


UNDELIVERED = dict(WON, stage="won", contracts=[{"no": "HT-1", "amount": 1, "signed": "2024-05-01",
                                                 "delivered": "2024-06-30"}])


def test_signed_but_not_delivered_follows_the_weekly_delivery_cadence_not_the_grade() -> None:
    d = due(cust(**UNDELIVERED), [fu("2024-05-15 10:00", contact="王总监")], text="language: en")
    assert (d.date, d.kind) == (D("2024-05-22"), "delivery")  # not A's 2 days: 05-15 + 7
    assert d.reason == "signed, not yet delivered: a progress update every 7 days, last contact 5 days ago"


def test_the_delivery_cadence_counts_from_signing_when_nobody_called_since() -> None:
    d = due(cust(**UNDELIVERED), [fu("2024-04-20 10:00", contact="王总监")])
    assert (d.date, d.kind, d.overdue_days) == (D("2024-05-08"), "delivery", 12)  # signed 05-01 + 7
    assert d.reason == "已签约待交付:每 7 天同步一次交付进度,签约于 2024-05-01"


def test_the_delivery_cadence_is_a_setting() -> None:
    d = due(cust(**UNDELIVERED), [fu("2024-05-15 10:00", contact="王总监")],
            text="after_sales:\n  delivery_cadence_days: 3\n")
    assert (d.date, d.kind) == (D("2024-05-18"), "delivery")


def test_a_repeat_purchase_signed_after_delivery_gets_the_weekly_delivery_update_too() -> None:
    """The first contract's visits are all done (next: the care letter in December); a second
    contract signed 2024-05-01 is not delivered yet, so its progress update is due weekly."""
    repeat = {"no": "HT-002", "amount": 200000, "signed": "2024-05-01"}
    customer = cust(**dict(WON, contracts=[*WON["contracts"], repeat]))
    visits = [fu(v, method="visit", contact="王总监") for v in DONE]
    d = due(customer, visits, today=D("2024-07-10"), text="language: en")
    assert (d.date, d.kind, d.overdue_days) == (D("2024-07-08"), "delivery", 2)  # last contact 07-01 + 7
    assert d.reason == "signed, not yet delivered: a progress update every 7 days, last contact 9 days ago"
    delivered = cust(**dict(WON, contracts=[*WON["contracts"], dict(repeat, delivered="2024-06-01")]))
    assert due(delivered, visits, today=D("2024-07-10")).kind == "after_sales"  # its own windows restart


def test_the_older_visit_days_setting_still_schedules() -> None:
    d = due(cust(**WON), [fu("2024-01-18 10:00", method="visit")], today=D("2024-01-20"),
            text="after_sales:\n  visits_after_delivery_days: [7, 30]\n")
    assert d.date == D("2024-02-09")  # the 7-day visit was met late on 01-18; the 30-day one is next


# --- value tiers -------------------------------------------------------------------

def _contracts(*pairs: tuple[str, int]) -> list[dict[str, Any]]:
    return [{"no": f"HT-{n}", "amount": amount, "signed": signed} for n, (signed, amount) in enumerate(pairs)]


@pytest.mark.parametrize(("stage", "contracts", "tier"), [
    ("proposal", [], None),
    ("won", _contracts(("2024-03-01", 500000)), "high"),
    ("won", _contracts(("2024-03-01", 499999)), "medium"),
    ("won", _contracts(("2024-03-01", 300000), ("2024-09-01", 250000)), "high"),   # one year's total
    ("won", _contracts(("2023-03-01", 300000), ("2024-09-01", 250000)), "high"),   # 2 years running
    ("won", _contracts(("2022-03-01", 30000), ("2024-09-01", 20000)), "low"),      # not consecutive
    ("after_sales", _contracts(("2024-03-01", 100000)), "medium"),
    ("won", _contracts(("2024-03-01", 99999)), "low"),
])
def test_value_tier(stage: str, contracts: list[dict[str, Any]], tier: str | None) -> None:
    b = book(cust(stage=stage, contracts=contracts))
    assert value_tier(b, b.customers[CID]) == tier


# --- flags -------------------------------------------------------------------------

A_OVERRIDE = {"grade": {"value": "A", "reason": "重点"}}


def flags(customer, followups, today=TODAY, text="language: en") -> tuple[Flag, ...]:
    b = book(customer, followups, text)
    return flags_of(b, b.customers[CID], today)


def test_a_grade_without_contact_for_seven_days() -> None:
    found = flags(cust(**A_OVERRIDE), [fu("2024-05-13 10:00")])
    assert found == (Flag("a_grade_no_contact", "A-grade customer not contacted for 7 days (limit 7)",
                          D("2024-05-20")),)
    assert flags(cust(**A_OVERRIDE), [fu("2024-05-14 10:00")]) == ()
    assert flags(cust(), [fu("2024-05-01 10:00")]) == ()  # only A-grade customers


def test_a_grade_not_chased_weekly_once_signed_or_while_paused() -> None:
    """A won customer follows the after-sales schedule (next visit months away) and a paused one waits:
    neither is flagged for a week without contact; an open deal is, and a pause that ended is too."""
    contract = {"no": "HT-1", "amount": 600000, "signed": "2024-01-05", "delivered": "2024-01-10"}
    history = [{"stage": "lead", "on": "2024-01-02"}, {"stage": "won", "on": "2024-01-05"},
               {"stage": "after_sales", "on": "2024-01-10"}]
    visits = [fu(f"{d} 10:00", method="visit") for d in ("2024-01-13", "2024-02-05", "2024-04-01")]
    signed = cust(stage="after_sales", stage_history=history, contracts=[contract], **A_OVERRIDE)
    assert due(signed, visits).date == D("2024-07-22")  # the six-month visit
    assert flags(signed, visits) == ()
    paused = cust(paused_until="2024-06-30", **A_OVERRIDE)
    assert flags(paused, [fu("2024-05-01 10:00")]) == ()
    assert [f.code for f in flags(paused, [fu("2024-05-01 10:00")], today=D("2024-07-02"))] == [
        "a_grade_no_contact"]
    assert [f.code for f in flags(cust(**A_OVERRIDE), [fu("2024-05-01 10:00")])] == ["a_grade_no_contact"]


def test_three_unanswered_calls_in_a_row() -> None:
    calls = [fu(f"2024-05-1{n} 10:00", outcome="no_answer") for n in (5, 6, 7)]
    found = flags(cust(), calls)
    assert [f.code for f in found] == ["change_contact_method"]
    assert found[0].message == "3 unanswered calls in a row: change the contact method"
    assert found[0].due == D("2024-05-17")
    assert flags(cust(), calls[1:]) == ()
    assert flags(cust(), [*calls[:2], fu("2024-05-17 10:00", method="im", outcome="no_answer")]) == ()


def test_competitor_objection_needs_a_differentiation_analysis_within_24_hours() -> None:
    found = flags(cust(), [fu("2024-05-19 15:30", contact="李经理", objections=["competitor", "price"])])
    assert found == (Flag("differentiation_due", "competitor raised on 2024-05-19: differentiation analysis "
                                                 "due within 24 h (by 2024-05-20 15:30)", D("2024-05-20")),)
    older = [fu("2024-05-10 15:30", objections=["competitor"]), fu("2024-05-12 10:00")]
    assert flags(cust(), older) == ()


def test_lost_customers_raise_no_flags() -> None:
    lost = cust(stage="lost", lost={"reason": "budget"}, **A_OVERRIDE)
    assert flags(lost, [fu("2024-05-01 10:00", objections=["competitor"])]) == ()


# --- evaluate ----------------------------------------------------------------------

def test_evaluate_gathers_every_rule_and_is_memoised_per_day() -> None:
    b = book(cust(need=need("2024-07-01", "partial")), [fu("2024-05-13 14:00", contact="李经理")])
    states = evaluate(b, TODAY)
    assert evaluate(b, TODAY) is states
    assert evaluate(b, D("2024-05-21")) is not states
    state = states[CID]
    assert isinstance(state, CustomerState)
    assert state.grade.letter == "B" and state.grade.score == 3
    assert state.grade.reasons[1] == GradeReason("budget", 1, "预算部分明确")
    assert (state.due.date, state.last_contact, state.paused_until, state.value_tier, state.flags) == (
        D("2024-05-20"), D("2024-05-13"), None, None, ())
