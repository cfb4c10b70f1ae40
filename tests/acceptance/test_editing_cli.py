"""The editing commands end to end: new, log, move, set keep files intact and refuse bad edits."""

from __future__ import annotations

import datetime as dt
import json
import re

import pytest
import yaml
from conftest import TEAM, changed_lines, customer_data

CID = "粤IT2024001"
PATH = f"records/customers/{CID}.yaml"

# A hand-written record: comments, a blank line, flush and indented lists, flow items, quoting.
HAND = f"""\
# yaml-language-server: $schema=../../schemas/customer.schema.json
# A科技 — met at the Shenzhen expo
id: {CID}
name: "A科技有限公司"    # 营业执照全称
industry: C3970 电子器件制造
region: 广东 深圳
source: {{channel: trade_show, detail: 2024 深圳高交会}}
lead_type: prospect
owner: zhang

created: 2024-01-05
contacts:
- name: 王总监
  title: 技术总监
  role: decision_maker
  phone: 0755-8888-1234   # 座机
  phone_kind: work
need:
    summary: 质检效率低,需要视觉检测
    budget: {{status: undetermined}}
stage: discovery
stage_history:
  - {{stage: lead, on: 2024-01-05}}
  - {{stage: discovery, on: 2024-02-01}}
# end of record
"""

NEW_ARGS = ["new", "customer", "--name", "A科技有限公司", "--industry", "C3970", "--region", "广东 深圳",
            "--owner", "zhang", "--channel", "trade_show", "--source-detail", "2024 深圳高交会",
            "--contact", "王总监,技术总监,decision_maker,0755-88881234", "--no-interactive"]


def read(repo, relative: str) -> str:
    return (repo.root / relative).read_text(encoding="utf-8")


def files(repo) -> dict[str, bytes]:
    return {str(p.relative_to(repo.root)): p.read_bytes() for p in (repo.root / "records").rglob("*") if p.is_file()}


def assert_clean(run, repo) -> None:
    result = run(repo, "check", "--format", "json")
    errors = [d for d in json.loads(result.output)["diagnostics"] if d["severity"] == "error"]
    assert errors == [], result.output
    assert result.exit_code == 0


# --- new customer ------------------------------------------------------------------------------


def test_new_customer_writes_template_and_passes_check(run, repo):
    result = run(repo, *NEW_ARGS, "--created", "2024-05-20 14:30", "--priority", "A")
    assert result.exit_code == 0, result.output
    assert result.output.strip() == PATH
    assert read(repo, PATH) == (
        "# yaml-language-server: $schema=../../schemas/customer.schema.json\n"
        f"id: {CID}\n"
        "name: A科技有限公司\n"
        "industry: C3970\n"
        "region: 广东 深圳\n"
        "source:\n"
        "  channel: trade_show\n"
        "  detail: 2024 深圳高交会\n"
        "owner: zhang\n"
        "created: 2024-05-20 14:30\n"
        "lead:\n"
        "  priority: A\n"
        "contacts:\n"
        "  - name: 王总监\n"
        "    title: 技术总监\n"
        "    role: decision_maker\n"
        "    phone: 0755-88881234\n"
        "    phone_kind: office\n"
        "stage: lead\n"
        "stage_history:\n"
        "  - stage: lead\n"
        "    on: 2024-05-20\n"
    )
    assert_clean(run, repo)


def test_new_customer_records_the_time_of_acquisition_and_its_priority_sets_the_deadline(run, repo):
    import re

    result = run(repo, *NEW_ARGS)  # no --created: now, to the minute, on the pinned day
    assert result.exit_code == 0, result.output
    assert re.search(r"^created: 2024-05-20 \d\d:\d\d$", read(repo, PATH), re.M)
    assert "lead:" not in read(repo, PATH)  # no priority given, none derived: the grade decides
    at = NEW_ARGS.index("--channel")
    referral = [*NEW_ARGS[:at], "--channel", "referral", *NEW_ARGS[at + 2:]]
    path = run(repo, *referral, "--created", "2024-05-20 22:15").output.strip()
    due = json.loads(run(repo, "show", path.split("/")[-1][:-5], "--format", "json").output)["due"]
    # referral → priority A (intake.priority): 24 h from 22:15, across midnight
    assert due["date"] == "2024-05-21" and due["kind"] == "first_response"
    assert due["reason"] == "新线索(A类,按来源渠道):24 小时内首次响应,截至 2024-05-21 22:15"
    asked = run(repo, *NEW_ARGS[:-1], "--created", "2024-05-20 09:00", "--interactive", input="B\n")
    assert asked.exit_code == 0, asked.output
    assert "线索优先级 A/B/C(首次响应时限 A 24 h / B 48 h / C 72 h" in asked.output  # zh
    assert "priority: B" in read(repo, asked.output.strip().splitlines()[-1])
    bad = run(repo, *NEW_ARGS, "--created", "2024-05-20 25:00")
    assert bad.exit_code == 2 and "`2024-05-20 25:00` 不是日期或时间:请写成 YYYY-MM-DD 或" in bad.output  # zh


