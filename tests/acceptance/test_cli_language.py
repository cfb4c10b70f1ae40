"""The command line speaks the team's language: on the Chinese demo (`language: zh`, as of
2024-05-20) the text output of the everyday commands holds no English word and no raw key.

A word in the output is allowed when the records themselves hold it as text a person wrote
(a product name such as MES, a title such as CTO, an email or a handle), when a Chinese
translation in the catalog writes it (企业IM), or when it is a stage key, which `show` prints
beside the stage's label on purpose (`move` and `--stage` take it). Enumerated fields (stage,
method, outcome, role, status, …) do not count as text: their values are the raw keys the
output must not show."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml
from babel.messages.pofile import read_po
from dealbook.records.settings import load_settings

ROOT = Path(__file__).resolve().parent.parent.parent
TODAY = {"DEALBOOK_TODAY": "2024-05-20"}

# Record fields whose values are keys, not a person's words.
KEYED = {"stage", "method", "outcome", "role", "status", "priority", "class", "channel", "type", "reason",
         "objections", "result", "step", "phone_kind", "kind", "currency", "tier", "grade"}
CATALOG = ROOT / "tools/dealbook/text/locale/zh/LC_MESSAGES/dealbook.po"
PLACEHOLDER = re.compile(r"%\([a-z_]+\)[sd]")
WORD = re.compile(r"[A-Za-z][A-Za-z_]+")
ADDRESS = re.compile(r"\S+@\S+|https?://\S+|records/[^\s()(),,]+")  # emails, links, record paths


def _words_written(value: object, key: str | None = None) -> set[str]:
    """The words of the records' free text (values of fields that are not keys)."""
    if key in KEYED:
        return set()
    if isinstance(value, dict):
        return set().union(*(_words_written(v, str(k)) for k, v in value.items())) if value else set()
    if isinstance(value, list):
        return set().union(*(_words_written(v, key) for v in value)) if value else set()
    return set(WORD.findall(ADDRESS.sub(" ", value))) if isinstance(value, str) else set()


@pytest.fixture(scope="module")
def written() -> set[str]:
    """Every word the demo's people wrote, the team's handles and the stage keys."""
    words: set[str] = set()
    for path in (ROOT / "records").rglob("*.yaml"):
        words |= _words_written(yaml.safe_load(path.read_text(encoding="utf-8")))
        words |= set(WORD.findall(path.stem))
    words |= set(load_settings(str(ROOT)).stage_keys)
    for message in read_po(CATALOG.open("rb")):  # what the Chinese itself writes in Latin letters (企业IM)
        for string in (message.string if isinstance(message.string, (tuple, list)) else [message.string]):
            words |= set(WORD.findall(PLACEHOLDER.sub(" ", string or "")))
    return words


def english(text: str, written: set[str]) -> set[str]:
    """The words of `text` that are neither Chinese nor from the records: the frame's English."""
    return set(WORD.findall(ADDRESS.sub(" ", text))) - written


def test_the_check_finds_english_in_a_frame(written) -> None:
    # (not `draft`: the Chinese check messages write `status: draft`, a value a record holds)
    assert english("  Stage          方案呈现 (proposal)\n  Grade  B (score 3)  pending*", written) == {
        "Stage", "Grade", "score", "pending"}
    assert english("程伟  物业工程总监  chengwei@zhongyuan-estate.example.com  MES  zhang", written) == set()


def output(run, demo_repo, *args: str) -> str:
    result = run(demo_repo, *args, env=TODAY)
    assert result.exit_code == 0, result.output
    return result.output  # stdout and stderr: the count line is for people too


def test_customers_and_agenda_are_in_chinese(run, demo_repo, written) -> None:
    """Before: `customers` headed its table ID, Name, Stage, Grade, Owner, Last contact, Next due,
    Overdue and counted `40 customers, 12 overdue (as of …)`; `agenda` titled its groups Overdue,
    Today, Next 7 days, marked lateness `20d` and headed Due, Late, Customer, For, Why."""
    text = output(run, demo_repo, "customers")
    assert english(text, written) == set(), text
    assert text.splitlines()[0].split() == ["客户编号", "客户名称", "销售阶段", "等级", "负责人", "最近跟进",
                                            "下次跟进", "逾期"]
    assert "40 个客户,12 个逾期(截至 2024-05-20)" in text
    text = output(run, demo_repo, "agenda", "--all")
    assert english(text, written) == set(), text
    assert "已逾期 (18 项,涉及 15 个客户)" in text and "今天 (6 项,涉及 4 个客户)" in text
    assert "未来 7 天 (18 项,涉及 17 个客户)" in text and "20 天" in text
    assert english(output(run, demo_repo, "agenda", "--owner", "zhang"), written) == set()


