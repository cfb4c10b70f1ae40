"""Rows to records: matching, ids, stages, merging without loss, rejections with reasons."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import openpyxl
from dealbook.checks.reading import open_book
from dealbook.interchange.importing import (
    NEW,
    REJECTED,
    UNCHANGED,
    UPDATED,
    Options,
    apply_plan,
    check_plan,
    industry_of,
    merge_customer,
    plan_customers,
    plan_followups,
    split_contact,
    split_size,
)
from dealbook.interchange.sheets import BadValue, open_sheet
from dealbook.records.settings import load_settings

TODAY = dt.date(2024, 5, 20)
HEADERS = ["客户编号", "客户名称", "所属行业", "客户规模", "联系人姓名及职务", "联系方式", "需求描述", "来源渠道",
           "负责人", "建档日期", "客户状态", "预算"]


def sheet_file(tmp_path: Path, rows: list[list], headers: list[str] = HEADERS, name: str = "c.xlsx") -> str:
    book = openpyxl.Workbook()
    book.active.append(headers)
    for row in rows:
        book.active.append(row)
    path = tmp_path / name
    book.save(path)
    return str(path)


def plan_for(repo, path: str, **options):
    book = open_book(str(repo.root), use_cache=False)
    plan = plan_customers(open_sheet(path), book, Options(today=TODAY, **options))
    texts = check_plan(plan, book, lambda p: (repo.root / p).read_text("utf-8"))
    return plan, texts


ROW_A = [None, "深圳A科技有限公司", "C3970 电子器件制造", "500-1000人 / 5-10亿", "李明(生产经理)", "0755-88881234",
         "质检效率低", "展会(2024深圳智能制造展)", "张伟", "2024/5/10", "意向", "50-80万"]


def test_a_new_customer_gets_an_id_stage_and_every_field(repo, tmp_path: Path) -> None:
    repo.customer()  # 粤IT2024001 exists
    plan, texts = plan_for(repo, sheet_file(tmp_path, [ROW_A]))
    (entry,) = plan.entries
    assert entry.status == NEW and entry.row == 2
    assert entry.path == "records/customers/粤IT2024002.yaml"  # 深圳 → 粤, C39 → IT, next after 001
    data = entry.after
    assert data["industry"] == "C3970 电子器件制造"
    assert data["size"] == {"employees": "500-1000人", "revenue": "5-10亿"}
    assert data["contacts"] == [{"name": "李明", "title": "生产经理", "role": "influencer",
                                 "phone": "0755-88881234", "phone_kind": "office"}]
    assert data["source"] == {"channel": "trade_show", "detail": "展会(2024深圳智能制造展)"}
    assert data["owner"] == "zhang" and data["created"] == "2024-05-10"
    assert data["stage"] == "discovery" and data["stage_history"] == [{"stage": "discovery", "on": "2024-05-10"}]
    assert data["need"] == {"summary": "质检效率低", "budget": {"min": 500000, "max": 800000}}
    assert texts[entry.path].startswith("# yaml-language-server: $schema=")


def test_ids_continue_within_one_import(repo, tmp_path: Path) -> None:
    second = list(ROW_A)
    second[1] = "深圳B电子有限公司"
    plan, _ = plan_for(repo, sheet_file(tmp_path, [ROW_A, second]))
    assert [e.path for e in plan.entries] == ["records/customers/粤IT2024001.yaml",
                                             "records/customers/粤IT2024002.yaml"]


def test_rejections_say_why_and_where(repo, tmp_path: Path) -> None:
    lost = list(ROW_A)
    lost[1], lost[10] = "深圳C公司", "流失"  # lost needs a reason
    mobile = list(ROW_A)
    mobile[1], mobile[5] = "深圳D公司", "13812345678"
    stranger = list(ROW_A)
    stranger[1], stranger[8] = "深圳E公司", "王五"
    bad_date = list(ROW_A)
    bad_date[1], bad_date[9] = "深圳F公司", "下周"
    plan, texts = plan_for(repo, sheet_file(tmp_path, [lost, mobile, stranger, bad_date]))
    assert [e.status for e in plan.entries] == [REJECTED] * 4
    assert [e.row for e in plan.entries] == [2, 3, 4, 5]
    reasons = [" ".join(e.reasons) for e in plan.entries]
    assert "stage-requires" in reasons[0] and "lost.reason" in reasons[0]
    assert "privacy-mobile: 这一行有个人手机号" in reasons[1] and "--phone-kind work" in reasons[1]  # zh team
    assert "phone-kind:" not in reasons[1]
    assert "王五" in reasons[2] and "不是团队成员" in reasons[2]  # zh team
    assert "J 列 `建档日期`:`下周`" in reasons[3] and "不是日期" in reasons[3]  # the cell, by its column
    assert texts == {}


def test_company_issued_mobiles_are_accepted_with_phone_kind_work(repo, tmp_path: Path) -> None:
    mobile = list(ROW_A)
    mobile[5] = "13812345678"
    plan, _ = plan_for(repo, sheet_file(tmp_path, [mobile]), phone_kind="work")
    assert plan.entries[0].status == NEW
    assert plan.entries[0].after["contacts"][0]["phone_kind"] == "work"


def test_update_by_id_then_by_exact_name_keeps_comments_and_unsheeted_fields(repo, tmp_path: Path) -> None:
    path = repo.customer(tags=["重点"])
    path.write_text(path.read_text("utf-8").replace("name: A科技有限公司", "name: A科技有限公司  # 营业执照全称"),
                    encoding="utf-8")
    by_id = ["粤IT2024001", "A科技有限公司", None, None, None, None, "新的需求", None, None, None, None, None]
    plan, texts = plan_for(repo, sheet_file(tmp_path, [by_id]))
    assert plan.entries[0].status == UPDATED
    text = texts["records/customers/粤IT2024001.yaml"]
    assert "# 营业执照全称" in text and "summary: 新的需求" in text and "重点" in text
    apply_plan(str(repo.root), texts, {"records/customers/粤IT2024001.yaml": path.read_bytes()})
    by_name = [None, "A科技有限公司", None, None, None, None, "新的需求", None, None, None, None, None]
    plan, texts = plan_for(repo, sheet_file(tmp_path, [by_name], name="again.xlsx"))
    assert plan.entries[0].status == UNCHANGED and texts == {}


def test_a_status_change_appends_to_the_stage_history(repo, tmp_path: Path) -> None:
    repo.customer(need={"summary": "x"})
    row = ["粤IT2024001", None, None, None, None, None, None, None, None, None, "意向", None]
    plan, _ = plan_for(repo, sheet_file(tmp_path, [row]))
    after = plan.entries[0].after
    assert after["stage"] == "discovery"
    assert after["stage_history"][-1] == {"stage": "discovery", "on": "2024-05-20"}
    back = ["粤IT2024001", None, None, None, None, None, None, None, None, None, "线索", None]
    repo.customer(need={"summary": "x"}, stage="discovery",
                  stage_history=[{"stage": "lead", "on": "2024-01-05"}, {"stage": "discovery", "on": "2024-02-01"}])
    plan, _ = plan_for(repo, sheet_file(tmp_path, [back], name="back.xlsx"))
    assert plan.entries[0].status == REJECTED and "不允许从 `discovery` 退回到 `lead`" in plan.entries[0].reasons[0]


def test_merge_adds_new_contacts_and_keeps_recorded_roles() -> None:
    settings = load_settings("/nonexistent")
    before = {"name": "A", "contacts": [{"name": "李明", "role": "decision_maker"}], "stage": "lead",
              "stage_history": [{"stage": "lead", "on": "2024-01-01"}]}
    after = merge_customer(before, {"_contacts": [{"name": "李明", "title": "厂长", "role": "influencer"},
                                                  {"name": "王芳", "role": "user"}]}, TODAY, settings)
    assert after["contacts"] == [{"name": "李明", "role": "decision_maker", "title": "厂长"},
                                 {"name": "王芳", "role": "user"}]
    assert before["contacts"] == [{"name": "李明", "role": "decision_maker"}]


def test_cells_to_fields() -> None:
    assert split_contact("李明(生产经理)") == ("李明", "生产经理")
    assert split_contact("王总监 技术总监") == ("王总监", "技术总监")
    assert split_contact("赵总") == ("赵总", "")
    assert split_size("500-1000人 / 5-10亿") == {"employees": "500-1000人", "revenue": "5-10亿"}
    assert industry_of("C3970电子器件制造") == "C3970 电子器件制造"
    assert industry_of("软件开发") == "I 软件开发"
    try:
        industry_of("XYZ")
    except BadValue as exc:
        assert "GB/T 4754" in str(exc)
    else:
        raise AssertionError("XYZ is not an industry")


def test_followups_by_customer_name_with_next_steps(repo, tmp_path: Path) -> None:
    repo.customer()
    path = sheet_file(tmp_path, [
        [dt.datetime(2024, 5, 12, 14, 30), "A科技有限公司", "王总监", "电话", "介绍方案", "价格偏高", "发送案例",
         "2024/5/15", "张伟"],
        ["2024/5/13", "A科技有限公司", "王总监", "微信", "约拜访", None, None, None, "李娜"],
        ["2024/5/13", "没有这家", "王总监", "微信", "约拜访", None, None, None, "李娜"],
    ], headers=["跟进日期", "客户名称", "联系人", "跟进方式", "跟进主题/内容", "客户反馈", "下一步计划", "完成时限",
                "跟进人"], name="f.xlsx")
    book = open_book(str(repo.root), use_cache=False)
    plan = plan_followups(open_sheet(path), book, Options(today=TODAY))
    first, second, third = plan.entries
    assert first.status == NEW and first.path == "records/followups/粤IT2024001/2024-05-12-1430.yaml"
    assert first.after == {"customer": "粤IT2024001", "at": "2024-05-12 14:30", "method": "phone", "by": "zhang",
                           "contact": "王总监", "summary": "介绍方案", "feedback": "价格偏高",
                           "next": [{"action": "发送案例", "due": "2024-05-15", "owner": "zhang"}]}
    assert second.after["at"] == "2024-05-13 00:00" and second.after["method"] == "im"
    assert third.status == REJECTED and "没有这家" in third.reasons[0] and third.row == 4
    texts = check_plan(plan, book, lambda p: None)
    apply_plan(str(repo.root), texts)
    again = plan_followups(open_sheet(path), open_book(str(repo.root), use_cache=False), Options(today=TODAY))
    assert [e.status for e in again.entries] == [UNCHANGED, UNCHANGED, REJECTED]


def _planned_on_one_and_two_processes(repo, path: Path) -> list[tuple[list, list[str]]]:
    """The customer sheet's plan entries and checked texts, checked in this process and on a pool of 2."""
    from dealbook.interchange.importing import Checker

    planned = []
    for jobs in (1, 2):
        book = open_book(str(repo.root), use_cache=False)
        checker = Checker("customers", book, lambda p: None, keep_data=False, jobs=jobs, batch=2,
                          parallel_from=1)
        plan = plan_customers(open_sheet(path), book, Options(today=TODAY), checker=checker)
        planned.append((plan.entries, checker.finish()))
    return planned


