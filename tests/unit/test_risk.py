"""At risk: each reason on hand-worked fixtures (today 2024-05-20), the settings that drive them, the order."""

from __future__ import annotations

import datetime as dt
from typing import Any

from dealbook.records.book import Book
from dealbook.rules.risk import CODES, at_risk, risk_settings, stage_since
from test_rules import CID, book, cust, fu, settings

TODAY = dt.date(2024, 5, 20)
D = dt.date.fromisoformat
EN = "language: en\n"


def history(*pairs: str) -> list[dict[str, str]]:
    return [{"stage": s, "on": on} for s, on in (p.split("@") for p in pairs)]


def negotiating(**overrides: Any) -> dict[str, Any]:
    """In negotiation since 2024-05-01 (19 days), 300,000, closing 2024-06-30."""
    base: dict[str, Any] = {
        "stage": "negotiation",
        "stage_history": history("lead@2024-01-05", "discovery@2024-02-01", "proposal@2024-03-01",
                                 "negotiation@2024-05-01"),
        "need": {"summary": "质检效率低", "budget": {"status": "clear"}},
        "deal": {"amount": 300000, "close_by": "2024-06-30"},
    }
    return cust(**(base | overrides))


PLANNED = fu("2024-05-18 10:00", contact="王总监", next=[{"action": "发合同", "due": "2024-05-24"}])


def codes(b: Book, today: dt.date = TODAY) -> list[str]:
    return [r.code for r in at_risk(b, b.settings, today)]


def test_a_healthy_deal_is_not_at_risk() -> None:
    assert at_risk(book(negotiating(), [PLANNED]), settings(), TODAY) == []


def test_rotting_counts_days_since_entering_the_stage_against_the_stage_limit() -> None:
    b = book(negotiating(), [PLANNED], EN)
    # negotiation's default limit is 30 days: 2024-05-01 + 30 = 2024-05-31 still fine, 06-01 rots
    assert codes(b, D("2024-05-31")) == []
    [risk] = at_risk(b, b.settings, D("2024-06-01"))
    assert (risk.code, risk.since, risk.figures) == (
        "rotting", D("2024-06-01"), {"days_in_stage": 31, "limit_days": 30, "stage_since": D("2024-05-01")})
    assert risk.message == "31 days in Negotiation (limit 30 days)"
    assert (risk.customer_id, risk.owner, risk.stage, risk.amount) == (CID, "zhang", "negotiation", 300000)


def test_rotting_days_is_per_stage_and_a_stage_without_it_never_rots() -> None:
    text = EN + """stages:
  - {key: lead, kind: open, label: {en: Lead}, probability: 0.1, rotting_days: 10}
  - {key: negotiation, kind: open, label: {en: Negotiation}, probability: 0.6}
  - {key: won, kind: won, label: {en: Won}, probability: 1.0}
  - {key: lost, kind: lost, label: {en: Lost}, probability: 0.0}
"""
    assert risk_settings(settings(text)).rotting_days == {"lead": 10}
    long_ago = book(negotiating(stage_history=history("lead@2023-01-01", "negotiation@2023-02-01")), [PLANNED], text)
    assert codes(long_ago) == []
    lead = book(cust(stage_history=history("lead@2024-05-09")), [PLANNED], text)
    assert codes(lead) == ["rotting"]  # 11 days > 10


def test_stage_since_reads_the_history_as_of_today() -> None:
    c = book(negotiating(stage_history=history("lead@2024-01-05", "proposal@2024-03-01", "proposal@2024-04-01",
                                                "negotiation@2024-06-01"))).customers[CID]
    assert stage_since(c, TODAY) == ("proposal", D("2024-03-01"))  # the later move is not known yet
    assert stage_since(c, D("2024-06-02")) == ("negotiation", D("2024-06-01"))


