"""`dealbook check` on lead intake: times to the minute, required lead fields, the reviewer, no budget."""

from __future__ import annotations

import json

from conftest import RecordRepo


def diagnostics(run, repo: RecordRepo, *args: str) -> list[tuple[str, str, str]]:
    result = run(repo, "check", "--format", "json", *args)
    return [(d["severity"], d["code"], d["message"]) for d in json.loads(result.output)["diagnostics"]]


def test_created_with_a_time_and_a_review_pass(run, repo: RecordRepo) -> None:
    repo.customer(created="2024-05-20 14:30", lead={"priority": "A", "assigned": "2024-05-20 15:00",
                                                     "plan": [{"action": "电话联系", "due": "2024-05-21 10:00"}]},
                  review={"by": "chen", "on": "2024-05-21 09:00", "result": "ok", "comment": "符合跟进条件"})
    assert diagnostics(run, repo) == []


def test_times_that_are_not_real_are_errors(run, repo: RecordRepo) -> None:
    repo.customer(created="2024-05-20 24:30", review={"by": "chen", "on": "2024-02-30 09:00", "result": "ok"})
    found = diagnostics(run, repo)
    assert ("error", "bad-time", "`2024-05-20 24:30` 不是真实存在的日期时间") in found  # the team's language (zh)
    assert ("error", "bad-time", "`2024-02-30 09:00` 不是真实存在的日期时间") in found
    assert run(repo, "check").exit_code == 1


def test_a_lead_without_a_phone_or_source_is_warned_and_strict_fails(run, repo: RecordRepo) -> None:
    repo.customer(contacts=[{"name": "王总监", "role": "decision_maker", "email": "wang@a-tech.example.com"}])
    found = diagnostics(run, repo)
    assert found == [("warning", "lead-incomplete",
                      "新线索需要填写 `contacts.phone`(工作电话或企业IM):请补上,否则审核的主管会退回这条线索"
                      "(intake.required_fields)")]
    assert run(repo, "check").exit_code == 0
    assert run(repo, "check", "--strict").exit_code == 1
    # the list is a setting
    repo.settings("as_of: 2024-05-20\nintake: {required_fields: [name, contacts]}\n")
    assert diagnostics(run, repo) == []


def test_the_reviewer_must_be_on_the_team(run, repo: RecordRepo) -> None:
    repo.customer(review={"by": "zhou", "on": "2024-05-21", "result": "send_back"})
    codes = [(s, c) for s, c, _ in diagnostics(run, repo)]
    assert codes == [("error", "unknown-member")]


def test_no_budget_in_an_open_stage_is_warned(run, repo: RecordRepo) -> None:
    repo.customer(stage="discovery", need={"summary": "x", "budget": {"status": "none"}},
                  stage_history=[{"stage": "lead", "on": "2024-01-05"}, {"stage": "discovery", "on": "2024-02-01"}])
    found = diagnostics(run, repo)
    assert [(s, c) for s, c, _ in found] == [("warning", "budget-none-open")]
    assert "请以 `lost.reason: budget` 转为流失" in found[0][2]
    repo.customer(stage="lost", need={"summary": "x", "budget": {"status": "none"}}, lost={"reason": "budget"},
                  stage_history=[{"stage": "lead", "on": "2024-01-05"}, {"stage": "lost", "on": "2024-02-01"}])
    assert diagnostics(run, repo) == []


def test_three_contacts_in_one_day_are_warned_also_when_only_the_new_file_is_checked(run, repo: RecordRepo) -> None:
    repo.customer()
    repo.followup("粤IT2024001", "2024-05-20 09:00", outcome="no_answer")
    repo.followup("粤IT2024001", "2024-05-20 11:30", outcome="no_answer")
    assert diagnostics(run, repo) == []
    third = repo.followup("粤IT2024001", "2024-05-20 16:00", contact="王总监")
    expected = ("warning", "too-many-contacts",  # in the team's language (zh)
                "这是 2024-05-20 与 粤IT2024001 的第 3 次联系,超过了每天 2 次(hygiene.max_contacts_per_day):"
                "请把联系分散到不同日子,或合并为一条跟进记录")
    assert diagnostics(run, repo) == [expected]
    assert diagnostics(run, repo, str(third)) == [expected]  # what the pre-commit hook runs
    repo.settings("as_of: 2024-05-20\nhygiene: {max_contacts_per_day: 3}\n")
    assert diagnostics(run, repo) == []


