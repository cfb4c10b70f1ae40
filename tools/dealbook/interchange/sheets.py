"""Read the spreadsheets teams keep today (xlsx or csv) as rows of known fields, streaming."""

from __future__ import annotations

import csv
import datetime as dt
import io
import os
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from ..text.catalog import N_, NP_, Said, SaidError, joined, said
from ..text.output import unguard_cell

CUSTOMERS = "customers"
FOLLOWUPS = "followups"
IGNORE = "ignore"
# the separators of a list in a message, said in the reader's language (`joined(*ENUMERATION, names)`)
ENUMERATION = ("enumeration", NP_("enumeration", ", "))
ALTERNATIVES = ("alternatives", NP_("alternatives", " or "))


class SheetError(SaidError):
    """The file cannot be read as a table: the message says why and what to do (`str()` is the
    English; `text(_)` says it in the translator's language)."""


# --- column names -----------------------------------------------------------------------
# field -> the headers it is known by: the two sheets' usual Chinese names, English names, and the
# column names `dealbook export` writes (so an exported workbook imports back unchanged).
CUSTOMER_COLUMNS: dict[str, tuple[str, ...]] = {
    "id": ("客户编号", "编号", "customer id", "id"),
    "name": ("客户名称", "公司名称", "企业名称", "客户全称", "customer", "customer name", "company", "name"),
    "industry": ("所属行业", "行业", "industry"),
    "size": ("客户规模", "企业规模", "规模", "size"),
    "size.employees": ("员工人数", "人数", "employees", "headcount"),
    "size.revenue": ("年营业额", "营业额", "revenue", "annual revenue"),
    "region": ("所在地区", "地区", "区域", "所在城市", "region", "city"),
    "address": ("注册地址", "地址", "address"),
    "founded": ("成立年份", "成立时间", "founded"),
    "business": ("主营业务", "business", "main business"),
    "contact": ("联系人姓名及职务", "联系人及职务", "关键联系人", "联系人", "contact", "contact person"),
    "contact.title": ("职务", "联系人职务", "title", "contact title"),
    "contact.role": ("决策角色", "角色", "role", "decision role"),
    "phone": ("联系方式", "联系电话", "电话", "phone", "contact details"),
    "email": ("邮箱", "电子邮箱", "email", "e-mail"),
    "need.summary": ("需求描述", "需求", "客户需求", "need", "need.summary"),
    "need.pains": ("痛点", "pains", "need.pains"),
    "need.goal": ("目标", "goal", "need.goal"),
    "need.budget": ("预算", "预算范围", "budget"),
    "need.budget.status": ("预算状态", "预算明确度", "budget status", "need.budget.status"),
    "need.budget.min": ("need.budget.min", "预算下限", "budget min"),
    "need.budget.max": ("need.budget.max", "预算上限", "budget max"),
    "need.timeline.start": ("预计启动时间", "启动时间", "timeline", "need.timeline.start"),
    "need.timeline.note": ("时间计划", "need.timeline.note"),
    "decision_chain": ("决策链", "decision chain", "decision_chain"),
    "project.name": ("项目名称", "project", "project.name"),
    "project.cycle": ("预计周期", "project cycle", "project.cycle"),
    "source.channel": ("来源渠道", "来源", "渠道", "source", "channel", "source.channel"),
    "source.detail": ("来源详情", "渠道详情", "source detail", "source.detail"),
    "lead_type": ("线索类型", "客户类型", "lead type", "lead_type"),
    "owner": ("负责人", "第一负责人", "销售负责人", "owner", "sales rep"),
    "support": ("协同人员", "support"),
    "created": ("建档日期", "创建日期", "建档时间", "created", "created on"),
    "last_contact": ("最新跟进日期", "最近跟进日期", "最后跟进日期", "last contact", "last follow-up"),
    "status": ("客户状态", "状态", "销售阶段", "阶段", "status", "stage"),
    "grade.value": ("客户等级", "等级", "grade", "grade.value"),
    "grade.reason": ("等级原因", "grade.reason"),
    "deal.amount": ("预计金额", "预计成交金额", "商机金额", "deal amount", "deal.amount"),
    "deal.close_by": ("预计成交日期", "close by", "deal.close_by"),
    "contract.no": ("合同编号", "contract no", "contract number"),
    "contract.amount": ("合同金额", "成交金额", "contract amount"),
    "contract.signed": ("签约日期", "签订日期", "signed", "contract signed"),
    "contract.delivered": ("交付日期", "delivered", "contract delivered"),
    "lost.reason": ("流失原因", "lost reason", "lost.reason"),
    "lost.note": ("流失说明", "lost note", "lost.note"),
    "lost.on": ("流失日期", "lost.on"),
    "paused_until": ("暂缓至", "paused until", "paused_until"),
    "tags": ("标签", "tags"),
    # lists exported as JSON text (dealbook export) — an exported workbook re-imports whole
    "contacts": ("contacts",),
    "stage_history": ("stage_history",),
    "needs": ("needs",),
    "quotes": ("quotes",),
    "contracts": ("contracts",),
    "custom": ("custom",),
}

