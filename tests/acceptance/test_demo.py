"""The demo team in records/: clean, complete, and alive as of its `as_of` date."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest
from dealbook.checks.reading import open_book
from dealbook.records.settings import load_settings

ROOT = Path(__file__).resolve().parent.parent.parent
MODELINES = {
    "customers": "# yaml-language-server: $schema=../../schemas/customer.schema.json",
    "followups": "# yaml-language-server: $schema=../../../schemas/followup.schema.json",
}


@pytest.fixture(scope="module")
def demo_book():
    return open_book(str(ROOT), use_cache=False)


def customers_json(run, repo, *extra: str) -> dict[str, dict]:
    result = run(repo, *extra, "customers", "--format", "json")
    assert result.exit_code == 0, result.output
    return {c["id"]: c for c in json.loads(result.output)["customers"]}


def test_demo_checks_clean_through_the_cli(run, demo_repo):
    result = run(demo_repo, "check", "--format", "json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["diagnostics"] == []


def test_demo_checks_clean_with_strict_text_output(run, demo_repo):
    result = run(demo_repo, "check", "--strict")
    assert result.exit_code == 0, result.output


def test_every_record_starts_with_its_schema_modeline():
    team = (ROOT / "records" / "team.yaml").read_text(encoding="utf-8")
    assert team.splitlines()[0] == "# yaml-language-server: $schema=../schemas/team.schema.json"
    settings = (ROOT / "dealbook.yaml").read_text(encoding="utf-8")
    assert settings.splitlines()[0] == "# yaml-language-server: $schema=./schemas/settings.schema.json"
    files = sorted((ROOT / "records").rglob("*.yaml"))
    assert len(files) > 300
    for path in files:
        if path.name == "team.yaml":
            continue
        kind = path.relative_to(ROOT / "records").parts[0]
        first = path.read_text(encoding="utf-8").splitlines()[0]
        assert first == MODELINES[kind], path


def test_demo_size_and_team(demo_book):
    assert len(demo_book.customers) == 40
    assert 280 <= sum(1 for _ in demo_book.all_followups()) <= 320
    assert sorted(demo_book.members) == ["chen", "li", "sun", "wang", "wu", "zhang", "zhao", "zhou"]
    assert demo_book.members["chen"].role == "manager"
    assert [demo_book.members[h].role for h in ("sun", "zhou", "wu")] == ["legal", "finance", "gm"]
    times = sorted(f.at for f in demo_book.all_followups())
    assert str(times[0]).startswith("2023-11-2") and str(times[-1]).startswith("2024-05-20")


def test_demo_covers_every_stage_channel_lead_type_and_lost_reason(demo_book):
    settings = load_settings(str(ROOT))
    customers = list(demo_book.customers.values())
    assert {c.stage for c in customers} == set(settings.stage_keys)
    assert {c.channel for c in customers} == set(settings.keys_of("source_channels"))
    assert {c.lead_type for c in customers} == set(settings.keys_of("lead_types"))
    assert {c.lost_reason for c in customers if c.stage == "lost"} == set(settings.keys_of("lost_reasons"))
    assert len({c.industry for c in customers}) >= 10
    assert len({c.id[0] for c in customers}) >= 15  # provinces


def test_demo_has_every_grade_and_the_special_cases(run, demo_repo):
    rows = customers_json(run, demo_repo)
    assert set(Counter(r["grade"] for r in rows.values())) == {"A", "B", "C", ""}  # "": won and lost, ungraded
    # manual overrides: 京RE2024001 computed B shown A; 粤HC2024001 computed C shown B
    assert rows["京RE2024001"]["grade"] == "A" and rows["京RE2024001"]["grade_override"] is True
    assert rows["粤HC2024001"]["grade"] == "B" and rows["粤HC2024001"]["grade_override"] is True
    # missed twice in a row (exceptions.mode: lower): 津MF2024001 scores 3 (B) but drops to C, so its
    # cadence is C's 14 days from the second miss (2024-05-08), and it is reassessed 90 days later
    assert rows["津MF2024001"]["grade"] == "C" and rows["津MF2024001"]["next_due"] == "2024-05-22"
    # 浙MF2024005 scores 6 (A), missed twice (2024-05-09): B, weekly, so 2024-05-16
    assert rows["浙MF2024005"]["grade"] == "B" and rows["浙MF2024005"]["next_due"] == "2024-05-16"
    items = json.loads(run(demo_repo, "agenda", "--all", "--format", "json").output)["items"]
    reassess = {(i["customer_id"], i["due"]) for i in items if i["kind"] == "reassess"}
    assert {("津MF2024001", "2024-08-06"), ("浙MF2024005", "2024-08-07")} <= reassess


def test_seed_000_example(run, demo_repo, demo_book):
    customer = demo_book.customers["粤IT2024001"]
    assert customer.name == "A科技有限公司"
    assert customer.stage == "proposal"
    assert customer.deal_amount == 650000
    assert {c.name for c in customer.contacts} >= {"李经理", "王总监"}
    row = customers_json(run, demo_repo)["粤IT2024001"]
    # urgency 1 (start 2024-07-01 is 42 days away) + budget partial 1 + held with 李经理 (initiator) 1 = 3: B
    assert (row["grade"], row["score"]) == ("B", 3)
    # latest follow-up 2024-05-15 (王总监出差,下周三返回): next action due 2024-05-22
    assert row["next_due"] == "2024-05-22" and row["overdue_days"] == 0
    call = [f for f in demo_book.followups_of("粤IT2024001") if str(f.at).startswith("2024-05-10")]
    assert len(call) == 1 and call[0].method == "phone" and "MES" in call[0].feedback


def test_as_of_fixes_today_and_today_overrides_it(run, demo_repo):
    assert str(load_settings(str(ROOT)).as_of) == "2024-05-20"
    result = run(demo_repo, "customers", "--format", "json")
    assert json.loads(result.output)["today"] == "2024-05-20"
    later = customers_json(run, demo_repo, "--today", "2024-05-25")
    assert later["粤IT2024001"]["overdue_days"] == 3  # due 2024-05-22
    env_later = run(demo_repo, "customers", "--format", "json", env={"DEALBOOK_TODAY": "2024-05-25"})
    assert json.loads(env_later.output)["today"] == "2024-05-25"


def test_demo_agenda_has_overdue_today_and_this_week(run, demo_repo):
    result = run(demo_repo, "agenda", "--format", "json")
    assert result.exit_code == 0, result.output
    groups = Counter(item["group"] for item in json.loads(result.output)["items"])
    assert groups["overdue"] >= 5 and groups["today"] >= 2 and groups["week"] >= 3


def test_a_monday_agenda_is_a_plausible_day(run, demo_repo):
    """The manager reviewed every lead within 48 hours except Friday evening's (so Monday shows one
    review a day late), and approves a discount this week; no rep has more than 7 overdue items."""
    def items(owner: str) -> list[dict]:
        result = run(demo_repo, "agenda", "--owner", owner, "--format", "json")
        assert result.exit_code == 0, result.output
        return json.loads(result.output)["items"]

    chen = items("chen")
    # the discount chen is to approve (a quote below the margin floor, dated 2024-05-15) is on chen's own agenda
    assert [(i["kind"], i["group"], i["customer_id"], i["overdue_days"]) for i in chen if i["group"] == "overdue"] == [
        ("quote_approval", "overdue", "渝MF2024001", 5), ("lead_review", "overdue", "沪TR2024002", 1)]
    assert ("help_due", "苏MF2024003") in {(i["kind"], i["customer_id"]) for i in chen}
    for rep in ("zhang", "li", "wang", "zhao"):
        overdue = [i for i in items(rep) if i["group"] == "overdue"]
        assert 1 <= len(overdue) <= 7, (rep, overdue)
        assert not [i for i in overdue if i["kind"] == "help_due" and i["overdue_days"] > 14], rep


def test_leads_carry_priorities_plans_and_reviews(run, demo_repo, demo_book):
    """Leads show the intake steps: a priority set by hand, a plan the owner wrote, the manager's review."""
    leads = [c for c in demo_book.customers.values() if c.stage == "lead"]
    priorities = {c.id: (c.data.get("lead") or {}).get("priority") for c in leads}
    assert {priorities["鄂MF2024001"], priorities["苏MF2024007"], priorities["沪TR2024002"]} == {"A", "B", "C"}
    assert sum(bool((c.data.get("lead") or {}).get("plan")) for c in leads) >= 2
    assert sum(c.review is not None and c.review.result == "ok" for c in leads) == len(leads) - 1
    # the newest lead (Friday 16:40, priority C) is due for its planned call on Monday at 10:00
    wang = json.loads(run(demo_repo, "agenda", "--owner", "wang", "--format", "json").output)["items"]
    planned = [i for i in wang if i["customer_id"] == "沪TR2024002"]
    assert [(i["kind"], i["group"], i["due"]) for i in planned] == [("next_action", "today", "2024-05-20")]


