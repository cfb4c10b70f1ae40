"""`dealbook import` on the sheets a team moving from Excel really has: date-only logs, numbers
Excel changed, formulas, the same row twice — each re-imported must change nothing."""

from __future__ import annotations

import json
from pathlib import Path

import openpyxl
from conftest import workbook as xlsx

FOLLOWUP_HEADERS = ["跟进日期", "客户名称", "联系人", "跟进方式", "跟进主题/内容", "跟进人"]




def records(root: Path) -> dict[str, str]:
    return {str(p.relative_to(root)): p.read_text("utf-8") for p in sorted((root / "records").rglob("*.yaml"))}


def imported(run, repo, path: Path, *args: str) -> dict:
    result = run(repo, "import", str(path), "--format", "json", *args)
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def test_two_follow_ups_on_one_day_in_a_date_only_log_are_two_records_and_reimport_changes_nothing(
        repo, run, here: Path) -> None:
    repo.customer()
    sheet = xlsx(here / "跟进.xlsx", FOLLOWUP_HEADERS, [
        ["2024-05-13", "A科技有限公司", "王总监", "电话", "上午电话约拜访", "张伟"],
        ["2024-05-13", "A科技有限公司", "王总监", "拜访", "下午上门演示", "张伟"],
        ["2024-05-13", "A科技有限公司", "王总监", "拜访", "下午上门演示", "张伟"],  # pasted twice
    ])
    first = imported(run, repo, sheet, "--apply")
    assert first["counts"] == {"new": 2, "updated": 0, "unchanged": 1, "rejected": 0}, first["rows"]
    assert first["rows"][2]["reasons"] == ["与第 3 行是同一条跟进记录"]  # zh team
    texts = records(repo.root)
    summaries = sorted(t for p, t in texts.items() if "/followups/" in p)
    assert len(summaries) == 2
    assert "上午电话约拜访" in summaries[0] + summaries[1] and "下午上门演示" in summaries[0] + summaries[1]
    again = imported(run, repo, sheet, "--apply")
    assert again["counts"] == {"new": 0, "updated": 0, "unchanged": 3, "rejected": 0}, again["rows"]
    assert again["written"] == 0 and records(repo.root) == texts
    assert json.loads(run(repo, "check", "--format", "json").output)["diagnostics"] == []


CUSTOMER_HEADERS = ["客户名称", "所属行业", "所在地区", "联系人姓名及职务", "联系方式", "来源渠道", "负责人",
                    "建档日期", "客户状态"]


def test_a_landline_excel_stored_as_a_number_is_refused_not_recorded_without_its_leading_zero(
        repo, run, here: Path) -> None:
    sheet = xlsx(here / "客户.xlsx", CUSTOMER_HEADERS, [
        ["深圳A科技有限公司", "C3970", "广东深圳", "李明(生产经理)", 75588881234, "展会", "张伟", "2024-05-10", "线索"],
        ["深圳B科技有限公司", "C3970", "广东深圳", "王芳(经理)", 13812345678, "展会", "张伟", "2024-05-10", "线索"],
        ["深圳C科技有限公司", "C3970", "广东深圳", "赵强(经理)", 88881234, "展会", "张伟", "2024-05-10", "线索"],
    ])
    report = imported(run, repo, sheet, "--phone-kind", "work", "--apply")
    rows = {r["row"]: r for r in report["rows"]}
    assert rows[2]["status"] == "rejected"
    assert "开头的 0 会丢失(原来是 075588881234 吗?)" in rows[2]["reasons"][0]  # zh team
    assert (rows[3]["status"], rows[4]["status"]) == ("new", "new")  # a mobile, a local number: all digits kept
    texts = "".join(records(repo.root).values())
    assert "phone: '13812345678'" in texts and "phone: '88881234'" in texts
    assert "75588881234" not in texts


def test_a_formula_without_a_saved_result_in_the_last_column_is_refused_not_dropped(repo, run, here: Path) -> None:
    path = here / "金额.xlsx"
    book = openpyxl.Workbook()
    book.active.append([*CUSTOMER_HEADERS, "预计金额"])
    book.active.append(["深圳A科技有限公司", "C3970", "广东深圳", "李明(生产经理)", "0755-88881234", "展会", "张伟",
                        "2024-05-10", "线索", "=B9*1.13"])  # openpyxl saves no result, as a script-made file does
    book.active.append([None] * 9 + ["=SUM(J2:J2)"])  # a total row holding only a formula
    book.save(path)
    report = imported(run, repo, path, "--apply")
    rows = {r["row"]: r for r in report["rows"]}
    assert rows[2]["status"] == "rejected" and "单元格里是公式(=B9*1.13),但没有保存计算结果" in rows[2]["reasons"][0]
    assert rows[3]["status"] == "rejected" and "=SUM(J2:J2)" in rows[3]["reasons"][0]
    assert report["written"] == 0 and not list((repo.root / "records").glob("customers/*.yaml"))


