"""One Report, three renderings: text (labels, — for None, a totals line), JSON shape, CSV rows."""

from __future__ import annotations

import datetime as dt
import json

from dealbook.reports import Column, Report, format_cell, render
from dealbook.reports.periods import named_period

COLUMNS = [
    Column("stage", "Stage", "text", {"lead": "Lead"}),
    Column("entered", "Entered", "int"),
    Column("rate", "Rate", "percent"),
    Column("value", "Value", "money"),
    Column("days", "Days", "days"),
    Column("on", "On", "date"),
]
ROWS = [
    {"stage": "lead", "entered": 2, "rate": 0.5, "value": 1234567, "days": 7.25, "on": dt.date(2024, 5, 31)},
    {"stage": "other", "entered": 0, "rate": None, "value": None, "days": None, "on": None},
]
REPORT = Report("demo", "Demo", COLUMNS, ROWS, {"entered": 2, "rate": 1.0}, ["a note"], "bar", named_period("2024-05"))


def test_format_cell_by_kind():
    assert [format_cell(c, ROWS[0][c.key]) for c in COLUMNS] == ["Lead", "2", "50.0%", "1,234,567", "7.2", "2024-05-31"]
    assert [format_cell(c, None) for c in COLUMNS] == ["—"] * 6
    assert format_cell(COLUMNS[0], "other") == "other"


def test_text_has_title_period_labels_totals_and_notes():
    text = render(REPORT, "text", "en")
    lines = text.splitlines()
    assert lines[0] == "Demo · 2024-05"
    assert lines[2].split() == ["Stage", "Entered", "Rate", "Value", "Days", "On"]
    assert lines[4].split() == ["Lead", "2", "50.0%", "1,234,567", "7.2", "2024-05-31"]
    assert lines[5].split() == ["other", "0", "—", "—", "—", "—"]
    assert lines[6].split() == ["Total", "2", "100.0%", "—", "—", "—"]
    assert lines[-1] == "* a note"
    assert "合计" in render(REPORT, "text", "zh")


def test_json_shape():
    data = json.loads(render(REPORT, "json"))
    assert list(data) == ["report", "title", "period", "columns", "rows", "totals", "notes", "chart"]
    assert data["period"] == {"label": "2024-05", "start": "2024-05-01", "end": "2024-05-31"}
    assert data["columns"][2] == {"key": "rate", "label": "Rate", "kind": "percent"}
    assert data["rows"][0] == {"stage": "lead", "entered": 2, "rate": 0.5, "value": 1234567, "days": 7.25,
                               "on": "2024-05-31"}
    assert data["rows"][1]["rate"] is None
    assert data["totals"] == {"entered": 2, "rate": 1.0}


def test_csv_rows_raw_values_none_empty():
    assert render(REPORT, "csv").splitlines() == [
        "stage,entered,rate,value,days,on",
        "lead,2,0.5,1234567,7.25,2024-05-31",
        "other,0,,,,",
    ]


def test_empty_report_text():
    empty = Report("demo", "Demo", COLUMNS, [], None, [])
    assert "(no data)" in render(empty, "text", "en")
    assert json.loads(render(empty, "json"))["rows"] == [] and render(empty, "csv") == ",".join(c.key for c in COLUMNS)


def test_report_columns_say_what_they_count(demo_repo, run) -> None:
    """Headers a manager could read as something else: value tiers' share is of the customers, not
    of the contract value beside it; objections' second won column counts customers won, not a
    stage; team activity's overdue counts customers, where the owners page counts items."""
    def header(*args: str) -> str:
        result = run(demo_repo, "--today", "2024-05-20", "report", *args)
        assert result.exit_code == 0, result.output
        return result.output.splitlines()[2]

    assert "客户占比" in header("value-tiers")
    assert "最终成交客户" in header("objections", "--period", "2024")
    assert "逾期客户" in header("team-activity", "--period", "2024-05")
    settings = demo_repo.root / "dealbook.yaml"
    settings.write_text(settings.read_text(encoding="utf-8").replace("language: zh", "language: en"), encoding="utf-8")
    assert "Share of customers" in header("value-tiers")
    assert "Customers won" in header("objections", "--period", "2024")
    assert "Overdue customers" in header("team-activity", "--period", "2024-05")
