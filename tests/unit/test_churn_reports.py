"""Churn (a won customer moving to lost, reason churn) in the conversion table, win/loss and value tiers."""

from __future__ import annotations

import datetime as dt

from conftest import customer_data
from dealbook.records.book import Book
from dealbook.records.settings import default_settings
from dealbook.reports import funnel_rows
from dealbook.reports.periods import named_period
from dealbook.reports.tiers import value_tiers
from dealbook.reports.winloss import win_loss

TODAY = dt.date(2024, 5, 31)
MAY = named_period("2024-05")


def history(*pairs: str) -> list[dict]:
    return [{"stage": s, "on": d} for s, d in (p.split("@") for p in pairs)]


def book() -> Book:
    contract = [{"no": "HT-1", "amount": 600000, "signed": "2024-03-01", "delivered": "2024-04-01"}]
    records = [
        # K1: after-sales since 04-01, churned 05-08 (37 days in after-sales)
        ("粤IT2024001", dict(stage="lost", lost={"reason": "churn"}, contracts=contract,
                             stage_history=history("lead@2024-01-05", "won@2024-03-01", "after_sales@2024-04-01",
                                                   "lost@2024-05-08"))),
        # K2: won 04-10, churned before delivery 05-15 (35 days in won)
        ("粤IT2024002", dict(stage="lost", lost={"reason": "churn"}, contracts=contract,
                             stage_history=history("lead@2024-01-05", "won@2024-04-10", "lost@2024-05-15"))),
        # K3: a deal lost in negotiation for budget on 05-12
        ("粤IT2024003", dict(stage="lost", lost={"reason": "budget"}, deal={"amount": 100000},
                             stage_history=history("lead@2024-01-05", "negotiation@2024-04-01", "lost@2024-05-12"))),
        # K4: still an after-sales customer
        ("粤IT2024004", dict(stage="after_sales", contracts=[dict(contract[0], no="HT-4")],
                             stage_history=history("lead@2024-01-05", "won@2024-03-01", "after_sales@2024-04-01"))),
    ]
    return Book(default_settings(), [(f"records/customers/{cid}.yaml", customer_data(cid, **fields))
                                     for cid, fields in records])


def test_churn_is_counted_in_the_lost_column_of_the_stage_it_left() -> None:
    rows = {r["stage"]: (r["entered"], r["converted"], r["lost"], r["avg_days"]) for r in funnel_rows(book(), MAY)}
    assert rows["won"] == (0, 0, 1, 35.0)
    assert rows["after_sales"] == (0, 0, 1, 37.0)
    assert rows["negotiation"] == (0, 0, 1, 41.0)


def test_win_loss_leaves_churn_out_and_says_so() -> None:
    report = win_loss(book(), MAY, TODAY)
    assert [(r["reason"], r["lost"]) for r in report.rows] == [("budget", 1)]
    assert any("2 won customers churned" in n for n in report.notes) or \
        any("另有 2 个已成交客户本期停止合作" in n for n in report.notes)


def test_value_tiers_leave_churned_customers_out_and_say_so() -> None:
    report = value_tiers(book(), MAY, TODAY)
    assert sum(r["customers"] for r in report.rows) == 1
    assert any("2 个曾成交的客户已停止合作" in n for n in report.notes)
