"""A report as plain data (columns, rows, totals, notes) and its text, JSON and CSV renderings."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ..text import output
from ..text.catalog import translator
from ..text.money import unit
from .periods import Period

KINDS = ("text", "int", "money", "percent", "date", "days")
CHARTS = ("funnel", "bar", "line", None)


@dataclass(frozen=True)
class Column:
    """One column: the row key, its label in the team's language, and how to show its values.

    `values` optionally maps raw text values (stage keys, channel keys) to display labels;
    JSON and CSV keep the raw value, text and the site show the label."""

    key: str
    label: str
    kind: str = "text"
    values: Mapping[str, str] | None = field(default=None, compare=False, hash=False)

    def as_dict(self) -> dict[str, str]:
        return {"key": self.key, "label": self.label, "kind": self.kind}


@dataclass(frozen=True)
class Report:
    """A computed report: every rendering (text, JSON, CSV, site) is made from these rows."""

    name: str
    title: str
    columns: list[Column]
    rows: list[dict[str, Any]]
    totals: dict[str, Any] | None = None
    notes: list[str] = field(default_factory=list)
    chart: str | None = None
    period: Period | None = None
    chart_key: str | None = None  # the column the chart draws (default: the first number column)

    def as_dict(self) -> dict[str, Any]:
        """The JSON shape: report, title, period, columns, rows, totals, notes, chart."""
        keys = [c.key for c in self.columns]
        return {
            "report": self.name,
            "title": self.title,
            "period": self.period.as_dict() if self.period else None,
            "columns": [c.as_dict() for c in self.columns],
            "rows": [{k: row.get(k) for k in keys} for row in self.rows],
            "totals": {k: self.totals.get(k) for k in keys if k in self.totals} if self.totals else None,
            "notes": list(self.notes),
            "chart": self.chart,
        }


def format_cell(column: Column, value: Any) -> str:
    """A value as people read it: — for None, 60.0% for a percent, 1,234 for money, 7.5 for days, ✓ for true."""
    if value is None:
        return output.DASH
    if isinstance(value, bool):  # a tick or nothing, as the site's tables show it (never `yes`/`no`)
        return "✓" if value else ""
    kind = column.kind
    if kind == "percent":
        return output.percent(value)
    if kind == "money":
        return output.money(value)
    if kind == "days":
        return f"{value:.1f}" if isinstance(value, float) else str(value)
    if kind == "date" and isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if kind == "text" and column.values and isinstance(value, str):
        return column.values.get(value, value)
    return output.plain(value)


def total_label(language: str) -> str:
    _ = translator(language)
    return _("Total")


def render_text(report: Report, language: str = "en", currency: str | None = None) -> str:
    """The title, an aligned table with a totals line, and the notes; with `currency` (the
    settings'), each money column's header names it (`金额(¥)`, `Amount (¥)`), its cells the bare amounts."""
    _ = translator(language)
    named = _("%(label)s (%(unit)s)", label="%s", unit=unit(currency)) if currency else ""
    headers = [named.replace("%s", c.label, 1) if named and c.kind == "money" else c.label for c in report.columns]
    body = [[format_cell(c, row.get(c.key)) for c in report.columns] for row in report.rows]
    if report.totals is not None:
        line = []
        for i, c in enumerate(report.columns):
            value = report.totals.get(c.key)
            line.append(total_label(language) if i == 0 and value is None else format_cell(c, value))
        body.append(line)
    right = [i for i, c in enumerate(report.columns) if c.kind != "text" and c.kind != "date"]
    title = report.title + (f" · {report.period.label}" if report.period and report.period.label != "all" else "")
    parts = [title, ""]
    if body:
        parts.append(output.table(body, headers, right=right))
    else:
        parts.append(_("(no data)"))
    if report.notes:
        parts.append("")
        parts.extend(f"* {note}" for note in report.notes)
    return "\n".join(parts)


def render(report: Report, fmt: str, language: str = "en", currency: str | None = None) -> str:
    """The report as text, JSON (`Report.as_dict`) or CSV (the rows only, raw values: money as
    integers in the team's currency)."""
    if fmt == "json":
        return output.to_json(report.as_dict())
    if fmt == "csv":
        return output.to_csv(report.rows, [c.key for c in report.columns]).rstrip("\n")
    return render_text(report, language, currency)


# --- helpers the report modules share ------------------------------------------------------


def ratio(part: float, whole: float) -> float | None:
    """part / whole rounded to 4 places, or None when whole is 0 (never a fake 0%)."""
    return None if not whole else round(part / whole, 4)


def mean(values: list[float]) -> float | None:
    return round(sum(values) / len(values), 1) if values else None


def median(values: list[float]) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    mid = len(ordered) // 2
    middle = ordered[mid] if len(ordered) % 2 else (ordered[mid - 1] + ordered[mid]) / 2
    return round(float(middle), 1)