def test_a_follow_up_with_a_contact_who_has_left_is_flagged(run, repo: RecordRepo) -> None:
    contacts = [{"name": "王总监", "title": "技术总监", "role": "decision_maker", "phone": "0755-8888-1234",
                 "phone_kind": "work", "left": "2024-05-01"},
                {"name": "刘工", "title": "工程师", "role": "user", "phone": "0755-8888-1235", "phone_kind": "work"}]
    repo.customer(contacts=contacts)
    repo.followup("粤IT2024001", "2024-04-30 10:00", contact="王总监")
    assert diagnostics(run, repo) == []  # before they left
    repo.followup("粤IT2024001", "2024-05-06 10:00", contact="王总监")
    assert diagnostics(run, repo) == [
        ("warning", "contact-left", "`王总监` 已于 2024-05-01 离开 粤IT2024001(contacts[].left):"
                                    "请联系其继任者并加入联系人,或改正日期")]
    # a departed decision maker no longer gives access points
    grade = json.loads(run(repo, "grade", "粤IT2024001", "--format", "json").output)
    assert [r["points"] for r in grade["reasons"] if r["dimension"] == "access"] == [0]


def test_log_records_a_help_request_and_the_helpers_agenda_shows_it_until_closed(run, repo: RecordRepo) -> None:
    repo.customer(review={"by": "chen", "on": "2024-01-05", "result": "ok"})
    result = run(repo, "log", "粤IT2024001", "-m", "visit", "-c", "王总监", "-s", "方案交流", "--by", "zhang",
                 "--at", "2024-05-20 10:00", "--help-from", "li", "--help-detail", "需技术支持演示",
                 "--help-due", "2024-05-23", "--outcome", "held")
    assert result.exit_code == 0, result.output
    text = (repo.root / result.output.strip()).read_text(encoding="utf-8")
    assert "help:\n  from: li\n  detail: 需技术支持演示\n  due: 2024-05-23\n" in text
    items = json.loads(run(repo, "agenda", "--owner", "li", "--format", "json").output)["items"]
    assert [(i["kind"], i["due"], i["owner"], i["who"]) for i in items] == [
        ("help_due", "2024-05-23", "zhang", ["li"])]
    assert "需技术支持演示" in items[0]["reason"]
    # the helper's visit closes it
    run(repo, "log", "粤IT2024001", "-m", "visit", "-c", "王总监", "-s", "技术演示", "--by", "li",
        "--at", "2024-05-20 15:00")
    assert json.loads(run(repo, "agenda", "--owner", "li", "--format", "json").output)["items"] == []
    half = run(repo, "log", "粤IT2024001", "-s", "x", "--by", "zhang", "--help-detail", "要人")
    assert half.exit_code == 2 and "求助需要 --help-from(找谁)和 --help-detail(需要什么)" in half.output  # zh


def test_the_stored_agenda_keeps_review_items_when_one_customer_changes(run, repo: RecordRepo) -> None:
    import os

    repo.customer("粤IT2024001", created="2024-05-20 09:00")
    repo.customer("粤IT2024002", created="2024-05-19 09:00", review={"by": "chen", "on": "2024-05-19", "result": "ok"})
    first = json.loads(run(repo, "agenda", "--owner", "chen", "--format", "json").output)["items"]
    assert [(i["customer_id"], i["kind"]) for i in first] == [("粤IT2024001", "lead_review")]
    # only the first customer's file changes: its part of the stored view is recomputed alone
    path = repo.customer("粤IT2024001", created="2024-05-20 09:00", name="A科技股份有限公司")
    os.utime(path, ns=(5, 5))
    again = json.loads(run(repo, "agenda", "--owner", "chen", "--format", "json").output)["items"]
    assert [(i["customer_id"], i["kind"], i["name"]) for i in again] == [
        ("粤IT2024001", "lead_review", "A科技股份有限公司")]
