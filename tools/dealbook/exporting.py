"""The records as tables (customers, follow-ups, contacts, next actions, stage history) in xlsx, csv, sqlite, json."""

from __future__ import annotations

import csv
import datetime as dt
import json
import os
import sqlite3
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from .book import Book
from .dates import parse_date, parse_time
from .writing import atomic_file

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


def write_xlsx(items: list[Table], target: str, progress: Progress = _plain) -> None:
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
    workbook.save(target)


def write_csv(table: Table, target: str, progress: Progress = _plain) -> None:
    """One table as UTF-8 csv with a BOM (so Excel reads the Chinese text), row by row."""
    with open(target, "w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow([c.key for c in table.columns])
        for row in progress(table.name, table.count)(table.rows()):
            writer.writerow(["" if v is None else _iso(v) for v in row])


_SQL_TYPES = {TEXT: "TEXT", INT: "INTEGER", DATE: "TEXT", TIME: "TEXT", JSON: "TEXT", LIST: "TEXT"}


def write_sqlite(items: list[Table], target: str, progress: Progress = _plain) -> None:
    """A SQLite database (one table each, dates as ISO text) for Datasette or any BI tool."""
    connection = sqlite3.connect(target)
    try:
        for table in items:
            columns = ", ".join(f'"{c.key}" {_SQL_TYPES[c.kind]}' for c in table.columns)
            connection.execute(f'CREATE TABLE "{table.name}" ({columns})')
            marks = ", ".join("?" for _ in table.columns)
            rows = progress(table.name, table.count)(table.rows())
            connection.executemany(f'INSERT INTO "{table.name}" VALUES ({marks})', ([_iso(v) for v in row]
                                                                                    for row in rows))
        connection.execute('CREATE INDEX "followups_customer" ON "followups" ("customer")')
        connection.commit()
    finally:
        connection.close()


def write_json(items: list[Table], target: str, progress: Progress = _plain) -> None:
    """{table: [row objects]} with ISO dates, one row object per line, written as it goes."""
    with open(target, "w", encoding="utf-8") as handle:
        handle.write("{")
        for index, table in enumerate(items):
            keys = [c.key for c in table.columns]
            handle.write(("," if index else "") + "\n" + json.dumps(table.name) + ": [")
            for number, row in enumerate(progress(table.name, table.count)(table.rows())):
                record = dict(zip(keys, (_iso(v) for v in row), strict=True))
                handle.write(("," if number else "") + "\n " + json.dumps(record, ensure_ascii=False))
            handle.write("\n]")
        handle.write("\n}\n")


def default_out(fmt: str) -> str:
    return {"xlsx": "dealbook-export.xlsx", "csv": "dealbook-export", "sqlite": "dealbook-export.sqlite",
            "json": "dealbook-export.json"}[fmt]


def export(book: Book, fmt: str, out: str, progress: Progress = _plain) -> list[str]:
    """Write the tables in `fmt` to `out` (a folder for csv); every file atomically. The files written."""
    items = tables(book)
    if fmt == "csv":
        written = []
        for table in items:
            path = os.path.join(out, f"{table.name}.csv")
            with atomic_file(path) as temporary:
                write_csv(table, temporary, progress)
            written.append(path)
        return written
    writer = {"xlsx": write_xlsx, "sqlite": write_sqlite, "json": write_json}[fmt]
    with atomic_file(out) as temporary:
        if fmt == "sqlite":
            os.unlink(temporary)  # sqlite creates its own file
        writer(items, temporary, progress)
    return [out]