def test_grade_explains_itself_in_chinese(run, demo_repo, written) -> None:
    """Before: `grade` named its dimensions Urgency, Budget, Access (a table of its own, beside the
    catalog's) and wrote `grade A*`, `as of`, `otherwise B`, `The manual grade A wins over the
    computed B.` and the downgrade's sentence in English."""
    for ident in ("京RE2024001", "津MF2024001", "湘ED2024001", "粤IT2024003"):
        text = output(run, demo_repo, "grade", ident)
        assert english(text, written) == set(), text
    lines = [" ".join(line.split()) for line in output(run, demo_repo, "grade", "京RE2024001").splitlines()]
    assert lines[0] == "京RE2024001 北京中远置业有限公司:A* 级 (截至 2024-05-20)"
    assert lines[1].startswith("需求紧急度 +0 ") and lines[4] == "得分 2 A ≥ 6,C ≤ 1,其余为 B → B"
    assert lines[-1] == "以手动评级 A 为准,规则计算为 B。"
    lines = [" ".join(line.split()) for line in output(run, demo_repo, "grade", "湘ED2024001").splitlines()]
    assert "暂无需求,降一级:C 仍为 C;2024-07-21 重新评估。" in lines and "暂缓至 2024-08-20。" in lines


# Customers with every section `show` prints: an override (京RE), quotes (渝MF, 皖MF), the needs table
# (粤IT2024001), contracts with payments and approvals (沪MF, 粤LG, 鲁MF), a downgrade (津MF), a pause
# (湘ED), a lost customer (云TR).
SHOWN = ("京RE2024001", "渝MF2024001", "皖MF2024001", "粤IT2024001", "沪MF2024001", "粤LG2024002", "鲁MF2024001",
         "津MF2024001", "湘ED2024001", "云TR2024001")


@pytest.mark.parametrize("ident", SHOWN)
def test_show_is_in_chinese(run, demo_repo, written, ident) -> None:
    """Before: `show` labelled every line and table in English (Stage, Grade, Next due, Need,
    Contacts, Stage timeline, Last follow-ups (5 of 11), Quotes, Contract …: signed …), gave the
    quote status and the needs' objection tags as keys (`draft`, `sent`, `integration`) and the
    approvers as role keys (`needed from manager or gm`)."""
    text = output(run, demo_repo, "show", ident)
    assert english(text, written) == set(), text


def test_show_labels_values_as_the_customer_page_does(run, demo_repo) -> None:
    def lines(ident: str) -> list[str]:
        return [" ".join(line.split()) for line in output(run, demo_repo, "show", ident).splitlines()]
    shown = lines("京RE2024001")
    assert shown[1:4] == ["销售阶段 商务谈判 (negotiation),自 2024-04-15 起", "等级 A*(得分 2,规则计算为 B)",
                          "下次跟进 2024-05-18,已逾期 2 天 — A级每 2 天一次,上次联系 4 天前(A级:电话+拜访)"]
    assert "最近跟进(共 11 条,显示 5 条)" in shown and "商机 ¥1,860,000,预计 2024-07-31 成交" in shown
    quote = next(line for line in lines("渝MF2024001") if line.startswith("BJ-2024-0515 "))
    assert quote == "BJ-2024-0515 2024-05-15 草稿* ¥390,000 26.0% 2024-06-14 待 销售主管, 总经理 审批"
    assert "BJ-2024-0418 2024-04-18 已发送* ¥1,340,000 36.0% 2024-05-18 (已过期) 无需审批" in lines("皖MF2024001")
    need = next(line for line in lines("粤IT2024001") if line.startswith("质检效率低"))
    assert " 系统对接 " in need  # the objection tag `integration` by its label in the settings
    assert "合同 HT-2024-0325:¥450,000,2024-03-25 签订,服务期至 2026-06-30" in lines("沪MF2024001")
    assert any(line.startswith("流失原因 其他 — ") for line in lines("云TR2024001"))


REPORTS = ("funnel", "stage-reach", "cohort", "pipeline", "forecast", "velocity", "slowest-deals", "sources",
           "win-loss", "win-factors", "objections", "team-activity", "value-tiers", "receivables")