FOLLOWUP_COLUMNS: dict[str, tuple[str, ...]] = {
    "at": ("跟进日期", "跟进时间", "日期", "时间", "date", "at", "follow-up date"),
    "customer": ("客户编号", "customer id", "customer"),
    "customer_name": ("客户名称", "客户", "公司名称", "customer name", "company"),
    "contact": ("联系人", "联系人姓名", "contact"),
    "method": ("跟进方式", "沟通方式", "方式", "method"),
    "summary": ("跟进主题/内容", "跟进内容", "跟进主题", "沟通内容", "内容", "summary", "content", "topic"),
    "feedback": ("客户反馈与需求变化", "客户反馈及需求变化", "客户反馈", "反馈", "feedback"),
    "objections": ("客户异议", "异议", "objections"),
    "outcome": ("结果", "outcome"),
    "next.action": ("下一步计划", "下一步", "下一步行动", "next step", "next action"),
    "next.due": ("完成时限", "截止日期", "期限", "deadline", "due"),
    "by": ("跟进人", "负责人", "销售", "by", "followed up by"),
    "help.from": ("需协助部门", "协助部门", "协助人", "help from", "help.from"),
    "help.detail": ("协助内容", "需协助事项", "help detail", "help.detail"),
    "help": ("是否需协助", "是否需要协助", "需协助", "help"),
    "help.due": ("协助时限", "help due", "help.due"),
    "next": ("next",),
    "custom": ("custom",),
}

COLUMNS = {CUSTOMERS: CUSTOMER_COLUMNS, FOLLOWUPS: FOLLOWUP_COLUMNS}
# Without one of these a sheet cannot be imported at all.
REQUIRED = {CUSTOMERS: (("name", "id"),), FOLLOWUPS: (("at",), ("customer", "customer_name"))}
_FOLLOWUP_HINTS = {"跟进日期", "跟进时间", "跟进方式", "跟进人", "跟进内容", "跟进主题/内容", "at", "method"}


def header_key(text: Any) -> str:
    """A header as compared: NFKC, no spaces or `*` marks, lower case."""
    key = unicodedata.normalize("NFKC", str(text or "")).strip().lower()
    return re.sub(r"[\s*:]+", "", key)


def _lookup(kind: str) -> dict[str, str]:
    table: dict[str, str] = {}
    for name, aliases in COLUMNS[kind].items():
        for alias in aliases:
            table.setdefault(header_key(alias), name)
    for name in COLUMNS[kind]:
        table.setdefault(header_key(name), name)  # the field's own name always works (as in --map files)
    for alias in ("path", "file", "文件"):
        table.setdefault(alias, IGNORE)
    return table


def map_headers(headers: list[Any], kind: str, mapping: dict[str, str] | None = None) -> list[str | None]:
    """The field each header stands for (None: not known; kept under `custom`)."""
    known = _lookup(kind)
    given = {header_key(k): v for k, v in (mapping or {}).items()}
    fields: list[str | None] = []
    for header in headers:
        key = header_key(header)
        name = given.get(key) or known.get(key)
        if name is None and "(" in key:  # 客户名称(全称) -> 客户名称
            name = known.get(re.sub(r"\(.*?\)", "", key))
        fields.append(name if key else None)
    return fields