def test_without_sheet_the_first_visible_sheet_with_the_table_is_read_not_an_instructions_sheet(
        repo, run, here: Path) -> None:
    path = here / "客户信息总表.xlsx"
    book = openpyxl.Workbook()
    book.active.title = "填写说明"
    book.active.append(["请按模板填写,日期格式 2024-05-10"])
    hidden = book.create_sheet("旧数据")
    hidden.sheet_state = "hidden"
    hidden.append(CUSTOMER_HEADERS)
    hidden.append(["深圳旧科技有限公司", "C3970", "广东深圳", "李明(经理)", "0755-88881234", "展会", "张伟",
                   "2023-01-10", "线索"])
    table = book.create_sheet("2024")
    table.append(["2024年客户信息总表"])
    table.append(CUSTOMER_HEADERS)
    table.append(["深圳A科技有限公司", "C3970", "广东深圳", "李明(经理)", "0755-88881234", "展会", "张伟", "2024-05-10",
                  "线索"])
    book.save(path)
    report = imported(run, repo, path)
    assert report["sheet"] == "2024", report
    assert [(r["row"], r["status"], r["record"]) for r in report["rows"]] == [(3, "new", "深圳A科技有限公司")]
    assert "未读取其他工作表:填写说明、旧数据(隐藏)(可用 --sheet NAME 指定)" in report["notes"][0]  # the team's (zh)


def test_a_customer_twice_in_a_sheet_the_later_row_stands_and_a_reimport_refuses_nothing(
        repo, run, here: Path) -> None:
    def row(name: str, contact: str, phone: str, status: str) -> list:
        return [name, "C3970", "广东深圳", contact, phone, "展会", "张伟", "2024-05-02", status, "MES"]

    sheet = xlsx(here / "客户.xlsx", [*CUSTOMER_HEADERS, "需求描述"], [
        row("深圳A科技有限公司", "李明(经理)", "0755-88881234", "线索"),
        row("深圳B科技有限公司", "王芳(经理)", "13812345678", "线索"),
        row("深圳A科技有限公司", "李明(经理)", "0755-88881234", "意向"),
        row("深圳B科技有限公司", "王芳(经理)", "0755-12345678", "线索"),
    ])
    first = imported(run, repo, sheet, "--apply")
    # row 3's personal mobile is refused, but row 5 (the same new customer, a work number) stands: new, not updated
    assert first["counts"] == {"new": 2, "updated": 0, "unchanged": 2, "rejected": 0}, first["rows"]
    assert [r["status"] for r in first["rows"]] == ["unchanged", "unchanged", "new", "new"]
    texts = records(repo.root)
    again = imported(run, repo, sheet, "--apply")
    assert again["counts"] == {"new": 0, "updated": 0, "unchanged": 4, "rejected": 0}, again["rows"]
    assert again["rows"][0]["reasons"] == ["已被第 4 行取代"] and again["rejects_file"] is None  # zh team
    assert records(repo.root) == texts


def test_a_follow_up_naming_its_customer_slightly_differently_is_refused_with_the_customer_it_may_mean(
        repo, run, here: Path) -> None:
    repo.customer()  # A科技有限公司
    repo.customer("粤IT2024002", name="深圳市博锐激光设备有限公司")
    sheet = xlsx(here / "跟进.xlsx", FOLLOWUP_HEADERS, [
        ["2024-05-13 10:00", "深圳博锐激光设备有限公司", "王总监", "电话", "约拜访", "张伟"],  # 市 left out
        ["2024-05-13 11:00", "深圳市博锐激光设备有限公司（南山）", "王总监", "电话", "约拜访", "张伟"],
        ["2024-05-13 12:00", "杭州某某有限公司", "王总监", "电话", "约拜访", "张伟"],
    ])
    report = imported(run, repo, sheet)
    reasons = [r["reasons"][0] for r in report["rows"]]
    assert all("不是仓库中的客户" in reason for reason in reasons)  # zh team
    meant = "是不是 深圳市博锐激光设备有限公司 (粤IT2024002)?"
    assert meant in reasons[0] and meant in reasons[1], reasons
    assert "是不是" not in reasons[2] and "请先导入客户表" in reasons[2]


