"""`dealbook set` on lists and mappings that hold items, and on recorded facts (signed, received, lost, a
quote's answer): refused unless --replace, the diff always shown; a number as a key under custom."""

from __future__ import annotations

import pytest
import yaml

LU = "鲁MF2024001"  # the demo's won customer: contract HT-2024-0510, signed, approved, two instalments
LU_PATH = f"records/customers/{LU}.yaml"
CID = "粤IT2024001"
PATH = f"records/customers/{CID}.yaml"

# Two contacts, a comment on the list's key and one between the items, CRLF line endings.
TWO_CONTACTS = f"""\
# yaml-language-server: $schema=../../schemas/customer.schema.json
id: {CID}
name: A科技有限公司
industry: I6510
region: 广东 深圳
source: {{channel: trade_show, detail: 2024 深圳高交会}}
lead_type: prospect
owner: zhang
created: 2024-01-05
contacts:  # 联系人
  - name: 王总监
    title: 技术总监
    role: decision_maker
    phone: 0755-8888-1234
    phone_kind: work
  # 生产部
  - name: 李经理   # 新来的
    title: 生产经理
    role: user
    phone: 0755-8888-1235
    phone_kind: work
need:
  summary: 质检效率低
  budget: {{status: partial, min: 500000, max: 800000}}
tags: [重点]
stage: discovery
stage_history:
  - {{stage: lead, on: 2024-01-05}}
  - {{stage: discovery, on: 2024-02-01}}
"""


@pytest.fixture
def repo(repo):
    """The refusals' English words (test_cli_language has them in Chinese): an English team."""
    repo.settings("as_of: 2024-05-20\nlanguage: en\n")
    return repo


@pytest.fixture
def demo_repo(demo_repo):
    settings = demo_repo.root / "dealbook.yaml"
    settings.write_text(settings.read_text(encoding="utf-8").replace("language: zh\n", "language: en\n"),
                        encoding="utf-8")
    return demo_repo


def raw(repo, relative: str) -> bytes:
    return (repo.root / relative).read_bytes()


def test_replacing_the_contracts_of_a_won_customer_is_refused_naming_the_signed_contract(run, demo_repo):
    """Before: `contracts=[…]` replaced the signed contract, its approvals and its payments without a word
    (and when the new list passed the checks, it was written)."""
    assert run(demo_repo, "set", LU, "contracts.0.payments.0.received_on=2024-05-15").exit_code == 0
    before = raw(demo_repo, LU_PATH)
    result = run(demo_repo, "set", LU, "contracts=[{no: HT-2024-0510, amount: 320000, signed: 2024-05-10}]")
    assert result.exit_code == 1
    assert (f"{LU_PATH}:53:1: error replaces-items: `contracts` removes item 0 (no HT-2024-0510, "
            "signed 2024-05-10, 2 instalments, 1 received)") in result.output
    assert "--replace" in result.output and "nothing was written" in result.output
    assert "-      - step: sales_head\n" in result.output  # the diff shows what would go
    assert raw(demo_repo, LU_PATH) == before
    dry = run(demo_repo, "set", LU, "contracts=[]", "--dry-run")
    assert dry.exit_code == 1 and "replaces-items" in dry.output
    assert raw(demo_repo, LU_PATH) == before


def test_an_instalment_received_is_removed_only_with_replace(run, demo_repo):
    assert run(demo_repo, "set", LU, "contracts.0.payments.0.received_on=2024-05-15").exit_code == 0
    before = raw(demo_repo, LU_PATH)
    for value, said in (("", "removes it (due 2024-05-15, received 2024-05-15)"),  # removing it, or one without
                        ("{due: 2024-05-15, amount: 128000}", "removes note (签约 40%), received_on (2024-05-15)")):
        result = run(demo_repo, "set", LU, f"contracts.0.payments.0={value}")
        assert result.exit_code == 1, result.output
        assert f"`contracts.0.payments.0` {said}" in result.output and raw(demo_repo, LU_PATH) == before
    result = run(demo_repo, "set", LU, "contracts.0.payments.0=", "--replace")
    assert result.exit_code == 0, result.output
    assert "-      - due: 2024-05-15\n-        amount: 128000\n" in result.output  # the diff of what went
    data = yaml.safe_load(raw(demo_repo, LU_PATH))
    assert [p["note"] for p in data["contracts"][0]["payments"]] == ["验收 60%"]