def test_ids_follow_the_sequence(run, repo):
    repo.customer("粤IT2024007")
    repo.customer("粤IT2023009", created="2023-02-01", stage_history=[{"stage": "lead", "on": "2023-02-01"}])
    assert run(repo, *NEW_ARGS).stdout.strip() == "records/customers/粤IT2024008.yaml"
    assert run(repo, *NEW_ARGS).stdout.strip() == "records/customers/粤IT2024009.yaml"
    out = run(repo, *NEW_ARGS, "--created", "2023-06-01").stdout.strip()
    assert out == "records/customers/粤IT2023010.yaml"
    out = run(repo, *NEW_ARGS, "--province", "京", "--industry-letters", "SW").stdout.strip()
    assert out == "records/customers/京SW2024001.yaml"
    assert_clean(run, repo)


def test_a_new_or_renamed_customer_that_looks_like_another_is_warned_about_as_it_is_written(run, repo):
    """Before: `new customer` wrote a second 深圳华辰精密电子 with no word, and only a later check
    (or the pre-commit hook) said it looked like the first. The warning now comes with the write
    (the record is written: a look-alike may be another company); an edit that leaves the name as it
    was does not repeat it."""
    repo.customer("粤IT2024005", name="深圳华辰精密电子有限公司")
    result = run(repo, *[a if a != "A科技有限公司" else "深圳华辰精密电子有限公司" for a in NEW_ARGS])
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == "records/customers/粤IT2024006.yaml"  # written, its path on stdout as always
    assert ("warning likely-duplicate: `深圳华辰精密电子有限公司` 与 粤IT2024005 `深圳华辰精密电子有限公司` "
            "很像(相似度 100)") in result.stderr
    again = run(repo, "set", "粤IT2024006", "tags=重点")
    assert again.exit_code == 0 and "likely-duplicate" not in again.output
    repo.customer("粤IT2024007", name="广州天河软件有限公司")
    renamed = run(repo, "set", "粤IT2024007", "name=深圳华辰精密电子有限公司", "--dry-run")
    assert "warning likely-duplicate" in renamed.stderr and "粤IT2024007.yaml" in renamed.stderr


def test_new_customer_refuses_to_overwrite(run, repo):
    repo.customer(CID)
    before = files(repo)
    result = run(repo, *NEW_ARGS, "--id", CID)
    assert result.exit_code == 1
    assert "records/customers/粤IT2024001.yaml 已存在:dealbook 从不覆盖已有的记录" in result.output  # zh
    assert files(repo) == before


def test_new_customer_refusing_an_id_names_its_yml_file(run, repo):
    """Before: with records/customers/<id>.yml in the repo, `new customer --id <id>` said that
    <id>.yaml already exists, a file that is not there; it names the file that is."""
    repo.write(f"records/customers/{CID}.yml", customer_data(CID))
    repo.git_init()
    repo.commit("a .yml customer")
    before = files(repo)
    result = run(repo, *NEW_ARGS, "--id", CID)
    assert result.exit_code == 1
    assert f"records/customers/{CID}.yml 已存在:dealbook 从不覆盖已有的记录" in result.output, result.output
    assert f"{CID}.yaml" not in result.output
    assert files(repo) == before


def test_new_customer_refuses_invalid_record(run, repo):
    before = files(repo)
    result = run(repo, *[a if a != "zhang" else "wang" for a in NEW_ARGS])
    assert result.exit_code == 1
    assert "unknown-member" in result.output and "没有写入任何内容" in result.output  # nothing was written (zh)
    assert files(repo) == before


def test_new_customer_refuses_private_mobile(run, repo):
    args = [a if not a.startswith("王总监") else "王总监,技术总监,decision_maker,13800138000,im" for a in NEW_ARGS]
    result = run(repo, *args)
    assert result.exit_code == 1 and "privacy-mobile" in result.output
    assert not (repo.root / PATH).exists()