def test_a_refused_cell_is_named_by_file_sheet_row_and_column(repo, run, here: Path) -> None:
    import csv

    repo.customer()
    customers = xlsx(here / "客户.xlsx", CUSTOMER_HEADERS, [
        ["深圳A科技有限公司", "C3970", "广东深圳", "李明(经理)", 75588881234, "展会", "张伟", "2024-05-10", "赢了"],
    ])
    result = run(repo, "import", str(customers), "--rejects", str(here / "rejects.csv"))
    assert result.exit_code == 0, result.output
    assert "第 2 行:拒绝 深圳A科技有限公司:I 列 `客户状态`:状态 `赢了` 不是一个阶段" in result.output  # zh team
    assert ";E 列 `联系方式`:电话号码 75588881234 被存成了数字" in result.output
    assert f"行号指 {customers} 的工作表「Sheet」(表头在第 1 行)" in result.output
    with open(here / "rejects.csv", encoding="utf-8-sig") as handle:
        rows = list(csv.DictReader(handle))
    assert [(r["file"], r["sheet"], r["row"]) for r in rows] == [(str(customers), "Sheet", "2")]
    assert "E 列 `联系方式`" in rows[0]["reason"]

    followups = here / "跟进.csv"
    followups.write_text(",".join(FOLLOWUP_HEADERS) + "\n2024-05-32,A科技有限公司,王总监,电话,约拜访,张三\n",
                         encoding="utf-8")
    reasons = imported(run, repo, followups)["rows"][0]["reasons"][0]
    assert "第 1 列 `跟进日期`:`2024-05-32` 不是真实存在的日期" in reasons, reasons
    assert "第 6 列 `跟进人`:跟进人 (by) `张三` 不是团队成员" in reasons


def test_a_creation_time_to_the_minute_exports_as_an_excel_date_and_time_and_reimports_unchanged(
        repo, run, here: Path) -> None:
    repo.customer(created="2024-05-02 14:30", stage_history=[{"stage": "lead", "on": "2024-05-02"}])
    repo.customer("粤IT2024002", name="B科技有限公司")
    out = here / "export.xlsx"
    assert run(repo, "export", "--out", str(out)).exit_code == 0
    sheet = openpyxl.load_workbook(out)["customers"]
    header = [c.value for c in sheet[1]]
    created = {row[0].value: row[header.index("created")] for row in sheet.iter_rows(min_row=2)}
    assert created["粤IT2024001"].is_date and created["粤IT2024001"].number_format == "yyyy-mm-dd hh:mm"
    assert str(created["粤IT2024001"].value) == "2024-05-02 14:30:00"
    assert created["粤IT2024002"].is_date and created["粤IT2024002"].number_format == "yyyy-mm-dd"
    again = imported(run, repo, out, "--sheet", "customers")
    assert again["counts"] == {"new": 0, "updated": 0, "unchanged": 2, "rejected": 0}, again["rows"]


def test_a_csv_file_with_excel_serial_dates_imports_them_as_dates(repo, run, here: Path) -> None:
    repo.customer()
    path = here / "跟进.csv"  # Excel saves a date column formatted as a number as its serial: 45425 is 2024-05-13
    row = "45425.4375,A科技有限公司,王总监,电话,约拜访,张伟,发报价,45428"
    path.write_text(",".join([*FOLLOWUP_HEADERS, "下一步计划", "完成时限"]) + f"\n{row}\n", encoding="utf-8")
    report = imported(run, repo, path, "--apply")
    assert report["counts"]["new"] == 1, report["rows"]
    written = (repo.root / "records/followups/粤IT2024001/2024-05-13-1030.yaml").read_text("utf-8")
    assert "due: 2024-05-16" in written


def test_a_name_written_with_full_width_brackets_or_spaces_matches_the_customer_not_a_new_one(
        repo, run, here: Path) -> None:
    repo.customer(name="A科技(深圳)有限公司", region="广东深圳", industry="C3970",
                  contacts=[{"name": "李明", "title": "经理", "role": "influencer", "phone": "0755-88881234",
                             "phone_kind": "office"}],
                  source={"channel": "trade_show"}, created="2024-05-10",
                  stage_history=[{"stage": "lead", "on": "2024-05-10"}])
    before = records(repo.root)
    customers = xlsx(here / "客户.xlsx", CUSTOMER_HEADERS, [
        ["Ａ科技（深圳）有限公司 ", "C3970", "广东深圳", "李明(经理)", "0755-88881234", "展会", "张伟", "2024-05-10",
         "线索"],
    ])
    report = imported(run, repo, customers, "--apply")
    assert [(r["status"], r["path"]) for r in report["rows"]] == [
        ("unchanged", "records/customers/粤IT2024001.yaml")], report["rows"]
    assert records(repo.root) == before
    followups = xlsx(here / "跟进.xlsx", FOLLOWUP_HEADERS, [
        ["2024-05-13 10:00", "A科技 （深圳）有限公司", "李明", "电话", "约拜访", "张伟"],
    ])
    report = imported(run, repo, followups)
    assert [(r["status"], r["path"]) for r in report["rows"]] == [
        ("new", "records/followups/粤IT2024001/2024-05-13-1000.yaml")], report["rows"]