def _refuse_repeats(sheet: Sheet, letters: bool) -> None:
    """SheetError when two columns stand for the same field (or, not known, have the same header, which
    names their `custom:` key): which one's value is meant cannot be told, and one would be lost.
    Columns are named by letter in a workbook (`letters`), by number in a csv file."""
    seen: dict[str, int] = {}
    for index, (header, name) in enumerate(zip(sheet.headers, sheet.fields, strict=False)):
        if name == IGNORE or not header:
            continue
        what = name or f"custom.{header}"
        first = seen.setdefault(what, index)
        if first == index:
            continue
        meant = said(N_("the field `%(name)s`"), name=name) if name else \
            said(N_("`custom.%(header)s` (a header dealbook does not know)"), header=header)
        raise SheetError(said(
            N_("%(path)s: sheet '%(sheet)s' has two columns for %(meant)s: %(first)s `%(first_header)s` and "
               "%(second)s `%(second_header)s` (header row %(row)s); nothing was imported. Keep one: delete the "
               "other column, or rename its header (a --map file can then map it to another field or to `ignore`)"),
            path=sheet.source, sheet=sheet.name, meant=meant, first=_column(first, letters),
            first_header=sheet.headers[first], second=_column(index, letters), second_header=header,
            row=sheet.header_row))


def _column(index: int, letters: bool) -> Said:
    """How a spreadsheet names a column: `column C` in a workbook, `column 3` in a csv file."""
    if letters:
        from .xlsx_writer import column_letters

        return said(N_("column %(letters)s"), letters=column_letters(index))
    return said(N_("column %(number)s"), number=index + 1)


def guess_kind(headers: list[Any]) -> str:
    """customers or followups, from the header row."""
    keys = {header_key(h) for h in headers}
    return FOLLOWUPS if keys & {header_key(h) for h in _FOLLOWUP_HINTS} else CUSTOMERS


# --- rows -------------------------------------------------------------------------------
@dataclass(frozen=True)
class Row:
    """One data row: its number as the spreadsheet shows it, values by field, other columns."""

    number: int
    values: dict[str, Any]
    extra: dict[str, Any]
    problems: tuple[str | Said, ...] = ()  # said in the team's language where shown
    columns: dict[str, str | Said] | None = None  # field -> "column F `联系方式`": where a cell's problem is

    def where(self, name: str, fallback: str) -> str | Said:
        """The column a field is read from, as a message names it; `fallback` when the sheet has none."""
        return (self.columns or {}).get(name, fallback)


@dataclass
class Sheet:
    """A table being read: its name, header, the field of every column, and its rows (lazy)."""

    source: str
    name: str
    kind: str
    headers: list[str]
    fields: list[str | None]
    header_row: int
    total: int | None
    notes: list[str | Said] = field(default_factory=list)  # said in the team's language where shown
    _rows: Iterator[tuple[int, list[Any], dict[int, str]]] | None = None
    letters: bool = True  # columns are named by letter (a workbook), else by number (a csv file)

    def column(self, index: int) -> str:
        """`column F `联系方式``: how a message names a column (said in the reader's language)."""
        return said(N_("%(column)s `%(header)s`"), column=_column(index, self.letters), header=self.headers[index])

    @property
    def unmapped(self) -> list[str]:
        return [h for h, f in zip(self.headers, self.fields, strict=False) if f is None and h]

    def rows(self) -> Iterator[Row]:
        """The data rows, read as they are needed; blank rows are skipped."""
        assert self._rows is not None
        columns: dict[str, str | Said] = {}
        for index, name in enumerate(self.fields):
            if name not in (None, IGNORE):
                columns.setdefault(name, self.column(index))
        for number, cells, formulas in self._rows:
            values: dict[str, Any] = {}
            extra: dict[str, Any] = {}
            problems: list[str | Said] = []
            if formulas and max(formulas) >= len(cells):  # a formula without a result past the row's last value
                cells = [*cells, *[None] * (max(formulas) + 1 - len(cells))]
            for index, value in enumerate(cells[: len(self.fields)]):
                if isinstance(value, str):
                    value = value.strip()
                if value in (None, ""):
                    if index in formulas and self.fields[index] not in (None, IGNORE):
                        problems.append(said(
                            N_("%(where)s: the cell holds a formula (%(formula)s) with no saved result; open the "
                               "file in Excel or WPS and save it, or paste the values"),
                            where=self.column(index), formula=formulas[index]))
                    continue
                name = self.fields[index]
                if name == IGNORE:
                    continue
                if name is None:
                    if self.headers[index]:
                        extra[self.headers[index]] = value
                else:
                    values[name] = value
            if values or extra or problems:
                yield Row(number, values, extra, tuple(problems), columns)