def test_new_customer_bad_province_and_missing_flags(run, repo):
    result = run(repo, *NEW_ARGS, "--province", "广东")
    assert result.exit_code == 2 and "广东 应写作 粤" in result.output  # the team's language (zh)
    result = run(repo, "new", "customer", "--name", "X", "--no-interactive")
    assert result.exit_code == 2 and "缺少 --industry, --owner, --channel, --contact(" in result.output  # zh
    assert not (repo.root / "records/customers").exists()


def test_new_customer_prompts_when_interactive(run, repo):
    answers = "B公司\nI6510\n北京 海淀\nli\nreferral\n赵经理,采购经理,influencer\n\n"  # priority: as derived
    result = run(repo, "new", "customer", "--interactive", input=answers)
    assert result.exit_code == 0, result.output
    assert "留空:按线索类型或来源为 A" in result.output  # referral → A (intake.priority); the team's language (zh)
    assert "来源渠道(trade_show 展会, " in result.output and "Source channel" not in result.output
    text = read(repo, "records/customers/京IT2024001.yaml")
    assert "name: B公司\n" in text and "owner: li\n" in text and "  - name: 赵经理\n" in text
    assert "priority" not in text
    assert_clean(run, repo)


def test_new_customer_dry_run_writes_nothing(run, repo):
    result = run(repo, *NEW_ARGS, "--dry-run")
    assert result.exit_code == 0
    assert f"+id: {CID}" in result.output and "试运行:将修改 1 个文件;没有写入任何内容" in result.output
    assert not (repo.root / PATH).exists()


# --- log / new followup ---------------------------------------------------------------------------


def test_log_writes_followup_and_suffixes_taken_names(run, repo):
    repo.write(PATH, HAND)
    args = ["log", CID, "--method", "phone", "--contact", "王总监", "--summary", "反馈精度测试数据",
            "--next", "与王总监预约现场对接@2024-05-24", "--at", "2024-05-20 14:00", "--by", "zhang"]
    result = run(repo, *args)
    assert result.exit_code == 0, result.output
    assert result.output.strip() == f"records/followups/{CID}/2024-05-20-1400.yaml"
    assert read(repo, f"records/followups/{CID}/2024-05-20-1400.yaml") == (
        "# yaml-language-server: $schema=../../../schemas/followup.schema.json\n"
        f"customer: {CID}\n"
        "at: 2024-05-20 14:00\n"
        "method: phone\n"
        "by: zhang\n"
        "contact: 王总监\n"
        "summary: 反馈精度测试数据\n"
        "next:\n"
        "  - action: 与王总监预约现场对接\n"
        "    due: 2024-05-24\n"
    )
    second = run(repo, "new", "followup", CID, "-m", "visit", "-c", "王总监", "-s", "现场", "--outcome", "missed",
                 "--at", "2024-05-20 14:00", "--by", "li", "--next", "补充方案@2024-05-27@zhang")
    assert second.output.strip() == f"records/followups/{CID}/2024-05-20-1400-2.yaml"
    text = read(repo, f"records/followups/{CID}/2024-05-20-1400-2.yaml")
    assert "outcome: missed\n" in text and "    owner: zhang\n" in text
    third = run(repo, "log", CID, "-s", "三", "--at", "2024-05-20 14:00", "--by", "li")
    assert third.output.strip().endswith("2024-05-20-1400-3.yaml")
    assert read(repo, PATH) == HAND  # the customer file is untouched
    assert_clean(run, repo)


def test_log_default_time_uses_today_and_by_from_git(run, repo):
    repo.write(PATH, HAND)
    repo.git_init()
    repo.git("config", "user.email", "Li@Example.com")
    result = run(repo, "--today", "2024-06-03", "log", CID, "-s", "电话")
    assert result.exit_code == 0, result.output
    written = result.output.strip()
    assert re.fullmatch(rf"records/followups/{CID}/2024-06-03-\d{{4}}\.yaml", written)
    text = read(repo, written)
    assert "by: li\n" in text and re.search(r"^at: 2024-06-03 \d\d:\d\d$", text, re.M)


def test_log_without_known_author_is_a_usage_error(run, repo):
    repo.write(PATH, HAND)
    repo.git_init()  # user.email test@example.com is not on the team
    result = run(repo, "log", CID, "-s", "电话")
    assert result.exit_code == 2 and "需要给出 --by:git 的 user.email(test@example.com)" in result.output  # zh
    assert not (repo.root / "records/followups").exists()