@pytest.mark.parametrize("name", REPORTS)
def test_reports_are_in_chinese(run, demo_repo, written, name) -> None:
    """Before: slowest-deals wrote `no` in its past-close column (the site shows a tick or nothing)."""
    text = output(run, demo_repo, "report", name)
    assert english(text, written) == set(), text


def test_a_yes_or_no_column_is_a_tick_or_nothing(run, demo_repo) -> None:
    lines = output(run, demo_repo, "report", "slowest-deals").splitlines()
    past = [line for line in lines if line.startswith(("陕EN2024001", "粤IT2024003"))]  # closing 2024-05-31
    assert past and all(not line.rstrip().endswith(("no", "yes", "✓")) for line in past)
    assert output(run, demo_repo, "--today", "2024-06-05", "report", "slowest-deals").count("✓") >= 2


def test_history_is_in_chinese(run, demo_repo, written) -> None:
    """Before: `history` headed its table stage, in git, commit, author, stage_history, flag, showed
    the stages by key and flagged `not seen in git`."""
    demo_repo.git_init()
    demo_repo.commit("demo")
    text = output(run, demo_repo, "history", "京RE2024001")
    author_and_commits = {w for w in english(text, written) if w == "Test" or re.fullmatch("[0-9a-f]+", w)}
    assert english(text, written) - author_and_commits == set(), text
    assert [line.split()[0] for line in text.splitlines()[2:]] == ["线索获取", "需求挖掘", "方案呈现", "商务谈判"]


def test_edits_confirm_in_chinese(run, demo_repo, written) -> None:
    """Before: `move` confirmed `浙MF2024005: negotiation → lost on 2024-05-20 (…)` (stage keys), and
    `set`, `quote` and `approve` said `dry run: 1 file would change; nothing was written`,
    `1 file changed:`, `quote … added …: total …, margin …`, `approved (margin) by chen on …`."""
    result = run(demo_repo, "move", "浙MF2024005", "lost", "--reason", "budget", env=TODAY)
    assert result.output == "浙MF2024005:商务谈判 → 流失,2024-05-20(records/customers/浙MF2024005.yaml)\n"
    result = run(demo_repo, "set", "京RE2024001", "deal.amount=1700000", "--dry-run", env=TODAY)
    assert result.stderr == "试运行:将修改 1 个文件;没有写入任何内容\n"
    text = output(run, demo_repo, "set", "京RE2024001", "deal.amount=1700000")
    assert text.startswith("--- a/records/customers/京RE2024001.yaml\n")  # the diff, then what was written
    assert text.endswith("\n已修改 1 个文件:\n  records/customers/京RE2024001.yaml\n")
    text = output(run, demo_repo, "quote", "京RE2024001", "--line", "平台|V1|1|100000", "--cost", "90000")
    assert english(text, written) == set(), text
    assert "毛利率低于底线 30.0%:报价保留为草稿,待(销售主管, 总经理)之一" in text
    text = output(run, demo_repo, "approve", "京RE2024001", "京RE2024001-Q1", "--as", "chen")
    assert english(text, written) == set(), text
    assert "京RE2024001-Q1 已由 chen 于 2024-05-20 审批(低毛利审批)" in text


# What `dealbook set` refuses on the Chinese demo, and the words it says so in.
SET_REFUSED = (
    ("鲁MF2024001", "contracts.0.payments.2={due: 2024-12-31, amount: 50000}",
     "`contracts.0.payments.2` 会在已审批合同 HT-2024-0510 的回款计划中增加 回款项 2(到期日 2024-12-31)"),
    ("鲁MF2024001", "contracts=[]",
     "`contracts` 会删除 列表项 0(编号 HT-2024-0510,2024-05-10 签订,2 期回款,已收 0 期)"),
    ("鲁MF2024001", "contracts.0.signed=2024-05-11",
     "`contracts.0.signed` 会改动 合同 HT-2024-0510 的签订日期(2024-05-10)"),
    ("鲁MF2024001", "contracts.0.amount=1", "`contracts.0.amount` 会改动 已审批合同 HT-2024-0510 的 amount(320000)"),
    ("京RE2024001", "quotes.0.lines.1={item: 运维服务, quantity: 1, unit_price: 20000}",
     "`quotes.0.lines.1` 会在已审批报价 京RE2024001-Q1 中增加内容(lines.1:产品/服务 运维服务)"),
    ("京RE2024001", "need.budget=", "`need.budget` 会删除整个值(3 个键)"),
)
TYPED = {"contracts", "payments", "signed", "amount", "quotes", "lines", "need", "budget"}  # the keys typed
CODES = {"error", "replaces", "items"}  # the diagnostic's severity and code, as `check` prints them


