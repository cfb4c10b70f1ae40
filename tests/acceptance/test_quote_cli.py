"""`dealbook quote ID`: lines in, amounts, total and margin computed, written keeping the file's comments."""

from __future__ import annotations

import json

from dealbook.records.load import parse_text

PROPOSAL = {"stage": "proposal", "need": {"summary": "质检", "budget": {"status": "clear"}},
            "stage_history": [{"stage": "lead", "on": "2024-01-05"}, {"stage": "proposal", "on": "2024-05-01"}]}


def quotes(repo) -> list[dict]:
    text = (repo.root / "records/customers/粤IT2024001.yaml").read_text("utf-8")
    return parse_text(text).data["quotes"]


def test_a_quote_from_flags_gets_its_amounts_total_and_margin(run, repo) -> None:
    path = repo.customer(**PROPOSAL)
    path.write_text("# 客户档案:保留这行注释\n" + path.read_text("utf-8"), encoding="utf-8")
    result = run(repo, "quote", "粤IT2024001", "--no", "BJ-1", "--date", "2024-05-06", "--valid-days", "30",
                 "--line", "视觉检测工位|VX-200|2|120000|80000", "--line", "实施服务|20 人天|20|3000|1000",
                 "--delivery", "签约后6周", "--payment-terms", "3-6-1")
    assert result.exit_code == 0, result.output
    assert "合计 ¥300,000,毛利率 40.0%,有效期至 2024-06-05" in result.output
    assert quotes(repo) == [{
        "no": "BJ-1", "date": "2024-05-06", "valid_until": "2024-06-05",
        "lines": [{"item": "视觉检测工位", "spec": "VX-200", "quantity": 2, "unit_price": 120000, "amount": 240000,
                   "unit_cost": 80000},
                  {"item": "实施服务", "spec": "20 人天", "quantity": 20, "unit_price": 3000, "amount": 60000,
                   "unit_cost": 1000}],
        "total": 300000, "cost": 180000, "margin": 0.4, "delivery": "签约后6周", "payment_terms": "3-6-1"}]
    assert path.read_text("utf-8").startswith("# 客户档案:保留这行注释\n")
    assert json.loads(run(repo, "check", "--format", "json").output)["diagnostics"] == []


def test_below_the_floor_it_is_a_draft_awaiting_the_named_approvers(run, repo) -> None:
    repo.customer(**PROPOSAL)
    result = run(repo, "quote", "粤IT2024001", "--line", "工位|VX|1|100000", "--cost", "80000")
    assert result.exit_code == 0, result.output
    assert "毛利率 20.0%" in result.output and "报价保留为草稿,待(销售主管, 总经理)之一" in result.output
    written = quotes(repo)[0]
    assert (written["no"], written["status"], written["margin"]) == ("粤IT2024001-Q1", "draft", 0.2)
    assert run(repo, "check").exit_code == 0
    agenda = run(repo, "agenda", "--format", "json").output
    assert "quote_approval" in agenda


def test_an_approval_awaited_is_on_the_approvers_agenda_too(run, repo) -> None:
    """The manager who must approve a quote below the floor, or a contract's next step, finds it
    with `agenda --owner chen`, not only its owner; a rep who may not approve does not."""
    repo.customer(**PROPOSAL)
    assert run(repo, "quote", "粤IT2024001", "--line", "工位|VX|1|100000", "--cost", "80000").exit_code == 0

    def items(owner: str) -> list[tuple[str, list[str]]]:
        result = run(repo, "agenda", "--owner", owner, "--format", "json")
        assert result.exit_code == 0, result.output
        return [(i["kind"], i["who"]) for i in json.loads(result.output)["items"] if i["kind"].endswith("approval")]

    assert items("chen") == [("quote_approval", ["zhang", "chen"])]
    assert items("zhang") == [("quote_approval", ["zhang", "chen"])]
    assert items("li") == []
    assert run(repo, "approve", "粤IT2024001", "粤IT2024001-Q1", "--as", "chen").exit_code == 0
    assert items("chen") == []
    assert run(repo, "set", "粤IT2024001", "contracts=[{no: HT-1, amount: 100000}]").exit_code == 0
    assert items("chen") == [("contract_approval", ["zhang", "chen"])]  # sales_head: the manager's step
    assert run(repo, "approve", "粤IT2024001", "HT-1", "--as", "chen").exit_code == 0
    assert items("chen") == []  # legal is next: nobody in this team may give it but the owner must chase it
    assert items("zhang") == [("contract_approval", ["zhang"])]


