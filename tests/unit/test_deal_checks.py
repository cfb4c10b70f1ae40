"""Quotes and contracts in `dealbook check`: hand-worked totals, margins, the floor, approvals,
contract numbers, approval steps and payment schedules."""

from __future__ import annotations

import json
from typing import Any

import pytest
from dealbook.records.deals import latest_quote, quotes_of

WON = [{"stage": "lead", "on": "2024-01-05"}, {"stage": "negotiation", "on": "2024-03-01"},
       {"stage": "won", "on": "2024-04-01"}]
APPROVED = [{"step": "sales_head", "by": "chen", "on": "2024-03-28"},
            {"step": "legal", "by": "sun", "on": "2024-03-29"},
            {"step": "finance", "by": "zhou", "on": "2024-03-30"},
            {"step": "general_manager", "by": "wu", "on": "2024-03-31"}]
PROPOSAL = {"stage": "proposal", "need": {"summary": "质检", "budget": {"status": "clear"}},
            "stage_history": [{"stage": "lead", "on": "2024-01-05"},
                              {"stage": "proposal", "on": "2024-05-01"}]}
TEAM_PLUS = [{"handle": "sun", "name": "孙法务", "role": "legal"},
             {"handle": "zhou", "name": "周财务", "role": "finance"},
             {"handle": "wu", "name": "吴总", "role": "gm"}]


