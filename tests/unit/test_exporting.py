"""Export tables streamed from the working tree equal the Book's; the streaming xlsx writer's cells."""

from __future__ import annotations

import datetime as dt
import zipfile
from pathlib import Path

import openpyxl
import pytest
from conftest import customer_data
from dealbook.checks import filecache as reading
from dealbook.checks.reading import open_book
from dealbook.interchange.exporting import export, stream_tables, tables
from dealbook.interchange.xlsx_writer import DATE, TIME, XlsxWriter, serial
from dealbook.records.settings import load_settings


def awkward_repo(repo):
    """Records in the order-sensitive shapes: an id that is not its file name, two files with one
    id, a follow-up filed under another customer or naming none, files that do not parse."""
    repo.customer("粤IT2024002", name="B公司", stage="proposal", contacts=[
        {"name": "李工", "title": "工程师", "role": "user"}, {"name": "赵总", "role": "decision_maker"}],
        stage_history=[{"stage": "lead", "on": "2024-01-05"}, {"stage": "discovery", "on": "2024-02-01"},
                       {"stage": "proposal", "on": "2024-03-11"}])
    repo.customer("粤IT2024001", tags=["重点", "华南"], need={"summary": "质检", "pains": ["慢", "贵"],
                                                          "budget": {"status": "partial", "min": 500000}},
                  needs=[{"need": "检出率", "priority": "high", "adjustments": ["加接口"]}],
                  quotes=[{"no": "BJ-1", "date": "2024-05-06", "total": 300000, "cost": 210000,
                           "lines": [{"item": "工位", "quantity": 2, "unit_price": 150000, "amount": 300000}]}],
                  contracts=[{"no": "HT-1", "amount": 300000, "signed": "2024-05-10",
                              "payments": [{"due": "2024-05-10", "amount": 90000, "received_on": "2024-05-12"},
                                           {"due": "2024-06-30", "amount": 210000}]}])
    repo.write("records/customers/粤IT2024009.yaml", customer_data("粤IT2024000", name="文件名不符"))
    repo.write("records/customers/粤IT2024003.yaml", customer_data("粤IT2024003", name="先到"))
    repo.write("records/customers/粤IT2024003.yml", customer_data("粤IT2024003", name="后到"))
    repo.write("records/customers/bad.yaml", "id: [\n")
    repo.followup("粤IT2024001", "2024-05-10 14:00", next=[{"action": "报价", "due": "2024-05-13", "owner": "zhang"},
                                                          {"action": "演示"}])
    repo.followup("粤IT2024001", "2024-05-09 09:30", objections=["价格"])
    repo.followup("粤IT2024002", "2024-04-01 10:00")
    repo.write("records/followups/粤IT2024002/2024-05-01-0900.yaml",
               {"customer": "粤IT2024001", "at": "2024-05-01 09:00", "method": "visit", "by": "li", "summary": "串门"})
    repo.write("records/followups/粤IT2024002/2024-05-02-0900.yaml",
               {"at": "2024-05-02 09:00", "method": "phone", "by": "li", "summary": "没写客户"})
    repo.write("records/followups/粤IT2024001/2024-05-03-1000.yaml", "- a\n- b\n")
    repo.write("records/notes.txt", "not a record\n")
    return repo


def contents(items) -> list[tuple]:
    return [(t.name, [c.key for c in t.columns], t.count, list(t.rows())) for t in items]


@pytest.mark.parametrize("pool", [False, True])
def test_streamed_tables_equal_the_books_cold_and_cached(repo, monkeypatch, pool: bool) -> None:
    awkward_repo(repo)
    if pool:  # read the files on a process pool, as a large repo does
        monkeypatch.setattr(reading, "_PARALLEL_MIN", 1)
    settings = load_settings(repo.root)
    cold = contents(stream_tables(str(repo.root), settings))
    assert (repo.root / reading.CACHE_DIR).is_dir()  # the read results were cached for the next command
    warm = contents(stream_tables(str(repo.root), settings))
    book = contents(tables(open_book(str(repo.root), settings=settings)))
    assert cold == book
    assert warm == book
    by_name = {name: rows for name, _, _, rows in book}
    # worked out by hand: customers by id (the 003 file read first wins), follow-ups by (customer, path)
    assert [(r[0], r[1]) for r in by_name["customers"]] == [
        ("粤IT2024000", "文件名不符"), ("粤IT2024001", "A科技有限公司"), ("粤IT2024002", "B公司"),
        ("粤IT2024003", "先到")]
    assert [(r[0], r[1]) for r in by_name["followups"]] == [
        (None, dt.datetime(2024, 5, 2, 9)), ("粤IT2024001", dt.datetime(2024, 5, 9, 9, 30)),
        ("粤IT2024001", dt.datetime(2024, 5, 10, 14)),
        ("粤IT2024001", dt.datetime(2024, 5, 1, 9)),  # filed under 粤IT2024002: its path sorts after 001's own
        ("粤IT2024002", dt.datetime(2024, 4, 1, 10))]
    assert by_name["next_actions"] == [
        ["粤IT2024001", dt.datetime(2024, 5, 10, 14), "报价", dt.date(2024, 5, 13), "zhang"],
        ["粤IT2024001", dt.datetime(2024, 5, 10, 14), "演示", None, None]]
    assert [r[:3] + r[4:] for r in by_name["stage_history"] if r[0] == "粤IT2024002"] == [
        ["粤IT2024002", "B公司", "lead", dt.date(2024, 1, 5), dt.date(2024, 2, 1), 27, None],
        ["粤IT2024002", "B公司", "discovery", dt.date(2024, 2, 1), dt.date(2024, 3, 11), 39, None],
        ["粤IT2024002", "B公司", "proposal", dt.date(2024, 3, 11), None, None, None]]
    row = by_name["customers"][1]
    assert row[book[0][1].index("need.pains")] == "慢; 贵"
    assert row[book[0][1].index("tags")] == "重点, 华南"
    assert [t[2] for t in book] == [4, 5, 5, 2, 6, 1, 1, 1, 1, 2]


