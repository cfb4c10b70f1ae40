"""Targets against hand-worked figures: the period's own entry wins over the recurring one; won is
counted by first-won date at contract value; the pipeline is the open deals closing in the period."""

from __future__ import annotations

import datetime as dt

from dealbook.checks.reading import open_book
from dealbook.reports.periods import named_period
from dealbook.reports.targets import progress, progress_of_all, target_for

TODAY = dt.date(2024, 5, 20)
NEED = {"summary": "MES 升级", "budget": {"status": "clear"}}


def team_book(repo):
    repo.settings("as_of: 2024-05-20\ntargets:\n  zhang: {month: 300000, quarter: 900000, 2024-Q2: 1000000}\n"
                  "  li: {month: 100000}\n")
    # zhang: won 2024-05-10 (contract 300,000) and 2024-04-02 (no contract: deal 50,000); won 2024-03-30: not Q2
    repo.customer("粤IT2024001", stage="won", need=NEED, deal={"amount": 280000},
                  contracts=[{"no": "HT-1", "amount": 300000, "signed": "2024-05-10"}],
                  stage_history=[{"stage": "lead", "on": "2024-01-05"}, {"stage": "won", "on": "2024-05-10"}])
    repo.customer("粤IT2024002", stage="won", need=NEED, deal={"amount": 50000},
                  contracts=[{"no": "HT-2", "signed": "2024-04-02"}],
                  stage_history=[{"stage": "lead", "on": "2024-01-05"}, {"stage": "won", "on": "2024-04-02"}])
    repo.customer("粤IT2024003", stage="won", need=NEED,
                  contracts=[{"no": "HT-3", "amount": 70000, "signed": "2024-03-30"}],
                  stage_history=[{"stage": "lead", "on": "2024-01-05"}, {"stage": "won", "on": "2024-03-30"}])
    # open: negotiation 200,000 closing 2024-06-15 (in Q2, not in May); proposal 100,000 closing 2024-07-01 (Q3)
    repo.customer("粤IT2024004", stage="negotiation", need=NEED, deal={"amount": 200000, "close_by": "2024-06-15"},
                  stage_history=[{"stage": "lead", "on": "2024-01-05"}, {"stage": "negotiation", "on": "2024-04-01"}])
    repo.customer("粤IT2024005", stage="proposal", need=NEED, deal={"amount": 100000, "close_by": "2024-07-01"},
                  stage_history=[{"stage": "lead", "on": "2024-01-05"}, {"stage": "proposal", "on": "2024-04-01"}])
    repo.customer("粤IT2024006", stage="proposal", need=NEED, owner="li", deal={"amount": 90000,
                                                                               "close_by": "2024-05-31"},
                  stage_history=[{"stage": "lead", "on": "2024-01-05"}, {"stage": "proposal", "on": "2024-04-01"}])
    return open_book(str(repo.root), use_cache=False)


def test_the_target_of_a_period(repo):
    book = team_book(repo)
    settings = book.settings
    assert target_for(settings, "zhang", named_period("2024-Q2"), "quarter") == 1000000  # its own entry
    assert target_for(settings, "zhang", named_period("2024-Q3"), "quarter") == 900000  # the recurring one
    assert target_for(settings, "zhang", named_period("2024-05"), "month") == 300000
    assert target_for(settings, "li", named_period("2024-Q2"), "quarter") is None
    assert target_for(settings, "wang", named_period("2024-05"), "month") is None


def test_progress_against_the_quarter_and_the_month(repo):
    book = team_book(repo)
    q2 = progress(book, TODAY, "zhang", named_period("2024-Q2"), "quarter")
    assert (q2.target, q2.won, q2.won_deals) == (1000000, 350000, 2)
    assert (q2.pipeline, q2.weighted, q2.pipeline_deals) == (200000, 120000, 1)  # 200,000 × 60%
    assert (q2.share, q2.gap, q2.coverage) == (0.35, 650000, round(120000 / 650000, 4))
    may = progress(book, TODAY, "zhang", named_period("2024-05"), "month")
    assert (may.target, may.won, may.won_deals, may.pipeline_deals) == (300000, 300000, 1, 0)
    assert (may.share, may.gap, may.coverage) == (1.0, 0, None)
    li = progress(book, TODAY, "li", named_period("2024-05"), "month")
    assert (li.target, li.won, li.pipeline, li.weighted) == (100000, 0, 90000, 31500)
    none = progress(book, TODAY, "li", named_period("2024-Q2"), "quarter")
    assert none.target is None and none.share is None and none.gap is None


def test_every_owners_progress_at_once_is_each_ones_own(repo):
    book = team_book(repo)
    handles = ["li", "nobody", "wang", "zhang"]
    for name, kind in (("2024-Q2", "quarter"), ("2024-05", "month")):
        period = named_period(name)
        together = progress_of_all(book, TODAY, handles, period, kind)
        assert together == {h: progress(book, TODAY, h, period, kind) for h in handles}
        assert together["zhang"].won_deals and together["li"].pipeline  # (not all empty)


def test_targets_are_checked_against_the_schema(repo, run):
    repo.settings("targets:\n  zhang:\n    month: 30万\n    2024-13: 5\n    quarter: 900000\n")
    result = run(repo, "check")
    assert result.exit_code == 1
    assert "dealbook.yaml:3:" in result.output and "dealbook.yaml:4:" in result.output
    repo.settings("targets:\n  zhang: {month: 300000, quarter: 900000, 2024-Q3: 1200000, 2024-07: 400000}\n")
    assert run(repo, "check").exit_code == 0