def test_close_date_passed() -> None:
    b = book(negotiating(deal={"amount": 300000, "close_by": "2024-05-17"}), [PLANNED], EN)
    [risk] = at_risk(b, b.settings, TODAY)
    assert (risk.code, risk.since, risk.figures) == ("close_date_passed", D("2024-05-18"),
                                                    {"close_by": D("2024-05-17"), "days_past": 3})
    assert risk.message == "expected close date 2024-05-17 passed 3 days ago"
    assert codes(book(negotiating(deal={"amount": 1, "close_by": "2024-05-20"}), [PLANNED])) == []  # today: not yet


def test_no_next_step_looks_at_the_latest_follow_up_only() -> None:
    no_plan = fu("2024-05-19 09:00", contact="王总监")
    b = book(negotiating(), [PLANNED, no_plan], EN)
    [risk] = at_risk(b, b.settings, TODAY)
    assert (risk.code, risk.since, risk.message) == (
        "no_next_step", D("2024-05-19"), "the latest follow-up (2024-05-19) plans no dated next step")
    undated = fu("2024-05-19 09:00", contact="王总监", next=[{"action": "再联系"}])
    assert codes(book(negotiating(), [undated])) == ["no_next_step"]
    # a follow-up after today is not known yet: the planned one is the latest
    assert codes(book(negotiating(), [PLANNED, fu("2024-05-21 09:00")])) == []
    # a lead never contacted is the first-response rule's business, not this one's
    assert codes(book(cust(stage_history=history("lead@2024-05-15")))) == []


def test_big_deal_untouched() -> None:
    big = negotiating(deal={"amount": 500000, "close_by": "2024-06-30"})
    old_plan = fu("2024-05-06 10:00", contact="王总监", next=[{"action": "发合同", "due": "2024-06-24"}])
    b = book(big, [old_plan], EN)
    [risk] = at_risk(b, b.settings, TODAY)  # 14 days since 2024-05-06
    assert (risk.code, risk.since, risk.figures) == ("big_deal_untouched", D("2024-05-20"), {
        "last_contact": D("2024-05-06"), "days_untouched": 14, "limit_days": 14, "big_deal_min": 500000})
    assert risk.message == "big deal (≥ ¥500,000) not contacted for 14 days (limit 14)"
    assert codes(b, D("2024-05-19")) == []
    assert codes(book(negotiating(), [old_plan])) == []  # 300,000 is not big
    assert codes(book(big, [old_plan], "at_risk: {big_deal_min: 1000000}")) == []
    assert codes(book(big, [old_plan], "at_risk: {big_deal_untouched_days: 0}")) == []
    assert codes(book(negotiating(), [old_plan], "at_risk: {big_deal_min: 100000, big_deal_untouched_days: 10}")) \
        == ["big_deal_untouched"]


def test_a_re_opened_deal_counts_from_the_re_opening() -> None:
    """Lost on 2024-02-01 after a call that planned nothing, re-opened 2024-05-10 as a 500,000 lead:
    neither the call before the loss (no next step, 104 days untouched) nor the loss puts it at risk."""
    reopened = cust(stage_history=history("lead@2024-01-05", "lost@2024-02-01", "lead@2024-05-10"),
                    deal={"amount": 500000, "close_by": "2024-06-30"})
    b = book(reopened, [fu("2024-01-20 10:00", contact="王总监")], EN)
    assert codes(b) == []
    [risk] = at_risk(b, b.settings, D("2024-05-24"))  # 14 days after the re-opening, still untouched
    assert (risk.code, risk.figures["last_contact"], risk.figures["days_untouched"]) == (
        "big_deal_untouched", D("2024-05-10"), 14)
    # once re-opened, a follow-up that plans nothing is this rule's business again
    assert codes(book(reopened, [fu("2024-05-15 10:00", contact="王总监")])) == ["no_next_step"]


def test_closed_deals_are_never_at_risk() -> None:
    won = cust(stage="won", stage_history=history("lead@2024-01-05", "won@2024-02-01"),
               contracts=[{"no": "HT-1", "amount": 900000, "signed": "2024-02-01"}],
               deal={"amount": 900000, "close_by": "2024-01-31"})
    lost = cust(stage="lost", stage_history=history("lead@2024-01-05", "lost@2024-02-01"), lost={"reason": "budget"},
                deal={"amount": 900000, "close_by": "2024-01-31"})
    assert codes(book(won)) == []
    assert codes(book(lost)) == []


