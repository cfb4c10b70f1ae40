"""Lead intake and exceptions, worked by hand: priority and first-response hours, the manager's
review, the owner's plan, "no need for now" and missed appointments (lower and pause modes), help
requests. Today is 2024-05-20 unless said; the team's timezone is Asia/Shanghai unless said."""

from __future__ import annotations

import datetime as dt
from typing import Any

from conftest import TEAM
from dealbook.records.book import Book
from dealbook.rules.agenda import agenda_items
from dealbook.rules.state import evaluate
from test_rules import CID, TODAY, D, cust, fu, need, settings

A_SCORE = {"need": need("2024-06-01", "clear")}  # urgency 2 + budget 2 (+ access 2 after a DM meeting)
DM = fu("2024-04-01 10:00", contact="王总监")  # held with the decision maker: access 2 → A


def team_book(customer: dict[str, Any], followups: list[dict[str, Any]] = (), text: str = "language: en") -> Book:
    records: list[tuple[str, Any]] = [("records/team.yaml", TEAM),
                                      (f"records/customers/{customer['id']}.yaml", customer)]
    for n, f in enumerate(followups):
        data = {"customer": customer["id"], "method": "phone", "by": "zhang", "summary": "沟通"} | f
        records.append((f"records/followups/{customer['id']}/{data['at'][:10]}-{n:04d}.yaml", data))
    return Book(settings(text), records)


def state(customer: dict[str, Any], followups: list[dict[str, Any]] = (), text: str = "language: en",
          today: dt.date = TODAY):
    return evaluate(team_book(customer, followups, text), today)[CID]


def flags(customer: dict[str, Any], followups: list[dict[str, Any]] = (), text: str = "language: en",
          today: dt.date = TODAY) -> dict[str, Any]:
    return {f.code: f for f in state(customer, followups, text, today).flags}


REVIEWED = {"review": {"by": "chen", "on": "2024-05-20 16:00", "result": "ok"}}


# --- first response: priority and hours ------------------------------------------------------


def test_priority_set_by_hand_gives_24_hours_from_the_minute_of_acquisition() -> None:
    s = state(cust(created="2024-05-20 14:30", lead={"priority": "A"}, **REVIEWED))
    assert s.grade.letter == "C" and not s.grade.override  # the grade is untouched
    assert (s.due.date, s.due.kind) == (D("2024-05-21"), "first_response")
    assert s.due.reason == "new lead (priority A, set by hand): first response within 24 h, by 2024-05-21 14:30"


def test_priority_from_the_lead_type_or_the_channel_else_the_grade() -> None:
    by_type = state(cust(created="2024-05-20 14:30", lead_type="referral", **REVIEWED)).due
    assert by_type.reason == "new lead (priority A, by lead type): first response within 24 h, by 2024-05-21 14:30"
    by_channel = state(cust(created="2024-05-20 14:30", source={"channel": "referral"}, **REVIEWED)).due
    assert by_channel.reason.startswith("new lead (priority A, by source channel)")
    by_grade = state(cust(created="2024-05-20 14:30", **REVIEWED)).due  # C: 72 h
    assert (by_grade.date, by_grade.reason) == (
        D("2024-05-23"), "new lead (priority C, by grade): first response within 72 h, by 2024-05-23 14:30")
    # the settings decide what derives what
    custom = state(cust(created="2024-05-20 14:30", lead_type="competitor_churn", **REVIEWED),
                   text="language: en\nintake: {priority: {lead_type: {competitor_churn: B}}}").due
    assert custom.reason.startswith("new lead (priority B, by lead type): first response within 48 h")


def test_the_deadline_runs_across_midnight() -> None:
    due = state(cust(created="2024-05-20 22:30", lead={"priority": "B"}, **REVIEWED)).due
    assert (due.date, due.overdue_days) == (D("2024-05-22"), 0)
    assert due.reason.endswith("within 48 h, by 2024-05-22 22:30")
    overdue = state(cust(created="2024-05-18 23:50", lead={"priority": "A"}, **REVIEWED)).due
    assert (overdue.date, overdue.overdue_days) == (D("2024-05-19"), 1)  # 2024-05-19 23:50 has passed


def test_hours_are_real_hours_in_the_teams_timezone_across_a_clock_change() -> None:
    # New York moves its clocks forward at 02:00 on 2024-03-10: 24 real hours after 12:00 on 03-09 is 13:00
    text = "language: en\ntimezone: America/New_York"
    due = state(cust(created="2024-03-09 12:00", lead={"priority": "A"}, **REVIEWED), text=text,
                today=D("2024-03-09")).due
    assert due.reason.endswith("by 2024-03-10 13:00")
    shanghai = state(cust(created="2024-03-09 12:00", lead={"priority": "A"}, **REVIEWED),
                     today=D("2024-03-09")).due
    assert shanghai.reason.endswith("by 2024-03-10 12:00")


def test_a_date_without_a_time_counts_from_its_midnight() -> None:
    due = state(cust(created="2024-05-18", lead={"priority": "B"}, **REVIEWED)).due
    assert (due.date, due.reason) == (D("2024-05-20"),
                                      "new lead (priority B, set by hand): first response within 48 h, by 2024-05-20")