def test_the_prompts_ask_for_lines(run, repo) -> None:
    repo.customer(**PROPOSAL)
    answers = "MES 许可\n200 工位\n1\n860000\n600000\n\n"
    result = run(repo, "quote", "粤IT2024001", "--interactive", input=answers)
    assert result.exit_code == 0, result.output
    line = quotes(repo)[0]["lines"][0]
    assert (line["item"], line["amount"], quotes(repo)[0]["margin"]) == ("MES 许可", 860000, 0.3023)


def test_bad_input_is_refused_and_nothing_is_written(run, repo) -> None:
    path = repo.customer(**PROPOSAL)
    before = path.read_text("utf-8")
    for args in (["--line", "只有名称"], ["--line", "工位|VX|1|12万"], ["--line", "工位|VX|x|1000"],
                 ["--line", "工位|VX|1|1000", "--cost", "500", "--margin", "0.5"], []):
        result = run(repo, "quote", "粤IT2024001", "--no-interactive", *args)
        assert result.exit_code != 0, args
        assert "Traceback" not in result.output
    assert "请写 120000,而不是 `12万`" in run(repo, "quote", "粤IT2024001", "--line", "工位|VX|1|12万").output
    assert path.read_text("utf-8") == before


def test_show_prints_needs_quotes_with_margin_and_approval_state_and_contracts_with_payments(run, demo_repo) -> None:
    text = run(demo_repo, "show", "渝MF2024001").output
    lines = [" ".join(line.split()) for line in text.splitlines()]
    assert "BJ-2024-0515 2024-05-15 草稿* ¥390,000 26.0% 2024-06-14 待 销售主管, 总经理 审批" in lines, text
    assert "预算 部分明确 (¥300,000–¥450,000)" in lines and "商机 ¥390,000,预计 2024-08-31 成交" in lines
    data = json.loads(run(demo_repo, "show", "粤LG2024002", "--format", "json").output)
    contract = data["contracts"][0]
    assert [(p["due"], p["outstanding"], p["overdue"]) for p in contract["payments"]] == [
        ("2024-05-05", 0, False), ("2024-07-05", 468000, False), ("2024-08-15", 78000, False)]
    assert [a["step"] for a in contract["approvals"]] == ["sales_head", "legal", "finance", "general_manager"]
    assert contract["missing_steps"] == [] and contract["received"] == 234000
    needs = json.loads(run(demo_repo, "show", "粤IT2024001", "--format", "json").output)["needs"]
    assert list(needs[0]) == ["need", "priority", "class", "solution", "value", "objections", "adjustments", "owner"]
    overdue = json.loads(run(demo_repo, "show", "鲁MF2024001", "--format", "json").output)
    assert [i["kind"] for i in overdue["deal_items"]] == ["instalment_overdue"]
    assert "已逾期" in run(demo_repo, "show", "鲁MF2024001").output