def _find_header(rows: list[tuple[int, list[Any]]], kind: str | None,
                 mapping: dict[str, str] | None) -> tuple[int, str]:
    """Index (in `rows`) of the header row — titles above it are skipped — and the sheet kind."""
    best = None
    for index, (_, cells) in enumerate(rows):
        texts = [c for c in cells if isinstance(c, str) and c.strip()]
        if not texts:
            continue
        the_kind = kind or guess_kind(cells)
        hits = sum(1 for f in map_headers(cells, the_kind, mapping) if f and f != IGNORE)
        if hits >= 2 or (hits == 1 and len(texts) == 1):
            return index, the_kind
        if best is None:
            best = (index, the_kind)
    if best is None:
        raise SheetError(said(N_("the sheet is empty: no header row and no data")))
    return best


def _check_required(sheet: Sheet) -> None:
    present = set(sheet.fields)
    for choices in REQUIRED[sheet.kind]:
        if not present & set(choices):
            wanted = [f"{COLUMNS[sheet.kind][c][0]} ({c})" for c in choices]
            found = [h for h in sheet.headers if h]
            message = N_("%(path)s: sheet '%(sheet)s' has no %(wanted)s column (row %(row)s has: %(found)s); "
                         "rename the header or give a --map file")
            raise SheetError(said(message, path=sheet.source, sheet=sheet.name,
                                  wanted=joined(*ALTERNATIVES, wanted), row=sheet.header_row,
                                  found=joined(*ENUMERATION, found) if found else said(N_("none"))))


def open_sheet(path: str, kind: str | None = None, mapping: dict[str, str] | None = None,
               sheet: str | None = None) -> Sheet:
    """Open an xlsx or csv file for import; SheetError when it cannot be read as a table."""
    if not os.path.isfile(path):
        raise SheetError(said(N_("%(path)s: no such file"), path=path))
    extension = os.path.splitext(path)[1].lower()
    if extension in (".xlsx", ".xlsm"):
        return _open_xlsx(path, kind, mapping, sheet)
    if extension in (".csv", ".txt", ".tsv"):
        return _open_csv(path, kind, mapping)
    if extension == ".xls":
        raise SheetError(said(N_("%(path)s: old .xls workbooks are not read; save it as .xlsx (Excel/WPS: Save As → "
                                 ".xlsx)"), path=path))
    raise SheetError(said(N_("%(path)s: not a spreadsheet dealbook reads; use .xlsx or .csv"), path=path))


def _build(path: str, name: str, peeked: list[tuple[int, list[Any]]], rest: Iterator[tuple[int, list[Any]]],
           kind: str | None, mapping: dict[str, str] | None, total: int | None,
           formulas: dict[int, dict[int, str]], notes: list[str | Said], letters: bool) -> Sheet:
    """The Sheet of the rows read (`peeked`, then `rest`); `letters`: columns are named by letter (a
    workbook), else by number (a csv file)."""
    index, the_kind = _find_header(peeked, kind, mapping)
    header_number, header_cells = peeked[index]
    headers = [str(c).strip() if c is not None else "" for c in header_cells]
    while headers and not headers[-1]:
        headers.pop()

    def stream() -> Iterator[tuple[int, list[Any], dict[int, str]]]:
        for number, cells in peeked[index + 1:]:
            yield number, cells, formulas.get(number, {})
        for number, cells in rest:
            yield number, cells, formulas.get(number, {})

    result = Sheet(path, name, the_kind, headers, map_headers(headers, the_kind, mapping), header_number,
                   None if total is None else max(0, total - header_number), notes, stream(), letters)
    _check_required(result)
    _refuse_repeats(result, letters=letters)
    return result