def test_set_refuses_in_chinese(run, demo_repo, written) -> None:
    """Before: a team with `language: zh` was refused in English: `… adds instalment 2 (due 2024-12-31) to
    the payment plan of approved contract HT-2024-0510`, `removes item 0 (no HT-2024-0510, signed …,
    2 instalments, 0 received)`, `changes the signing date of contract …`, `adds to approved quote …`,
    `would add the approval …`, `refused: … run it again with --replace; nothing was written`, and a
    bulk edit counted `2 customers selected: 1 would change`."""
    assert run(demo_repo, "quote", "京RE2024001", "--line", "平台|V1|1|100000", "--cost", "90000",
               env=TODAY).exit_code == 0
    assert run(demo_repo, "approve", "京RE2024001", "京RE2024001-Q1", "--as", "chen", env=TODAY).exit_code == 0
    for ident, assignment, said in SET_REFUSED:
        result = run(demo_repo, "set", ident, assignment, env=TODAY)
        assert result.exit_code == 1, result.output
        assert said in result.stderr, result.stderr  # the diff of what would change is on stdout
        assert result.stderr.endswith("错误:已拒绝:这次修改会删除或改动已有的项或已记录的事实(见上);"
                                      "确实要这样做,请加 --replace 再运行一次;没有写入任何内容\n")
        assert english(result.stderr, written) - TYPED - CODES == set(), result.stderr  # click's Error: too
    result = run(demo_repo, "set", "鲁MF2024001",
                 "contracts.0.approvals.4={step: general_manager, by: zhao, on: 2024-05-20}", env=TODAY)
    assert result.exit_code == 1 and ("`contracts.0.approvals.4` 会添加审批 合同 HT-2024-0510:zhao 于 2024-05-20 审批"
                                      "(general_manager):审批由审批人用 `dealbook approve ID NO` 写入") in result.stderr
    result = run(demo_repo, "set", "--where", "owner=li", "--where", "stage=discovery", "tags=", env=TODAY)
    assert result.exit_code == 1
    assert "选中 2 个客户:1 个将被修改,1 个已经是要求的值\n" in result.output, result.output
    assert "已拒绝:这次修改会在 2 个文件中的 1 个里删除或改动已有的项或已记录的事实(见上)" in result.stderr
    for typed, said in (("stage=won", "`stage` 不能在这里设置:请用 `dealbook move ID STAGE`"),
                        ("colour=red", "未知字段 `colour`:见 schemas/customer.schema.json")):
        result = run(demo_repo, "set", "京RE2024001", typed, env=TODAY)
        assert result.exit_code == 2 and said in result.stderr, result.stderr


def test_an_edit_refused_for_a_duplicate_says_it_as_check_does(run, demo_repo, written) -> None:
    """Before: an edit making a duplicate contract number or id was refused in English words of
    its own (`contract number `HT-2024-0108` is already used by …: contract numbers are unique`,
    `id `京IT2024002` is already used by …`, without `give this customer a new id`); and an edit
    of a customer whose contract number another file already used was refused for it, though the
    edit did not make it."""
    demo_repo.git_init()
    demo_repo.commit("demo")
    result = run(demo_repo, "set", "京IT2024002", "contracts=[{no: HT-2024-0108, amount: 1000, signed: 2024-03-01}]",
                 env=TODAY)
    assert result.exit_code == 1, result.output
    said = "合同编号 `HT-2024-0108` 已被 records/customers/京IT2023004.yaml 使用:合同编号不能重复"
    assert f"error duplicate-contract: {said}\n" in result.stderr, result.stderr
    assert english(result.stderr, written) - {"error", "duplicate", "contract"} == set(), result.stderr
    copy = "records/customers/京IT2024097.yaml"  # 京IT2023004 under another id: its contract number again
    source = (demo_repo.root / "records/customers/京IT2023004.yaml").read_text(encoding="utf-8")
    (demo_repo.root / copy).write_text(source.replace("id: 京IT2023004", "id: 京IT2024097"), encoding="utf-8")
    checked = _found(run, demo_repo, "check", str(demo_repo.root / copy))
    assert [m for _, code, m in checked if code == "duplicate-contract"] == [said], checked  # `check`'s words
    demo_repo.commit("a copy")
    result = run(demo_repo, "set", "京IT2024097", "region=北京 西城", env=TODAY)
    assert result.exit_code == 0, result.output
    demo_repo.git("mv", "records/customers/京IT2024002.yaml", "records/customers/京it2024002.yaml")
    result = run(demo_repo, "new", "customer", "--no-interactive", "--id", "京IT2024002", "--name", "测试公司",
                 "--industry", "I6510", "--region", "北京 海淀", "--owner", "zhang", "--channel", "referral",
                 "--lead-type", "prospect", "--contact", "张三,经理,decision_maker,010-1234-5678", env=TODAY)
    assert result.exit_code == 1, result.output
    assert ("error duplicate-id: 客户编号 `京IT2024002` 已被 records/customers/京it2024002.yaml 使用:"
            "请给这个客户换一个新编号\n") in result.stderr, result.stderr
    assert english(result.stderr, written) - {"error", "duplicate", "id"} == set(), result.stderr