def test_demo_has_lost_won_and_after_sales_details(demo_book):
    customers = demo_book.customers.values()
    for customer in customers:
        if customer.stage in ("won", "after_sales"):
            assert customer.get("contracts"), customer.id
        if customer.stage == "after_sales":
            assert all(c.get("delivered") for c in customer.get("contracts")), customer.id
    unanswered = [f.outcome for f in demo_book.followups_of("鲁MF2024002")][-3:]
    assert unanswered == ["no_answer"] * 3
    latest = demo_book.followups_of("苏MF2024002")[-1]
    assert "competitor" in latest.objections


def test_demo_shows_quotes_contracts_payments_and_churn(demo_book, demo_repo, run):
    from dealbook.records.deals import deal_desk, needs_margin_approval, quotes_of

    desk = deal_desk(demo_book.settings)
    awaiting = [c.id for c in demo_book.customers.values()
                if any(q.is_draft and needs_margin_approval(q, desk) for q in quotes_of(c.data))]
    assert awaiting == ["渝MF2024001"]
    payments = [p for c in demo_book.customers.values() for k in c.contracts for p in k.payments]
    assert any(p.received_on for p in payments) and any(p.received_on is None for p in payments)
    churned = [c.id for c in demo_book.customers.values() if c.lost_reason == "churn"]
    assert churned == ["桂MF2023003"]
    kinds = {item["kind"] for item in json.loads(run(demo_repo, "agenda", "--all", "--format", "json").output)["items"]}
    assert {"quote_expired", "quote_approval", "instalment_overdue", "instalment_due", "renewal_due",
            "guide_handover", "delivery", "after_sales"} <= kinds