def test_replacing_contacts_is_refused_then_written_with_replace_keeping_comments_and_crlf(run, repo):
    (repo.root / PATH).parent.mkdir(parents=True, exist_ok=True)
    (repo.root / PATH).write_bytes(TWO_CONTACTS.replace("\n", "\r\n").encode("utf-8"))
    before = raw(repo, PATH)
    result = run(repo, "set", CID, "contacts=[{name: 张三, role: user}]")
    assert result.exit_code == 1
    assert "`contacts` removes item 0 (name 王总监), item 1 (name 李经理)" in result.output
    assert raw(repo, PATH) == before
    result = run(repo, "set", CID, "contacts=[{name: 张三, role: user}]", "--replace")
    assert result.exit_code == 0, result.output
    assert "-  - name: 王总监\n" in result.output and "+  - name: 张三\n" in result.output
    text = raw(repo, PATH).decode("utf-8")
    assert text.count("\n") == text.count("\r\n")
    assert "contacts:  # 联系人\r\n  - name: 张三\r\n    role: user\r\nneed:\r\n" in text


def test_one_list_item_is_removed_with_its_lines_only(run, repo):
    """Before: `contacts.1=` said "nothing to change" and left the contact in place."""
    repo.write(PATH, TWO_CONTACTS)
    refused = run(repo, "set", CID, "contacts.1=")
    assert refused.exit_code == 1 and "`contacts.1` removes it (name 李经理)" in refused.output
    assert raw(repo, PATH).decode("utf-8") == TWO_CONTACTS
    result = run(repo, "set", CID, "contacts.1=", "--replace")
    assert result.exit_code == 0, result.output
    removed = ("  # 生产部\n  - name: 李经理   # 新来的\n    title: 生产经理\n    role: user\n"
               "    phone: 0755-8888-1235\n    phone_kind: work\n")  # with its comment, `# 生产部`
    assert raw(repo, PATH).decode("utf-8") == TWO_CONTACTS.replace(removed, "")


@pytest.mark.parametrize(("assignment", "said"), [
    ("need.budget={status: clear}", "`need.budget` removes min (500000), max (800000)"),
    ("need.budget={status: clear, min: 500000, max: 800000}", "`need.budget` changes status (partial)"),
    ("tags=复购", "`tags` removes item 0 (重点)"),
    ("tags=", "`tags` removes item 0 (重点)"),
    ("need=", "`need` removes it (summary 质检效率低)"),
])
def test_a_mapping_or_list_that_loses_what_it_holds_needs_replace(run, repo, assignment, said):
    repo.write(PATH, TWO_CONTACTS)
    result = run(repo, "set", CID, assignment)
    assert result.exit_code == 1
    assert said in result.output
    assert raw(repo, PATH).decode("utf-8") == TWO_CONTACTS


@pytest.mark.parametrize("assignment", ["tags=重点,复购", "contacts.2={name: 陈工, role: user}",
                                        "need.budget.status=clear"])
def test_a_value_that_keeps_what_is_there_is_written_and_its_diff_shown(run, repo, assignment):
    repo.write(PATH, TWO_CONTACTS)
    result = run(repo, "set", CID, assignment)
    assert result.exit_code == 0, result.output
    assert f"--- a/{PATH}\n+++ b/{PATH}\n" in result.output and "1 file changed:" in result.output


def test_a_flow_value_set_to_what_it_holds_changes_nothing(run, repo):
    """Before: `need.budget: {status: partial, …}` set to the same mapping was rewritten as a block
    of four lines, a diff that changed nothing but the team's layout."""
    repo.write(PATH, TWO_CONTACTS)
    result = run(repo, "set", CID, "need.budget={status: partial, min: 500000, max: 800000}")
    assert result.exit_code == 0 and "--- a/" not in result.output, result.output
    assert raw(repo, PATH).decode("utf-8") == TWO_CONTACTS


def test_move_set_cannot_wipe_the_stage_history_or_replace_contacts(run, repo):
    """Before: `move ID lost --set stage_history=[]` left a one-line history; `--set contacts=[…]`
    replaced the contacts without a word."""
    repo.write(PATH, TWO_CONTACTS)
    result = run(repo, "move", CID, "lost", "--reason", "budget", "--set", "stage_history=[]")
    assert result.exit_code == 2 and "`stage_history` cannot be set here" in result.output
    result = run(repo, "move", CID, "lost", "--reason", "budget", "--set", "contacts=[{name: 张三, role: user}]")
    assert result.exit_code == 1
    assert "`contacts` removes item 0 (name 王总监)" in result.output and "--replace" in result.output
    assert raw(repo, PATH).decode("utf-8") == TWO_CONTACTS


