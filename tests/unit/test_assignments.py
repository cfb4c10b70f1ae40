"""editing.assignments: what a `KEY=VALUE` would remove from a list or mapping."""

from __future__ import annotations

import pytest
from dealbook.editing.assignments import approvals_added, approved_added, dropped, value_at
from dealbook.text.catalog import translator

EN = translator("en")

CONTRACT = {"no": "HT-1", "amount": 10, "signed": "2024-05-10",
            "payments": [{"due": "2024-05-15", "amount": 4, "received_on": "2024-05-16"},
                         {"due": "2024-08-31", "amount": 6}]}
GONE = "removes item 0 (no HT-1, signed 2024-05-10, 2 instalments, 1 received)"


@pytest.mark.parametrize(("old", "new", "said"), [
    ([CONTRACT], [], GONE),
    ([CONTRACT], None, GONE),
    ([CONTRACT], [{**CONTRACT, "amount": 11}], GONE),  # changed is gone: the diff shows how
    ({"status": "partial", "min": 1}, {"status": "clear"}, "removes min (1); changes status (partial)"),
    ({"status": "partial"}, None, "removes it (1 key)"),
    (["a", "b"], ["b"], "removes item 0 (a)"),
])
def test_what_a_replacement_loses_is_named(old, new, said):
    assert dropped(EN, old, new) == said


@pytest.mark.parametrize(("old", "new"), [
    ([CONTRACT], [CONTRACT, {"no": "HT-2", "amount": 1}]),  # the old items kept: an addition
    (["a"], ["b", "a"]),
    ({"status": "partial"}, {"status": "partial", "min": 1}),
    ([], None), ({}, {"a": 1}), ("zhang", "li"), (None, [1]),  # empty, or a single value: nothing held
])
def test_a_value_that_keeps_all_there_is_loses_nothing(old, new):
    assert dropped(EN, old, new) == ""


def test_approvals_added_are_named_and_a_renumbered_item_keeps_its_own():
    approval = {"step": "legal", "by": "sun", "on": "2024-05-07"}
    before = {"contracts": [{"no": "HT-1", "approvals": [approval]}]}
    assert approvals_added(EN, before, {"contracts": [{"no": "HT-9", "approvals": [approval]}]}) == []
    assert approvals_added(EN, before, {"contracts": [{"no": "HT-1", "approvals": [approval, approval]}]}) == [
        "contract HT-1: legal by sun on 2024-05-07"]
    assert approvals_added(EN, {}, {"quotes": [{"no": "BJ-1", "approvals": [{**approval, "step": "margin"}]}]}) == [
        "quote BJ-1: margin by sun on 2024-05-07"]


APPROVED = {"contracts": [{**CONTRACT, "payments": [{"due": "2024-05-15", "amount": 4}, {"due": "2024-08-31"}],
                           "approvals": [{"step": "legal", "by": "sun", "on": "2024-05-07"}]}]}
PLAN = "to the payment plan of approved contract HT-1"


@pytest.mark.parametrize(("parts", "new", "said"), [
    (["contracts", 0, "payments", 2], {"due": "2024-12-31", "amount": 1}, f"adds instalment 2 (due 2024-12-31) {PLAN}"),
    (["contracts", 0, "payments"], [{"due": "2024-05-15", "amount": 4}, {"due": "2024-08-31"}, {"amount": 1}],
     f"adds instalment 2 {PLAN}"),
    (["contracts", 0, "payments", 1, "amount"], 6, f"adds the amount of instalment 1 (6) {PLAN}"),
    (["contracts", 0, "payments", 0, "received_on"], "2024-05-16", ""),  # recorded against the plan
    (["contracts", 0, "payments", 1, "note"], "验收", ""),
    (["contracts", 0, "delivered"], "2024-05-18", ""),
])
def test_what_an_edit_adds_to_an_approved_contracts_payment_plan_is_named(parts, new, said):
    assert approved_added(EN, parts, new, APPROVED, value_at(APPROVED, parts)) == said


def test_a_contract_without_an_approval_takes_new_instalments():
    unapproved = {"contracts": [CONTRACT]}
    assert approved_added(EN, ["contracts", 0, "payments", 2], {"due": "2024-12-31", "amount": 1}, unapproved) == ""