def test_duplicates_is_headed_in_chinese(run, demo_repo, written) -> None:
    """Before: `no likely duplicates (score ≥ 85)` and the headers score, customer, looks like, why.
    (Each pair's reasons come from the duplicate check, whose messages are English still.)"""
    assert output(run, demo_repo, "duplicates") == "没有疑似重复的客户(相似度 ≥ 85)\n"
    header = output(run, demo_repo, "duplicates", "--min-score", "40").splitlines()[0]
    assert header.split() == ["相似度", "客户", "疑似重复于", "依据"]


def test_import_and_export_report_in_chinese(run, demo_repo, tmp_path) -> None:
    """Before: `row 3: new …`, `customers: 2 new, 0 updated, 0 unchanged, 1 rejected`, `dry run:
    nothing written; …`, `exported 40 customers to …`. (The notes and the rejection reasons come
    from the sheet reader and the record checks, whose messages are English still.)"""
    rejects = tmp_path / "rejects.csv"
    text = output(run, demo_repo, "import", str(ROOT / "samples/客户信息总表.xlsx"), "--rejects", str(rejects))
    lines = text.splitlines()
    assert "第 3 行:新增     records/customers/粤MF2024005.yaml  深圳市博锐激光设备有限公司" in lines, text
    assert any(line.startswith("第 5 行:拒绝 杭州云栖教育科技有限公司:privacy-mobile:") for line in lines)
    assert "客户:新增 2,更新 0,未变 0,拒绝 1" in lines and f"被拒绝的行及原因:{rejects}" in lines
    assert lines[-1] == "试运行:没有写入任何内容;加 --apply 再运行一次即可写入"
    out = tmp_path / "book.xlsx"
    assert output(run, demo_repo, "export", "--out", str(out)) == f"已导出 40 个客户到 {out}\n"


def test_diff_reviews_in_chinese(run, demo_repo, written) -> None:
    """Before: `Records changed from HEAD to working tree: 3 customers`, `deal … → …`, `negotiation →
    lost, lost.reason — → budget; no next due date`, `1 follow-up added; next action due …`, `follow-up
    added … · visit · …`, `new quote …: … at margin 10.0% (draft)`, `approvals needed: margin on …
    (by manager or gm)`, `Forecast: …`, `Funnel of these customers …`. The markdown's heading stays
    `### dealbook review: …`: the CI jobs find their earlier comment by it."""
    demo_repo.git_init()
    demo_repo.commit("demo")
    for args in (("move", "浙MF2024005", "lost", "--reason", "budget"),
                 ("set", "京RE2024001", "deal.amount=1700000", "need.budget.status=clear"),
                 ("log", "粤IT2024001", "-m", "visit", "-c", "王总监", "-s", "现场演示", "--at", "2024-05-20 14:00",
                  "--by", "zhang", "--next", "报价@2024-05-25"),
                 ("quote", "京RE2024001", "--line", "平台|V1|1|100000", "--cost", "90000")):
        output(run, demo_repo, *args)
    text = output(run, demo_repo, "diff", "HEAD")
    assert english(text, written) - {"HEAD"} == set(), text
    lines = text.splitlines()
    assert lines[0] == "从 HEAD 到 工作区 的记录变更:3 个客户"
    lost = "浙MF2024005 温州瓯越阀门有限公司: negotiation (商务谈判) → lost (流失),流失原因:— → 预算不足;无下次跟进日期"
    assert lost in lines
    assert "  新增跟进 2024-05-20 14:00 · 拜访 · 王总监:现场演示" in lines
    assert any("待审批:京RE2024001-Q1 的低毛利审批(由 销售主管,总经理 审批)" in line for line in lines)
    markdown = output(run, demo_repo, "diff", "HEAD", "--format", "markdown").split("\n", 1)
    assert markdown[0] == "### dealbook review: `HEAD` → `working tree`"
    assert english(markdown[1], written) == set(), markdown[1]


