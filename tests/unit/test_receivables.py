"""The receivables report by owner and age, hand-worked (today 2024-05-20)."""

from __future__ import annotations

import datetime as dt

from conftest import customer_data
from dealbook.records.book import Book
from dealbook.records.settings import default_settings
from dealbook.reports import run_report
from dealbook.reports.periods import named_period
from dealbook.reports.receivables import age_key, open_instalments

TODAY = dt.date(2024, 5, 20)
WON = [{"stage": "lead", "on": "2024-01-05"}, {"stage": "won", "on": "2024-02-01"}]


def book() -> Book:
    zhang = [{"due": "2024-02-01", "amount": 100000, "received_on": "2024-02-03"},          # paid
             {"due": "2024-04-10", "amount": 200000, "received_on": "2024-04-20",
              "received_amount": 150000},                                                    # 50,000 left, 40 days
             {"due": "2024-01-20", "amount": 70000},                                        # 121 days: over 90
             {"due": "2024-06-30", "amount": 30000}]                                        # not yet due
    li = [{"due": "2024-05-19", "amount": 80000},                                            # 1 day overdue
          {"due": "2024-05-20", "amount": 20000},                                            # due today: not overdue
          {"due": "2024-05-10", "amount": 10000, "received_on": "2024-05-25"}]              # receipt not yet in
    records = [("粤IT2024001", "zhang", zhang), ("粤IT2024002", "li", li)]
    return Book(default_settings(), [
        (f"records/customers/{cid}.yaml",
         customer_data(cid, owner=owner, stage="won", stage_history=WON,
                       contracts=[{"no": f"HT-{cid}", "amount": sum(p["amount"] for p in pays), "signed": "2024-02-01",
                                   "payments": pays}]))
        for cid, owner, pays in records])


def test_ages() -> None:
    assert [age_key(dt.date.fromisoformat(d), TODAY) for d in
            ("2024-05-21", "2024-05-20", "2024-05-19", "2024-04-20", "2024-04-19", "2024-02-20", "2024-02-19")] == \
        ["not_due", "not_due", "d1_30", "d1_30", "d31_60", "d61_90", "d90_plus"]


def test_open_instalments() -> None:
    rows = [(r["customer"], str(r["due"]), r["outstanding"], r["days_overdue"])
            for r in open_instalments(book(), TODAY)]
    assert rows == [("粤IT2024001", "2024-01-20", 70000, 121), ("粤IT2024001", "2024-04-10", 50000, 40),
                    ("粤IT2024002", "2024-05-10", 10000, 10), ("粤IT2024002", "2024-05-19", 80000, 1),
                    ("粤IT2024002", "2024-05-20", 20000, 0), ("粤IT2024001", "2024-06-30", 30000, 0)]


def test_receivables_by_owner_and_age() -> None:
    report = run_report("receivables", book(), named_period("2024-05"), TODAY)
    rows = {r["owner"]: r for r in report.rows}
    assert {k: rows["zhang"][k] for k in ("instalments", "outstanding", "overdue", "not_due", "d31_60", "d90_plus")} \
        == {"instalments": 3, "outstanding": 150000, "overdue": 120000, "not_due": 30000, "d31_60": 50000,
            "d90_plus": 70000}
    assert {k: rows["li"][k] for k in ("instalments", "outstanding", "overdue", "overdue_instalments", "d1_30")} \
        == {"instalments": 3, "outstanding": 110000, "overdue": 90000, "overdue_instalments": 2, "d1_30": 90000}
    assert [r["owner"] for r in report.rows] == ["zhang", "li"]  # most overdue first
    assert report.totals["outstanding"] == 260000 and report.totals["overdue"] == 210000