@pytest.mark.parametrize(("assignment", "said", "code"), [
    ("contacts.-1.name=x", "numbered from 0 (`.0` is the first), not from the end", 2),
    ("custom={x: &a 1, y: *a}", "anchors and aliases (&name / *name) are not allowed", 2),
    ("custom.x=!!set {a}", "unsupported tag", 2),
    ('name=""', f"{PATH}:3:1: error empty", 1),
])
def test_odd_values_are_refused_saying_why(run, repo, assignment, said, code):
    """Before: an alias or a tag was "not a valid YAML value", `name=""` wrote the two quotes as the name."""
    repo.write(PATH, TWO_CONTACTS)
    result = run(repo, "set", CID, assignment)
    assert result.exit_code == code, result.output
    assert said in result.output
    assert raw(repo, PATH).decode("utf-8") == TWO_CONTACTS


def test_a_dot_inside_a_key_is_written_with_a_backslash(run, repo):
    """Before: `custom.v1\\.2=x` wrote a key `v1\\` holding a key `2`."""
    repo.write(PATH, TWO_CONTACTS)
    result = run(repo, "set", CID, "custom.v1\\.2=x", "custom.客户.等级=A")
    assert result.exit_code == 0, result.output
    data = yaml.safe_load(raw(repo, PATH))
    assert data["custom"] == {"v1.2": "x", "客户": {"等级": "A"}}
    assert run(repo, "set", CID, "custom.v1\\.2=").exit_code == 0
    assert yaml.safe_load(raw(repo, PATH))["custom"] == {"客户": {"等级": "A"}}


@pytest.mark.parametrize("assignment", [
    "contracts.0.approvals.4={step: general_manager, by: zhao, on: 2024-05-20}",
    "contracts.0.approvals.3.by=zhao",  # the owner, whom `dealbook approve` never lets approve
    "contracts.1={no: HT-2, amount: 1, approvals: [{step: sales_head, by: chen, on: 2024-05-20}]}",
])
def test_set_does_not_write_an_approval(run, demo_repo, assignment):
    """Before: `set` wrote any approval, by anyone, the owner included, as if given with `dealbook approve`."""
    before = raw(demo_repo, LU_PATH)
    result = run(demo_repo, "set", LU, assignment)
    assert result.exit_code == 1
    assert "would add the approval contract HT-" in result.output and "dealbook approve ID NO" in result.output
    assert raw(demo_repo, LU_PATH) == before
    moved = run(demo_repo, "move", LU, "after_sales", "--delivered", "2024-05-18", "--set", assignment)
    assert moved.exit_code == 1 and "would add the approval" in moved.output
    assert raw(demo_repo, LU_PATH) == before


def test_a_number_under_custom_is_a_key(run, repo):
    """Before: `custom.2024=x` was refused as an unknown field (the number was read as a list index)."""
    repo.write(PATH, TWO_CONTACTS)
    result = run(repo, "set", CID, "custom.2024=x", "custom.2025.q1=5")
    assert result.exit_code == 0, result.output
    assert "+custom:\n+  2024: x\n+  2025:\n+    q1: 5\n" in result.output
    assert yaml.safe_load(raw(repo, PATH))["custom"] == {2024: "x", 2025: {"q1": 5}}
    assert run(repo, "check").exit_code == 0
    result = run(repo, "set", CID, "custom.2024=y", "custom.2025.q2=6")  # existing keys, not items
    assert result.exit_code == 0, result.output
    assert yaml.safe_load(raw(repo, PATH))["custom"] == {2024: "y", 2025: {"q1": 5, "q2": 6}}
    assert run(repo, "set", CID, "custom.2024=").exit_code == 0
    assert yaml.safe_load(raw(repo, PATH))["custom"] == {2025: {"q1": 5, "q2": 6}}


def test_a_number_under_custom_is_an_index_in_a_list_already_there(run, repo):
    repo.write(PATH, TWO_CONTACTS + "custom:\n  sizes: [S, M]\n  '7': quoted\n")
    result = run(repo, "set", CID, "custom.sizes.1=L", "custom.sizes.2=XL", "custom.7=seven")
    assert result.exit_code == 0, result.output
    assert yaml.safe_load(raw(repo, PATH))["custom"] == {"sizes": ["S", "L", "XL"], "7": "seven"}
    assert "custom:\n  sizes: [S, L, XL]\n  '7': seven\n" in raw(repo, PATH).decode("utf-8")