def test_an_approval_or_a_signature_dated_after_the_day_the_rules_run_for_is_not_there_yet(run, repo) -> None:
    """With --today set to a past day, what was recorded as given later does not count yet, as a
    receipt dated later does not: on 2024-06-21 a quote approved on 2024-06-22 still awaits its
    approval, a contract whose legal step came on 2024-06-22 still awaits it, and a contract signed
    on 2024-06-25 is in approval, not signed. Before, the agenda dropped both approvals and `show`
    listed the later approvals and signature as if they had been given."""
    quote = {"no": "BJ-1", "date": "2024-06-10", "status": "draft", "total": 100000, "cost": 80000,
             "approvals": [{"step": "margin", "by": "chen", "on": "2024-06-22"}]}
    steps = [{"step": "sales_head", "by": "chen", "on": "2024-06-12"},
             {"step": "legal", "by": "li", "on": "2024-06-22"}]
    repo.customer(**PROPOSAL, quotes=[quote], contracts=[{"no": "HT-1", "amount": 100000, "approvals": steps}])

    def waiting(day: str) -> list[tuple[str, str, str]]:
        result = run(repo, "--today", day, "agenda", "--format", "json")
        assert result.exit_code == 0, result.output
        return [(i["kind"], i["due"], i["reason"]) for i in json.loads(result.output)["items"]
                if i["kind"].endswith("approval")]

    before = waiting("2024-06-21")
    assert [(kind, due) for kind, due, _ in before] == [("quote_approval", "2024-06-10"),
                                                       ("contract_approval", "2024-06-12")]
    assert "待法务审核" in before[1][2]  # the next step is legal: the one given on 2024-06-22 is not in yet
    assert [kind for kind, _, _ in waiting("2024-06-22")] == ["contract_approval"]  # finance is next
    shown = json.loads(run(repo, "--today", "2024-06-21", "show", "粤IT2024001", "--format", "json").output)
    assert (shown["quotes"][0]["approval"], shown["quotes"][0]["approvals"]) == ("needed", [])
    contract = shown["contracts"][0]
    assert [a["step"] for a in contract["approvals"]] == ["sales_head"]
    assert [s["step"] for s in contract["missing_steps"]] == ["legal", "finance", "general_manager"]

    signed = [{"step": s, "by": h, "on": "2024-06-24"} for s, h in (("sales_head", "chen"), ("legal", "li"),
                                                                     ("finance", "li"), ("general_manager", "chen"))]
    repo.customer(**{**PROPOSAL, "stage": "won", "stage_history": [*PROPOSAL["stage_history"],
                                                                    {"stage": "won", "on": "2024-06-25"}]},
                  contracts=[{"no": "HT-1", "amount": 100000, "signed": "2024-06-25", "approvals": signed}])
    shown = json.loads(run(repo, "--today", "2024-06-21", "show", "粤IT2024001", "--format", "json").output)
    contract = shown["contracts"][0]
    assert (contract["signed"], contract["approvals"]) == (None, [])
    assert [s["step"] for s in contract["missing_steps"]] == ["sales_head", "legal", "finance", "general_manager"]
    assert [kind for kind, _, _ in waiting("2024-06-21")] == ["contract_approval"]
    shown = json.loads(run(repo, "--today", "2024-06-25", "show", "粤IT2024001", "--format", "json").output)
    assert (shown["contracts"][0]["signed"], shown["contracts"][0]["missing_steps"]) == ("2024-06-25", [])
    assert waiting("2024-06-25") == []


def test_an_approved_draft_quote_is_on_the_agenda_to_be_sent(run, repo) -> None:
    """Once a quote needs no approval any more it goes to the customer (报价单发送客户): a standing
    draft of an open deal is `quote_to_send`, due from its margin approval (else from its date),
    until it is marked sent. Before, an approved quote stayed a draft with nothing on the agenda,
    and its validity was not watched."""
    repo.customer(**PROPOSAL)
    assert run(repo, "quote", "粤IT2024001", "--date", "2024-05-06", "--line", "工位|VX|1|100000",
               "--cost", "80000").exit_code == 0

    def quote_items(*today: str) -> list[tuple[str, str, str]]:
        result = run(repo, *today, "agenda", "--format", "json")
        assert result.exit_code == 0, result.output
        return [(i["kind"], i["due"], i["reason"]) for i in json.loads(result.output)["items"]
                if i["kind"].startswith("quote")]

    assert [kind for kind, _, _ in quote_items()] == ["quote_approval"]
    assert run(repo, "approve", "粤IT2024001", "粤IT2024001-Q1", "--as", "chen", "--on", "2024-05-21").exit_code == 0
    assert [kind for kind, _, _ in quote_items()] == ["quote_approval"]  # 2024-05-20: not approved yet
    assert quote_items("--today", "2024-05-21") == [
        ("quote_to_send", "2024-05-21",
         "报价 粤IT2024001-Q1 已于 2024-05-21 审批通过:发送给客户,然后标记为已发送(status: sent)")]
    assert run(repo, "set", "粤IT2024001", "quotes.0.status=sent").exit_code == 0
    assert quote_items("--today", "2024-05-21") == []
    assert json.loads(run(repo, "check", "--format", "json").output)["diagnostics"] == []

    assert run(repo, "quote", "粤IT2024001", "--no", "BJ-2", "--date", "2024-05-15", "--draft",
               "--line", "工位|VX|1|100000", "--cost", "50000").exit_code == 0
    assert [(kind, due) for kind, due, _ in quote_items()] == [("quote_to_send", "2024-05-15")]
    assert run(repo, "move", "粤IT2024001", "lost", "--reason", "budget").exit_code == 0
    assert quote_items() == []  # a closed deal's quote asks for nothing


