"""The records as tables (customers, follow-ups, contacts, next actions, stage history) in xlsx, csv, sqlite, json."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import os
import sqlite3
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from .book import Book
from .dates import parse_date, parse_time
from .writing import atomic_write

TEXT, INT, DATE, TIME, JSON, LIST = "text", "int", "date", "time", "json", "list"
FORMATS = ("xlsx", "csv", "sqlite", "json")


@dataclass(frozen=True)
class Column:
    key: str
    kind: str = TEXT


@dataclass
class Table:
    """A table's name, columns and a function producing its rows (lists, in column order)."""

    name: str
    columns: list[Column]
    rows: Callable[[], Iterator[list[Any]]]
    count: int


# The customer columns are the record's own keys (nested ones dotted), so an exported sheet
# imports back unchanged; lists of mappings travel as JSON text.
CUSTOMER_COLUMNS = [
    Column("id"), Column("name"), Column("industry"), Column("size.employees"), Column("size.revenue"),
    Column("region"), Column("address"), Column("founded", INT), Column("business"), Column("source.channel"),
    Column("source.detail"), Column("lead_type"), Column("owner"), Column("support", LIST),
    Column("created", DATE), Column("stage"), Column("need.summary"), Column("need.pains", LIST),
    Column("need.goal"), Column("need.budget.status"), Column("need.budget.min", INT),
    Column("need.budget.max", INT), Column("need.timeline.start", DATE), Column("need.timeline.note"),
    Column("decision_chain"), Column("project.name"), Column("project.cycle"), Column("grade.value"),
    Column("grade.reason"), Column("deal.amount", INT), Column("deal.close_by", DATE), Column("lost.reason"),
    Column("lost.note"), Column("lost.on", DATE), Column("paused_until", DATE), Column("tags", LIST),
    Column("contacts", JSON), Column("stage_history", JSON), Column("needs", JSON), Column("quotes", JSON),
    Column("contracts", JSON), Column("custom", JSON),
]
FOLLOWUP_COLUMNS = [
    Column("customer"), Column("at", TIME), Column("method"), Column("by"), Column("contact"), Column("summary"),
    Column("feedback"), Column("objections", LIST), Column("outcome"), Column("next", JSON),
    Column("help.from"), Column("help.detail"), Column("custom", JSON),
]
CONTACT_COLUMNS = [Column("customer"), Column("customer_name"), Column("name"), Column("title"), Column("role"),
                   Column("phone"), Column("phone_kind"), Column("email")]
NEXT_ACTION_COLUMNS = [Column("customer"), Column("followup_at", TIME), Column("action"), Column("due", DATE),
                       Column("owner")]
STAGE_HISTORY_COLUMNS = [Column("customer"), Column("customer_name"), Column("stage"), Column("label"),
                         Column("on", DATE), Column("until", DATE), Column("days", INT)]
LIST_SEPARATORS = {"need.pains": "; "}


def _get(data: Any, dotted: str) -> Any:
    for part in dotted.split("."):
        if not isinstance(data, dict):
            return None
        data = data.get(part)
    return data


def cell(value: Any, column: Column) -> Any:
    """A record value as a table cell of the column's kind (None when absent)."""
    if value is None or value == "" or value == [] or value == {}:
        return None
    if column.kind == DATE:
        return parse_date(value) or value
    if column.kind == TIME:
        return parse_time(value) or value
    if column.kind == LIST:
        return LIST_SEPARATORS.get(column.key, ", ").join(str(v) for v in value) if isinstance(value, list) else value
    if column.kind == JSON:
        return json.dumps(value, ensure_ascii=False, default=str)
    return value


def tables(book: Book) -> list[Table]:
    """The five tables of a Book, rows produced lazily."""
    customers = sorted(book.customers.values(), key=lambda c: c.id)
    followups = sorted(book.all_followups(), key=lambda f: (f.customer, f.path))

    def customer_rows() -> Iterator[list[Any]]:
        for c in customers:
            yield [cell(_get(c.data, col.key), col) for col in CUSTOMER_COLUMNS]

    def followup_rows() -> Iterator[list[Any]]:
        for f in followups:
            yield [cell(_get(f.data, col.key), col) for col in FOLLOWUP_COLUMNS]

    def contact_rows() -> Iterator[list[Any]]:
        for c in customers:
            for p in c.contacts:
                yield [c.id, c.name, p.name, p.title or None, p.role or None, p.phone or None, p.phone_kind or None,
                       p.email or None]

    def next_rows() -> Iterator[list[Any]]:
        for f in followups:
            for action in f.next:
                yield [f.customer, f.at, action.action or None, action.due, action.owner or None]

    def stage_rows() -> Iterator[list[Any]]:
        for c in customers:
            history = c.stage_history
            for index, entry in enumerate(history):
                until = history[index + 1].on if index + 1 < len(history) else None
                days = (until - entry.on).days if until and entry.on else None
                yield [c.id, c.name, entry.stage, book.settings.stage_label(entry.stage), entry.on, until, days]

    contacts = sum(len(c.contacts) for c in customers)
    actions = sum(len(f.next) for f in followups)
    entries = sum(len(c.stage_history) for c in customers)
    return [
        Table("customers", CUSTOMER_COLUMNS, customer_rows, len(customers)),
        Table("followups", FOLLOWUP_COLUMNS, followup_rows, len(followups)),
        Table("contacts", CONTACT_COLUMNS, contact_rows, contacts),
        Table("next_actions", NEXT_ACTION_COLUMNS, next_rows, actions),
        Table("stage_history", STAGE_HISTORY_COLUMNS, stage_rows, entries),
    ]