def test_a_list_item_is_removed_with_the_comments_that_belong_to_it(run, repo):
    """Before: `contacts.1=` left `# 生产部`, the comment above the removed contact, behind."""
    text = TWO_CONTACTS.replace("    phone_kind: work\n  # 生产部\n",
                                "    phone_kind: work\n    # 王总监 prefers WeChat\n  # 生产部\n  # (since 2024)\n")
    text = text.replace("need:\n", "  # 财务部\n  - name: 赵会计\n    role: finance\n    # 月底最忙\n\n"
                                   "  # 采购部\n  - name: 钱采购\n    role: purchaser\nneed:\n")
    repo.write(PATH, text)
    assert run(repo, "set", CID, "contacts.1=", "--replace").exit_code == 0
    removed = ("  # 生产部\n  # (since 2024)\n  - name: 李经理   # 新来的\n    title: 生产经理\n    role: user\n"
               "    phone: 0755-8888-1235\n    phone_kind: work\n")
    assert raw(repo, PATH).decode("utf-8") == text.replace(removed, "")
    text = text.replace(removed, "")
    assert run(repo, "set", CID, "contacts.1=", "--replace").exit_code == 0  # its trailing comment goes too
    assert raw(repo, PATH).decode("utf-8") == text.replace(
        "  # 财务部\n  - name: 赵会计\n    role: finance\n    # 月底最忙\n", "")
    data = yaml.safe_load(raw(repo, PATH))
    assert [c["name"] for c in data["contacts"]] == ["王总监", "钱采购"]
    kept = raw(repo, PATH).decode("utf-8")
    assert "# 王总监 prefers WeChat" in kept and "\n\n  # 采购部\n  - name: 钱采购" in kept


@pytest.mark.parametrize(("assignment", "said"), [
    ("contracts.0.signed=", "`contracts.0.signed` removes the signing date of contract HT-2024-0510 (2024-05-10)"),
    ("contracts.0.signed=2024-05-11", "changes the signing date of contract HT-2024-0510 (2024-05-10)"),
    ("contracts.0.payments.0.received_on=",
     "`contracts.0.payments.0.received_on` removes the date instalment 0 of contract HT-2024-0510 was received "
     "(2024-05-15)"),
    ("contracts.0.payments.0.received_amount=1", "changes the amount received for instalment 0"),
    ("contracts.0.delivered=", "removes the delivery date of contract HT-2024-0510 (2024-05-18)"),
])
def test_un_signing_or_un_receiving_needs_replace(run, demo_repo, assignment, said):
    """Before: each of these was written without a word (un-signing a second contract, un-receiving money)."""
    filled = run(demo_repo, "set", LU, "contracts.0.payments.0.received_on=2024-05-15",
                 "contracts.0.payments.0.received_amount=128000", "contracts.0.delivered=2024-05-18")
    assert filled.exit_code == 0, filled.output  # filling in an empty fact is how it is recorded
    before = raw(demo_repo, LU_PATH)
    result = run(demo_repo, "set", LU, assignment)
    assert result.exit_code == 1, result.output
    assert said in result.output and "--replace" in result.output and "nothing was written" in result.output
    assert raw(demo_repo, LU_PATH) == before
    if "received_amount" in assignment:  # a correction, when meant
        replaced = run(demo_repo, "set", LU, assignment, "--replace")
        assert replaced.exit_code == 0, replaced.output
        assert raw(demo_repo, LU_PATH) != before


def test_a_lost_reason_or_a_quotes_answer_changes_only_with_replace(run, repo):
    lost = TWO_CONTACTS.replace("stage: discovery\n", "stage: lost\n").replace(
        "  - {stage: discovery, on: 2024-02-01}\n",
        "  - {stage: discovery, on: 2024-02-01}\n  - {stage: lost, on: 2024-03-01}\n")
    lost = lost.replace("tags: [重点]\n", "quotes:\n  - no: Q-1\n    date: 2024-02-10\n    status: rejected\n"
                                         "lost: {reason: budget, on: 2024-03-01}\ntags: [重点]\n")
    repo.write(PATH, lost)
    assert run(repo, "check").exit_code == 0
    for assignment, said in (("lost.reason=competitor", "changes the reason the deal was lost (budget)"),
                             ("lost.on=", "removes the date the deal was lost (2024-03-01)"),
                             ("quotes.0.status=", "removes the customer's answer to quote Q-1 (rejected)"),
                             ("quotes.0.status=accepted", "changes the customer's answer to quote Q-1 (rejected)")):
        result = run(repo, "set", CID, assignment)
        assert result.exit_code == 1 and said in result.output, result.output
        assert raw(repo, PATH).decode("utf-8") == lost
    assert run(repo, "set", CID, "lost.reason=competitor", "--replace").exit_code == 0
    assert yaml.safe_load(raw(repo, PATH))["lost"]["reason"] == "competitor"