# --- xlsx ---------------------------------------------------------------------------------
def _open_xlsx(path: str, kind: str | None, mapping: dict[str, str] | None, wanted: str | None) -> Sheet:
    from .xlsx_reader import Workbook, XlsxError

    try:
        book = Workbook(path)
    except XlsxError as exc:
        raise SheetError(said(N_("%(path)s: cannot open the workbook (%(error)s); is it really an .xlsx file? "
                                 "Save it again from Excel or WPS"), path=path, error=str(exc))) from None
    names = [s.name for s in book.sheets]
    if not names:
        raise SheetError(said(N_("%(path)s: the workbook has no sheets"), path=path))
    notes: list[str | Said] = []
    if wanted is not None:
        if wanted not in names:
            raise SheetError(said(N_("%(path)s: no sheet named '%(sheet)s'; the sheets are: %(sheets)s"), path=path,
                                  sheet=wanted, sheets=joined(*ENUMERATION, names)))
        chosen = wanted
    else:
        # a sheet named for the kind; else the first visible one with the columns an import needs (not
        # a 说明 sheet of instructions before the table); else the first with data, whose error says why
        visible = [s for s in book.sheets if not s.hidden] or book.sheets
        chosen = next((n for n in names if n.lower() == (kind or "").lower()), None)
        if chosen is None:
            chosen = next((s.name for s in visible if _fits(book, s, kind, mapping)), None)
        if chosen is None:
            chosen = next((s.name for s in visible if _has_cells(book, s)), visible[0].name)
        others = [said(N_("%(sheet)s (hidden)"), sheet=s.name) if s.hidden else s.name
                  for s in book.sheets if s.name != chosen]
        if others:
            notes.append(said(N_("read sheet '%(sheet)s'; other sheets not read: %(others)s (use --sheet NAME)"),
                              sheet=chosen, others=joined(*ENUMERATION, others)))
    ref = book.sheets[names.index(chosen)]
    # A merged range's value lives in its top-left cell: remember it and fill the range's other cells.
    fills: dict[int, list[tuple[int, tuple[int, int]]]] = {}
    anchors: set[tuple[int, int]] = set()
    for top, left, bottom, right in book.merged(ref):
        anchors.add((top, left))
        for r in range(top, bottom + 1):
            for c in range(left, right + 1):
                if (r, c) != (top, left):
                    fills.setdefault(r, []).append((c, (top, left)))
    remembered: dict[tuple[int, int], Any] = {}
    formulas: dict[int, dict[int, str]] = {}

    def raw_rows() -> Iterator[tuple[int, list[Any]]]:
        for number, cells, found in book.rows(ref):
            if found:
                formulas[number] = found
            if anchors:
                for column, value in enumerate(cells):
                    if (number, column) in anchors:
                        remembered[(number, column)] = value
                for column, anchor in fills.get(number, ()):
                    if column >= len(cells):
                        cells.extend([None] * (column + 1 - len(cells)))
                    if cells[column] in (None, ""):
                        cells[column] = remembered.get(anchor)
            yield number, cells

    iterator = raw_rows()
    peeked: list[tuple[int, list[Any]]] = []
    for item in iterator:
        peeked.append(item)
        if len(peeked) >= 12:
            break
    if not any(any(c not in (None, "") for c in cells) for _, cells in peeked):
        if len(names) > 1:
            raise SheetError(said(N_("%(path)s: sheet '%(sheet)s' is empty; the workbook's sheets are: %(sheets)s "
                                     "(use --sheet NAME)"), path=path, sheet=chosen,
                                  sheets=joined(*ENUMERATION, names)))
        raise SheetError(said(N_("%(path)s: sheet '%(sheet)s' is empty"), path=path, sheet=chosen))
    return _build(path, chosen, peeked, iterator, kind, mapping, _row_count(book, ref), formulas, notes, True)


def _has_cells(book: Any, ref: Any) -> bool:
    for index, (_, cells, _) in enumerate(book.rows(ref)):
        if any(c not in (None, "") for c in cells):
            return True
        if index >= 12:
            break
    return False


def _fits(book: Any, ref: Any, kind: str | None, mapping: dict[str, str] | None) -> bool:
    """Whether the sheet has a header row with the columns an import of its kind needs."""
    peeked = []
    for number, cells, _ in book.rows(ref):
        peeked.append((number, cells))
        if len(peeked) >= 12:
            break
    try:
        index, the_kind = _find_header(peeked, kind, mapping)
    except SheetError:
        return False
    fields = set(map_headers(peeked[index][1], the_kind, mapping))
    return all(fields & set(choices) for choices in REQUIRED[the_kind])