@pytest.mark.parametrize("fmt", ["csv", "json", "sqlite"])
def test_streamed_export_files_are_byte_identical_to_the_books(repo, tmp_path: Path, fmt: str) -> None:
    awkward_repo(repo)
    settings = load_settings(repo.root)
    name = {"csv": "out", "json": "out.json", "sqlite": "out.sqlite"}[fmt]
    streamed = export(stream_tables(str(repo.root), settings), fmt, str(tmp_path / "s" / name))
    booked = export(open_book(str(repo.root), settings=settings), fmt, str(tmp_path / "b" / name))
    for a, b in zip(streamed, booked, strict=True):
        if fmt == "sqlite":
            import sqlite3

            dumps = ["\n".join(sqlite3.connect(p).iterdump()) for p in (a, b)]
            assert dumps[0] == dumps[1]
        else:
            assert Path(a).read_bytes() == Path(b).read_bytes()


def test_xlsx_writer_cells_read_back_as_written(tmp_path: Path) -> None:
    target = tmp_path / "w.xlsx"
    rows = [
        [" 前后空格 ", "a & <b>", "=1+1", "bell\x07x", 12, 3.5, True, dt.date(2024, 5, 20),
         dt.datetime(2024, 5, 20, 14)],
        [None, "", None, "x" * 40000, 10**17, None, False, None, None],
    ]
    with XlsxWriter(str(target)) as book:
        assert book.add_sheet("表一", ["a", "b", "c", "d", "e", "f", "g", "day", "at"], rows,
                              [0, 0, 0, 0, 0, 0, 0, DATE, TIME]) == 2
        book.add_sheet("empty", ["only"], [])
    assert serial(dt.date(2024, 5, 20)) == 45432  # 2024-01-01 is 45292, plus 140 days
    assert serial(dt.datetime(2024, 5, 20, 14)) == 45432 + 14 / 24
    with zipfile.ZipFile(target) as zipped:
        sheet = zipped.read("xl/worksheets/sheet1.xml").decode()
    assert '<c r="H2" s="2" t="n"><v>45432</v></c>' in sheet
    assert '<c r="A3"' not in sheet  # empty cells are left out, as openpyxl leaves them out

    workbook = openpyxl.load_workbook(target)
    assert workbook.sheetnames == ["表一", "empty"]
    sheet = workbook["表一"]
    assert sheet.freeze_panes == "A2"
    assert all(c.font.b for c in sheet[1])
    first = [c.value for c in sheet[2]]
    assert first == [" 前后空格 ", "a & <b>", "=1+1", "bellx", 12, 3.5, True, dt.datetime(2024, 5, 20),
                     dt.datetime(2024, 5, 20, 14)]
    assert sheet["C2"].data_type == "s"  # text that looks like a formula stays text
    assert sheet["H2"].number_format == "yyyy-mm-dd" and sheet["I2"].number_format == "yyyy-mm-dd hh:mm"
    second = [c.value for c in sheet[3]]
    assert second[3] == "x" * 32767  # Excel's longest text, as openpyxl truncates
    assert second[4] == 10**17 and second[6] is False
    assert list(workbook["empty"].values) == [("only",)]


def test_the_deal_tables(repo) -> None:
    book = open_book(str(awkward_repo(repo).root), use_cache=False)
    by_name = {t.name: t for t in tables(book)}
    assert [t.name for t in tables(book)][5:] == ["needs", "quotes", "quote_lines", "contracts", "payments"]
    assert list(by_name["quotes"].rows()) == [["粤IT2024001", "A科技有限公司", "BJ-1", dt.date(2024, 5, 6), "sent",
                                               None, 300000, 210000, 0.3, None, None, None]]
    assert list(by_name["quote_lines"].rows()) == [["粤IT2024001", "BJ-1", 1, "工位", None, 2, 150000, 300000, None]]
    assert list(by_name["payments"].rows()) == [
        ["粤IT2024001", "HT-1", dt.date(2024, 5, 10), 90000, dt.date(2024, 5, 12), None, 0, None],
        ["粤IT2024001", "HT-1", dt.date(2024, 6, 30), 210000, None, None, 210000, None]]
    contract = next(iter(by_name["contracts"].rows()))
    assert contract[:4] == ["粤IT2024001", "A科技有限公司", "HT-1", 300000] and contract[10:12] == [300000, 90000]
    assert list(by_name["needs"].rows()) == [["粤IT2024001", "A科技有限公司", 1, "检出率", "high", None, None, None,
                                              None, "加接口", None]]
    assert [by_name[n].count for n in ("needs", "quotes", "quote_lines", "contracts", "payments")] == [1, 1, 1, 1, 2]