def test_hours_are_settings_and_the_older_days_setting_still_counts() -> None:
    hours = state(cust(created="2024-05-20 08:00", lead={"priority": "A"}, **REVIEWED),
                  text="language: en\nintake: {first_response_hours: {A: 4}}").due
    assert hours.reason.endswith("within 4 h, by 2024-05-20 12:00") and hours.date == TODAY
    days = state(cust(created="2024-05-20 08:00", lead={"priority": "A"}, **REVIEWED),
                 text="language: en\nfirst_response_days: {A: 2}").due
    assert days.reason.endswith("within 48 h, by 2024-05-22 08:00")


def test_once_a_follow_up_is_logged_the_computed_grade_takes_over() -> None:
    customer = cust(created="2024-05-18 09:00", lead={"priority": "A"}, **REVIEWED)
    s = state(customer, [fu("2024-05-18 15:00", contact="李经理")])
    assert s.grade.letter == "C" and (s.due.date, s.due.kind) == (D("2024-06-01"), "cadence")  # C: 14 days


def test_a_planned_first_contact_earlier_than_the_deadline_is_what_is_due() -> None:
    plan = [{"action": "电话联系王总监,介绍产品", "due": "2024-05-21 10:00", "method": "phone"}]
    customer = cust(created="2024-05-20 09:00", **REVIEWED, lead={"plan": plan})
    due = state(customer).due
    assert (due.date, due.kind, due.reason) == (D("2024-05-21"), "next_action",
                                                "planned: 电话联系王总监,介绍产品 at 2024-05-21 10:00")


# --- the manager's review and the owner's plan ---------------------------------------------


def test_an_unreviewed_lead_is_on_the_reviewers_agenda_due_48_hours_after_creation() -> None:
    found = flags(cust(created="2024-05-20 09:00"))
    review = found["lead_review"]
    assert (review.due, review.to) == (D("2024-05-22"), ("chen",))
    assert review.message == ("new lead to review (review): created 2024-05-20 09:00, review within 48 h, "
                              "by 2024-05-22 09:00; missing contacts.phone: send it back")
    items = agenda_items(team_book(cust(created="2024-05-20 09:00")), TODAY, owner="chen")
    assert [(i.kind, i.owner, i.who) for i in items] == [("lead_review", "zhang", ("chen",))]
    assert "lead_review" not in {i.kind for i in agenda_items(team_book(cust(created="2024-05-20 09:00")), TODAY,
                                                              owner="zhang")}


def test_a_reviewed_lead_has_no_review_item_and_a_sent_back_one_is_the_owners() -> None:
    assert "lead_review" not in flags(cust(created="2024-05-20 09:00", **REVIEWED))
    sent_back = {"by": "chen", "on": "2024-05-19 11:00", "result": "send_back", "comment": "需补充客户采购决策人信息"}
    back = flags(cust(created="2024-05-18 09:00", review=sent_back))
    item = back["lead_sent_back"]
    assert (item.due, item.to) == (D("2024-05-19"), ())  # () is the owner
    assert item.message == ("lead sent back by 陈静 on 2024-05-19: 需补充客户采购决策人信息; "
                            "once completed, the reviewer sets result: ok")


def test_the_plan_is_due_12_hours_after_assignment() -> None:
    plan = flags(cust(created="2024-05-20 20:00", **REVIEWED))["lead_plan"]
    assert (plan.due, plan.to) == (D("2024-05-21"), ())
    assert plan.message.endswith("within 12 h of assignment, by 2024-05-21 08:00")
    later = flags(cust(created="2024-05-19 08:00", lead={"assigned": "2024-05-20 10:30"}, **REVIEWED))["lead_plan"]
    assert later.message.endswith("by 2024-05-20 22:30") and later.due == TODAY
    planned = cust(created="2024-05-20 20:00", **REVIEWED, lead={"plan": [{"action": "电话", "due": "2024-05-21"}]})
    assert "lead_plan" not in flags(planned)
    assert "lead_plan" not in flags(cust(created="2024-05-20 08:00", **REVIEWED), [fu("2024-05-20 09:00")])


def test_intake_items_only_for_leads_and_only_since_the_setting() -> None:
    moved = cust(created="2024-05-10 09:00", stage="discovery", need={"summary": "x"},
                 stage_history=[{"stage": "lead", "on": "2024-05-10"}, {"stage": "discovery", "on": "2024-05-12"}])
    assert not {"lead_review", "lead_plan"} & set(flags(moved))
    old = cust(created="2024-01-05")
    assert {"lead_review", "lead_plan"} <= set(flags(old))
    assert not {"lead_review", "lead_plan"} & set(flags(old, text="language: en\nintake: {since: 2024-03-01}"))


# --- exceptions: no need for now, two missed appointments ----------------------------------