def _row_count(book: Any, ref: Any) -> int | None:
    """The sheet's last row (for the progress bar), if the workbook says."""
    return book.row_count(ref)


# --- csv ----------------------------------------------------------------------------------
def decode(raw: bytes) -> tuple[str, str]:
    """The text of a csv file and the encoding found: UTF-8 (with or without BOM), UTF-16, GBK."""
    for mark, codec in ((b"\xef\xbb\xbf", "utf-8-sig"), (b"\xff\xfe", "utf-16"), (b"\xfe\xff", "utf-16")):
        if raw.startswith(mark):
            try:
                return raw.decode(codec), codec
            except UnicodeDecodeError as exc:  # a byte order mark, then bytes of another encoding
                label = codec.upper().removesuffix("-SIG")
                start = exc.start + 1 + (len(mark) if codec == "utf-8-sig" else 0)  # utf-8-sig counts after the mark
                raise SheetError(said(N_("the file starts with a %(encoding)s byte order mark but is not %(encoding)s "
                                         "from byte %(start)s on; save it again as CSV UTF-8 from Excel or WPS"),
                                      encoding=label, start=start)) from None
    try:
        return raw.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        return raw.decode("gb18030"), "gbk"
    except UnicodeDecodeError:
        raise SheetError(said(N_("the file is neither UTF-8 nor GBK text; save it as CSV UTF-8 from Excel or "
                                 "WPS"))) from None


