"""The records as tables (customers, follow-ups, contacts, next actions, stage history, needs, quotes, quote
lines, contracts, payments) in xlsx, csv, sqlite, json."""

from __future__ import annotations

import datetime as dt
import json
import os
import sqlite3
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from ..checks.reading import FileCache, cache_key, read_many, scan
from ..records.book import Book
from ..records.dates import parse_date, parse_time
from ..records.deals import quotes_of
from ..records.losses import losses
from ..records.model import CUSTOMER, FOLLOWUP, Customer, FollowUp, dotted_get, kind_of
from ..records.settings import Settings
from ..records.writing import atomic_file
from ..rules.dealview import needs_table
from ..text.catalog import N_
from ..text.output import CsvWriter

TEXT, INT, DATE, TIME, JSON, LIST, NUMBER = "text", "int", "date", "time", "json", "list", "number"
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
    ids: tuple[str, ...] = ()  # the customers table: the ids of the customers it holds
    left_out: tuple[str, ...] = ()  # the record files its rows lack because they cannot be read


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
    Column("help.from"), Column("help.detail"), Column("help.due", DATE), Column("custom", JSON),
]
CONTACT_COLUMNS = [Column("customer"), Column("customer_name"), Column("name"), Column("title"), Column("role"),
                   Column("phone"), Column("phone_kind"), Column("email")]
NEXT_ACTION_COLUMNS = [Column("customer"), Column("followup_at", TIME), Column("action"), Column("due", DATE),
                       Column("owner")]
STAGE_HISTORY_COLUMNS = [Column("customer"), Column("customer_name"), Column("stage"), Column("label"),
                         Column("on", DATE), Column("until", DATE), Column("days", INT), Column("lost_reason")]
# The deal tables: one row per need, quote, quote line, contract and instalment, each keyed by
# the customer (and quote or contract number). They show what the customers sheet holds as
# JSON in its needs, quotes and contracts columns, which is what an import reads back.
NEED_COLUMNS = [Column("customer"), Column("customer_name"), Column("row", INT), Column("need"),
                Column("priority"), Column("class"), Column("solution"), Column("value"),
                Column("objections", LIST), Column("adjustments", LIST), Column("owner")]
QUOTE_COLUMNS = [Column("customer"), Column("customer_name"), Column("no"), Column("date", DATE), Column("status"),
                 Column("valid_until", DATE), Column("total", INT), Column("cost", INT), Column("margin", NUMBER),
                 Column("delivery"), Column("payment_terms"), Column("approvals", JSON)]
QUOTE_LINE_COLUMNS = [Column("customer"), Column("quote_no"), Column("line", INT), Column("item"), Column("spec"),
                      Column("quantity", NUMBER), Column("unit_price", INT), Column("amount", INT),
                      Column("unit_cost", INT)]
CONTRACT_COLUMNS = [Column("customer"), Column("customer_name"), Column("no"), Column("amount", INT),
                    Column("signed", DATE), Column("delivered", DATE), Column("service_term"),
                    Column("service_end", DATE), Column("acceptance_result"), Column("guide_sent", DATE),
                    Column("scheduled", INT), Column("received", INT), Column("approvals", JSON)]
PAYMENT_COLUMNS = [Column("customer"), Column("contract_no"), Column("due", DATE), Column("amount", INT),
                   Column("received_on", DATE), Column("received_amount", INT), Column("outstanding", INT),
                   Column("note")]
LIST_SEPARATORS = {"need.pains": "; ", "adjustments": "; "}


def cell(value: Any, column: Column) -> Any:
    """A record value as a table cell of the column's kind (None when absent)."""
    if value is None or value == "" or value == [] or value == {}:
        return None
    if column.kind == DATE:  # a date, or a date and time where the record gives one (建档时间 to the minute)
        return parse_date(value) or parse_time(value) or value
    if column.kind == TIME:
        return parse_time(value) or value
    if column.kind == LIST:
        return LIST_SEPARATORS.get(column.key, ", ").join(str(v) for v in value) if isinstance(value, list) else value
    if column.kind == JSON:
        return json.dumps(value, ensure_ascii=False, default=str)
    return value


def customer_row(customer: Customer) -> list[Any]:
    return [cell(dotted_get(customer.data, col.key), col) for col in CUSTOMER_COLUMNS]