def test_the_old_sheets_customer_number_kept_as_legacy_id_still_names_the_customer(repo, run, here: Path) -> None:
    def customers(name: str) -> Path:
        return xlsx(here / "客户.xlsx", ["客户编号", *CUSTOMER_HEADERS], [
            ["KH001", name, "C3970", "广东深圳", "李明(经理)", "0755-88881234", "展会", "张伟", "2024-05-10", "线索"]])

    first = imported(run, repo, customers("深圳市丁丁科技有限公司"), "--apply")
    assert [(r["status"], r["path"]) for r in first["rows"]] == [("new", "records/customers/粤IT2024001.yaml")]
    assert "legacy_id: KH001" in (repo.root / "records/customers/粤IT2024001.yaml").read_text("utf-8")
    log = xlsx(here / "跟进.xlsx", ["跟进日期", "客户编号", "联系人", "跟进方式", "跟进内容", "跟进人"], [
        ["2024-05-12 10:00", "KH001", "李明", "电话", "约拜访", "张伟"]])
    report = imported(run, repo, log, "--apply")
    assert [(r["status"], r["path"]) for r in report["rows"]] == [
        ("new", "records/followups/粤IT2024001/2024-05-12-1000.yaml")], report["rows"]
    renamed = imported(run, repo, customers("深圳市丁丁智能科技有限公司"))  # renamed in the sheet since
    assert [(r["status"], r["path"]) for r in renamed["rows"]] == [
        ("updated", "records/customers/粤IT2024001.yaml")], renamed["rows"]


def test_a_customer_twice_in_a_sheet_whose_later_row_is_rejected_is_imported_by_its_earlier_row(
        repo, run, here: Path) -> None:
    def row(name: str, phone: str, status: str, need: str) -> list:
        return [name, "C3970", "广东深圳", "李明(经理)", phone, "展会", "张伟", "2024-05-02", status, need]

    sheet = xlsx(here / "客户.xlsx", [*CUSTOMER_HEADERS, "需求描述"], [
        row("深圳A科技有限公司", "0755-88881234", "线索", "MES"),
        row("深圳A科技有限公司", "13812345678", "意向", "MES 与 WMS"),  # a personal mobile: refused by the check
        row("深圳B科技有限公司", "0755-12345678", "意向", "WMS"),
        row("深圳B科技有限公司", "0755-12345678", "线索", "WMS"),  # moving back: refused while merging
    ])
    report = imported(run, repo, sheet, "--apply")
    rows = {r["row"]: r for r in report["rows"]}
    assert [(n, rows[n]["status"]) for n in (2, 3, 4, 5)] == [
        (2, "new"), (3, "rejected"), (4, "new"), (5, "rejected")], report["rows"]
    assert "这个客户的第 2 行会被导入,但不包括这一行" in rows[3]["reasons"]  # zh team
    assert report["counts"] == {"new": 2, "updated": 0, "unchanged": 0, "rejected": 2}
    written = {p: t for p, t in records(repo.root).items() if p.startswith("records/customers/")}
    assert len(written) == 2 and rows[2]["path"] in written and rows[4]["path"] in written
    assert "0755-88881234" in written[rows[2]["path"]] and "13812345678" not in written[rows[2]["path"]]
    assert json.loads(run(repo, "check", "--format", "json").output)["diagnostics"] == []


def test_a_customer_twice_in_a_sheet_both_rows_rejected_each_keeps_its_own_reason(repo, run, here: Path) -> None:
    def row(phone: str, status: str) -> list:
        return ["深圳A科技有限公司", "C3970", "广东深圳", "李明(经理)", phone, "展会", "张伟", "2024-05-02", status,
                "MES"]

    sheet = xlsx(here / "客户.xlsx", [*CUSTOMER_HEADERS, "需求描述"], [
        row("0755-88881234", "意向"),
        row("0755-88881234", "线索"),  # moving back: refused while merging
        row("13812345678", "意向"),  # a personal mobile: refused by the check
    ])
    report = imported(run, repo, sheet)
    assert [r["status"] for r in report["rows"]] == ["new", "rejected", "rejected"], report["rows"]
    assert all("superseded" not in " ".join(r["reasons"]) for r in report["rows"])


def test_a_customer_twice_in_a_sheet_whose_later_row_undoes_the_earlier_change_is_not_written(
        repo, run, here: Path) -> None:
    repo.customer()
    texts = records(repo.root)
    sheet = xlsx(here / "客户.xlsx", ["客户编号", "客户名称", "来源渠道"], [
        ["粤IT2024001", "A科技有限公司", "转介绍"],
        ["粤IT2024001", "A科技有限公司", "展会"],  # what the record already says
    ])
    report = imported(run, repo, sheet, "--apply")
    assert [r["status"] for r in report["rows"]] == ["unchanged", "unchanged"], report["rows"]
    assert report["written"] == 0 and records(repo.root) == texts
