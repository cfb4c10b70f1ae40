"""The refusals of `new`, `move`, `log`, `approve` and `history` in the team's language: on the
Chinese demo (`language: zh`) each is Chinese; in a copy whose dealbook.yaml says `language: en`
each is the English it always was, byte for byte. Before: every one of them was English on the
Chinese demo."""

from __future__ import annotations

from pathlib import Path

import pytest

TODAY = {"DEALBOOK_TODAY": "2024-05-20"}
NEW = ("new", "customer", "--name", "X", "--industry", "C3970", "--owner", "zhang", "--channel", "other",
       "--no-interactive", "--dry-run")
LOG = ("log", "粤IT2024001", "-s", "电话", "--by", "zhang", "--at", "2024-05-20 10:00", "--dry-run")


def last_line(repo: Path, *args: str, code: int) -> str:
    """The last line `dealbook --repo REPO ARGS` says when it refuses them (with the exit code expected)."""
    from click.testing import CliRunner
    from dealbook.cli import cli

    result = CliRunner().invoke(cli, ["--repo", str(repo), *args], env=TODAY, prog_name="dealbook",
                                catch_exceptions=False)
    assert result.exit_code == code, result.output
    return result.output.rstrip("\n").splitlines()[-1]


CASES = [
    # new
    ((*NEW[:2], "--name", "X", "--no-interactive"), 2,
     "缺少 --industry, --owner, --channel, --contact(或在终端中运行,逐项询问)",
     "missing --industry, --owner, --channel, --contact (or run on a terminal to be asked)"),
    ((*NEW, "--region", "广东 深圳", "--contact", "王,总监,boss"), 2,
     "--contact 的值无效:`王,总监,boss` 中的角色 `boss` 不可用,可选:initiator | influencer | decision_maker | user",
     "Invalid value for --contact: role `boss` in `王,总监,boss`: use one of "
     "initiator | influencer | decision_maker | user"),
    ((*NEW, "--region", "广东 深圳", "--contact", "王总监"), 2,
     "--contact 的值无效:`王总监`:请写成 NAME,TITLE,ROLE[,PHONE[,PHONE_KIND]][,EMAIL],"
     "例如 '王总监,技术总监,decision_maker,0755-88881234'",
     "Invalid value for --contact: `王总监`: write NAME,TITLE,ROLE[,PHONE[,PHONE_KIND]][,EMAIL], "
     "e.g. '王总监,技术总监,decision_maker,0755-88881234'"),
    ((*NEW, "--region", "广东 深圳", "--contact", "王,总监,user", "--created", "5月"), 2,
     "--created 的值无效:`5月` 不是日期或时间:请写成 YYYY-MM-DD 或 'YYYY-MM-DD HH:MM'",
     "Invalid value for --created: `5月` is not a date or time: write YYYY-MM-DD or 'YYYY-MM-DD HH:MM'"),
    ((*NEW, "--region", "广东 深圳", "--contact", "王,总监,user", "--id", "粤IT2024001"), 1,
     "records/customers/粤IT2024001.yaml 已存在:dealbook 从不覆盖已有的记录",
     "records/customers/粤IT2024001.yaml already exists: dealbook never overwrites a record"),
    ((*NEW, "--contact", "王,总监,user"), 2,
     "请给出 --province(例如 粤):无法从 --region 中读出省份",
     "give --province (e.g. 粤): it could not be read from --region"),
    # move
    (("move", "粤IT2024001", "nowhere"), 2,
     "STAGE 的值无效:未知的阶段 `nowhere`;可用的阶段有:lead | discovery | proposal | negotiation | won | "
     "after_sales | lost",
     "Invalid value for STAGE: unknown stage `nowhere`; the stages are: lead | discovery | proposal | "
     "negotiation | won | after_sales | lost"),
    (("move", "粤IT2024001", "proposal", "--dry-run"), 1,
     "粤IT2024001 已经处于阶段 proposal;没有写入任何内容",
     "粤IT2024001 is already at stage proposal; nothing was written"),
    (("move", "粤IT2024001", "lost", "--no-interactive", "--dry-run"), 2,
     "转到 lost 需要 --reason,可选:budget | competitor | no_need | timing | no_response | other | churn",
     "moving to lost needs --reason: one of budget | competitor | no_need | timing | no_response | other | churn"),
    (("move", "粤IT2024001", "won", "--no-interactive", "--dry-run"), 2,
     "转到 won 需要合同:--contract-no 和 --amount(以及 --signed,默认为转阶段的日期)",
     "moving to won needs a contract: --contract-no and --amount (and --signed, default the move's date)"),
    (("move", "粤IT2024001", "negotiation", "--on", "2024-05-01", "--dry-run"), 1,
     "粤IT2024001:2024-05-01 早于上一次阶段变更(2024-05-06);阶段历程只能按时间往后记。没有写入任何内容",
     "粤IT2024001: 2024-05-01 is before the last stage change (2024-05-06); stage history goes forward in "
     "time. Nothing was written"),
    (("move", "沪MF2024001", "lost", "--reason", "budget", "--dry-run"), 2,
     "沪MF2024001 是已成交客户:已成交的客户停止合作属于客户流失;请用 --reason churn,并用 --note 写明原因",
     "沪MF2024001 is a won customer: one who stops working with us has churned; use --reason churn and say "
     "why with --note"),
    # log
    ((*LOG, "--next", "明天"), 2,
     "--next 的值无效:`明天`:请写成 ACTION@YYYY-MM-DD,例如 '发送方案@2024-05-25'",
     "Invalid value for --next: `明天`: write ACTION@YYYY-MM-DD, e.g. '发送方案@2024-05-25'"),
    ((*LOG, "--at", "2024-05-20"), 2,
     "--at 的值无效:`2024-05-20` 不是时间:请写成 'YYYY-MM-DD HH:MM'",
     "Invalid value for --at: `2024-05-20` is not a time: write 'YYYY-MM-DD HH:MM'"),
    ((*LOG, "--help-detail", "需技术支持"), 2,
     "求助需要 --help-from(找谁)和 --help-detail(需要什么)",
     "a help request needs --help-from (who) and --help-detail (what)"),
    ((*LOG, "--help-from", "li", "--help-detail", "需技术支持", "--help-due", "5月"), 2,
     "--help-due 的值无效:`5月`:请写成 YYYY-MM-DD",
     "Invalid value for --help-due: `5月`: write YYYY-MM-DD"),
    (("log", "粤IT2024001", "--by", "zhang", "--no-interactive", "--dry-run"), 2,
     "需要给出 --summary(或用 --edit 在编辑器中填写)",
     "--summary is required (or --edit to write it in your editor)"),
    # approve
    (("approve", "渝MF2024001", "NOPE", "--as", "chen", "--dry-run"), 1,
     "该客户没有编号为 `NOPE` 的报价单或合同",
     "no quote or contract numbered `NOPE` in this customer"),
    (("approve", "渝MF2024001", "BJ-2024-0515", "--as", "nobody", "--dry-run"), 2,
     "`nobody` 不是团队成员(records/team.yaml)",
     "`nobody` is not a member of the team (records/team.yaml)"),
    (("approve", "鲁MF2024001", "HT-2024-0510", "--as", "chen", "--dry-run"), 2,
     "请用 --step 指定审批步骤:HT-2024-0510 尚缺的步骤:无;chen(manager)可以给出的:一个也没有",
     "say which step with --step: missing on HT-2024-0510: none; chen (manager) may give: none of them"),
    (("approve", "鲁MF2024001", "HT-2024-0510", "--as", "chen", "--step", "sales_head", "--dry-run"), 1,
     "HT-2024-0510 已经有审批 `sales_head`;没有写入任何内容",
     "HT-2024-0510 already has an approval `sales_head`; nothing was written"),
    # history
    (("--at", "HEAD", "history", "粤IT2024001"), 2,
     "history 会自己读取完整的 git 历史:请去掉 --at",
     "history reads the whole git history itself; drop --at"),
    (("history", "粤XX2024999"), 1,
     "没有客户 粤XX2024999:records/customers/粤XX2024999.yaml 不存在",
     "no customer 粤XX2024999: records/customers/粤XX2024999.yaml does not exist"),
]


@pytest.mark.parametrize(("args", "code", "chinese", "english"), CASES,
                         ids=[f"{'history' if a[0] == '--at' else a[0]}-{n}" for n, (a, *_) in enumerate(CASES)])
def test_a_commands_refusal_is_said_in_the_teams_language(demo_repo, english_repo_copy, args, code, chinese,
                                                          english) -> None:
    assert last_line(english_repo_copy, *args, code=code) == "Error: " + english
    assert last_line(demo_repo.root, *args, code=code) == "错误:" + chinese


def test_a_refusal_writes_nothing_in_either_language(demo_repo, english_repo_copy) -> None:
    """Said in Chinese or in English, a refusal leaves the records as they were."""
    for repo in (demo_repo.root, english_repo_copy):
        before = {p: p.read_bytes() for p in sorted((repo / "records").rglob("*")) if p.is_file()}
        for args, code, _chinese, _english in CASES:
            last_line(repo, *args, code=code)
        assert {p: p.read_bytes() for p in sorted((repo / "records").rglob("*")) if p.is_file()} == before