def _open_csv(path: str, kind: str | None, mapping: dict[str, str] | None) -> Sheet:
    with open(path, "rb") as handle:
        raw = handle.read()
    try:
        text, encoding = decode(raw)
    except SheetError as exc:
        raise SheetError(said(N_("%(path)s: %(problem)s"), path=path, problem=exc.said or str(exc))) from None
    del raw
    sample = text[:8192]
    try:
        dialect: Any = csv.Sniffer().sniff(sample, delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    lines = text.count("\n") + (0 if text.endswith("\n") else 1)
    # The text is in memory already: a long cell (a pasted report) is read, not a csv.Error.
    csv.field_size_limit(max(csv.field_size_limit(), len(text) + 1))
    reader = csv.reader(io.StringIO(text, newline=""), dialect)
    # `dealbook export` guards cells a spreadsheet would run (`'=…`): read them back as they were.
    iterator = ((number, [unguard_cell(cell) for cell in row]) for number, row in enumerate(reader, start=1))
    peeked: list[tuple[int, list[Any]]] = []
    for item in iterator:
        peeked.append(item)
        if len(peeked) >= 12:
            break
    if not any(any(c.strip() for c in cells) for _, cells in peeked):
        raise SheetError(said(N_("%(path)s: the file is empty"), path=path))
    name = os.path.basename(path)
    notes: list[str | Said] = [said(N_("read as %(encoding)s text"), encoding=encoding)]
    return _build(path, name, peeked, iterator, kind, mapping, lines, {}, notes, False)


# --- values -------------------------------------------------------------------------------
class BadValue(SaidError):
    """A cell that cannot become the value a record needs; str() says why (in English, `text(_)` in
    the translator's language), `field` (when set) which field's cell it is, when the reader of
    several cells knows better than its caller."""

    def __init__(self, message: str | Said, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field

    @property
    def message(self) -> str | Said:
        """What was said, to be said again in another message or another BadValue."""
        return self.said if self.said is not None else str(self)


def at_cell(where: str | Said, problem: str | Said) -> Said:
    """`column F `联系方式`: …`: a cell's problem after the column it is in."""
    return said(N_("%(where)s: %(problem)s"), where=where, problem=problem)


def problem_list(problems: list[str | Said]) -> Said:
    """A row's problems, one after the other (`; ` in English)."""
    return joined("list separator", NP_("list separator", "; "), problems)


_EXCEL_EPOCH = dt.date(1899, 12, 30)
# 2024-05-10, 2024/5/10, 2024年5月10日, with an optional time (14:30, 14时30分) or half-day word (下午),
# separated by spaces or nothing after a two-digit day or 日: "2024年5月10日14:00", "2024-05-1014:00".
_DATE_TEXT = re.compile(
    r"^\s*([0-9]{4})\s*[-/.年]\s*([0-9]{1,2})\s*[-/.月]\s*([0-9]{1,2}(?=[^0-9]|$)|[0-9]{2})\s*日?"
    r"(?:[\sT]*(?P<half>[上下中晚]午|晚上|上午|早上|凌晨)?\s*(?:([0-9]{1,2})[:：时]([0-9]{1,2})(?:[:：分]([0-9]{1,2})秒?)?分?)?)?"
    r"\s*(?:前|之前|以前)?\s*$")
HALF_DAYS = {"上午": "09:00", "下午": "14:00", "中午": "12:00", "晚上": "19:00"}  # sheets.half_days in settings
_DATE_COMPACT = re.compile(r"^\s*([0-9]{4})([0-9]{2})([0-9]{2})\s*$")
_SERIAL_TEXT = re.compile(r"^[2-7][0-9]{4}(?:\.[0-9]+)?$")  # 45422, 45422.5833: an Excel serial as text


def to_datetime(value: Any, half_days: dict[str, str] | None = None) -> tuple[dt.datetime, bool]:
    """A cell as (date and time, whether a time was given): date cells, Excel serial numbers,
    `2024-05-10`, `2024/5/10`, `2024.5.10`, `2024年5月10日`, `20240510`, with an optional `14:30`
    or a half-day word (`2024-05-11 下午`: the time `half_days` gives it, by default 14:00;
    `下午2:30` is 14:30). A trailing 前 (`2024-05-14前`, "by 14 May") is the date itself."""
    if isinstance(value, dt.datetime):
        return value.replace(second=0, microsecond=0, tzinfo=None), (value.hour, value.minute) != (0, 0)
    if isinstance(value, dt.date):
        return dt.datetime(value.year, value.month, value.day), False
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if 20000 <= value <= 80000:  # an Excel serial date (1954–2119): days since 1899-12-30
            whole = int(value)
            minutes = round((value - whole) * 24 * 60)
            moment = dt.datetime.combine(_EXCEL_EPOCH + dt.timedelta(days=whole), dt.time())
            moment += dt.timedelta(minutes=minutes)
            return moment, minutes != 0
        if 19000101 <= value <= 21001231 and float(value).is_integer():
            value = str(int(value))
        else:
            raise BadValue(said(N_("%(value)s is not a date"), value=value))
    text = unicodedata.normalize("NFKC", str(value)).strip()
    if _SERIAL_TEXT.match(text):  # a csv file Excel saved from a date column formatted as a number
        return to_datetime(float(text), half_days)
    m = _DATE_TEXT.match(text)
    if m:
        year, month, day, _half, hour, minute, _second = m.groups()
        half = m.group("half")
        has_time = hour is not None or half is not None
        if hour is None and half is not None:
            words = half_days if half_days is not None else HALF_DAYS
            hour, minute = (words.get(half) or HALF_DAYS.get(half) or "09:00").split(":")
        elif hour is not None and half in ("下午", "晚上") and int(hour) < 12:
            hour = str(int(hour) + 12)
        try:
            moment = dt.datetime(int(year), int(month), int(day), int(hour or 0), int(minute or 0))
        except ValueError:
            raise BadValue(said(N_("`%(text)s` is not a real calendar date"), text=text)) from None
        return moment, has_time
    m = _DATE_COMPACT.match(text)
    if m:
        try:
            return dt.datetime(int(m.group(1)), int(m.group(2)), int(m.group(3))), False
        except ValueError:
            raise BadValue(said(N_("`%(text)s` is not a real calendar date"), text=text)) from None
    raise BadValue(said(N_("`%(text)s` is not a date; write it as 2024-05-10 (or 2024/5/10)"), text=text))


def to_moment(value: Any) -> str:
    """A cell as `YYYY-MM-DD HH:MM` when it gives a time, else `YYYY-MM-DD` (建档时间 to the minute)."""
    moment, has_time = to_datetime(value)
    return moment.strftime("%Y-%m-%d %H:%M") if has_time else moment.date().isoformat()


def to_date(value: Any) -> str:
    """A cell as `YYYY-MM-DD`."""
    return to_datetime(value)[0].date().isoformat()


_UNITS = {"万": 10_000, "w": 10_000, "k": 1_000, "千": 1_000, "亿": 100_000_000, "m": 1_000_000}


def to_money(value: Any) -> int:
    """A cell as whole currency units: `620000`, `¥620,000.00`, `50万`, `1.2亿`, `62万元`."""
    if isinstance(value, bool):
        raise BadValue(said(N_("%(value)s is not an amount"), value=value))
    if isinstance(value, (int, float)):
        return round(value)
    text = unicodedata.normalize("NFKC", str(value)).strip().lower()
    text = re.sub(r"^(?:rmb|cny|¥|￥)\s*", "", text).replace(",", "").replace(" ", "")
    text = re.sub(r"(?:元|rmb|cny)$", "", text)
    m = re.match(r"^([0-9]+(?:\.[0-9]+)?)(万|w|k|千|亿|m)?$", text)
    if not m:
        raise BadValue(said(N_("`%(value)s` is not an amount; write 500000, 50万 or ¥500,000"), value=value))
    number = Decimal(m.group(1)) * _UNITS.get(m.group(2) or "", 1)
    return int(number.to_integral_value())


def to_money_range(value: Any) -> tuple[int, int]:
    """`50-80万`, `50万-80万`, `50~80万` or one amount, as (min, max)."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return round(value), round(value)
    text = unicodedata.normalize("NFKC", str(value)).strip()
    parts = re.split(r"\s*(?:-|~|–|—|至|到)\s*", text)
    if len(parts) == 2 and parts[0] and parts[1]:
        unit = re.search(r"(万|亿|千|w|k)", parts[1].lower())
        low = parts[0] if re.search(r"[万亿千wk]", parts[0].lower()) or not unit else parts[0] + unit.group(1)
        return to_money(low), to_money(parts[1])
    amount = to_money(text)
    return amount, amount


def to_phone(value: Any) -> str:
    """A phone cell as text; numbers Excel turned into 1.38E+10 are refused when digits were lost."""
    if isinstance(value, bool):
        raise BadValue(said(N_("%(value)s is not a phone number"), value=value))
    if isinstance(value, int):
        return _number_phone(str(value))
    if isinstance(value, float):
        if value.is_integer():
            return _number_phone(str(int(value)))
        raise BadValue(said(N_("%(value)s is not a phone number"), value=value))
    text = unicodedata.normalize("NFKC", str(value)).strip()
    m = re.match(r"^([0-9])(?:\.([0-9]+))?e\+?([0-9]+)$", text.lower())
    if m:
        digits = m.group(1) + (m.group(2) or "")
        exponent = int(m.group(3))
        if len(digits) - 1 != exponent:
            raise BadValue(said(
                N_("the phone number `%(text)s` is in scientific notation and has lost digits; format the column "
                   "as Text in Excel/WPS and type the number again"), text=text))
        try:
            return _number_phone(str(int(Decimal(text))))
        except InvalidOperation:
            raise BadValue(said(N_("`%(text)s` is not a phone number"), text=text)) from None
    return text


# What a phone number stored as a number can be without having lost a leading 0: a mobile
# (13812345678), a local number without its area code (88881234), a 400/800 service number.
_WHOLE_NUMBER_PHONE = re.compile(r"^(?:1[3-9][0-9]{9}|[2-9][0-9]{6,7}|[48]00[0-9]{7})$")


def _number_phone(digits: str) -> str:
    """A phone cell Excel holds as a number: refused when it looks like a number whose leading 0
    (an area code's, 0755-…) Excel dropped, as 75512345678 does."""
    if _WHOLE_NUMBER_PHONE.match(digits):
        return digits
    raise BadValue(said(
        N_("the phone number %(digits)s is stored as a number, which drops a leading 0 (was it 0%(digits)s?); "
           "format the column as Text in Excel/WPS and type the number again (e.g. 0755-12345678)"), digits=digits))


def to_text(value: Any) -> str:
    """A cell as text: whole floats lose their `.0`, dates become YYYY-MM-DD."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M") if (value.hour, value.minute) != (0, 0) else value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value).strip()