def followup_row(followup: FollowUp) -> list[Any]:
    return [cell(dotted_get(followup.data, col.key), col) for col in FOLLOWUP_COLUMNS]


def contact_rows(customer: Customer) -> Iterator[list[Any]]:
    for p in customer.contacts:
        yield [customer.id, customer.name, p.name, p.title or None, p.role or None, p.phone or None,
               p.phone_kind or None, p.email or None]


def next_rows(followup: FollowUp) -> Iterator[list[Any]]:
    for action in followup.next:
        yield [followup.customer, followup.at, action.action or None, action.due, action.owner or None]


def stage_rows(customer: Customer, settings: Settings) -> Iterator[list[Any]]:
    """One row per stage_history entry; a loss carries the reason of that loss (`records.losses`)."""
    history = customer.stage_history
    reasons = {loss.index: loss.reason for loss in losses(customer, settings)}
    for index, entry in enumerate(history):
        until = history[index + 1].on if index + 1 < len(history) else None
        days = (until - entry.on).days if until and entry.on else None
        yield [customer.id, customer.name, entry.stage, settings.stage_label(entry.stage), entry.on, until, days,
               reasons.get(index) or None]


def _row(columns: list[Column], values: list[Any]) -> list[Any]:
    return [cell(v, c) for v, c in zip(values, columns, strict=True)]


def need_rows(customer: Customer) -> Iterator[list[Any]]:
    for n, row in enumerate(needs_table(customer.data), 1):
        yield _row(NEED_COLUMNS, [customer.id, customer.name, n, *row.values()])


def quote_rows(customer: Customer) -> Iterator[list[Any]]:
    for q in quotes_of(customer.data):
        approvals = [{"step": a.step, "by": a.by, "on": a.on} for a in q.approvals]
        yield _row(QUOTE_COLUMNS, [customer.id, customer.name, q.no, q.date, q.status, q.valid_until, q.amount,
                                   q.known_cost, q.effective_margin, q.delivery, q.payment_terms, approvals])


def quote_line_rows(customer: Customer) -> Iterator[list[Any]]:
    for q in quotes_of(customer.data):
        for n, line in enumerate(q.lines, 1):
            yield _row(QUOTE_LINE_COLUMNS, [customer.id, q.no, n, line.item, line.spec, line.quantity,
                                            line.unit_price, line.value, line.unit_cost])


def contract_rows(customer: Customer) -> Iterator[list[Any]]:
    raw = [c for c in customer.data.get("contracts") or [] if isinstance(c, dict)]
    for c, data in zip(customer.contracts, raw, strict=False):
        scheduled = sum(p.amount or 0 for p in c.payments)
        approvals = [{"step": a.step, "by": a.by, "on": a.on} for a in c.approvals]
        yield _row(CONTRACT_COLUMNS, [customer.id, customer.name, c.no, c.amount, c.signed, c.delivered,
                                      data.get("service_term"), c.service_end, c.acceptance, c.guide_sent,
                                      scheduled if c.payments else None,
                                      sum(p.received for p in c.payments) if c.payments else None, approvals])


def payment_rows(customer: Customer) -> Iterator[list[Any]]:
    for c in customer.contracts:
        for p in c.payments:
            yield _row(PAYMENT_COLUMNS, [customer.id, c.no, p.due, p.amount, p.received_on, p.received_amount,
                                         p.outstanding, p.note])


def deal_counts(customer: Customer) -> tuple[int, int, int, int, int]:
    """How many rows the customer gives the needs, quotes, quote_lines, contracts and payments tables."""
    quotes = quotes_of(customer.data)
    return (len(needs_table(customer.data)), len(quotes), sum(len(q.lines) for q in quotes),
            len(customer.contracts), sum(len(c.payments) for c in customer.contracts))