@pytest.mark.parametrize(
    ("extra", "message"),
    [(["--by", "wang"], "unknown-member"), (["--next", "明天再打"], "ACTION@YYYY-MM-DD"),
     (["--at", "2024-05-20"], "不是时间"), (["--next", "x@2024-02-30"], "bad-date")],
)
def test_log_refusals_write_nothing(run, repo, extra, message):
    repo.write(PATH, HAND)
    base = ["log", CID, "-s", "电话", "--at", "2024-05-20 14:00", "--by", "zhang"]
    args = base[:-2] + extra if extra[0] == "--by" else base + extra
    result = run(repo, *args)
    assert result.exit_code != 0
    assert message in result.output
    assert not (repo.root / "records/followups").exists()


def test_log_unknown_customer(run, repo):
    repo.write(PATH, HAND)
    result = run(repo, "log", "粤IT2024002", "-s", "x", "--by", "zhang")
    assert result.exit_code == 1 and "你要找的是不是 粤IT2024001" in result.output


# --- move -----------------------------------------------------------------------------------------


def test_move_keeps_comments_and_layout(run, repo):
    repo.write(PATH, HAND)
    result = run(repo, "move", CID, "proposal", "--on", "2024-05-20", "--set", "need.budget.status=partial")
    assert result.exit_code == 0, result.output
    after = read(repo, PATH)
    assert changed_lines(HAND, after) == (
        ["    budget: {status: undetermined}", "stage: discovery"],
        ["    budget: {status: partial}", "stage: proposal", "  - {stage: proposal, on: 2024-05-20}"],
    )
    assert after.endswith("  - {stage: proposal, on: 2024-05-20}\n# end of record\n")
    assert_clean(run, repo)


def test_move_to_lost_needs_a_reason(run, repo):
    repo.write(PATH, HAND)
    result = run(repo, "move", CID, "lost")
    assert result.exit_code == 2 and "转到 lost 需要 --reason,可选:budget | competitor" in result.output  # zh
    assert read(repo, PATH) == HAND
    result = run(repo, "move", CID, "lost", "--reason", "budget", "--note", "预算冻结")
    assert result.exit_code == 0, result.output
    removed, added = changed_lines(HAND, read(repo, PATH))
    assert removed == ["stage: discovery"]
    assert added == ["stage: lost", "  - {stage: lost, on: 2024-05-20}", "lost:", "    reason: budget",
                     "    note: 预算冻结", "    on: 2024-05-20"]
    assert_clean(run, repo)


def test_move_backwards_is_refused(run, repo):
    repo.write(PATH, HAND)
    result = run(repo, "move", CID, "lead")
    assert result.exit_code == 1
    assert "不允许从 `discovery` 退回到 `lead`" in result.output  # the check's reason, in the team's language
    assert read(repo, PATH) == HAND


def test_move_refuses_unmet_requirement_and_past_date(run, repo):
    repo.write(PATH, HAND)
    result = run(repo, "move", CID, "negotiation")
    assert result.exit_code == 1
    assert "阶段 `negotiation` 要求填写 `deal.amount`" in result.output and "提示:" in result.output  # the hint, in zh
    result = run(repo, "move", CID, "proposal", "--on", "2024-01-10", "--set", "need.budget.status=clear")
    assert result.exit_code == 1 and "2024-01-10 早于上一次阶段变更(2024-02-01)" in result.output  # zh
    result = run(repo, "move", CID, "nowhere")
    assert result.exit_code == 2 and "未知的阶段 `nowhere`" in result.output  # zh
    assert read(repo, PATH) == HAND


def test_move_to_won_needs_a_contract_in_plain_integers(run, repo):
    repo.settings("as_of: 2024-05-20\ndeal_desk:\n  contract_steps: []\n")  # no approval steps here
    repo.write(PATH, HAND)
    assert run(repo, "move", CID, "won").exit_code == 2
    result = run(repo, "move", CID, "won", "--contract-no", "HT-2024-031", "--amount", "65万")
    assert result.exit_code == 2 and "请写 650000,而不是 `65万`" in result.output  # the team's language (zh)
    assert read(repo, PATH) == HAND
    result = run(repo, "move", CID, "won", "--contract-no", "HT-2024-031", "--amount", "650000",
                 "--signed", "2024-05-18")
    assert result.exit_code == 0, result.output
    after = read(repo, PATH)
    assert after.endswith("  - {stage: won, on: 2024-05-20}\ncontracts:\n- no: HT-2024-031\n  amount: 650000\n"
                          "  signed: 2024-05-18\n# end of record\n")
    assert_clean(run, repo)