# progress(label, length) -> a wrapper around the rows of one table (a bar on a terminal)
Progress = Callable[[str, int], Callable[[Iterable[list[Any]]], Iterable[list[Any]]]]


def _plain(label: str, length: int) -> Callable[[Iterable[list[Any]]], Iterable[list[Any]]]:
    return lambda rows: rows


def _iso(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def to_xlsx(items: list[Table], progress: Progress = _plain) -> bytes:
    """One sheet per table, header row bold and frozen, dates as Excel dates; streamed (write-only)."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    workbook = Workbook(write_only=True)
    bold = Font(bold=True)
    for table in items:
        sheet = workbook.create_sheet(table.name)
        sheet.freeze_panes = "A2"
        header = []
        for column in table.columns:
            c = WriteOnlyCell(sheet, value=column.key)
            c.font = bold
            header.append(c)
        sheet.append(header)
        kinds = [column.kind for column in table.columns]
        dated = [i for i, k in enumerate(kinds) if k in (DATE, TIME)]
        for row in progress(table.name, table.count)(table.rows()):
            if dated:
                row = list(row)
                for i in dated:
                    value = row[i]
                    if isinstance(value, (dt.date, dt.datetime)):
                        c = WriteOnlyCell(sheet, value=value)
                        c.number_format = "yyyy-mm-dd hh:mm" if kinds[i] == TIME else "yyyy-mm-dd"
                        row[i] = c
            sheet.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def to_csv_files(items: list[Table], progress: Progress = _plain) -> dict[str, bytes]:
    """One UTF-8 (with BOM, for Excel) csv text per table, keyed by file name."""
    files = {}
    for table in items:
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow([c.key for c in table.columns])
        for row in progress(table.name, table.count)(table.rows()):
            writer.writerow(["" if v is None else _iso(v) for v in row])
        files[f"{table.name}.csv"] = ("\ufeff" + out.getvalue()).encode("utf-8")
    return files


_SQL_TYPES = {TEXT: "TEXT", INT: "INTEGER", DATE: "TEXT", TIME: "TEXT", JSON: "TEXT", LIST: "TEXT"}


def to_sqlite(items: list[Table], progress: Progress = _plain) -> bytes:
    """A SQLite database (one table each, dates as ISO text) for Datasette or any BI tool."""
    connection = sqlite3.connect(":memory:")
    try:
        for table in items:
            columns = ", ".join(f'"{c.key}" {_SQL_TYPES[c.kind]}' for c in table.columns)
            connection.execute(f'CREATE TABLE "{table.name}" ({columns})')
            marks = ", ".join("?" for _ in table.columns)
            connection.executemany(f'INSERT INTO "{table.name}" VALUES ({marks})',
                                   ([_iso(v) for v in row] for row in progress(table.name, table.count)(table.rows())))
        connection.execute('CREATE INDEX "followups_customer" ON "followups" ("customer")')
        connection.commit()
        return connection.serialize()
    finally:
        connection.close()


def to_json_bytes(items: list[Table], progress: Progress = _plain) -> bytes:
    """{table: [row objects]} with ISO dates."""
    out: dict[str, list[dict[str, Any]]] = {}
    for table in items:
        keys = [c.key for c in table.columns]
        rows = progress(table.name, table.count)(table.rows())
        out[table.name] = [dict(zip(keys, (_iso(v) for v in row), strict=True)) for row in rows]
    return (json.dumps(out, ensure_ascii=False, indent=1) + "\n").encode("utf-8")


def default_out(fmt: str) -> str:
    return {"xlsx": "dealbook-export.xlsx", "csv": "dealbook-export", "sqlite": "dealbook-export.sqlite",
            "json": "dealbook-export.json"}[fmt]


def export(book: Book, fmt: str, out: str, progress: Progress = _plain) -> list[str]:
    """Write the tables in `fmt` to `out` (a folder for csv); every file atomically. The files written."""
    items = tables(book)
    if fmt == "csv":
        written = []
        for name, content in to_csv_files(items, progress).items():
            path = os.path.join(out, name)
            atomic_write(path, content)
            written.append(path)
        return written
    writer = {"xlsx": to_xlsx, "sqlite": to_sqlite, "json": to_json_bytes}[fmt]
    atomic_write(out, writer(items, progress))
    return [out]