def _make_tables(customers: Callable[[], Iterable[Customer]], followups: Callable[[], Iterable[FollowUp]],
                 settings: Settings, counts: tuple[int, ...], ids: tuple[str, ...],
                 left_out: tuple[tuple[str, ...], tuple[str, ...]] = ((), ())) -> list[Table]:
    """The ten tables over `customers()` (by id, `ids`) and `followups()` (by customer and path), each
    call a fresh pass; `counts` are the tables' row counts (for progress bars); `left_out` the customer
    and the follow-up files that cannot be read."""
    return [
        Table("customers", CUSTOMER_COLUMNS, lambda: (customer_row(c) for c in customers()), counts[0], ids,
              left_out[0]),
        Table("followups", FOLLOWUP_COLUMNS, lambda: (followup_row(f) for f in followups()), counts[1],
              left_out=left_out[1]),
        Table("contacts", CONTACT_COLUMNS, lambda: (r for c in customers() for r in contact_rows(c)), counts[2]),
        Table("next_actions", NEXT_ACTION_COLUMNS, lambda: (r for f in followups() for r in next_rows(f)),
              counts[3]),
        Table("stage_history", STAGE_HISTORY_COLUMNS,
              lambda: (r for c in customers() for r in stage_rows(c, settings)), counts[4]),
        Table("needs", NEED_COLUMNS, lambda: (r for c in customers() for r in need_rows(c)), counts[5]),
        Table("quotes", QUOTE_COLUMNS, lambda: (r for c in customers() for r in quote_rows(c)), counts[6]),
        Table("quote_lines", QUOTE_LINE_COLUMNS, lambda: (r for c in customers() for r in quote_line_rows(c)),
              counts[7]),
        Table("contracts", CONTRACT_COLUMNS, lambda: (r for c in customers() for r in contract_rows(c)), counts[8]),
        Table("payments", PAYMENT_COLUMNS, lambda: (r for c in customers() for r in payment_rows(c)), counts[9]),
    ]


def tables(book: Book) -> list[Table]:
    """The five tables of a Book, rows produced lazily."""
    customers = sorted(book.customers.values(), key=lambda c: c.id)
    followups = sorted(book.all_followups(), key=lambda f: (f.customer, f.path))
    deals = [deal_counts(c) for c in customers]
    counts = (len(customers), len(followups), sum(len(c.contacts) for c in customers),
              sum(len(f.next) for f in followups), sum(len(c.stage_history) for c in customers),
              *(sum(d[i] for d in deals) for i in range(5)))
    read = {f.path for f in followups}
    unread = (tuple(p for p in book.paths if kind_of(p) == CUSTOMER and p not in book.customers_by_path),
              tuple(p for p in book.paths if kind_of(p) == FOLLOWUP and p not in read))
    return _make_tables(lambda: customers, lambda: followups, book.settings, counts, tuple(c.id for c in customers),
                        unread)


def stream_tables(repo: str, settings: Settings, progress: Progress | None = None) -> list[Table]:
    """The five tables of the records in the working tree at `repo`, equal to `tables(open_book(repo))`,
    without building a Book: one pass reads every record (from the check cache where it is
    fresh, else with the loader, on every core) and keeps only the order of the rows; each
    table's rows are then made from the cached results one record at a time."""
    store = RecordStore(repo, settings)
    first: dict[str, tuple[str, int, int]] = {}  # customer id -> (path, contacts, stage entries); first file wins
    deals: dict[str, tuple[int, int, int, int, int]] = {}  # customer id -> deal_counts
    followups: list[tuple[str, str, int]] = []  # (customer, path, next actions)
    unread: dict[str, list[str]] = {CUSTOMER: [], FOLLOWUP: []}  # files that cannot be read, by kind
    for path, data in store.read_all(progress):
        if not isinstance(data, dict):
            unread[kind_of(path)].append(path)
            continue
        if kind_of(path) == CUSTOMER:
            c = Customer.from_data(path, data)
            if c.id not in first:
                first[c.id] = (path, len(c.contacts), len(c.stage_history))
                deals[c.id] = deal_counts(c)
        else:
            f = FollowUp.from_data(path, data)
            followups.append((f.customer, path, len(f.next)))
    ids = tuple(sorted(first))
    customer_paths = [first[cid][0] for cid in ids]
    followups.sort()
    followup_paths = [path for _, path, _ in followups]
    counts = (len(customer_paths), len(followup_paths), sum(n for _, n, _ in first.values()),
              sum(n for _, _, n in followups), sum(n for _, _, n in first.values()),
              *(sum(d[i] for d in deals.values()) for i in range(5)))
    del first, followups, deals

    def customers() -> Iterator[Customer]:
        return (Customer.from_data(path, store.data(path)) for path in customer_paths)

    def followup_records() -> Iterator[FollowUp]:
        return (FollowUp.from_data(path, store.data(path)) for path in followup_paths)

    return _make_tables(customers, followup_records, settings, counts, ids,
                        (tuple(unread[CUSTOMER]), tuple(unread[FOLLOWUP])))


