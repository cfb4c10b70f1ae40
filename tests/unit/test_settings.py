"""Settings: defaults from domain.md, team overrides, seed variants, and the as-of date."""

from __future__ import annotations

import datetime as dt

import pytest
from conftest import RecordRepo
from dealbook.records.settings import default_settings, load_settings, merge, pinned_day, today_for

SEED_003 = """
stages:
  - {key: lead, kind: open, label: {zh: 潜在客户, en: Prospect}, probability: 0.1}
  - {key: qualified, kind: open, label: {zh: 意向客户, en: Qualified}, probability: 0.3, requires: [need.summary]}
  - {key: won, kind: won, label: {zh: 成交客户, en: Won}, probability: 1.0, requires: [contracts]}
  - {key: lost, kind: lost, label: {zh: 流失客户, en: Lost}, probability: 0.0, requires: [lost.reason]}
cadence:
  by: stage
  stage: {lead: 14, qualified: 7}
"""


def test_defaults_follow_domain_md() -> None:
    s = default_settings()
    assert s.stage_keys == ("lead", "discovery", "proposal", "negotiation", "won", "after_sales", "lost")
    assert [x.key for x in s.progression] == ["lead", "discovery", "proposal", "negotiation", "won", "after_sales"]
    assert s.lost_stage == "lost"
    assert s.raw["cadence"]["grade"] == {"A": 2, "B": 7, "C": 14}
    assert s.raw["intake"]["first_response_hours"] == {"A": 24, "B": 48, "C": 72}
    assert s.raw["exceptions"] == {"mode": "lower", "missed_in_a_row": 2, "reassess_days": 90}
    assert s.raw["after_sales"]["visits"] == [{"from": 3, "to": 7}, {"from": 23, "to": 37},
                                              {"from": 76, "to": 104}, {"from": 166, "to": 194}]
    assert s.raw["after_sales"]["care_letter"] == "12-31"
    assert s.raw["deal_desk"]["margin_floor"] == 0.30
    assert s.raw["deal_desk"]["contract_steps"] == ["sales_head", "legal", "finance", "general_manager"]
    assert "churn" in s.raw["lost_reasons"]
    assert s.language == "zh" and s.timezone == "Asia/Shanghai" and s.currency == "CNY"
    assert s.id_pattern.match("粤IT2024001") and not s.id_pattern.match("粤IT24001")
    assert s.stage_label("proposal") == "方案呈现"


def test_merge_maps_deeply_and_replaces_lists() -> None:
    assert merge({"a": {"x": 1, "y": 2}, "l": [1, 2]}, {"a": {"y": 3}, "l": [9]}) == {"a": {"x": 1, "y": 3}, "l": [9]}


def test_four_stage_variant_is_expressible(repo: RecordRepo, run) -> None:
    repo.settings(SEED_003)
    s = load_settings(str(repo.root))
    assert s.stage_keys == ("lead", "qualified", "won", "lost")
    assert s.raw["cadence"]["by"] == "stage"
    repo.customer(stage="qualified", need={"summary": "MES"},
                  stage_history=[{"stage": "lead", "on": "2024-01-05"}, {"stage": "qualified", "on": "2024-02-01"}])
    result = run(repo, "check")
    assert result.exit_code == 0, result.output


def test_english_labels(repo: RecordRepo) -> None:
    repo.settings("language: en\n")
    assert load_settings(str(repo.root)).stage_label("proposal") == "Proposal"


def test_settings_are_validated(repo: RecordRepo, run) -> None:
    repo.settings("language: fr\ngrading:\n  urgency:\n    high_days: soon\n")
    result = run(repo, "check")
    assert result.exit_code == 1
    assert "dealbook.yaml:1:" in result.output and "dealbook.yaml:4:" in result.output


@pytest.mark.parametrize(("override", "env", "expected"), [
    ("2024-06-01", "2024-07-01", dt.date(2024, 6, 1)),
    (None, "2024-07-01", dt.date(2024, 7, 1)),
    (None, None, dt.date(2024, 5, 20)),
])
def test_today_precedence(repo: RecordRepo, monkeypatch, override, env, expected) -> None:
    if env:
        monkeypatch.setenv("DEALBOOK_TODAY", env)
    else:
        monkeypatch.delenv("DEALBOOK_TODAY", raising=False)
    assert today_for(load_settings(str(repo.root)), override) == expected
    assert pinned_day(load_settings(str(repo.root)), override) == expected  # each of them pins the day


def test_without_as_of_today_is_the_clock_in_the_team_timezone(repo: RecordRepo, monkeypatch) -> None:
    monkeypatch.delenv("DEALBOOK_TODAY", raising=False)
    repo.settings("timezone: Asia/Shanghai\n")
    from zoneinfo import ZoneInfo

    assert today_for(load_settings(str(repo.root))) == dt.datetime.now(ZoneInfo("Asia/Shanghai")).date()
    assert pinned_day(load_settings(str(repo.root))) is None  # the clock's day pins nothing
