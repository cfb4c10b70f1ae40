"""Reading spreadsheets: headers, encodings, merged and formula cells, dates, amounts, phones."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import openpyxl
import pytest
from dealbook.interchange.sheets import (
    CUSTOMERS,
    FOLLOWUPS,
    BadValue,
    SheetError,
    decode,
    map_headers,
    open_sheet,
    to_date,
    to_datetime,
    to_money,
    to_money_range,
    to_phone,
)

HEADERS = ["客户名称", "所属行业", "联系人姓名及职务", "联系方式", "来源渠道", "负责人", "建档日期", "客户状态"]


def workbook(path: Path, rows: list[list], title: str = "客户") -> openpyxl.Workbook:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = title
    for row in rows:
        sheet.append(row)
    book.save(path)
    return book


def test_chinese_and_english_headers_map_to_fields() -> None:
    assert map_headers(HEADERS, CUSTOMERS) == ["name", "industry", "contact", "phone", "source.channel", "owner",
                                              "created", "status"]
    assert map_headers(["Customer Name", "Industry", " Owner ", "Status", "Created"], CUSTOMERS) == [
        "name", "industry", "owner", "status", "created"]
    # full-width letters, a required-column star and a note in brackets are ignored
    assert map_headers(["客户名称*", "所属行业（GB/T 4754）", "ＩＤ"], CUSTOMERS) == ["name", "industry", "id"]
    assert map_headers(["跟进日期", "客户名称", "跟进主题/内容", "完成时限", "跟进人"], FOLLOWUPS) == [
        "at", "customer_name", "summary", "next.due", "by"]


def test_a_map_file_names_unknown_headers() -> None:
    assert map_headers(["公司", "备注"], CUSTOMERS, {"公司": "name", "备注": "ignore"}) == ["name", "ignore"]


def test_xlsx_rows_with_title_row_merged_cells_and_serial_dates(tmp_path: Path) -> None:
    path = tmp_path / "c.xlsx"
    book = workbook(path, [
        ["客户信息总表"],
        HEADERS,
        ["A科技有限公司", "C3970", "李明(生产经理)", "0755-88881234", "展会", "张伟", 45422, "意向"],
        ["B科技有限公司", "C3970", "王芳 采购经理", "0755-88885678", "官网", None, "2024/5/10", "线索"],
    ])
    sheet = book.active
    sheet.merge_cells("A1:H1")  # a title across the table
    sheet.merge_cells("F3:F4")  # one owner for two rows
    book.save(path)
    opened = open_sheet(str(path))
    assert opened.kind == CUSTOMERS and opened.header_row == 2
    rows = list(opened.rows())
    assert [r.number for r in rows] == [3, 4]
    assert rows[1].values["owner"] == "张伟"  # filled from the merged range
    assert to_date(rows[0].values["created"]) == "2024-05-10"
    assert to_date(rows[1].values["created"]) == "2024-05-10"


def test_formula_cell_without_saved_result_is_a_row_problem(tmp_path: Path) -> None:
    path = tmp_path / "f.xlsx"
    workbook(path, [HEADERS, ["A公司", "C3970", "李明", "=B2&\"x\"", "展会", "张伟", "2024-05-10", "线索"]])
    row = next(open_sheet(str(path)).rows())
    assert row.problems and "formula" in str(row.problems[0]) and "联系方式" in str(row.problems[0])


def test_empty_sheet_and_missing_column_are_clear_errors(tmp_path: Path) -> None:
    empty = tmp_path / "empty.xlsx"
    workbook(empty, [])
    with pytest.raises(SheetError, match="empty"):
        open_sheet(str(empty))
    missing = tmp_path / "missing.xlsx"
    workbook(missing, [["所属行业", "负责人"], ["C3970", "张伟"]])
    with pytest.raises(SheetError, match=r"no 客户名称 \(name\) or 客户编号 \(id\) column"):
        open_sheet(str(missing))
    with pytest.raises(SheetError, match=r"\.xls workbooks"):
        (tmp_path / "old.xls").write_bytes(b"x")
        open_sheet(str(tmp_path / "old.xls"))


def test_second_sheet_is_named_and_can_be_chosen(tmp_path: Path) -> None:
    path = tmp_path / "two.xlsx"
    book = workbook(path, [HEADERS, ["A公司"]])
    other = book.create_sheet("2023")
    other.append(HEADERS)
    other.append(["旧公司"])
    book.save(path)
    first = open_sheet(str(path))
    assert first.name == "客户" and "2023" in str(first.notes[0])
    chosen = open_sheet(str(path), sheet="2023")
    assert [r.values["name"] for r in chosen.rows()] == ["旧公司"]
    with pytest.raises(SheetError, match="no sheet named 'nope'"):
        open_sheet(str(path), sheet="nope")


def test_an_empty_first_sheet_falls_through_to_the_one_with_data(tmp_path: Path) -> None:
    path = tmp_path / "x.xlsx"
    book = workbook(path, [])
    data = book.create_sheet("数据")
    data.append(HEADERS)
    data.append(["A公司"])
    book.save(path)
    assert open_sheet(str(path)).name == "数据"


@pytest.mark.parametrize("encoding,bom", [("gbk", b""), ("utf-8", b"\xef\xbb\xbf"), ("utf-8", b"")])
def test_csv_encodings_are_detected(tmp_path: Path, encoding: str, bom: bytes) -> None:
    path = tmp_path / "c.csv"
    text = ",".join(HEADERS) + "\r\nA科技有限公司,C3970,李明,0755-88881234,展会,张伟,2024/5/10,意向\r\n"
    path.write_bytes(bom + text.encode(encoding))
    rows = list(open_sheet(str(path)).rows())
    assert rows[0].values["name"] == "A科技有限公司" and rows[0].number == 2


def test_decode_refuses_binary() -> None:
    assert decode("名称".encode("gbk"))[1] == "gbk"
    assert decode(b"\xff\xfea\x00")[1] == "utf-16"


def test_semicolon_csv_and_unknown_columns_are_kept(tmp_path: Path) -> None:
    path = tmp_path / "c.csv"
    path.write_text("客户名称;备注\nA公司;老客户\n", encoding="utf-8")
    sheet = open_sheet(str(path))
    row = next(sheet.rows())
    assert row.values == {"name": "A公司"} and row.extra == {"备注": "老客户"}
    assert sheet.unmapped == ["备注"]


def test_dates() -> None:
    assert to_date(45422) == "2024-05-10"  # Excel serial
    assert to_date("2024/5/10") == "2024-05-10"
    assert to_date("2024年5月10日") == "2024-05-10"
    assert to_date("2024.05.10") == "2024-05-10"
    assert to_date("20240510") == "2024-05-10"
    assert to_date(dt.datetime(2024, 5, 10, 14, 0)) == "2024-05-10"
    assert to_datetime("2024/5/10 14:30") == (dt.datetime(2024, 5, 10, 14, 30), True)
    assert to_datetime(45422.5) == (dt.datetime(2024, 5, 10, 12, 0), True)
    assert to_datetime("2024-05-10") == (dt.datetime(2024, 5, 10), False)
    with pytest.raises(BadValue, match="not a real calendar date"):
        to_date("2024/2/30")
    with pytest.raises(BadValue, match="not a date"):
        to_date("下周")


def test_amounts() -> None:
    assert to_money("50万") == 500_000
    assert to_money("¥620,000.00") == 620_000
    assert to_money("￥ 62万元") == 620_000
    assert to_money("1.2亿") == 120_000_000
    assert to_money(620000.0) == 620_000
    assert to_money_range("50-80万") == (500_000, 800_000)
    assert to_money_range("50万~80万") == (500_000, 800_000)
    assert to_money_range("¥300,000") == (300_000, 300_000)
    with pytest.raises(BadValue, match="not an amount"):
        to_money("很多")


def test_phones() -> None:
    assert to_phone(13812345678.0) == "13812345678"  # a number cell keeps every digit
    assert to_phone("1.3812345678E+10") == "13812345678"
    assert to_phone("0755-88881234") == "0755-88881234"
    with pytest.raises(BadValue, match="scientific notation and has lost digits"):
        to_phone("1.38123E+10")


def test_dates_as_the_seed_templates_write_them() -> None:
    import datetime as dt

    from dealbook.interchange.sheets import to_datetime, to_moment

    at = dt.datetime
    assert to_datetime("2024-05-1014:00") == (at(2024, 5, 10, 14, 0), True)  # no space after the day
    assert to_datetime("2024年5月10日14:00") == (at(2024, 5, 10, 14, 0), True)
    assert to_datetime("2024-05-11 下午") == (at(2024, 5, 11, 14, 0), True)
    assert to_datetime("2024/5/11 上午") == (at(2024, 5, 11, 9, 0), True)
    assert to_datetime("2024-05-11下午3:30") == (at(2024, 5, 11, 15, 30), True)
    assert to_datetime("2024-05-11 上午", {"上午": "08:30"}) == (at(2024, 5, 11, 8, 30), True)
    assert to_datetime("2024-05-14前") == (at(2024, 5, 14), False)
    assert to_datetime("2024-05-10 14时30分") == (at(2024, 5, 10, 14, 30), True)
    assert to_moment("2024-05-20 14:30") == "2024-05-20 14:30" and to_moment("2024/5/20") == "2024-05-20"
    with pytest.raises(BadValue):
        to_datetime("2024-02-30 下午")


def test_follow_up_cells_next_steps_help_and_phone_notes() -> None:
    import datetime as dt

    from dealbook.interchange.followup_cells import help_cell, next_steps, phone_note

    assert next_steps("1.与技术王*总监预约现场对接;2.整理MES系统对接方案") == [
        "与技术王*总监预约现场对接", "整理MES系统对接方案"]
    assert next_steps("1、发送方案\n2、预约演示") == ["发送方案", "预约演示"]
    assert next_steps("发送方案；约定3天后再次沟通") == ["发送方案", "约定3天后再次沟通"]
    assert next_steps("发送产品方案") == ["发送产品方案"] and next_steps(" ") == []
    at = dt.datetime(2024, 5, 10, 14, 0)
    assert help_cell("否", None, at) is None and help_cell("", None, at) is None
    assert help_cell("是,需*工程师协助3日内提供方案", "技术部", at) == {
        "from": "技术部", "detail": "需*工程师协助3日内提供方案", "due": "2024-05-13"}
    assert help_cell("是", None, at) == {"detail": "需要协助"}
    assert phone_note("1385678(企业)") == ("1385678", "im")
    assert phone_note("0755-88881234(座机)") == ("0755-88881234", "office")
    assert phone_note("0755-88881234") == ("0755-88881234", None)
