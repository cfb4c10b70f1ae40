"""Agenda items from quotes and contracts, hand-worked (today 2024-05-20 unless said)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import yaml
from conftest import customer_data
from dealbook.records.book import Book
from dealbook.records.settings import Settings, _defaults, merge
from dealbook.rules.agenda import agenda_items
from dealbook.rules.deals import DEAL_KINDS
from dealbook.rules.state import state_of

TODAY = dt.date(2024, 5, 20)
D = dt.date.fromisoformat
CID = "粤IT2024001"
OPEN = {"stage": "proposal", "need": {"summary": "质检", "budget": {"status": "clear"}},
        "stage_history": [{"stage": "lead", "on": "2024-01-05"}, {"stage": "proposal", "on": "2024-04-01"}]}
WON = {"stage": "after_sales",
       "stage_history": [{"stage": "lead", "on": "2024-01-05"}, {"stage": "won", "on": "2024-02-01"},
                         {"stage": "after_sales", "on": "2024-03-01"}]}


def items(text: str = "", today: dt.date = TODAY, **fields: Any) -> list[tuple[str, dt.date, str]]:
    settings = Settings(merge(_defaults(), yaml.safe_load(text) or {}))
    book = Book(settings, [(f"records/customers/{CID}.yaml", customer_data(CID, **fields))])
    return [(i.kind, i.due, i.message) for i in state_of(book, book.customers[CID], today).deals]


def quote(**overrides: Any) -> dict[str, Any]:
    data = {"no": "BJ-7", "date": "2024-04-20", "valid_until": "2024-05-25", "total": 300000, "margin": 0.35,
            "lines": [{"item": "工位", "quantity": 1, "unit_price": 300000, "amount": 300000}]}
    data.update(overrides)
    return data


@pytest.mark.parametrize(("valid_until", "expected"), [
    ("2024-05-28", []),                                                                # 8 days left: not yet
    ("2024-05-27", [("quote_expiring", D("2024-05-27"), "报价 BJ-7 将于 2024-05-27 到期(还剩 7 天)")]),
    ("2024-05-20", [("quote_expiring", D("2024-05-20"), "报价 BJ-7 将于 2024-05-20 到期(还剩 0 天)")]),
    ("2024-05-19", [("quote_expired", D("2024-05-19"), "报价已过期:报价 BJ-7 有效期至 2024-05-19")]),
])
def test_quote_expiry(valid_until: str, expected: list) -> None:
    assert items(**OPEN, quotes=[quote(valid_until=valid_until)]) == expected


def test_only_the_standing_quote_of_an_open_deal_counts() -> None:
    old = quote(no="BJ-1", date="2024-03-01", valid_until="2024-03-31")
    assert items(**OPEN, quotes=[old, quote(valid_until="2024-06-30")]) == []
    assert items(**WON, quotes=[old]) == []  # a won deal's old quote has done its job


def test_the_warning_days_are_a_setting() -> None:
    found = items("deal_desk:\n  quote_expiry_warn_days: 10\n", **OPEN, quotes=[quote(valid_until="2024-05-30")])
    assert [k for k, _, _ in found] == ["quote_expiring"]


def test_a_draft_below_the_floor_awaits_approval_and_does_not_expire() -> None:
    draft = quote(status="draft", margin=0.26, valid_until="2024-05-01")
    assert items(**OPEN, quotes=[draft]) == [
        ("quote_approval", D("2024-04-20"), "报价 BJ-7 毛利率 26.0% 低于底线 30.0%,待审批(审批人:销售主管, 总经理)")]
    approved = dict(draft, approvals=[{"step": "margin", "by": "chen", "on": "2024-04-21"}])
    assert items(**OPEN, quotes=[approved]) == [  # approved, it goes to the customer (still no expiry: not sent)
        ("quote_to_send", D("2024-04-21"),
         "报价 BJ-7 已于 2024-04-21 审批通过:发送给客户,然后标记为已发送(status: sent)")]


CONTRACT = {"no": "HT-9", "amount": 1000000, "signed": "2024-02-01", "delivered": "2024-03-01",
            "guide_sent": "2024-03-05"}


@pytest.mark.parametrize(("payment", "expected"), [
    ({"due": "2024-05-10", "amount": 300000}, [("instalment_overdue", D("2024-05-10"),
                                                "回款逾期 10 天:合同 HT-9 应于 2024-05-10 收款 ¥300,000")]),
    ({"due": "2024-05-10", "amount": 300000, "received_on": "2024-05-12"}, []),           # paid in full
    ({"due": "2024-05-10", "amount": 300000, "received_on": "2024-05-12", "received_amount": 200000},
     [("instalment_overdue", D("2024-05-10"), "回款逾期 10 天:合同 HT-9 应于 2024-05-10 收款 ¥100,000")]),
    ({"due": "2024-05-10", "amount": 300000, "received_on": "2024-05-25"},               # received after today
     [("instalment_overdue", D("2024-05-10"), "回款逾期 10 天:合同 HT-9 应于 2024-05-10 收款 ¥300,000")]),
    ({"due": "2024-05-27", "amount": 300000}, [("instalment_due", D("2024-05-27"),
                                                "回款将到期:合同 HT-9 应于 2024-05-27 收款 ¥300,000")]),
    ({"due": "2024-05-28", "amount": 300000}, []),                                          # 8 days ahead
])
def test_instalments(payment: dict, expected: list) -> None:
    assert items(**WON, contracts=[dict(CONTRACT, payments=[payment])]) == expected


def test_money_owed_by_a_churned_customer_stays_on_the_agenda() -> None:
    churned = {"stage": "lost", "lost": {"reason": "churn"},
               "stage_history": [*WON["stage_history"], {"stage": "lost", "on": "2024-05-01"}]}
    found = items(**churned, contracts=[dict(CONTRACT, payments=[{"due": "2024-05-10", "amount": 5}])])
    assert [k for k, _, _ in found] == ["instalment_overdue"]


@pytest.mark.parametrize(("service_end", "later", "expected"), [
    ("2024-07-20", [], [("renewal_due", D("2024-07-20"), "续约:合同 HT-9 服务期至 2024-07-20,请提前 60 天洽谈续约")]),
    ("2024-07-20", [{"no": "HT-10", "amount": 5, "signed": "2024-05-21"}], []),   # renewed: a later contract
    ("2024-07-21", [], []),                                                      # 61 days ahead: not yet
    ("2024-05-01", [], [("renewal_due", D("2024-05-01"), "续约:合同 HT-9 服务期至 2024-05-01,请提前 60 天洽谈续约")]),
])
def test_renewal_before_the_service_term_ends(service_end: str, later: list, expected: list) -> None:
    found = items(**WON, contracts=[dict(CONTRACT, service_end=service_end), *later], today=D("2024-05-21"))
    assert found == expected


def test_the_user_guide_and_faq_are_a_one_off_item_after_delivery() -> None:
    unsent = {k: v for k, v in CONTRACT.items() if k != "guide_sent"}
    assert items(**WON, contracts=[unsent]) == [
        ("guide_handover", D("2024-03-31"),
         "发送《客户使用指南》与《常见问题解答》(交付于 2024-03-01,完成后在合同上记录发送日期)")]
    assert items(**WON, contracts=[CONTRACT]) == []
    assert items(**WON, contracts=[unsent], text="after_sales:\n  guide_days: 10\n")[0][1] == D("2024-03-11")


def test_deal_items_reach_the_agenda_with_their_kinds() -> None:
    settings = Settings(_defaults())
    data = customer_data(CID, **WON, contracts=[dict(CONTRACT, payments=[{"due": "2024-05-10", "amount": 7}])])
    book = Book(settings, [(f"records/customers/{CID}.yaml", data)])
    found = [(i.kind, i.group, i.overdue_days) for i in agenda_items(book, TODAY) if i.kind in DEAL_KINDS]
    assert found == [("instalment_overdue", "overdue", 10)]
