"""Render rows for people (aligned text, CJK-width aware, colour on a terminal) and machines (JSON, CSV).

Every command that prints a table builds plain rows (dicts) once and hands them here, so the
text, JSON and CSV forms always come from the same data.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import unicodedata
from collections.abc import Iterable, Sequence
from typing import Any

import click

FORMATS = ("text", "json", "csv")
DASH = "—"


def width(text: str) -> int:
    """Columns `text` takes in a terminal: wide (CJK) characters count two."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 0 if unicodedata.combining(ch) else 1 for ch in text)


def pad(text: str, columns: int, right: bool = False) -> str:
    gap = " " * max(0, columns - width(text))
    return gap + text if right else text + gap


def plain(value: Any) -> str:
    """A cell as text: None is a dash, dates ISO, fractions are for the caller to format."""
    if value is None:
        return DASH
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if isinstance(value, (list, tuple)):
        return ", ".join(plain(v) for v in value)
    return str(value)


def percent(value: float | None) -> str:
    return DASH if value is None else f"{value * 100:.1f}%"


def money(value: int | float | None) -> str:
    return DASH if value is None else f"{round(value):,}"


def table(rows: Sequence[Sequence[Any]], headers: Sequence[str], right: Iterable[int] = (),
          styles: Sequence[dict[str, Any] | None] | None = None) -> str:
    """An aligned text table. `right` lists column indexes to right-align; `styles[i]` are
    click.style keyword arguments for row i (applied only when the text goes to a terminal)."""
    cells = [[plain(c) for c in row] for row in rows]
    widths = [width(h) for h in headers]
    for row in cells:
        for i, cell in enumerate(row):
            widths[i] = max(widths[i], width(cell))
    right = set(right)
    lines = ["  ".join(pad(h, widths[i], i in right) for i, h in enumerate(headers)).rstrip()]
    lines.append("  ".join("-" * w for w in widths))
    for n, row in enumerate(cells):
        line = "  ".join(pad(c, widths[i], i in right) for i, c in enumerate(row)).rstrip()
        style = styles[n] if styles and n < len(styles) else None
        lines.append(click.style(line, **style) if style else line)
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


def to_csv(rows: Iterable[dict[str, Any]], columns: Sequence[str]) -> str:
    """CSV with a header row; lists joined by `;`, None empty, dates ISO."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(columns)
    for row in rows:
        out = []
        for column in columns:
            value = row.get(column)
            if value is None:
                out.append("")
            elif isinstance(value, (list, tuple)):
                out.append(";".join(plain(v) for v in value))
            else:
                out.append(plain(value))
        writer.writerow(out)
    return buffer.getvalue()


def echo(text: str) -> None:
    """Print, with colour only when stdout is a terminal (click strips it otherwise)."""
    click.echo(text)


format_option = click.option("--format", "fmt", type=click.Choice(FORMATS), default="text", show_default=True,
                             help="text for people, json or csv for machines.")
