"""Render rows for people (aligned text, CJK-width aware, colour on a terminal) and machines (JSON, CSV).

Every command that prints a table builds plain rows (dicts) once and hands them here, so the
text, JSON and CSV forms always come from the same data.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
import unicodedata
from collections.abc import Iterable, Sequence
from typing import Any

import click

from .money import money  # noqa: F401 (the one way to write an amount, imported here by the tables' callers)
from .numbers import percent  # noqa: F401 (the one way to write a share, imported here by the tables' callers)

FORMATS = ("text", "json", "csv")
DASH = "—"


_WIDTHS: dict[str, int] = {}  # character -> columns, learnt as met (a table of 10,000 rows meets few)


def _learn(text: str) -> None:
    for ch in set(text).difference(_WIDTHS):
        _WIDTHS[ch] = 2 if unicodedata.east_asian_width(ch) in "WF" else 0 if unicodedata.combining(ch) else 1


def width(text: str) -> int:
    """Columns `text` takes in a terminal: wide (CJK) characters count two, combining marks none."""
    if text.isascii():
        return len(text)
    try:  # every character met before: summed in C (most cells of a 10,000-customer table are Chinese)
        return sum(map(_WIDTHS.__getitem__, text))
    except KeyError:
        _learn(text)
        return sum(map(_WIDTHS.__getitem__, text))


def pad(text: str, columns: int, right: bool = False, used: int | None = None) -> str:
    """`text` padded to `columns` (`used`: its width, when known)."""
    gap = " " * max(0, columns - (width(text) if used is None else used))
    return gap + text if right else text + gap


# Characters a terminal acts on rather than shows: C0 controls but tab, line feed and carriage return,
# DEL, and C1 controls but NEL (a line break YAML keeps). ESC starts sequences that move the cursor,
# clear the screen, set the window title or (OSC 52) write the clipboard.
TERMINAL_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\x80-\x84\x86-\x9f]")


def visible(text: str) -> str:
    """`text` with each terminal control character shown as its code (`<U+001B>`), never sent as is."""
    if TERMINAL_CONTROL.search(text) is None:
        return text
    return TERMINAL_CONTROL.sub(lambda m: f"<U+{ord(m.group()):04X}>", text)


def plain(value: Any) -> str:
    """A cell as text for a person: None is a dash, dates ISO, fractions are for the caller to format;
    terminal control characters shown by their code (`visible`)."""
    return visible(_text(value))


def _text(value: Any) -> str:
    """`plain` without `visible`: the value itself, for files (CSV) that keep it as it is."""
    if value is None:
        return DASH
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if isinstance(value, (list, tuple)):
        return ", ".join(_text(v) for v in value)
    return str(value)


def table(rows: Sequence[Sequence[Any]], headers: Sequence[str], right: Iterable[int] = (),
          styles: Sequence[dict[str, Any] | None] | None = None) -> str:
    """An aligned text table. `right` lists column indexes to right-align; `styles[i]` are
    click.style keyword arguments for row i (applied only when the text goes to a terminal).
    A row shorter than the headers is blank in the columns it lacks."""
    count = len(headers)
    cells = [[c if type(c) is str else plain(c) for c in row] + [""] * (count - len(row)) for row in rows]
    if any(TERMINAL_CONTROL.search("".join(row)) for row in cells):  # a hostile record: its cells shown safe
        cells = [[visible(c) for c in row] for row in cells]
    right = set(right)
    widths: list[int] = []
    padded: list[list[str]] = []
    # column by column: `agenda` at 10,000 customers prints 20,000 rows (120,000 cells), a fifth of its cost
    for i, column in enumerate(zip(*cells, strict=True) if cells else [()] * count):
        used = list(map(width, column))
        columns = max(width(headers[i]), max(used, default=0))
        widths.append(columns)
        if i in right:
            padded.append([" " * (columns - n) + c for c, n in zip(column, used, strict=True)])
        else:
            padded.append([c + " " * (columns - n) for c, n in zip(column, used, strict=True)])
    lines = ["  ".join(pad(h, widths[i], i in right) for i, h in enumerate(headers)).rstrip(),
             "  ".join("-" * w for w in widths)]
    body = ["  ".join(parts).rstrip() for parts in zip(*padded, strict=True)]
    if styles:
        body = [click.style(line, **styles[n]) if n < len(styles) and styles[n] else line
                for n, line in enumerate(body)]
    lines.extend(body)
    return "\n".join(lines)


def _json_default(value: Any) -> Any:
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if isinstance(value, (set, frozenset, tuple)):
        return list(value)
    raise TypeError(f"not JSON: {type(value).__name__}")


_PRETTY_MAX_ITEMS = 2000  # beyond this, indenting costs more than a person reading it gains


def _items(value: Any, limit: int) -> int:
    """How many list items `value` holds, counting no further than `limit`."""
    count = 0
    stack = [value]
    while stack and count <= limit:
        item = stack.pop()
        if isinstance(item, dict):
            stack.extend(item.values())
        elif isinstance(item, (list, tuple)):
            count += len(item)
            stack.extend(item)
    return count


def to_json(payload: Any) -> str:
    """JSON text: indented for a payload a person may read, one compact line for a large one
    (Python's C encoder only works without indentation, and is several times faster)."""
    if _items(payload, _PRETTY_MAX_ITEMS) <= _PRETTY_MAX_ITEMS:
        return json.dumps(payload, ensure_ascii=False, indent=2, default=_json_default)
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":"), default=_json_default)