def quote(**overrides: Any) -> dict[str, Any]:
    """2 × 120,000 + 1 × 60,000 = 300,000; cost 222,000: margin (300,000 − 222,000) / 300,000 = 26%."""
    data: dict[str, Any] = {
        "no": "BJ-001", "date": "2024-05-06", "valid_until": "2024-06-05",
        "lines": [{"item": "视觉检测工位", "spec": "VX-200", "quantity": 2, "unit_price": 120000, "amount": 240000},
                  {"item": "实施服务", "spec": "20 人天", "quantity": 20, "unit_price": 3000, "amount": 60000}],
        "total": 300000, "cost": 222000, "margin": 0.26,
        "delivery": "签约后 6 周", "payment_terms": "30% 预付,60% 到货,10% 验收",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def codes(run, repo, *args: str) -> list[tuple[str, str, int]]:
    result = run(repo, "check", "--format", "json", *args)
    return [(d["code"], d["path"].rsplit("/", 1)[-1], d["line"]) for d in json.loads(result.output)["diagnostics"]]


def with_team(repo, extra: list[dict] = TEAM_PLUS) -> None:
    from conftest import TEAM

    repo.write("records/team.yaml", {"members": TEAM["members"] + extra})


def test_the_worked_quote_reads_as_written() -> None:
    q = quotes_of({"quotes": [quote()]})[0]
    assert q.lines_total == 300000 and q.amount == 300000 and q.known_cost == 222000
    assert q.effective_margin == pytest.approx(0.26)


def test_a_margin_below_the_floor_without_approval_is_an_error(run, repo) -> None:
    repo.customer(**PROPOSAL, quotes=[quote()])
    assert [c for c, _, _ in codes(run, repo)] == ["margin-below-floor"]
    out = run(repo, "check").output
    assert "毛利率 26.0% 低于底线 30.0%" in out and "manager、gm" in out  # the team's language (zh)


def test_a_margin_just_below_the_floor_never_reads_as_the_floor(run, repo) -> None:
    """Cost 210,001 of 300,000 is a margin of 29.9997%: one decimal would print "30.0% is below the
    floor of 30.0%"; the check and the agenda show the decimals that tell them apart. At exactly 30% the
    quote needs no approval."""
    repo.settings("as_of: 2024-05-20\nlanguage: en\n")
    repo.customer(**PROPOSAL, quotes=[quote(cost=210001, margin=None, status="draft")])
    repo.customer("粤IT2024002", name="B公司", **PROPOSAL, quotes=[quote(cost=210001, margin=None)])
    out = run(repo, "check").output
    assert "margin 29.9997% is below the floor of 30.0000%" in out and "30.0% is below" not in out
    agenda = run(repo, "agenda", "--all").output
    assert "margin 29.9997% below the 30.0000% floor" in agenda and "30.0% below" not in agenda
    repo.customer("粤IT2024002", name="B公司", **PROPOSAL, quotes=[quote(cost=210000, margin=None)])
    assert [c for c, f, _ in codes(run, repo) if f.startswith("粤IT2024002")] == []


def test_a_draft_below_the_floor_awaits_approval_without_an_error(run, repo) -> None:
    repo.customer(**PROPOSAL, quotes=[quote(status="draft")])
    assert codes(run, repo) == []


def test_an_approval_from_a_manager_clears_it(run, repo) -> None:
    approved = quote(approvals=[{"step": "margin", "by": "chen", "on": "2024-05-07"}])
    repo.customer(**PROPOSAL, quotes=[approved])
    assert codes(run, repo) == []


def test_an_approval_from_a_rep_does_not(run, repo) -> None:
    repo.customer(**PROPOSAL,
                  quotes=[quote(approvals=[{"step": "margin", "by": "li", "on": "2024-05-07"}])])
    assert [c for c, _, _ in codes(run, repo)] == ["approval-not-allowed"]


def test_a_manager_cannot_approve_a_deal_they_own(run, repo) -> None:
    repo.customer(owner="chen", **PROPOSAL,
                  quotes=[quote(approvals=[{"step": "margin", "by": "chen", "on": "2024-05-07"}])])
    assert [c for c, _, _ in codes(run, repo)] == ["approval-self"]


def test_the_floor_is_a_setting(run, repo) -> None:
    repo.settings("as_of: 2024-05-20\ndeal_desk:\n  margin_floor: 0.25\n")
    repo.customer(**PROPOSAL, quotes=[quote()])
    assert codes(run, repo) == []


def test_a_total_that_is_not_the_sum_of_the_lines(run, repo) -> None:
    repo.customer(**PROPOSAL, quotes=[quote(total=5, cost=None, margin=0.35)])
    found = codes(run, repo)
    assert [c for c, _, _ in found] == ["quote-total"]
    assert "总价是 ¥5,但各行合计为 ¥300,000" in run(repo, "check").output


def test_a_line_amount_must_be_quantity_times_unit_price(run, repo) -> None:
    bad = quote()
    bad["lines"][0]["amount"] = 200000
    bad["total"] = 260000
    del bad["margin"]
    bad["cost"] = 170000  # 34.6%: above the floor
    repo.customer(**PROPOSAL, quotes=[bad])
    assert [c for c, _, _ in codes(run, repo)] == ["quote-line-amount"]


def test_a_margin_that_contradicts_the_cost(run, repo) -> None:
    # (300,000 − 222,000) / 300,000 = 26%, the quote says 36%: above the floor on paper only
    repo.customer(**PROPOSAL, quotes=[quote(margin=0.36)])
    found = [c for c, _, _ in codes(run, repo)]
    assert found == ["quote-margin"]
    assert "毛利率是 36.0%,但(金额 − 成本)/ 金额" in run(repo, "check").output  # the team's language (zh)


def test_a_cost_that_contradicts_the_lines_unit_costs(run, repo) -> None:
    q = quote(margin=None, cost=150000)
    q["lines"][0]["unit_cost"] = 80000   # 2 × 80,000 = 160,000
    q["lines"][1]["unit_cost"] = 1000    # 20 × 1,000 = 20,000 → 180,000, not 150,000
    repo.customer(**PROPOSAL, quotes=[q])
    assert [c for c, _, _ in codes(run, repo)] == ["quote-cost"]


def test_a_margin_from_the_lines_unit_costs_meets_the_floor(run, repo) -> None:
    q = quote(margin=None, cost=None)
    q["lines"][0]["unit_cost"] = 80000
    q["lines"][1]["unit_cost"] = 1000  # cost 180,000: margin 40%
    repo.customer(**PROPOSAL, quotes=[q])
    assert codes(run, repo) == []
    assert quotes_of({"quotes": [q]})[0].effective_margin == pytest.approx(0.4)


def test_the_older_items_form_still_reads_and_is_flagged(run, repo) -> None:
    legacy = {"no": "BJ-9", "date": "2024-04-18", "valid_days": 30, "total": 1340000, "margin": 0.36,
              "items": [{"name": "MES", "quantity": 1, "unit_price": 860000, "total": 860000},
                        {"name": "实施", "quantity": 120, "unit_price": 4000, "total": 480000}]}
    repo.customer(**PROPOSAL, quotes=[legacy])
    assert [c for c, _, _ in codes(run, repo)] == ["quote-lines-key"]
    q = quotes_of({"quotes": [legacy]})[0]
    assert q.lines_total == 1340000 and str(q.valid_until) == "2024-05-18"


def test_the_standing_quote_is_the_latest() -> None:
    quotes = quotes_of({"quotes": [quote(no="A", date="2024-05-06"), quote(no="B", date="2024-04-01")]})
    assert latest_quote(quotes).no == "A"


# --- contracts ------------------------------------------------------------------------

def contract(no: str = "HT-001", **overrides: Any) -> dict[str, Any]:
    data = {"no": no, "amount": 300000, "signed": "2024-04-01", "approvals": APPROVED}
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def test_a_contract_number_is_unique_across_the_repo(run, repo) -> None:
    with_team(repo)
    repo.customer("粤IT2024001", stage="won", stage_history=WON, contracts=[contract("HT-DUP")])
    repo.customer("粤IT2024002", name="B科技有限公司", stage="won", stage_history=WON, contracts=[contract("HT-DUP")])
    found = codes(run, repo)
    assert [(c, p) for c, p, _ in found] == [("duplicate-contract", "粤IT2024002.yaml")]
    # a check of one file (the pre-commit hook) still finds the other customer's number on disk
    one = codes(run, repo, str(repo.root / "records/customers/粤IT2024001.yaml"))
    assert [(c, p) for c, p, _ in one] == [("duplicate-contract", "粤IT2024001.yaml")]


def test_a_won_contract_needs_every_approval_step(run, repo) -> None:
    with_team(repo)
    partial = contract(approvals=APPROVED[:2])
    repo.customer(stage="won", stage_history=WON, contracts=[partial])
    found = codes(run, repo)
    assert [c for c, _, _ in found] == ["contract-approval-missing"]
    out = run(repo, "check").output
    assert "缺少审批步骤 finance(财务审核)、general_manager(总经理审批)" in out


def test_approval_steps_are_required_from_the_stage_in_settings(run, repo) -> None:
    with_team(repo)
    repo.settings("as_of: 2024-05-20\ndeal_desk:\n  contract_steps_from: after_sales\n")
    repo.customer(stage="won", stage_history=WON, contracts=[contract(approvals=None)])
    assert codes(run, repo) == []


def test_contracts_signed_before_contract_steps_since_are_not_checked(run, repo) -> None:
    with_team(repo)
    repo.settings("as_of: 2024-05-20\ndeal_desk:\n  contract_steps_since: 2024-04-02\n")
    repo.customer(stage="won", stage_history=WON, contracts=[contract(approvals=None)])
    assert codes(run, repo) == []


def test_steps_out_of_order_are_a_warning(run, repo) -> None:
    with_team(repo)
    swapped = [dict(a, on="2024-03-27") if a["step"] == "finance" else a for a in APPROVED]  # before legal (03-29)
    repo.customer(stage="won", stage_history=WON, contracts=[contract(approvals=swapped)])
    assert [c for c, _, _ in codes(run, repo)] == ["approval-order"]
    assert "`finance` 的审批日期 2024-03-27 早于 `legal`(2024-03-29)" in run(repo, "check").output


def test_a_step_given_by_the_wrong_role(run, repo) -> None:
    with_team(repo)
    wrong = [dict(a, by="zhou") if a["step"] == "legal" else a for a in APPROVED]  # finance signs for legal
    repo.customer(stage="won", stage_history=WON, contracts=[contract(approvals=wrong)])
    assert [c for c, _, _ in codes(run, repo)] == ["approval-not-allowed"]


def test_payments_must_cover_the_contract_and_receipts_need_a_date(run, repo) -> None:
    with_team(repo)
    payments = [{"due": "2024-04-01", "amount": 90000, "received_amount": 90000},
                {"due": "2024-06-30", "amount": 180000}]  # 270,000 of 300,000
    repo.customer(stage="won", stage_history=WON, contracts=[contract(payments=payments)])
    assert sorted(c for c, _, _ in codes(run, repo)) == ["payment-receipt", "payments-total"]


def test_a_won_customer_can_churn_only_with_reason_churn(run, repo) -> None:
    with_team(repo)
    history = [*WON, {"stage": "lost", "on": "2024-05-10"}]
    repo.customer(stage="lost", stage_history=history, contracts=[contract()], lost={"reason": "budget"})
    assert [c for c, _, _ in codes(run, repo)] == ["churn-reason"]
    repo.customer(stage="lost", stage_history=history, contracts=[contract()],
                  lost={"reason": "churn", "note": "母公司统一采购"})
    assert codes(run, repo) == []


def test_an_open_deal_is_not_lost_to_churn(run, repo) -> None:
    history = [{"stage": "lead", "on": "2024-01-05"}, {"stage": "lost", "on": "2024-02-01"}]
    repo.customer(stage="lost", stage_history=history, lost={"reason": "churn"})
    assert [c for c, _, _ in codes(run, repo)] == ["churn-reason"]
