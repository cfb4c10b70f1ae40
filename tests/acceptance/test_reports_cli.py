"""`dealbook funnel` and `dealbook report` end to end on a small sales history."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "unit"))
from dealbook.reports import REPORTS
from reports_fixtures import write_sales_book


@pytest.fixture
def sales(repo):
    write_sales_book(repo.root)  # today is 2024-06-15 (as_of)
    return repo


def test_funnel_text_table_with_totals(sales, run):
    result = run(sales, "funnel", "--period", "2024-05")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == "销售阶段转化分析 · 2024-05"
    assert lines[2].split() == ["销售阶段", "进入数量", "转化数量", "流失数量", "转化/进入", "流失/进入",
                                "平均停留天数"]
    assert lines[5].split() == ["需求挖掘", "2", "3", "1", "150.0%", "50.0%", "27.8"]
    assert lines[9].split() == ["售后维护", "0", "0", "0", "—", "—", "—"]
    assert lines[10].split() == ["合计", "12", "9", "4", "75.0%", "33.3%", "19.9"]


def test_funnel_json_rows_and_totals(sales, run):
    data = json.loads(run(sales, "funnel", "--period", "2024-05", "--format", "json").output)
    assert data["report"] == "funnel" and data["period"]["label"] == "2024-05"
    assert all(list(row) == ["stage", "entered", "converted", "lost", "converted_per_entered", "lost_per_entered",
                             "avg_days"] for row in data["rows"])
    assert data["rows"][0] == {"stage": "lead", "entered": 2, "converted": 2, "lost": 1, "converted_per_entered": 1.0,
                               "lost_per_entered": 0.5, "avg_days": 8.0}
    assert data["rows"][-1]["converted_per_entered"] is None
    assert data["totals"]["entered"] == 12


@pytest.mark.parametrize("language", ["zh", "en"])
def test_the_totals_line_says_it_counts_moves_not_customers(repo, run, language):
    """Before: one customer who went lead → discovery → proposal → negotiation in June read
    `合计 4 3 0 75.0%` with no word on what the total counts: a manager reads 4 customers and a
    75% conversion rate."""
    repo.settings(f"as_of: 2024-07-01\nlanguage: {language}\n")
    repo.customer(stage="negotiation", need={"summary": "质检", "budget": {"status": "clear"}}, deal={"amount": 1000},
                  stage_history=[{"stage": "lead", "on": "2024-06-03"}, {"stage": "discovery", "on": "2024-06-17"},
                                 {"stage": "proposal", "on": "2024-06-20"},
                                 {"stage": "negotiation", "on": "2024-06-24"}])
    text = run(repo, "funnel", "--period", "2024-06").output
    total = {"zh": "合计", "en": "Total"}[language]
    assert next(line for line in text.splitlines() if line.startswith(total)).split()[1:4] == ["4", "3", "0"]
    says = {"zh": "统计的是阶段变动次数,不是客户数(本期走过三个阶段的客户计三次)",
            "en": "so it counts moves, not customers (one customer who went through three stages in the period "
                  "counts three times)"}[language]
    assert says in " ".join(text.split()).replace(" ", "" if language == "zh" else " "), text


@pytest.mark.parametrize("language", ["zh", "en"])
def test_a_ratio_above_100_percent_is_named_for_what_it_divides_in_every_output(sales, run, language):
    """Before: a column headed 转化率 / conversion_rate read 150.0% for 需求挖掘 in 2024-05 (3 moves on
    out of 2 entries, those who moved on having entered earlier): a manager reads a conversion rate
    as the share of one group, which cannot pass 100%."""
    if language == "en":
        settings = sales.root / "dealbook.yaml"
        settings.write_text(settings.read_text("utf-8") + "language: en\n", "utf-8")
    label = {"zh": ("转化/进入", "流失/进入"), "en": ("Converted/entered", "Lost/entered")}[language]
    says = {"zh": "所以不是同一批客户的转化率,可能超过 100%", "en": "so they are no conversion rate of one group and "
            "can exceed 100%"}[language]
    text = run(sales, "funnel", "--period", "2024-05").output
    assert label[0] in text.splitlines()[2] and label[1] in text.splitlines()[2] and "150.0%" in text
    assert says in text and {"zh": "“销售漏斗(到达各阶段的客户)”报表", "en": "(stage-reach)"}[language] in text
    data = json.loads(run(sales, "funnel", "--period", "2024-05", "--format", "json").output)
    assert [c["label"] for c in data["columns"]][4:6] == list(label) and any(says in n for n in data["notes"])
    assert data["rows"][1]["converted_per_entered"] == 1.5  # the figure itself is kept
    assert "conversion_rate" not in data["rows"][1] and "loss_rate" not in data["totals"]
    header = run(sales, "funnel", "--period", "2024-05", "--format", "csv").output.splitlines()[0]
    assert "rate" not in header and "converted_per_entered,lost_per_entered" in header


def test_funnel_csv(sales, run):
    lines = run(sales, "funnel", "--period", "2024-05", "--format", "csv").output.splitlines()
    assert lines[0] == "stage,entered,converted,lost,converted_per_entered,lost_per_entered,avg_days"
    assert lines[1] == "lead,2,2,1,1.0,0.5,8.0"
    assert lines[-1] == "after_sales,0,0,0,,,"


def test_funnel_periods(sales, run):
    def rows(*args):
        result = run(sales, "funnel", *args, "--format", "json")
        assert result.exit_code == 0, result.output
        return json.loads(result.output)

    assert rows("--from", "2024-05-01", "--to", "2024-05-31")["rows"] == rows("--period", "2024-05")["rows"]
    assert rows()["period"]["label"] == "2024-06"  # the month of today (as_of 2024-06-15)
    earlier = json.loads(run(sales, "--today", "2024-05-20", "funnel", "--format", "json").output)
    assert earlier["period"]["label"] == "2024-05"
    quarter = rows("--period", "2024-Q2")
    assert quarter["period"] == {"label": "2024-Q2", "start": "2024-04-01", "end": "2024-06-30"}


def test_funnel_by_owner(sales, run):
    data = json.loads(run(sales, "funnel", "--period", "2024-05", "--by", "owner", "--format", "json").output)
    assert {r["owner"] for r in data["rows"]} == {"zhang", "li"}
    assert data["columns"][0]["key"] == "owner"
    text = run(sales, "funnel", "--period", "2024-05", "--by", "owner").output
    assert "张伟 (zhang)" in text


@pytest.mark.parametrize("args, message", [
    (["funnel", "--period", "2024-13"], "'2024-13':没有 13 月;请写月份 2024-05、季度 2024-Q2"),  # zh
    (["funnel", "--period", "2024-05", "--from", "2024-01-01"], "--period 与 --from/--to 只能给一种"),
    (["report", "pipeline", "--from", "2024-05-01", "--to", "2024-01-01"], "--to 2024-01-01 早于 --from 2024-05-01"),
    (["funnel", "--by", "colour"], "colour"),
    (["report", "nope"], "没有报表 'nope'"),  # the team's language (zh)
    (["report"], "report --list"),
    (["report", "pipeline", "--by", "owner"], "不能按 'owner' 拆分"),
    (["report", "sources", "--by", "region"], "lead_type"),
])
def test_bad_usage_is_a_message_not_a_traceback(sales, run, args, message):
    result = run(sales, *args)
    assert result.exit_code == 2
    assert message in result.output


def test_report_list_names_every_report(sales, run):
    result = run(sales, "report", "--list")
    assert result.exit_code == 0
    listed = [line.split()[0] for line in result.output.splitlines()]
    assert listed == list(REPORTS)


@pytest.mark.parametrize("name", list(REPORTS))
def test_every_report_in_every_format(sales, run, name):
    text = run(sales, "report", name, "--period", "2024")
    assert text.exit_code == 0, text.output
    data = json.loads(run(sales, "report", name, "--period", "2024", "--format", "json").output)
    assert data["report"] == name
    keys = [c["key"] for c in data["columns"]]
    assert all(list(row) == keys for row in data["rows"])
    csv = run(sales, "report", name, "--period", "2024", "--format", "csv").output.splitlines()
    assert csv[0] == ",".join(keys) and len(csv) == 1 + len(data["rows"])


def test_sources_by_lead_type(sales, run):
    data = json.loads(run(sales, "report", "sources", "--period", "2024", "--by", "lead_type",
                          "--format", "json").output)
    assert {r["lead_type"]: r["leads"] for r in data["rows"]} == {"prospect": 7, "referral": 1,
                                                                   "competitor_churn": 1}


def test_english_labels(sales, run):
    sales.write("dealbook.yaml", (sales.root / "dealbook.yaml").read_text() + "language: en\n")
    text = run(sales, "funnel", "--period", "2024-05").output
    assert text.splitlines()[0] == "Stage conversion funnel · 2024-05"
    assert text.splitlines()[10].split()[:2] == ["Total", "12"]


def test_team_activity_late_entries_from_git(sales, run):
    sales.git_init()
    sales.commit("all records at once", date="2024-06-01T02:00:00+08:00")
    data = json.loads(run(sales, "report", "team-activity", "--period", "2024-05", "--format", "json").output)
    late = {r["owner"]: (r["late_followups"], r["late_customers"]) for r in data["rows"]}
    # May follow-ups: zhang 05-05 10:00 and 05-31 23:30, li 05-02 15:00 — all first committed 06-01 02:00.
    # First contacts in May: C1 (zhang) 05-05, C7 (li) 05-02.
    assert late == {"zhang": (2, 1), "li": (1, 1), "chen": (0, 0)}
    assert data["totals"]["late_followups"] == 3


def test_team_activity_without_git_says_so(sales, run):
    data = json.loads(run(sales, "report", "team-activity", "--period", "2024-05", "--format", "json").output)
    assert all(r["late_followups"] is None for r in data["rows"])
    assert any("git" in note for note in data["notes"])


def test_the_forecast_lists_every_open_deal_unless_a_period_is_given(sales, run):
    """Without --period the forecast is not cut to this month; with one it keeps the deals closing in it."""
    every = json.loads(run(sales, "report", "forecast", "--format", "json").output)
    assert every["period"] is None and [r["month"] for r in every["rows"]] == ["2024-05", "2024-06", ""]
    june = json.loads(run(sales, "report", "forecast", "--period", "2024-06", "--format", "json").output)
    assert june["period"]["label"] == "2024-06" and [r["month"] for r in june["rows"]] == ["2024-06"]
    pipeline = json.loads(run(sales, "report", "pipeline", "--format", "json").output)
    assert pipeline["period"] is None


def test_report_list_in_each_format(run, tmp_path):
    """`report --list` honours --format (it printed text whatever was asked), and needs no repo."""
    listed = json.loads(run(tmp_path, "report", "--list", "--format", "json").output)["reports"]
    assert [r["name"] for r in listed] == list(REPORTS)
    assert next(r for r in listed if r["name"] == "funnel")["by"] == ["owner", "source", "industry", "region"]
    csv = run(tmp_path, "report", "--format", "csv", "--list").output.splitlines()
    assert csv[0] == "name,summary,by" and len(csv) == len(REPORTS) + 1
    text = run(tmp_path, "report", "--list").output
    assert text.startswith("funnel ") and "[--by owner|source|industry|region]" in text


@pytest.mark.parametrize(("settings", "header"), [("", "商机金额(¥)"), ("language: en\ncurrency: USD\n", "Value ($)"),
                                                  ("currency: CHF\n", "商机金额(CHF)")])
def test_a_money_column_names_the_settings_currency(sales, run, settings: str, header: str) -> None:
    """Before: `report pipeline` printed 商机金额 over bare amounts, in whatever currency the team keeps."""
    path = sales.root / "dealbook.yaml"
    path.write_text(path.read_text("utf-8") + settings, "utf-8")
    text = run(sales, "report", "pipeline").output
    assert header in text.splitlines()[2]
    data = json.loads(run(sales, "report", "pipeline", "--format", "json").output)
    assert all(isinstance(r["value"], int) for r in data["rows"])  # machines keep the integers
    assert "(" not in run(sales, "report", "pipeline", "--format", "csv").output.splitlines()[0]
