"""The xlsx reader (python-calamine) on workbooks written by hand, cell by cell: formulas with and
without a saved value, shared formulas, dates and times by number format, inline and rich
strings, leading empty rows and columns, merged ranges, a broken file."""

from __future__ import annotations

import datetime as dt
import zipfile
from pathlib import Path

import pytest
from dealbook.interchange.xlsx_reader import Workbook, XlsxError

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
# cellXfs: 0 general, 1 a built-in date (14), 2 a custom date-time, 3 a built-in time (20)
STYLES = (f'<styleSheet xmlns="{MAIN}"><numFmts count="1"><numFmt numFmtId="164" formatCode="yyyy/m/d h:mm"/>'
          '</numFmts><fonts count="1"><font/></fonts><fills count="1"><fill/></fills><borders count="1"><border/>'
          '</borders><cellStyleXfs count="1"><xf/></cellStyleXfs><cellXfs count="4"><xf numFmtId="0"/>'
          '<xf numFmtId="14" applyNumberFormat="1"/><xf numFmtId="164" applyNumberFormat="1"/>'
          '<xf numFmtId="20" applyNumberFormat="1"/></cellXfs></styleSheet>')


def write_xlsx(path: Path, sheet_xml: str, strings: list[str] = ()) -> Path:
    """A minimal workbook whose one sheet, 客户, is `sheet_xml` (the <sheetData> content and after)."""
    parts = {
        "[Content_Types].xml": (
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            '<Override PartName="/xl/workbook.xml" '
            'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
            '<Override PartName="/xl/worksheets/sheet1.xml" '
            'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
            '<Override PartName="/xl/styles.xml" '
            'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
            '<Override PartName="/xl/sharedStrings.xml" '
            'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>'),
        "_rels/.rels": (
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            f'<Relationship Id="rId1" Type="{REL}/officeDocument" Target="xl/workbook.xml"/></Relationships>'),
        "xl/workbook.xml": (f'<workbook xmlns="{MAIN}" xmlns:r="{REL}"><sheets>'
                            '<sheet name="客户" sheetId="1" r:id="rId1"/></sheets></workbook>'),
        "xl/_rels/workbook.xml.rels": (
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            f'<Relationship Id="rId1" Type="{REL}/worksheet" Target="worksheets/sheet1.xml"/>'
            f'<Relationship Id="rId2" Type="{REL}/styles" Target="styles.xml"/>'
            f'<Relationship Id="rId3" Type="{REL}/sharedStrings" Target="sharedStrings.xml"/></Relationships>'),
        "xl/styles.xml": STYLES,
        "xl/sharedStrings.xml": (f'<sst xmlns="{MAIN}">' + "".join(
            f"<si><t>{s}</t></si>" if "|" not in s else
            "<si>" + "".join(f"<r><t>{run}</t></r>" for run in s.split("|")) + "<rPh><t>ふりがな</t></rPh></si>"
            for s in strings) + "</sst>"),
        "xl/worksheets/sheet1.xml": f'<worksheet xmlns="{MAIN}">{sheet_xml}</worksheet>',
    }
    with zipfile.ZipFile(path, "w") as package:
        for name, text in parts.items():
            package.writestr(name, text)
    return path


def read(path: Path) -> tuple[list[tuple[int, list, dict]], list]:
    book = Workbook(str(path))
    [ref] = book.sheets
    assert ref.name == "客户"
    try:
        return list(book.rows(ref)), book.merged(ref)
    finally:
        book.close()


def test_formulas_with_and_without_a_saved_value(tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "f.xlsx", (
        '<sheetData><row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c></row>'
        '<row r="2"><c r="A2"><v>2</v></c><c r="B2"><f>A2*3</f><v>6</v></c>'
        '<c r="C2" t="str"><f>A2&amp;"号"</f><v>2号</v></c><c r="D2"><f>A2&amp;"x"</f></c>'
        '<c r="E2"><f t="shared" ref="E2:E3" si="0">A2+1</f><v></v></c></row>'
        '<row r="3"><c r="E3"><f t="shared" si="0"/></c></row></sheetData>'), ["客户名称", "联系方式"])
    rows, _ = read(path)
    assert rows == [
        (1, ["客户名称", "联系方式"], {}),
        (2, [2, 6, "2号"], {3: '=A2&"x"', 4: "=A2+1"}),  # a saved value is the value; none is a formula
        (3, [], {4: "a shared formula"}),
    ]


def test_dates_times_numbers_and_strings(tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "d.xlsx", (
        '<sheetData><row r="3"><c r="C3" s="1"><v>45422</v></c><c r="D3" s="2"><v>45422.60416666</v></c>'
        '<c r="E3" s="3"><v>0.5</v></c><c r="F3"><v>45422</v></c><c r="G3"><v>3.25</v></c>'
        '<c r="H3" t="b"><v>1</v></c><c r="I3" t="inlineStr"><is><t xml:space="preserve"> 行内 </t></is></c>'
        '<c r="J3" t="s"><v>0</v></c><c r="K3" t="e"><v>#DIV/0!</v></c></row></sheetData>'), ["富|文本"])
    [(number, values, formulas)], _ = read(path)
    assert number == 3 and formulas == {}
    assert values == [None, None, dt.date(2024, 5, 10), dt.datetime(2024, 5, 10, 14, 30), dt.datetime(1899, 12, 30, 12),
                      45422, 3.25, True, " 行内 ", "富文本", "#DIV/0!"]


def test_merged_ranges_and_leading_empty_rows(tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "m.xlsx", (
        '<sheetData><row r="2"><c r="B2" t="s"><v>0</v></c></row><row r="4"><c r="B4" t="s"><v>1</v></c></row>'
        '</sheetData><mergeCells count="2"><mergeCell ref="B2:H2"/><mergeCell ref="B4:B5"/></mergeCells>'),
        ["客户信息总表", "张伟"])
    rows, merged = read(path)
    assert [(n, v) for n, v, _ in rows] == [(2, [None, "客户信息总表"]), (4, [None, "张伟"])]
    assert merged == [(2, 1, 2, 7), (4, 1, 5, 1)]


def test_a_broken_file_is_an_xlsx_error(tmp_path: Path) -> None:
    bad = tmp_path / "bad.xlsx"
    bad.write_bytes(b"PK\x03\x04 not really a zip")
    with pytest.raises(XlsxError):
        Workbook(str(bad))