def test_checking_on_a_process_pool_gives_the_same_plan(repo, tmp_path: Path) -> None:
    mobile = list(ROW_A)
    mobile[1], mobile[5] = "深圳D公司", "13812345678"
    rows = [ROW_A, mobile, [*ROW_A[:1], "深圳B电子有限公司", *ROW_A[2:]], ROW_A]  # the last repeats the first
    outcomes = [([(e.row, e.status, e.path, e.reasons[:1]) for e in entries], texts)
                for entries, texts in _planned_on_one_and_two_processes(repo, sheet_file(tmp_path, rows))]
    assert outcomes[0] == outcomes[1]
    # row 2 is superseded by the identical row 5; the mobile row's id (粤IT2024002) is not reused
    assert [(row, status, path) for row, status, path, _ in outcomes[0][0]] == [
        (2, UNCHANGED, ""), (3, REJECTED, "records/customers/粤IT2024002.yaml"),
        (4, NEW, "records/customers/粤IT2024003.yaml"), (5, NEW, "records/customers/粤IT2024001.yaml")]
    assert sorted(outcomes[0][1]) == ["records/customers/粤IT2024001.yaml", "records/customers/粤IT2024003.yaml"]


def test_on_a_process_pool_a_rejected_later_row_of_a_customer_leaves_the_earlier_row_written(
        repo, tmp_path: Path) -> None:
    later = list(ROW_A)
    later[5] = "13812345678"  # a personal mobile: the merged record fails the check
    rows = [ROW_A, [*ROW_A[:1], "深圳B电子有限公司", *ROW_A[2:]], [*ROW_A[:1], "深圳C电子有限公司", *ROW_A[2:]], later]
    outcomes = [([(e.row, e.status, e.path) for e in entries], sorted(texts))
                for entries, texts in _planned_on_one_and_two_processes(repo, sheet_file(tmp_path, rows))]
    assert outcomes[0] == outcomes[1]
    assert outcomes[0][0][0] == (2, NEW, "records/customers/粤IT2024001.yaml")
    assert outcomes[0][0][3] == (5, REJECTED, "records/customers/粤IT2024001.yaml")
    assert "records/customers/粤IT2024001.yaml" in outcomes[0][1] and len(outcomes[0][1]) == 3
