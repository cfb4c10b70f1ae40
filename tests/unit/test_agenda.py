"""agenda_items: grouping, ordering, owner filter, flags as items."""

from __future__ import annotations

import datetime as dt

from dealbook.rules.agenda import AgendaItem, agenda_items, group_of
from test_rules import book, cust, fu, need

TODAY = dt.date(2024, 5, 20)
D = dt.date.fromisoformat


def test_group_of_edges() -> None:
    assert group_of(D("2024-05-19"), TODAY, 7) == "overdue"
    assert group_of(TODAY, TODAY, 7) == "today"
    assert group_of(D("2024-05-27"), TODAY, 7) == "week"
    assert group_of(D("2024-05-28"), TODAY, 7) == "later"
    assert group_of(D("2024-05-21"), TODAY, 0) == "later"


def test_items_for_one_customer_include_flags() -> None:
    b = book(cust(grade={"value": "A", "reason": "重点"}),
             [fu("2024-05-19 15:30", contact="李经理", objections=["competitor"])], text="language: en")
    items = agenda_items(b, TODAY)
    assert items == [
        AgendaItem("粤IT2024001", "A科技有限公司", "zhang", D("2024-05-20"), "differentiation_due",
                   "competitor raised on 2024-05-19: differentiation analysis due within 24 h (by 2024-05-20 15:30)",
                   0, "today", who=("zhang",)),
        AgendaItem("粤IT2024001", "A科技有限公司", "zhang", D("2024-05-21"), "cadence",
                   "A grade: every 2 days, last contact 1 day ago (A grade: phone + visit)", 0, "week", who=("zhang",)),
    ]


def test_owner_filter_and_lost_customers() -> None:
    b = book(cust(need=need("2024-07-01", "partial")), [fu("2024-05-01 10:00", contact="李经理")])
    assert [i.overdue_days for i in agenda_items(b, TODAY)] == [12]  # B: 2024-05-08
    assert agenda_items(b, TODAY, owner="li") == []
    lost = book(cust(stage="lost", lost={"reason": "budget"}))
    assert agenda_items(lost, TODAY) == []


def test_order_is_group_then_oldest_first() -> None:
    from dealbook.records.book import Book

    records = []
    for n, created in enumerate(["2024-05-19", "2024-05-01", "2024-05-25", "2024-05-10"]):
        data = cust(created=created)
        data["id"] = f"粤IT202400{n + 1}"
        records.append((f"records/customers/{data['id']}.yaml", data))
    b = Book(book(cust()).settings, records)
    items = [i for i in agenda_items(b, TODAY, days=7) if i.kind == "first_response"]
    # C leads: first response at created + 3 days
    assert [(i.customer_id, i.due.isoformat(), i.group) for i in items] == [
        ("粤IT2024002", "2024-05-04", "overdue"),
        ("粤IT2024004", "2024-05-13", "overdue"),
        ("粤IT2024001", "2024-05-22", "week"),
        ("粤IT2024003", "2024-05-28", "later"),
    ]