def test_move_to_won_is_refused_until_the_contract_approvals_are_recorded(run, repo):
    repo.write(PATH, HAND)
    result = run(repo, "move", CID, "won", "--contract-no", "HT-2024-031", "--amount", "650000")
    assert result.exit_code == 1
    assert "contract-approval-missing" in result.output and "sales_head(销售主管审核)" in result.output  # zh
    assert read(repo, PATH) == HAND


APPROVERS = {"members": [
    *TEAM["members"],
    {"handle": "sun", "name": "孙立", "role": "legal", "email": "sun@example.com"},
    {"handle": "zhou", "name": "周敏", "role": "finance", "email": "zhou@example.com"},
    {"handle": "wu", "name": "吴建国", "role": "gm", "email": "wu@example.com"},
]}


def test_a_contract_is_approved_unsigned_and_the_move_to_won_signs_it(run, repo):
    repo.write("records/team.yaml", APPROVERS)
    repo.write(PATH, HAND)
    result = run(repo, "set", CID, "contracts=[{no: HT-2024-031, amount: 650000}]")
    assert result.exit_code == 0, result.output
    assert_clean(run, repo)  # a contract in approval is not yet a contract lacking its approvals
    waiting = [i for i in json.loads(run(repo, "agenda", "--format", "json").output)["items"]
               if i["kind"] == "contract_approval"]
    assert [(i["customer_id"], i["due"]) for i in waiting] == [(CID, "2024-05-20")]
    assert "HT-2024-031" in waiting[0]["reason"] and "sales_head" not in waiting[0]["reason"]  # the step's label
    shown = json.loads(run(repo, "show", CID, "--format", "json").output)
    assert [s["step"] for s in shown["contracts"][0]["missing_steps"]] == ["sales_head", "legal", "finance",
                                                                          "general_manager"]
    before = read(repo, PATH)
    result = run(repo, "move", CID, "won")
    assert result.exit_code == 1 and "contract-approval-missing" in result.output
    assert f"dealbook approve {CID} HT-2024-031" in result.output
    assert read(repo, PATH) == before
    for day, handle in enumerate(("chen", "sun", "zhou", "wu"), 14):
        result = run(repo, "approve", CID, "HT-2024-031", "--as", handle, "--on", f"2024-05-{day}")
        assert result.exit_code == 0, result.output
    assert run(repo, "approve", CID, "HT-2024-031", "--as", "zhang").exit_code != 0  # the owner never approves
    assert not [i for i in json.loads(run(repo, "agenda", "--format", "json").output)["items"]
                if i["kind"] == "contract_approval"]
    result = run(repo, "move", CID, "won", "--signed", "2024-05-19")
    assert result.exit_code == 0, result.output
    data = yaml.load(read(repo, PATH), Loader=yaml.BaseLoader)  # every scalar as written (`no` is no boolean)
    assert data["stage"] == "won"
    signed = [(c["no"], c["amount"], c["signed"]) for c in data["contracts"]]
    assert signed == [("HT-2024-031", "650000", "2024-05-19")]
    assert [a["by"] for a in data["contracts"][0]["approvals"]] == ["chen", "sun", "zhou", "wu"]
    assert_clean(run, repo)