class RecordStore:
    """The parsed data of a repo's customer and follow-up files, held marshalled (as the check
    cache holds them) and unmarshalled one record at a time: the same results `open_book` reads."""

    CHUNK = 4000  # files read (on every core) at a time

    def __init__(self, repo: str, settings: Settings) -> None:
        self.repo = repo
        self.settings = settings
        self.scanned = {p: s for p, s in scan(repo).items() if kind_of(p) in (CUSTOMER, FOLLOWUP)}
        self.cache = FileCache(repo, cache_key(settings))

    def data(self, path: str) -> Any:
        hit = self.cache.get(path, self.scanned[path])
        return hit[0] if hit is not None else None

    def read_all(self, progress: Progress | None = None) -> Iterator[tuple[str, Any]]:
        """(path, data) of every file in path order; files the cache lacks are read and added to it."""
        paths = sorted(self.scanned)

        def each() -> Iterator[tuple[str, Any]]:
            for start in range(0, len(paths), self.CHUNK):
                chunk = paths[start:start + self.CHUNK]
                found = {path: self.cache.get(path, self.scanned[path]) for path in chunk}
                missing = [path for path, hit in found.items() if hit is None]
                if missing:
                    blobs: dict[str, bytes] = {}
                    for path, result in read_many(self.repo, missing, self.settings, blobs=blobs).items():
                        found[path] = result
                        self.cache.put(path, self.scanned[path], result, blobs.get(path))
                for path in chunk:
                    yield path, found[path][0]

        yield from (progress(READING, len(paths)) if progress else _plain("", 0))(each())
        self.cache.save()


# progress(label, length) -> a wrapper around the rows of one table (a bar on a terminal); the label
# is a table's name, or READING (a msgid) while the records are read
READING = N_("Reading records")
Progress = Callable[[str, int], Callable[[Iterable[list[Any]]], Iterable[list[Any]]]]


def _plain(label: str, length: int) -> Callable[[Iterable[list[Any]]], Iterable[list[Any]]]:
    return lambda rows: rows


def _iso(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, int) and not -(2**63) <= value < 2**63:
        return str(value)  # beyond a database integer (`check` reports it): kept exactly, as text
    return value


def write_xlsx(items: list[Table], target: str, progress: Progress = _plain) -> None:
    """One sheet per table, header row bold and frozen, dates as Excel dates; streamed sheet by sheet."""
    from . import xlsx_writer

    styles = {TIME: xlsx_writer.TIME}  # a DATE column's cells are styled by value: a date, or a date and time
    with xlsx_writer.XlsxWriter(target) as workbook:
        for table in items:
            workbook.add_sheet(table.name, [column.key for column in table.columns],
                               progress(table.name, table.count)(table.rows()),
                               [styles.get(column.kind, xlsx_writer.PLAIN) for column in table.columns])


def write_csv(table: Table, target: str, progress: Progress = _plain) -> None:
    """One table as UTF-8 csv with a BOM (so Excel reads the Chinese text), row by row."""
    with open(target, "w", encoding="utf-8-sig", newline="") as handle:
        writer = CsvWriter(handle)  # text a spreadsheet would run as a formula is guarded
        writer.header([c.key for c in table.columns])
        for row in progress(table.name, table.count)(table.rows()):
            writer.row([str(v) if isinstance(v, bool) else _iso(v) for v in row])


_SQL_TYPES = {TEXT: "TEXT", INT: "INTEGER", DATE: "TEXT", TIME: "TEXT", JSON: "TEXT", LIST: "TEXT", NUMBER: "REAL"}


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


def export(source: Book | list[Table], fmt: str, out: str, progress: Progress = _plain) -> list[str]:
    """Write the tables (of a Book, or `stream_tables`) in `fmt` to `out` (a folder for csv);
    every file atomically. The files written."""
    items = tables(source) if isinstance(source, Book) else source
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