def test_no_need_lowers_the_cadence_one_grade_and_asks_for_a_reassessment_in_90_days() -> None:
    s = state(cust(**A_SCORE), [DM, fu("2024-05-13 10:00", contact="王总监", outcome="no_need")])
    assert (s.grade.score, s.grade.letter, s.grade.downgraded, s.grade.exception) == (6, "B", True, "no_need")
    assert (s.due.date, s.due.kind) == (D("2024-05-20"), "cadence")  # B weekly from 05-13, not A's 2 days
    reassess = {f.code: f for f in s.flags}["reassess"]
    assert (reassess.due, reassess.message) == (
        D("2024-08-11"), "no need for now: followed up as grade B, reassess on 2024-08-11")
    assert s.paused_until is None


def test_no_need_in_pause_mode_stops_everything_until_the_reassessment() -> None:
    s = state(cust(**A_SCORE), [DM, fu("2024-05-13 10:00", outcome="no_need")],
              text="language: en\nexceptions: {mode: pause}")
    assert (s.grade.letter, s.due.date, s.due.kind, s.paused_until) == ("B", D("2024-08-11"), "paused",
                                                                        D("2024-08-11"))
    assert s.due.reason == "no need for now: paused until 2024-08-11, then reassess"
    assert "reassess" not in {f.code for f in s.flags}


def test_a_manual_grade_drops_one_step_while_the_exception_lasts() -> None:
    override = cust(grade={"value": "A", "reason": "集团战略客户"})
    s = state(override, [fu("2024-05-13 10:00", outcome="no_need")])
    assert (s.grade.letter, s.grade.override, s.grade.computed) == ("B", True, "C")
    assert (s.due.date, s.due.kind) == (D("2024-05-20"), "cadence")  # B* weekly
    # a held conversation ends the exception: the override is back in force
    back = state(override, [fu("2024-05-13 10:00", outcome="no_need"), fu("2024-05-18 10:00", contact="王总监")])
    assert (back.grade.letter, back.grade.downgraded) == ("A", False)
    missed = state(override, [fu("2024-05-06 10:00", outcome="missed"), fu("2024-05-13 10:00", outcome="missed")])
    assert (missed.grade.letter, missed.grade.exception, missed.grade.reassess_on) == ("B", "missed", D("2024-08-11"))


def test_saying_no_need_again_does_not_push_the_reassessment_back() -> None:
    twice = [DM, fu("2024-05-06 10:00", outcome="no_need"), fu("2024-05-13 10:00", outcome="no_need")]
    s = state(cust(**A_SCORE), twice)
    assert s.grade.reassess_on == D("2024-08-04")  # 90 days after the first, 05-06
    unanswered = state(cust(**A_SCORE), [DM, fu("2024-05-06 10:00", outcome="no_need"),
                                         fu("2024-05-13 10:00", outcome="no_answer")])
    assert unanswered.grade.exception == "no_need"  # only a held conversation ends it


def test_missed_twice_in_lower_mode_and_the_reassess_days_setting() -> None:
    followups = [DM, fu("2024-05-06 10:00", outcome="missed"), fu("2024-05-13 10:00", outcome="missed")]
    s = state(cust(**A_SCORE), followups, text="language: en\nexceptions: {reassess_days: 30}")
    assert (s.grade.letter, s.due.date, s.due.kind) == ("B", D("2024-05-20"), "cadence")
    assert {f.code: f for f in s.flags}["reassess"].due == D("2024-06-12")
    assert state(cust(**A_SCORE), followups[:2]).grade.downgraded is False  # one miss is not an exception


# --- help requests ----------------------------------------------------------------------------


HELP = {"from": "li", "detail": "需技术支持演示", "due": "2024-05-23"}


def test_help_is_on_the_helpers_agenda_until_a_later_follow_up_by_the_helper_or_owner() -> None:
    asked = [fu("2024-05-17 10:00", help=HELP)]
    item = flags(cust(**REVIEWED), asked)["help_due"]
    assert (item.due, item.to) == (D("2024-05-23"), ("li",))
    assert item.message == "help asked: 需技术支持演示 (by 张伟 on 2024-05-17, due 2024-05-23)"
    mine = agenda_items(team_book(cust(**REVIEWED), asked), TODAY, owner="li")
    assert [(i.kind, i.due) for i in mine] == [("help_due", D("2024-05-23"))]
    # someone else's follow-up does not close it; the helper's or the owner's does
    assert "help_due" in flags(cust(**REVIEWED), [*asked, fu("2024-05-18 10:00", by="chen")])
    assert "help_due" not in flags(cust(**REVIEWED), [*asked, fu("2024-05-19 15:00", by="li", method="visit")])
    assert "help_due" not in flags(cust(**REVIEWED), [*asked, fu("2024-05-19 15:00", by="zhang")])


def test_help_without_a_due_date_or_from_a_department() -> None:
    item = flags(cust(**REVIEWED), [fu("2024-05-17 10:00", help={"from": "技术部", "detail": "出方案"})])["help_due"]
    assert (item.due, item.to) == (D("2024-05-20"), ())  # 3 days; not a member: the owner follows it up
    assert item.message == "help asked (技术部): 出方案 (by 张伟 on 2024-05-17, due 2024-05-20)"
