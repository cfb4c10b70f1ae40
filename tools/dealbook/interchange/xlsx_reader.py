"""An .xlsx sheet's cells as an import reads them, through python-calamine (Rust's calamine).

What an import needs, in the shape the sheet reader expects: sheet names, merged ranges, and
row by row the values (text, whole numbers as int, other numbers as float, booleans, dates and
date-times by their number format, rounded to the minute as Excel stores times as fractions of
a day), with the formulas that have no saved result. Calamine returns a formula's saved
result, and an empty cell when it has none or when the cell holds an error (#DIV/0!, #N/A);
those cells are found in the sheet's XML, which is only searched when it holds a formula or
an error at all: a formula without a result is reported, an error is read as its text.
"""

from __future__ import annotations

import datetime as dt
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from xml.sax.saxutils import unescape

from python_calamine import CalamineError, CalamineWorkbook, SheetTypeEnum, SheetVisibleEnum

_EPOCH = dt.datetime(1899, 12, 30)
_REF = re.compile(rb'\br="([A-Z]+)([0-9]+)"')
_FORMULA = re.compile(rb"<(?:\w+:)?f[\s>/]")
_ERROR = re.compile(rb'<(?:\w+:)?c\s[^>]*?\bt="e"[^>]*>')


class XlsxError(Exception):
    """The file is not a readable workbook."""


@dataclass(frozen=True)
class SheetRef:
    name: str
    index: int  # position among the workbook's sheets
    hidden: bool = False  # hidden (or very hidden) in Excel: a lookup table, an old copy


def column_index(letters: str) -> int:
    number = 0
    for ch in letters:
        number = number * 26 + ord(ch) - 64
    return number - 1


def _minute(moment: dt.datetime) -> dt.datetime:
    """Round to the minute: a time saved as a fraction of a day reads back a hair early or late."""
    moment = moment.replace(microsecond=0) + dt.timedelta(seconds=30)
    return moment.replace(second=0)


def _value(cell: Any) -> Any:
    kind = type(cell)
    if kind is str:
        return cell if cell != "" else None
    if kind is float:
        return int(cell) if cell.is_integer() and abs(cell) < 1e15 else cell
    if kind is dt.datetime:
        return _minute(cell)
    if kind is dt.time:
        return _minute(dt.datetime.combine(_EPOCH.date(), cell))
    if kind is dt.timedelta:
        return _minute(_EPOCH + cell)
    return cell  # int, bool, date