# --- CSV: one writer for every CSV dealbook writes -------------------------------------------

# A spreadsheet runs a cell that starts with one of these as a formula (OWASP "CSV injection"); an
# East Asian Excel may take the full-width forms (＝ ＋ － ＠, as an IME types them) for the ASCII ones.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\uff1d", "\uff0b", "\uff0d", "\uff20")
_PLAIN_NUMBER = re.compile(r"[-+]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][-+]?[0-9]+)?")


def _runs_as_formula(text: str) -> bool:
    return text.startswith(FORMULA_STARTS) and not _PLAIN_NUMBER.fullmatch(text)


def _guarded(text: str) -> bool:
    """A cell `guard_cell` prefixed: quotes, then what would run as a formula."""
    return text.startswith("'") and _runs_as_formula(text.lstrip("'"))


def guard_cell(text: str) -> str:
    """Text a spreadsheet shows as text: a cell starting with = + - @ (or their full-width forms),
    a tab or a carriage return gets a leading `'` (and so does one that already looks guarded, so
    `unguard_cell` is exact).
    A plain number such as `-5` is left alone: it is a number, not a formula."""
    return "'" + text if _runs_as_formula(text) or _guarded(text) else text


def unguard_cell(text: str) -> str:
    """The text `guard_cell` was given: `import` reads an exported CSV back unchanged."""
    return text[1:] if _guarded(text) else text


def csv_cell(value: Any) -> str:
    """One CSV cell: numbers as numbers, None empty, dates ISO, lists joined by `;`, text guarded."""
    if value is None:
        return ""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    if isinstance(value, (list, tuple)):
        return guard_cell(";".join(_text(v) for v in value))
    return guard_cell(_text(value))


class CsvWriter:
    """csv.writer whose every cell goes through `csv_cell`: the one way dealbook writes CSV."""

    def __init__(self, handle: Any, lineterminator: str = "\r\n") -> None:
        self._writer = csv.writer(handle, lineterminator=lineterminator)

    def header(self, names: Sequence[str]) -> None:
        self._writer.writerow([guard_cell(str(n)) for n in names])

    def row(self, values: Iterable[Any]) -> None:
        self._writer.writerow([csv_cell(v) for v in values])


def to_csv(rows: Iterable[dict[str, Any]], columns: Sequence[str]) -> str:
    """CSV with a header row; lists joined by `;`, None empty, dates ISO, formula-like text guarded."""
    buffer = io.StringIO()
    writer = CsvWriter(buffer, lineterminator="\n")
    writer.header(columns)
    for row in rows:
        writer.row(row.get(column) for column in columns)
    return buffer.getvalue()


def echo(text: str) -> None:
    """Print, with colour only when stdout is a terminal (click strips it otherwise)."""
    click.echo(text)


def echo_utf8(data: str | bytes) -> None:
    """Write `data` to stdout in UTF-8 whatever stdout's encoding: for a format that fixes its own
    (iCalendar, JSON sent to a webhook, HTML saying charset=utf-8). Redirected to a file on a Chinese
    Windows, text goes out in GBK, and a calendar or a chat reads it as garbage."""
    click.echo(data.encode("utf-8") if isinstance(data, str) else data, nl=False)  # bytes go out as they are


format_option = click.option("--format", "fmt", type=click.Choice(FORMATS), default="text", show_default=True,
                             help="text for people, json or csv for machines.")