def test_where_reads_a_path_as_set_does_and_the_summary_counts_the_customers(run, repo):
    """Before: --where custom.2024=x or contacts.0.role=… matched no customer (the path was split on dots
    and could not pass through a list, nor find a number key); a bulk refusal did not say in how many files."""
    repo.customer("粤IT2024001", custom={2024: "x"})
    repo.customer("粤IT2024002", custom={2024: "y"}, tags=["重点"])
    repo.customer("粤IT2024003", custom={2024: "x"}, tags=["重点"], owner="li")
    result = run(repo, "set", "--where", "custom.2024=x", "--where", "contacts.0.role=decision_maker", "owner=li",
                 "--dry-run")
    assert result.exit_code == 0, result.output
    assert "2 customers selected: 1 would change, 1 already holds what is asked" in result.output
    assert "records/customers/粤IT2024001.yaml" in result.output and "粤IT2024002" not in result.output
    result = run(repo, "set", "--where", "owner=zhang", "tags=", "--yes")
    assert result.exit_code == 1
    assert "records/customers/粤IT2024002.yaml:" in result.output and "`tags` removes item 0 (重点)" in result.output
    assert "would remove or change items or recorded facts in 1 of the 2 files" in result.output
    assert "粤IT2024003" not in result.output
    result = run(repo, "set", "--where", "owner=zhang", "tags=", "--replace", "--yes")
    assert result.exit_code == 0, result.output
    assert "2 customers selected: 1 would change, 1 already holds what is asked" in result.output
    assert "1 file changed:\n  records/customers/粤IT2024002.yaml\n" in result.output


def test_what_an_approval_was_given_for_changes_only_with_replace(run, demo_repo):
    """Before: an approved contract's amount, or an approved quote's margin, was changed without a word,
    and the approvals then stood for figures no approver had seen."""
    before = raw(demo_repo, LU_PATH)
    result = run(demo_repo, "set", LU, "contracts.0.amount=1000")
    assert result.exit_code == 1
    assert "`contracts.0.amount` changes amount (320000) of approved contract HT-2024-0510" in result.output
    result = run(demo_repo, "set", LU, "contracts.0.service_term=")
    assert result.exit_code == 1 and "removes service_term (1 年免费维保) of approved contract" in result.output
    assert raw(demo_repo, LU_PATH) == before
    assert run(demo_repo, "set", LU, "contracts.0.delivered=2024-05-18").exit_code == 0  # filled in: recorded
    quoted = "records/customers/渝MF2024001.yaml"
    assert run(demo_repo, "approve", "渝MF2024001", "BJ-2024-0515", "--as", "wu", "--on", "2024-05-20").exit_code == 0
    approved = raw(demo_repo, quoted)
    result = run(demo_repo, "set", "渝MF2024001", "quotes.0.lines.0.quantity=3")
    assert result.exit_code == 1
    assert "changes lines.0.quantity (2) of approved quote BJ-2024-0515" in result.output
    for added in ("quotes.0.lines.2={item: 培训, quantity: 1, unit_price: 0}", "quotes.0.valid_days=90"):
        result = run(demo_repo, "set", "渝MF2024001", added)  # the total stays right: written before
        assert result.exit_code == 1
        assert f"`{added.split('=')[0]}` adds to approved quote BJ-2024-0515 (" in result.output
    assert raw(demo_repo, quoted) == approved
    sent = run(demo_repo, "set", "渝MF2024001", "quotes.0.status=sent")  # approved, then sent: its course
    assert sent.exit_code == 0, sent.output