def _found(run, repo, *args: str) -> list[tuple[str, str, str]]:
    """(path, code, message) of the diagnostics of `check` (`new_diagnostics` of `diff`) as JSON."""
    result = run(repo, *args, "--format", "json", env=TODAY)
    data = json.loads(result.stdout)
    return [(d["path"], d["code"], d["message"]) for d in data.get("diagnostics", data.get("new_diagnostics"))]


def test_diff_of_two_commits_says_duplicates_as_check_does(run, demo_repo) -> None:
    """Before: the commit-to-commit review said a copied customer's `duplicate-id` and
    `likely-duplicate` in English of its own (`id `京IT2024002` is already used by …`, `… looks
    like …`) while `check` and the working-tree review said them in Chinese."""
    demo_repo.git_init()
    demo_repo.commit("demo")
    source = demo_repo.root / "records/customers/京IT2024002.yaml"
    copy = "records/customers/京IT2024099.yaml"
    (demo_repo.root / copy).write_text(source.read_text(encoding="utf-8"), encoding="utf-8")
    checked = [f for f in _found(run, demo_repo, "check", str(demo_repo.root / copy))
               if f[1] in ("duplicate-id", "likely-duplicate")]
    assert [code for _, code, _ in checked] == ["duplicate-id", "likely-duplicate"], checked
    assert "已被 records/customers/京IT2024002.yaml 使用" in checked[0][2]
    assert set(checked) <= set(_found(run, demo_repo, "diff", "HEAD"))  # the working tree's review
    demo_repo.commit("a copy")
    assert set(checked) <= set(_found(run, demo_repo, "diff", "HEAD~1", "HEAD"))
    text = output(run, demo_repo, "diff", "HEAD~1", "HEAD")
    assert "is already used" not in text and "looks like" not in text, text


def test_diff_notes_in_chinese(run, demo_repo, written) -> None:
    """Before: `注意:dealbook.yaml changed: the rules may differ for customers not listed here` and
    `注意:records/team.yaml changed` (the markdown's `> …` lines alike); the JSON keeps the English."""
    demo_repo.git_init()
    demo_repo.commit("demo")
    for name in ("dealbook.yaml", "records/team.yaml"):
        path = demo_repo.root / name
        path.write_text(path.read_text(encoding="utf-8") + "# 改动\n", encoding="utf-8")
    text = output(run, demo_repo, "diff", "HEAD")
    assert "注意:dealbook.yaml 有改动:未列出的客户适用的规则也可能不同" in text.splitlines(), text
    assert english(text, written) - {"HEAD", "dealbook", "yaml"} == set(), text
    markdown = output(run, demo_repo, "diff", "HEAD", "--format", "markdown")
    assert "> records/team.yaml 有改动" in markdown.splitlines(), markdown
    data = json.loads(output(run, demo_repo, "diff", "HEAD", "--format", "json"))
    assert "records/team.yaml changed" in data["notes"]


def test_check_counts_in_chinese(run, demo_repo) -> None:
    """Before: `0 errors, 0 warnings in 339 files`. (The diagnostics themselves, `path:line:column:
    error code: message`, are the checks' English still.)"""
    result = run(demo_repo, "check", env=TODAY)
    assert re.fullmatch(r"检查了 \d+ 个文件:0 个错误,0 个警告\n", result.stderr), result.stderr
    path = demo_repo.root / "records/customers/京RE2024001.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("owner: li", "owner: nobody"), encoding="utf-8")
    result = run(demo_repo, "check", env=TODAY)
    assert result.exit_code == 1 and "unknown-member" in result.stdout
    assert re.fullmatch(r"检查了 \d+ 个文件:1 个错误,0 个警告\n", result.stderr), result.stderr