def test_a_quote_made_after_the_day_the_rules_run_for_does_not_stand_yet(run, repo) -> None:
    """On 2024-05-20 the quote sent 2024-05-01 (valid until 2024-05-10) had expired, and the new one
    dated 2024-05-25 was not made yet. Before, the later quote stood already: no expiry on the
    agenda, and `show` listed it as the standing quote."""
    old = {"no": "BJ-1", "date": "2024-05-01", "status": "sent", "valid_until": "2024-05-10", "total": 100000,
           "cost": 60000}
    new = {"no": "BJ-2", "date": "2024-05-25", "status": "sent", "valid_until": "2024-06-25", "total": 90000,
           "cost": 55000}
    repo.customer(**PROPOSAL, quotes=[old, new])

    def quote_items(day: str) -> list[tuple[str, str]]:
        result = run(repo, "--today", day, "agenda", "--format", "json")
        assert result.exit_code == 0, result.output
        return [(i["kind"], i["due"]) for i in json.loads(result.output)["items"] if i["kind"].startswith("quote")]

    assert quote_items("2024-05-20") == [("quote_expired", "2024-05-10")]
    shown = json.loads(run(repo, "--today", "2024-05-20", "show", "粤IT2024001", "--format", "json").output)
    assert [(q["no"], q["standing"]) for q in shown["quotes"]] == [("BJ-1", True)]
    assert quote_items("2024-05-26") == []  # BJ-2 stands from its day on, valid until 2024-06-25
    shown = json.loads(run(repo, "--today", "2024-05-26", "show", "粤IT2024001", "--format", "json").output)
    assert [(q["no"], q["standing"]) for q in shown["quotes"]] == [("BJ-2", True), ("BJ-1", False)]


def test_an_acceptance_dated_after_the_day_the_rules_run_for_has_not_happened_yet(run, repo) -> None:
    """`show --today 2024-06-21` listed the acceptance of 2024-06-30 as passed, beside a delivery of
    the same contract that it rightly showed as not yet made."""
    won = {**PROPOSAL, "stage": "won",
           "stage_history": [*PROPOSAL["stage_history"], {"stage": "won", "on": "2024-06-01"}]}
    contract = {"no": "HT-1", "amount": 100000, "signed": "2024-06-01", "delivered": "2024-06-25",
                "acceptance": {"criteria": "72 小时试运行", "result": "pass", "on": "2024-06-30"}}
    repo.customer(**won, contracts=[contract])

    def acceptance(day: str) -> dict:
        result = run(repo, "--today", day, "show", "粤IT2024001", "--format", "json")
        assert result.exit_code == 0, result.output
        return json.loads(result.output)["contracts"][0]["acceptance"]

    assert acceptance("2024-06-21") == {"criteria": "72 小时试运行", "result": None, "on": None}
    assert acceptance("2024-06-30") == {"criteria": "72 小时试运行", "result": "pass", "on": "2024-06-30"}