def test_a_repeat_purchase_is_added_approved_and_signed_as_the_refused_move_to_won_says(run, repo):
    """An after-sales customer buying again: `move ID won` is a move back and refused, and the
    refusal says how to add the new contract and sign it instead. Before, there was no command
    for it: `set 'contracts.1=…'` said "there is no such item", and `set 'contracts=[…]'` replaced
    the signed contract with its payments and approvals."""
    repo.write("records/team.yaml", APPROVERS)
    steps = [{"step": s, "by": h, "on": "2024-05-10"}
             for s, h in (("sales_head", "chen"), ("legal", "sun"), ("finance", "zhou"), ("general_manager", "wu"))]
    first = {"no": "HT-1", "amount": 300000, "approvals": steps, "signed": "2024-02-01", "delivered": "2024-03-01"}
    repo.customer(need={"summary": "质检"}, stage="after_sales",
                  stage_history=[{"stage": "lead", "on": "2024-01-05"}, {"stage": "won", "on": "2024-02-01"},
                                 {"stage": "after_sales", "on": "2024-03-01"}],
                  contracts=[first])
    assert_clean(run, repo)
    before = read(repo, PATH)
    said = run(repo, "move", CID, "won")
    assert said.exit_code == 1 and read(repo, PATH) == before
    assert "没有写入任何内容。复购时客户仍停留在 `after_sales`:先用 " \
           f"`dealbook set {CID} 'contracts.1={{no: NO, amount: AMOUNT}}'` 添加合同" in " ".join(said.output.split())
    result = run(repo, "set", CID, "contracts.1={no: HT-2, amount: 200000}")
    assert result.exit_code == 0, result.output
    assert read(repo, PATH).startswith(before)  # added after what was there, nothing rewritten
    gap = run(repo, "set", CID, "contracts.3={no: HT-3, amount: 1}")
    assert gap.exit_code != 0 and "contracts 共有 2 项;`contracts.2=…` 会添加下一项" in gap.output
    for handle in ("chen", "sun", "zhou", "wu"):
        assert run(repo, "approve", CID, "HT-2", "--as", handle).exit_code == 0
    said = run(repo, "move", CID, "won", "--contract-no", "HT-2")
    assert said.exit_code == 1
    assert "复购时客户仍停留在 `after_sales`:用 " \
           f"`dealbook set {CID} contracts.1.signed=YYYY-MM-DD` 签署合同 HT-2" in " ".join(said.output.split())
    assert run(repo, "set", CID, "contracts.1.signed=2024-05-18").exit_code == 0
    assert_clean(run, repo)
    data = yaml.load(read(repo, PATH), Loader=yaml.BaseLoader)
    signed = [(c["no"], c.get("signed"), len(c["approvals"])) for c in data["contracts"]]
    assert (data["stage"], signed) == ("after_sales", [("HT-1", "2024-02-01", 4), ("HT-2", "2024-05-18", 4)])


def test_a_won_customer_needs_a_signed_contract(run, repo):
    repo.write(PATH, HAND.replace("stage: discovery", "stage: won") + "contracts:\n  - no: HT-9\n    amount: 1000\n")
    result = run(repo, "check", "--format", "json")
    codes = [d["code"] for d in json.loads(result.output)["diagnostics"]]
    assert "contract-unsigned" in codes


def test_an_unsigned_contract_hint_says_what_works_in_the_customers_stage(run, repo):
    """`contract-unsigned` told an after-sales customer to sign with `dealbook move ID won`, a move
    back that is refused; there, and for a customer already in `won` (where the move says "already
    at stage won"), the contract is signed with `dealbook set`, as the refused move itself says."""
    repo.write("records/team.yaml", APPROVERS)
    steps = [{"step": s, "by": h, "on": "2024-01-20"}
             for s, h in (("sales_head", "chen"), ("legal", "sun"), ("finance", "zhou"), ("general_manager", "wu"))]
    history = [{"stage": "lead", "on": "2024-01-05"}, {"stage": "won", "on": "2024-02-01"}]

    def unsigned() -> str:
        found = [d["message"] for d in json.loads(run(repo, "check", "--format", "json").output)["diagnostics"]
                 if d["code"] == "contract-unsigned"]
        assert len(found) == 1
        return found[0]

    repo.customer(need={"summary": "质检"}, stage="after_sales",
                  stage_history=[*history, {"stage": "after_sales", "on": "2024-03-01"}],
                  contracts=[{"no": "HT-1", "amount": 300000, "approvals": steps, "delivered": "2024-03-01"}])
    said = unsigned()
    # in the team's language (zh): "…审批完成后,用 `dealbook set …` 签署合同 HT-1"
    assert said.endswith(f"用 `dealbook set {CID} contracts.0.signed=YYYY-MM-DD` 签署合同 HT-1"), said
    assert "dealbook move" not in said
    refused = run(repo, "move", CID, "won", "--contract-no", "HT-1", "--signed", "2024-02-01")
    assert refused.exit_code == 1 and f"`dealbook set {CID} contracts.0.signed=YYYY-MM-DD`" in refused.output
    assert run(repo, "set", CID, "contracts.0.signed=2024-02-01").exit_code == 0
    assert_clean(run, repo)

    repo.customer(need={"summary": "质检"}, stage="won", stage_history=history,
                  contracts=[{"no": "HT-1", "amount": 300000, "approvals": steps}])
    said = unsigned()
    assert f"`dealbook move {CID} won --contract-no NO --signed YYYY-MM-DD`" in said
    assert f"已处于 `won` 的,用 `dealbook set {CID} contracts.0.signed=YYYY-MM-DD` 签署合同 HT-1" in said
    assert "已经处于阶段 won" in run(repo, "move", CID, "won", "--contract-no", "HT-1").output
    assert run(repo, "set", CID, "contracts.0.signed=2024-02-01").exit_code == 0
    assert_clean(run, repo)