@pytest.mark.parametrize("command", ["show", "grade"])
def test_an_unknown_customer_is_said_in_chinese(run, demo_repo, command) -> None:
    """Before: `Error: no customer '粤IT2024009'; did you mean 粤IT2024003 (…), 粤IT2024001 (…)?`."""
    result = run(demo_repo, command, "粤IT2024009", env=TODAY)
    assert result.exit_code == 1
    assert result.output == ("错误:没有客户 '粤IT2024009';你要找的是不是 粤IT2024003 (深圳华辰精密电子有限公司), "
                             "粤IT2024001 (A科技有限公司)?\n")


def test_log_asks_in_chinese(run, demo_repo) -> None:
    """Before: `dealbook log ID` on a terminal asked `Contact (…)`, `Summary (跟进主题/内容)`,
    `Customer feedback (客户反馈, optional)` and `Next step ACTION@YYYY-MM-DD (empty to finish)`."""
    answers = "\n".join(["王总监", "电话确认演示时间", "", "安排现场演示@2024-05-27", "", ""]) + "\n"
    result = run(demo_repo, "log", "粤IT2024001", "--interactive", "--at", "2024-05-20 10:00", "--by", "zhang",
                 input=answers, env=TODAY)
    assert result.exit_code == 0, result.output
    for asked in ("联系人(", "跟进主题/内容: ", "客户反馈(可不填): ", "下一步 事项@YYYY-MM-DD(留空结束): "):
        assert asked in result.output, result.output
    assert not {"Contact", "Summary", "feedback", "Next"} & set(re.findall("[A-Za-z]+", result.output))


def test_move_and_quote_ask_in_chinese(run, demo_repo) -> None:
    """Before: `Why was it lost?` with the reasons' keys only, `Contract number`, `Contract amount
    (plain integer)`, and quote's `Item (empty to finish)`, `Spec`, `Quantity`, `Unit price …`."""
    result = run(demo_repo, "move", "浙MF2024005", "lost", "--interactive", input="budget\n", env=TODAY)
    assert result.exit_code == 0, result.output
    assert result.output.startswith("流失原因?(budget 预算不足, competitor 选择竞品, ")
    result = run(demo_repo, "quote", "京RE2024001", "--interactive", input="平台\nV1\n1\n100000\n90000\n\n", env=TODAY)
    assert result.exit_code == 0, result.output
    asked = [line.split(":")[0].strip() for line in result.output.splitlines()[:5]]
    assert asked == ["产品/服务(留空结束)", "规格", "数量 [1]", "单价(整数)", "单位成本(整数,未知可留空)"]
    result = run(demo_repo, "move", "京RE2024001", "won", "--interactive", input="HT-1\n100000\n", env=TODAY)
    assert result.output.startswith("合同编号: HT-1\n合同金额(整数): 100000\n")  # (then refused: no approvals)


def test_forecast_vs_actual_is_in_chinese(run, demo_repo, written) -> None:
    """Before: `diff --forecast` headed id, name, stage then, amount, prob., weighted, outcome, won,
    showed the stage then and the outcome as keys (`negotiation`, `open`) and summed up in English."""
    demo_repo.git_init()
    demo_repo.commit("demo", "2024-05-01T18:00:00+08:00")
    text = output(run, demo_repo, "diff", "--forecast", "HEAD")
    assert english(text, written) - {"HEAD"} == set(), text
    lines = [" ".join(line.split()) for line in text.splitlines()]
    assert lines[0] == "客户编号 客户名称 当时阶段 当时金额 概率 加权金额 结果 成交金额"
    assert "京RE2024001 北京中远置业有限公司 商务谈判 ¥1,860,000 60% ¥1,116,000 仍在跟进 ¥0" in lines
    assert lines[-1].startswith("HEAD(2024-05-01)的预测:加权 ")


def test_a_refused_move_hints_in_chinese(run, demo_repo) -> None:
    """Before: `hint: give what the stage requires with --set KEY=VALUE …` and `Error: refused: the
    edit would leave 1 error (shown above); nothing was written` (the diagnostic itself is English)."""
    result = run(demo_repo, "move", "粤HC2024001", "negotiation", "--no-interactive", env=TODAY)
    assert result.exit_code == 1
    assert "提示:用 --set KEY=VALUE(例如 --set need.summary=…)、--reason 或 --contract-no/--amount/--signed 补上" \
           in result.output
    assert result.output.endswith("错误:已拒绝:修改后会有 1 个错误(见上);没有写入任何内容\n")
