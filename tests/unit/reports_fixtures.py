"""A small sales history with hand-computed report figures (see the tests in test_reports_*.py).

Nine customers, today 2024-06-15. In May 2024: C1 skips discovery and reaches negotiation on
the 31st; C2..C5 are lost from lead, discovery, proposal and negotiation; C6 goes back from
proposal to discovery; C7 and C9 are won (C9 skipping proposal); C8 starts in June."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import yaml

TODAY = dt.date(2024, 6, 15)

C = {n: f"粤IT202400{n}" for n in range(1, 10)}

SETTINGS = "as_of: 2024-06-15\nforecast:\n  min_history: 3\ntransitions:\n  allow_backward: true\n"

TEAM = {"members": [
    {"handle": "zhang", "name": "张伟", "role": "rep", "email": "zhang@example.com"},
    {"handle": "li", "name": "李娜", "role": "rep", "email": "li@example.com"},
    {"handle": "chen", "name": "陈静", "role": "manager", "email": "chen@example.com"},
]}


def _customer(n: int, owner: str, channel: str, lead_type: str, created: str, history: list[tuple[str, str]],
              **extra: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": C[n], "name": f"客户{n}有限公司", "industry": "I6510", "region": "广东 深圳",
        "source": {"channel": channel}, "lead_type": lead_type, "owner": owner, "created": created,
        "contacts": [{"name": f"联系人{n}", "title": "经理", "role": "influencer", "phone": "0755-8888-1234",
                      "phone_kind": "work"}],
        "stage": history[-1][0],
        "stage_history": [{"stage": s, "on": on} for s, on in history],
    }
    data.update(extra)
    return data


CUSTOMERS = [
    _customer(1, "zhang", "trade_show", "prospect", "2024-05-02",
              [("lead", "2024-05-02"), ("proposal", "2024-05-10"), ("negotiation", "2024-05-31")],
              deal={"amount": 150000, "close_by": "2024-06-30"}, grade={"value": "A", "reason": "测试"}),
    _customer(2, "zhang", "trade_show", "prospect", "2024-04-20",
              [("lead", "2024-04-20"), ("lost", "2024-05-03")], lost={"reason": "no_response"}),
    _customer(3, "zhang", "referral", "prospect", "2024-04-01",
              [("lead", "2024-04-01"), ("discovery", "2024-04-15"), ("lost", "2024-05-15")],
              lost={"reason": "budget"}),
    _customer(4, "zhang", "referral", "prospect", "2024-03-01",
              [("lead", "2024-03-01"), ("discovery", "2024-03-10"), ("proposal", "2024-05-01"),
               ("lost", "2024-05-21")], deal={"amount": 200000}, lost={"reason": "competitor"}),
    _customer(5, "li", "website", "prospect", "2024-05-01",
              [("lead", "2024-05-01"), ("discovery", "2024-05-04"), ("proposal", "2024-05-08"),
               ("negotiation", "2024-05-12"), ("lost", "2024-05-30")],
              deal={"amount": 300000}, lost={"reason": "competitor"}),
    _customer(6, "li", "website", "referral", "2024-04-01",
              [("lead", "2024-04-01"), ("discovery", "2024-04-10"), ("proposal", "2024-05-05"),
               ("discovery", "2024-05-20"), ("proposal", "2024-06-01")],
              deal={"amount": 80000, "close_by": "2024-05-31"}, grade={"value": "B", "reason": "测试"},
              need={"summary": "质检提速", "budget": {"status": "partial"}}),
    _customer(7, "li", "referral", "competitor_churn", "2024-01-10",
              [("lead", "2024-01-10"), ("discovery", "2024-02-01"), ("proposal", "2024-03-01"),
               ("negotiation", "2024-04-01"), ("won", "2024-05-06"), ("after_sales", "2024-06-10")],
              deal={"amount": 500000},
              contracts=[{"no": "HT-2023-01", "amount": 200000, "signed": "2023-06-01", "delivered": "2023-07-01"},
                         {"no": "HT-2024-05", "amount": 480000, "signed": "2024-05-06", "delivered": "2024-06-10",
                          "repeat": True, "win_factors": ["本地化服务", "价格优势"]}]),
    _customer(8, "li", "online", "prospect", "2024-06-01", [("lead", "2024-06-01")],
              grade={"value": "C", "reason": "测试"}),
    _customer(9, "zhang", "visit", "prospect", "2024-03-01",
              [("lead", "2024-03-01"), ("discovery", "2024-03-11"), ("negotiation", "2024-04-20"),
               ("won", "2024-05-20")], deal={"amount": 100000},
              contracts=[{"no": "HT-2024-09", "amount": 90000, "signed": "2024-05-20",
                          "win_factors": ["本地化服务"]}]),
]

FOLLOWUPS = [
    # (customer, at, method, by, objections)
    (1, "2024-05-05 10:00", "phone", "zhang", ["price"]),
    (1, "2024-05-31 23:30", "visit", "zhang", ["price", "integration"]),
    (7, "2024-05-02 15:00", "meeting", "li", ["price"]),
    (5, "2024-06-01 00:10", "email", "li", ["competitor"]),
    (3, "2024-04-30 23:59", "phone", "zhang", ["budget"]),
    (8, "2024-06-02 09:00", "im", "li", []),
]


def followup_path(n: int, at: str) -> str:
    return f"records/followups/{C[n]}/{at.replace(' ', '-').replace(':', '')}.yaml"


def write_sales_book(root: Path) -> None:
    """Write the records and dealbook.yaml under `root`."""

    def put(relative: str, data: Any) -> None:
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        text = data if isinstance(data, str) else yaml.safe_dump(data, allow_unicode=True, sort_keys=False)
        path.write_text(text, encoding="utf-8")

    put("dealbook.yaml", SETTINGS)
    put("records/team.yaml", TEAM)
    for data in CUSTOMERS:
        put(f"records/customers/{data['id']}.yaml", data)
    for n, at, method, by, objections in FOLLOWUPS:
        data: dict[str, Any] = {"customer": C[n], "at": at, "method": method, "by": by, "summary": "沟通"}
        if objections:
            data["objections"] = objections
        put(followup_path(n, at), data)


def sales_book(root: Path):
    """The Book of the sales history written under `root`."""
    from dealbook.checks.reading import open_book
    from dealbook.records.settings import load_settings

    write_sales_book(root)
    return open_book(str(root), settings=load_settings(str(root)))