def test_move_dry_run_shows_diff(run, repo):
    repo.write(PATH, HAND)
    result = run(repo, "move", CID, "lost", "--reason", "timing", "--dry-run")
    assert result.exit_code == 0
    assert "-stage: discovery\n+stage: lost\n" in result.output
    assert read(repo, PATH) == HAND


# --- set ------------------------------------------------------------------------------------------


def test_set_fields_changes_only_their_lines(run, repo):
    repo.write(PATH, HAND)
    result = run(repo, "set", CID, "need.budget.min=500000", "owner=li", "name=A科技股份有限公司", "tags=重点,复购")
    assert result.exit_code == 0, result.output
    assert "已修改 1 个文件:" in result.output
    after = read(repo, PATH)
    removed, added = changed_lines(HAND, after)
    assert removed == ['name: "A科技有限公司"    # 营业执照全称', "owner: zhang", "    budget: {status: undetermined}"]
    assert added == ['name: "A科技股份有限公司"    # 营业执照全称', "owner: li",
                     "    budget: {status: undetermined, min: 500000}", "tags:", "- 重点", "- 复购"]
    assert_clean(run, repo)


def test_set_and_move_keep_a_crlf_files_line_endings(run, repo):
    crlf = HAND.replace("\n", "\r\n")
    (repo.root / PATH).parent.mkdir(parents=True, exist_ok=True)
    (repo.root / PATH).write_bytes(crlf.encode("utf-8"))
    result = run(repo, "set", CID, "owner=li", "tags=重点")
    assert result.exit_code == 0, result.output
    raw = (repo.root / PATH).read_bytes().decode("utf-8")
    assert raw.count("\n") == raw.count("\r\n"), "every line still ends in CRLF"
    removed, added = changed_lines(crlf.replace("\r\n", "\n"), raw.replace("\r\n", "\n"))
    assert removed == ["owner: zhang"] and added == ["owner: li", "tags:", "- 重点"]
    result = run(repo, "move", CID, "proposal", "--set", "need.budget.status=partial", "--dry-run")
    assert "\r" not in result.output  # the diff shows lines, not carriage returns
    result = run(repo, "move", CID, "proposal", "--set", "need.budget.status=partial")
    assert result.exit_code == 0, result.output
    raw = (repo.root / PATH).read_bytes().decode("utf-8")
    assert raw.count("\n") == raw.count("\r\n") and "stage: proposal\r\n" in raw
    assert_clean(run, repo)


@pytest.mark.parametrize(
    ("assignment", "message", "code"),
    [("need.budget.min=65万", "请写 650000,而不是 `65万`", 2),  # in the team's language (zh)
     ("need.budget.status=maybe", "这里不能填 `maybe`", 1),  # the check's message, in the team's language
     ("owner=wang", "unknown-member", 1),
     ("stage=won", "dealbook move", 2),
     ("colour=red", "未知字段 `colour`", 2),
     ("created=2024-13-01", "不是真实存在的日期", 1)],
)
def test_set_refusals_write_nothing(run, repo, assignment, message, code):
    repo.write(PATH, HAND)
    result = run(repo, "set", CID, assignment)
    assert result.exit_code == code
    assert message in result.output
    assert read(repo, PATH) == HAND


def test_bulk_reassign_asks_then_writes(run, repo):
    repo.customer("粤IT2024001")
    repo.customer("粤IT2024002")
    repo.customer("粤IT2024003", owner="li")
    before = files(repo)
    result = run(repo, "set", "--where", "owner=zhang", "owner=chen", input="n\n")
    assert "-owner: zhang\n+owner: chen\n" in result.output and "写入 2 个文件?" in result.output
    assert files(repo) == before
    result = run(repo, "set", "--where", "owner=zhang", "owner=chen", input="y\n")
    assert result.exit_code == 0
    changed = "已修改 2 个文件:\n  records/customers/粤IT2024001.yaml\n  records/customers/粤IT2024002.yaml\n"
    assert changed in result.output
    assert "owner: chen\n" in read(repo, "records/customers/粤IT2024002.yaml")
    assert "owner: li\n" in read(repo, "records/customers/粤IT2024003.yaml")
    result = run(repo, "set", "--where", "owner=li", "--where", "stage=lead", "owner=zhang", "--yes")
    assert result.exit_code == 0 and "已修改 1 个文件:" in result.output
    assert_clean(run, repo)