def test_move_to_won_does_not_change_an_approved_contracts_amount(run, demo_repo):
    """Before: `move ID won --contract-no NO --amount …` wrote a new amount into a contract approved for another."""
    cid, path = "粤IT2024003", "records/customers/粤IT2024003.yaml"
    assert run(demo_repo, "set", cid, "contracts=[{no: HT-2024-031, amount: 920000}]").exit_code == 0
    for approver in ("chen", "sun", "zhou", "wu"):
        assert run(demo_repo, "approve", cid, "HT-2024-031", "--as", approver).exit_code == 0
    before = raw(demo_repo, path)
    result = run(demo_repo, "move", cid, "won", "--contract-no", "HT-2024-031", "--amount", "100000")
    assert result.exit_code == 1
    assert ("`contracts.0.amount` changes amount (920000) of approved contract HT-2024-031: move does not change "
            f"what the record holds (`dealbook set {cid} contracts.0.amount=… --replace` does)") in result.output
    assert raw(demo_repo, path) == before
    result = run(demo_repo, "move", cid, "won", "--contract-no", "HT-2024-031", "--amount", "920000",
                 "--signed", "2024-05-19")
    assert result.exit_code == 0, result.output
    assert "    signed: 2024-05-19\n" in raw(demo_repo, path).decode("utf-8")


@pytest.mark.parametrize(("assignment", "said"), [
    ("contracts.0.payments.2={due: 2024-12-31, amount: 50000, note: 追加}",
     "`contracts.0.payments.2` adds instalment 2 (due 2024-12-31) to the payment plan of approved contract "
     "HT-2024-0510"),
    ("contracts.0.payments=[{due: 2024-05-15, amount: 128000, note: 签约 40%}, "
     "{due: 2024-08-31, amount: 192000, note: 验收 60%}, {due: 2024-12-31, amount: 50000}]",
     "`contracts.0.payments` adds instalment 2 (due 2024-12-31) to the payment plan of approved contract "
     "HT-2024-0510"),
])
def test_an_approved_contract_takes_no_new_instalment_without_replace(run, demo_repo, assignment, said):
    """Before: a new instalment went into the payment plan of an approved contract without a word, and the
    approvals then stood for a schedule no approver had seen."""
    before = raw(demo_repo, LU_PATH)
    result = run(demo_repo, "set", LU, assignment)
    assert result.exit_code == 1, result.output
    assert f"{LU_PATH}:" in result.output and "error replaces-items" in result.output
    assert said in result.output
    assert "run it again with --replace" in result.output and "nothing was written" in result.output
    assert raw(demo_repo, LU_PATH) == before
    replaced = run(demo_repo, "set", LU, assignment, "--replace")  # meant: written, the approvals kept
    assert replaced.exit_code == 0, replaced.output
    contract = yaml.safe_load(raw(demo_repo, LU_PATH))["contracts"][0]
    assert [str(p["due"]) for p in contract["payments"]] == ["2024-05-15", "2024-08-31", "2024-12-31"]
    assert len(contract["approvals"]) == 4


def test_an_approved_contracts_instalments_are_still_received_without_replace(run, demo_repo):
    """Recording money against the approved plan is its course, not a change of it."""
    result = run(demo_repo, "set", LU, "contracts.0.payments.0.received_on=2024-05-15",
                 "contracts.0.payments.0.received_amount=128000")
    assert result.exit_code == 0, result.output


def test_a_lost_replaced_whole_takes_the_old_values_comments_and_keeps_the_others(run, demo_repo):
    """Before: `lost: {reason: budget, on: 2024-04-15}  # 集团冻结预算` replaced by `lost={…}` became
    `lost:  # 集团冻结预算` over the new reason, and a comment line under the old block stayed under the new."""
    path = "records/customers/冀MF2024001.yaml"
    text = raw(demo_repo, path).decode("utf-8")
    old = "lost:\n  reason: budget\n  note: 集团冻结今年信息化预算,明年再议\n  on: 2024-04-15\n"
    assert text.endswith(old)
    for written, new in (("lost: {reason: budget, on: 2024-04-15}  # 集团冻结预算\n",
                          "\nlost: {reason: competitor, on: 2024-04-16}\n"),  # flow as written, its comment gone
                         ("lost:\n  reason: budget  # 集团冻结预算\n  on: 2024-04-15\n  # 明年再议\n",
                          "\nlost:\n  reason: competitor\n  on: 2024-04-16\n")):
        demo_repo.write(path, text.replace(old, written))
        result = run(demo_repo, "set", "冀MF2024001", "lost={reason: competitor, on: 2024-04-16}", "--replace")
        assert result.exit_code == 0, result.output
        after = raw(demo_repo, path).decode("utf-8")
        assert after.endswith(new), after
        assert "集团冻结预算" not in after and "明年再议" not in after
        assert "\nstage: lost  # 流失\n" in after  # another key's comment is left as it was