class Workbook:
    """An open .xlsx file: its sheets, their merged ranges and rows."""

    def __init__(self, path: str) -> None:
        self.path = path
        try:
            self.book = CalamineWorkbook.from_path(path)
            self.sheets = [SheetRef(meta.name, i, meta.visible != SheetVisibleEnum.Visible)
                           for i, meta in enumerate(self.book.sheets_metadata) if meta.typ == SheetTypeEnum.WorkSheet]
        except (CalamineError, OSError, ValueError) as exc:
            raise XlsxError(f"{type(exc).__name__}: {exc}") from None
        self._members: dict[str, str] | None = None
        self._current: tuple[str, Any] | None = None

    def close(self) -> None:
        self._current = None
        self.book.close()

    def _sheet(self, ref: SheetRef) -> Any:
        """The sheet, read once: its merged ranges, size and rows share one copy in memory (the
        last sheet asked for is kept; calamine reads a whole sheet at a time)."""
        if self._current is not None and self._current[0] == ref.name:
            return self._current[1]
        self._current = None  # let the previous sheet go before reading the next
        try:
            sheet = self.book.get_sheet_by_name(ref.name)
        except CalamineError as exc:
            raise XlsxError(f"{type(exc).__name__}: {exc}") from None
        self._current = (ref.name, sheet)
        return sheet

    def merged(self, ref: SheetRef) -> list[tuple[int, int, int, int]]:
        """Merged ranges as (top row, left column, bottom row, right column); rows 1-based, columns 0-based."""
        ranges = self._sheet(ref).merged_cell_ranges or []
        return sorted({(top + 1, left, bottom + 1, right) for (top, left), (bottom, right) in ranges})

    def row_count(self, ref: SheetRef) -> int | None:
        """The sheet's last row with data (for the progress bar)."""
        end = self._sheet(ref).end
        return end[0] + 1 if end else None

    def rows(self, ref: SheetRef) -> Iterator[tuple[int, list[Any], dict[int, str]]]:
        """(row number, cell values, {column: formula} for formulas with no saved value), row by row."""
        sheet = self._sheet(ref)
        start = sheet.start
        offset = start[1] if start else 0
        formulas, errors = self._specials(ref)
        lead = [None] * offset
        last = 0
        for number, cells in enumerate(sheet.iter_rows(), start=1):
            last = number
            values = [*lead, *map(_value, cells)] if offset else list(map(_value, cells))
            for column, text in errors.get(number, {}).items():
                values.extend([None] * (column + 1 - len(values)))
                values[column] = text
            while values and values[-1] is None:
                values.pop()
            if values or number in formulas:
                yield number, values, formulas.get(number, {})
        # rows past the last value that hold only formulas without a result, or errors
        for number in sorted(set(formulas) | set(errors)):
            if number > last:
                values = []
                for column, text in errors.get(number, {}).items():
                    values.extend([None] * (column + 1 - len(values)))
                    values[column] = text
                yield number, values, formulas.get(number, {})

    # --- formulas without a saved value -----------------------------------------------------
    def _member(self, ref: SheetRef) -> str | None:
        """The sheet's part inside the zip (calamine does not say)."""
        if self._members is None:
            from xml.etree import ElementTree as ET

            self._members = {}
            try:
                with zipfile.ZipFile(self.path) as package:
                    names = set(package.namelist())
                    rels = ET.fromstring(package.read("xl/_rels/workbook.xml.rels"))
                    targets = {r.get("Id", ""): r.get("Target", "") for r in rels}
                    book = ET.fromstring(package.read("xl/workbook.xml"))
                    main = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
                    rel = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
                    for sheet in book.iter(f"{main}sheet"):
                        target = targets.get(sheet.get(f"{rel}id", ""), "")
                        member = target.lstrip("/") if target.startswith("/") else f"xl/{target}"
                        if member in names:
                            self._members[sheet.get("name", "")] = member
            except (zipfile.BadZipFile, KeyError, ET.ParseError, OSError):
                pass
        return self._members.get(ref.name)

    def _specials(self, ref: SheetRef) -> tuple[dict[int, dict[int, str]], dict[int, dict[int, str]]]:
        """({row: {column: formula}} for formulas without a saved value, {row: {column: error text}})."""
        member = self._member(ref)
        if member is None:
            return {}, {}
        try:
            data = _read_if_special(self.path, member)
        except (zipfile.BadZipFile, KeyError, OSError):
            return {}, {}
        if data is None:
            return {}, {}
        formulas: dict[int, dict[int, str]] = {}
        errors: dict[int, dict[int, str]] = {}
        for m in _FORMULA.finditer(data):
            cell = _cell_around(data, m.start())
            if cell is None or re.search(rb"<(?:\w+:)?v>[^<]", cell):
                continue  # a saved result (or an error, below): calamine read it
            where = _REF.search(cell)
            if where:
                text = re.search(rb"<(?:\w+:)?f[^>]*>([^<]+)<", cell)
                formula = "=" + unescape(text.group(1).decode("utf-8")) if text else "a shared formula"
                formulas.setdefault(int(where.group(2)), {})[column_index(where.group(1).decode())] = formula
        for m in _ERROR.finditer(data):
            cell = _cell_around(data, m.end())
            where = _REF.search(m.group(0))
            value = re.search(rb"<(?:\w+:)?v>([^<]+)<", cell or b"")
            if where and value:
                errors.setdefault(int(where.group(2)), {})[column_index(where.group(1).decode())] = \
                    unescape(value.group(1).decode("utf-8"))
        return formulas, errors


def _read_if_special(path: str, member: str) -> bytes | None:
    """The sheet's XML when it holds a formula or an error cell, else None; streamed, so a sheet
    without either (most imports) costs one pass of decompression and no copy in memory."""
    found = False
    with zipfile.ZipFile(path) as package, package.open(member) as handle:
        tail = b""
        while True:
            chunk = handle.read(1 << 20)
            if not chunk:
                break
            block = tail + chunk
            if _FORMULA.search(block) or b't="e"' in block:
                found = True
                break
            tail = block[-64:]
        if not found:
            return None
    with zipfile.ZipFile(path) as package:
        return package.read(member)


def _cell_around(data: bytes, position: int) -> bytes | None:
    """The <c …>…</c> element that contains `position` in the sheet's XML."""
    begin = max(data.rfind(b"<c ", 0, position), data.rfind(b":c ", 0, position))
    end = data.find(b"c>", position)
    return data[begin:end] if begin >= 0 and end >= 0 else None