def test_bulk_refuses_all_when_one_file_would_break(run, repo):
    repo.customer("粤IT2024001")
    repo.customer("粤IT2024002", stage="negotiation", deal={"amount": 100},
                  stage_history=[{"stage": "lead", "on": "2024-01-05"}, {"stage": "negotiation", "on": "2024-02-01"}])
    before = files(repo)
    result = run(repo, "set", "--where", "owner=zhang", "deal=", "--replace", "--yes")
    assert result.exit_code == 1 and "要求填写 `deal.amount`" in result.output
    assert files(repo) == before


def test_move_updates_a_stage_label_comment(run, repo):
    repo.write(PATH, HAND.replace("stage: discovery\n", "stage: discovery  # 需求挖掘\n"))
    result = run(repo, "move", CID, "lost", "--reason", "no_need")
    assert result.exit_code == 0, result.output
    assert "\nstage: lost  # 流失\n" in read(repo, PATH)
    again = run(repo, "move", CID, "lost", "--reason", "no_need")
    assert again.exit_code == 1 and "已经处于阶段 lost;没有写入任何内容" in again.output


def test_log_edit_opens_editor_on_filled_template(run, repo, tmp_path):
    repo.write(PATH, HAND)
    script = tmp_path / "editor.py"
    script.write_text("import sys, pathlib\np = pathlib.Path(sys.argv[1])\n"
                      "p.write_text(p.read_text(encoding='utf-8').replace('TODO', '编辑器里写的'), encoding='utf-8')\n")
    import sys

    env = {"EDITOR": f"{sys.executable} {script}", "VISUAL": ""}
    result = run(repo, "log", CID, "--edit", "--at", "2024-05-20 09:30", "--by", "zhang", env=env)
    assert result.exit_code == 0, result.output
    text = read(repo, f"records/followups/{CID}/2024-05-20-0930.yaml")
    assert "summary: 编辑器里写的\n" in text and text.startswith("# yaml-language-server: $schema=")


def test_errors_the_file_already_had_do_not_block_an_edit(run, repo):
    repo.write(PATH, HAND + "bogus: 1\n")
    result = run(repo, "set", CID, "owner=li")
    assert result.exit_code == 0, result.output
    assert "unknown-key" in result.output  # shown, not blocking
    assert read(repo, PATH) == (HAND + "bogus: 1\n").replace("owner: zhang\n", "owner: li\n")


def test_log_asks_on_a_terminal(run, repo) -> None:
    """`dealbook log ID` with no --summary asks for the contact, summary, feedback and next steps."""
    import yaml as pyyaml

    repo.customer()
    answers = "\n".join(["王总监", "电话确认演示时间", "希望下周演示", "bad-step", "安排现场演示@2024-05-27", "", ""])
    result = run(repo, "--today", "2024-05-20", "log", "粤IT2024001", "--interactive", "--at", "2024-05-20 10:00",
                 "--by", "zhang", input=answers + "\n")
    assert result.exit_code == 0, result.output
    written = repo.root / "records/followups/粤IT2024001/2024-05-20-1000.yaml"
    data = pyyaml.safe_load(written.read_text(encoding="utf-8"))
    assert data["contact"] == "王总监" and data["summary"] == "电话确认演示时间"
    assert data["feedback"] == "希望下周演示"
    # (pyyaml reads the date as a date) — the malformed step was asked for again
    assert data["next"] == [{"action": "安排现场演示", "due": dt.date(2024, 5, 27)}]
    assert "ACTION@YYYY-MM-DD" in result.output
    assert run(repo, "check").exit_code == 0


def test_log_without_summary_off_a_terminal_is_a_usage_error(run, repo) -> None:
    repo.customer()
    result = run(repo, "log", "粤IT2024001", "--no-interactive", "--by", "zhang")
    assert result.exit_code == 2 and "需要给出 --summary(或用 --edit 在编辑器中填写)" in result.output  # zh
    assert not (repo.root / "records/followups").exists()


def test_move_to_won_refuses_a_contract_number_another_customer_uses(run, demo_repo):
    result = run(demo_repo, "move", "渝MF2024001", "won", "--contract-no", "HT-2024-0510", "--amount", "390000")
    assert result.exit_code == 1
    assert "duplicate-contract" in result.output and "鲁MF2024001.yaml" in result.output