def _settings_examples() -> list[str]:
    """The full `dealbook.yaml` examples of the settings guide (blocks that start `# dealbook.yaml`)."""
    text = (ROOT / "site" / "guide" / "settings.md").read_text(encoding="utf-8")
    blocks = [b.split("```", 1)[0] for b in text.split("```yaml\n")[1:]]
    return [b for b in blocks if b.startswith("# dealbook.yaml")]


def test_settings_guide_examples_are_valid_settings(repo, run):
    examples = _settings_examples()
    assert len(examples) == 3  # the demo's file, seed 002's seven stages, seed 003's four stages
    for example in examples:
        repo.settings(example)
        result = run(repo, "check", "--format", "json")
        assert result.exit_code == 0, (example, result.output)
        assert json.loads(result.output)["diagnostics"] == [], example


def _transitions_paragraph(page: Path) -> str:
    text = page.read_text(encoding="utf-8")
    start = text.index("allow_backward")
    return text[start:text.index("###", start)]


def test_settings_guide_names_the_moves_check_allows_out_of_a_won_stage(repo, run):
    """A won customer who stops working with us moves to lost (churn): the check allows it, and the
    transitions paragraph of the settings guide, in both languages, says so rather than forbidding it."""
    history = [{"stage": "lead", "on": "2024-01-05"}, {"stage": "won", "on": "2024-02-01"},
               {"stage": "lost", "on": "2024-05-08"}]
    contract = {"no": "HT-1", "amount": 100000, "signed": "2024-02-01"}
    repo.settings("as_of: 2024-05-20\ndeal_desk: {contract_steps: []}\n")
    repo.customer(stage="lost", stage_history=history, contracts=[contract], lost={"reason": "churn"})
    assert run(repo, "check").exit_code == 0
    repo.customer(stage="lost", stage_history=history, contracts=[contract], lost={"reason": "budget"})
    assert "churn-reason" in run(repo, "check").output
    english = _transitions_paragraph(ROOT / "site" / "guide" / "settings.md")
    chinese = _transitions_paragraph(ROOT / "site" / "guide" / "zh" / "settings.md")
    assert "Never allowed: a won stage" not in english and "`lost.reason: churn`" in english
    assert "始终不允许:成交类阶段" not in chinese and "`lost.reason: churn`" in chinese


def test_editing_guide_says_move_churns_a_won_customer_rather_than_refusing(repo, run):
    """`dealbook move ID lost` from a won stage writes reason churn; the editing guide, in both
    languages, lists only another reason as refused, not the move itself."""
    repo.settings("as_of: 2024-05-20\ndeal_desk: {contract_steps: []}\n")
    history = [{"stage": "lead", "on": "2024-01-05"}, {"stage": "won", "on": "2024-02-01"}]
    repo.customer(stage="won", stage_history=history,
                  contracts=[{"no": "HT-1", "amount": 100000, "signed": "2024-02-01"}])
    assert run(repo, "move", "粤IT2024001", "lost", "--reason", "budget").exit_code != 0
    result = run(repo, "move", "粤IT2024001", "lost", "--note", "停止合作", "--on", "2024-05-20")
    assert result.exit_code == 0, result.output
    assert "reason: churn" in (repo.root / "records" / "customers" / "粤IT2024001.yaml").read_text(encoding="utf-8")
    english = (ROOT / "site" / "guide" / "editing.md").read_text(encoding="utf-8")
    chinese = (ROOT / "site" / "guide" / "zh" / "editing.md").read_text(encoding="utf-8")
    assert "losing a deal that is already won" not in english and "for any reason but `churn`" in english
    assert "把已经成交的商机改为流失" not in chinese and "以 `churn` 以外的原因流失" in chinese


def test_four_stage_example_schedules_by_stage(repo, run):
    repo.settings(_settings_examples()[2] + "as_of: 2024-05-20\n")
    repo.customer(stage="intent", need={"summary": "MES"},
                  stage_history=[{"stage": "potential", "on": "2024-01-05"}, {"stage": "intent", "on": "2024-02-01"}])
    repo.followup("粤IT2024001", "2024-05-10 14:00", contact="王总监")
    assert run(repo, "check").exit_code == 0
    row = customers_json(run, repo)["粤IT2024001"]
    assert row["next_due"] == "2024-05-13"  # intent: every 3 days after 2024-05-10