def test_a_paused_customer_only_shows_its_passed_close_date() -> None:
    stale = negotiating(stage_history=history("lead@2023-01-05", "negotiation@2023-02-01"),
                        deal={"amount": 900000, "close_by": "2024-05-01"}, paused_until="2024-08-01")
    assert codes(book(stale, [fu("2024-03-01 10:00", contact="王总监")])) == ["close_date_passed"]
    ended = stale | {"paused_until": "2024-05-01"}
    assert codes(book(ended, [fu("2024-03-01 10:00", contact="王总监")])) == [
        "close_date_passed", "rotting", "no_next_step", "big_deal_untouched"]


def test_one_deal_several_reasons_in_code_order_and_biggest_deals_first() -> None:
    everything = negotiating(stage_history=history("lead@2024-01-05", "negotiation@2024-03-01"),
                             deal={"amount": 800000, "close_by": "2024-05-01"})
    small = cust(stage_history=history("lead@2024-04-01"))
    small["id"] = "粤IT2024002"
    base = book(everything, [fu("2024-04-01 10:00", contact="王总监")])
    b = Book(base.settings, [(c.path, c.data) for c in base.customers.values()]
             + [(f.path, f.data) for f in base.followups_of(CID)]
             + [("records/customers/粤IT2024002.yaml", small)])
    found = at_risk(b, b.settings, TODAY)
    assert [(r.customer_id, r.code) for r in found] == [
        (CID, "close_date_passed"), (CID, "rotting"), (CID, "no_next_step"), (CID, "big_deal_untouched"),
        ("粤IT2024002", "rotting")]
    assert [r.code for r in found[:4]] == list(CODES[:4])
    assert at_risk(b, b.settings, TODAY, owner="li") == []
    assert found[0].as_dict()["figures"] == {"close_by": D("2024-05-01"), "days_past": 19}


def test_messages_in_chinese() -> None:
    b = book(negotiating(deal={"amount": 300000, "close_by": "2024-05-17"}), [fu("2024-05-19 09:00")])
    assert [r.message for r in at_risk(b, b.settings, TODAY)] == [
        "预计签约日期 2024-05-17 已过 3 天", "最近一次跟进(2024-05-19)没有安排带日期的下一步"]


def test_overdue_instalments_and_expiring_quotes_from_the_deal_items() -> None:
    won = cust(stage="won", stage_history=history("lead@2024-01-05", "won@2024-03-01"),
               contracts=[{"no": "HT-1", "amount": 300000, "signed": "2024-03-01",
                           "payments": [{"due": "2024-03-10", "amount": 90000, "received_on": "2024-03-09"},
                                        {"due": "2024-05-10", "amount": 180000, "received_amount": 60000},
                                        {"due": "2024-06-30", "amount": 30000}]}])
    b = book(won, [PLANNED], EN)
    [risk] = at_risk(b, b.settings, TODAY)  # a won customer: only the money it owes
    assert (risk.code, risk.amount, risk.since, risk.figures) == (
        "instalment_overdue", 120000, D("2024-05-11"), {"ref": "HT-1", "due": D("2024-05-10"), "days_past": 10})
    assert "HT-1" in risk.message
    quoted = negotiating(quotes=[{"no": "BJ-1", "date": "2024-04-10", "total": 300000, "valid_days": 30}])
    b = book(quoted, [PLANNED], EN)
    [risk] = at_risk(b, b.settings, TODAY)  # valid until 2024-05-10
    assert (risk.code, risk.amount, risk.figures) == ("quote_expired", 300000,
                                                      {"ref": "BJ-1", "due": D("2024-05-10"), "days_past": 10})
    assert codes(b, D("2024-05-08")) == ["quote_expiring"]
