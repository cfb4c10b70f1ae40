"""Approvals are commits: `dealbook check --approvals` tells an approval the approver committed
from one a rep typed in, from a real git history."""

from __future__ import annotations

import json
import os
import subprocess

import pytest
from conftest import TEAM, customer_data

PROPOSAL = {"stage": "proposal", "need": {"summary": "质检", "budget": {"status": "clear"}},
            "stage_history": [{"stage": "lead", "on": "2024-01-05"}, {"stage": "proposal", "on": "2024-05-01"}]}
QUOTE = {"no": "BJ-1", "date": "2024-05-06", "status": "draft", "valid_until": "2024-06-05", "total": 100000,
         "margin": 0.2, "lines": [{"item": "工位", "quantity": 1, "unit_price": 100000, "amount": 100000}]}
APPROVAL = {"step": "margin", "by": "chen", "on": "2024-05-07"}


def commit_as(repo, name: str, email: str, message: str) -> None:
    env = dict(os.environ, GIT_AUTHOR_NAME=name, GIT_AUTHOR_EMAIL=email, GIT_COMMITTER_NAME=name,
               GIT_COMMITTER_EMAIL=email)
    subprocess.run(["git", "add", "-A"], cwd=repo.root, check=True)
    subprocess.run(["git", "commit", "-q", "-m", message], cwd=repo.root, check=True, env=env)


def found(run, repo, *args: str) -> list[tuple[str, str]]:
    result = run(repo, "check", "--approvals", "--format", "json", *args)
    return [(d["path"].rsplit("/", 1)[-1], d["code"]) for d in json.loads(result.output)["diagnostics"]]


@pytest.fixture
def history(repo):
    return approval_history(repo)


def approval_history(repo):
    """Two draft quotes by the rep; chen commits the approval of the first under his own identity;
    the rep types chen's approval into the second and commits it himself."""
    repo.git_init()
    repo.customer("粤IT2024001", **PROPOSAL, quotes=[QUOTE])
    repo.customer("粤IT2024002", name="B科技有限公司", **PROPOSAL, quotes=[QUOTE])
    commit_as(repo, "zhangwei", "zhang@example.com", "two quotes below the floor, drafts")
    repo.customer("粤IT2024001", **PROPOSAL, quotes=[dict(QUOTE, status="sent", approvals=[APPROVAL])])
    commit_as(repo, "chenjing", "chen@example.com", "approve BJ-1 of 粤IT2024001")
    repo.customer("粤IT2024002", name="B科技有限公司", **PROPOSAL,
                  quotes=[dict(QUOTE, status="sent", approvals=[APPROVAL])])
    commit_as(repo, "zhangwei", "zhang@example.com", "approved (typed by the rep)")
    return repo


def test_the_check_tells_the_approver_from_the_rep(run, history) -> None:
    assert run(history, "check").exit_code == 0  # the records alone look fine
    assert found(run, history) == [("粤IT2024002.yaml", "approval-not-proven")]
    result = run(history, "check", "--approvals")
    assert result.exit_code == 1  # in the team's language (zh), then in English (as it always said it)
    sha = history.git("log", "-1", "--format=%h", "--abbrev=7", "--", "records/customers/粤IT2024002.yaml").strip()
    assert (f"error approval-not-proven: `chen` 对 BJ-1 的审批 `margin` 是在提交 {sha}(作者 zhangwei "
            "<zhang@example.com>) 中添加的,不是 chen(chenjing / chen@example.com)本人提交的:审批须由审批人自己提交\n"
            ) in result.output, result.output
    history.settings("as_of: 2024-05-20\nlanguage: en\n")
    result = run(history, "check", "--approvals")
    assert result.exit_code == 1
    assert (f"error approval-not-proven: approval `margin` by `chen` on BJ-1 was added in commit {sha} by zhangwei "
            "<zhang@example.com>, not by chen (chenjing / chen@example.com): the approver commits their own approval\n"
            ) in result.output, result.output


def test_an_approval_not_yet_committed_is_not_proven(run, history) -> None:
    history.customer("粤IT2024003", name="C科技有限公司", **PROPOSAL,
                     quotes=[dict(QUOTE, status="sent", approvals=[APPROVAL])])
    assert ("粤IT2024003.yaml", "approval-uncommitted") in found(run, history)


def test_the_email_in_team_yaml_identifies_the_approver_too(run, history) -> None:
    team = {"members": [dict(m, git="someone-else") if m["handle"] == "chen" else m for m in TEAM["members"]]}
    history.write("records/team.yaml", team)
    assert found(run, history) == [("粤IT2024002.yaml", "approval-not-proven")]


def test_since_a_base_revision_only_new_approvals_are_verified(run, history) -> None:
    base = history.git("rev-parse", "HEAD").strip()
    assert found(run, history, "--approvals-since", base) == []
    history.customer("粤IT2024003", name="C科技有限公司", **PROPOSAL,
                     quotes=[dict(QUOTE, status="sent", approvals=[APPROVAL])])
    commit_as(history, "zhangwei", "zhang@example.com", "another typed approval")
    assert found(run, history, "--approvals-since", base) == [("粤IT2024003.yaml", "approval-not-proven")]


def test_without_git_the_approvals_cannot_be_verified(run, repo) -> None:
    repo.customer("粤IT2024001", **PROPOSAL, quotes=[dict(QUOTE, status="sent", approvals=[APPROVAL])])
    assert found(run, repo) == [("粤IT2024001.yaml", "approvals-no-git")]
    said = run(repo, "check", "--approvals").output  # the team's language (zh), git's part too
    assert f"没有 git 历史,无法核实审批:{repo.root} 不在 git 仓库中" in said, said


def test_the_review_shows_new_quotes_with_margin_and_the_approvals_still_needed(run, repo) -> None:
    repo.git_init()
    repo.customer("粤IT2024001", **PROPOSAL)
    commit_as(repo, "zhangwei", "zhang@example.com", "a deal")
    repo.customer("粤IT2024001", **PROPOSAL, quotes=[QUOTE])
    text = run(repo, "diff", "HEAD").output
    assert "新报价 BJ-1:¥100,000,毛利率 20.0% (草稿)" in text  # the team's language (zh), approvers in words
    assert "待审批:BJ-1 的低毛利审批(由 销售主管,总经理 审批)" in text
    data = json.loads(run(repo, "diff", "HEAD", "--format", "json").output)["customers"][0]
    assert data["new_quotes"] == [{"no": "BJ-1", "margin": 0.2, "amount": 100000, "status": "draft"}]
    assert data["approvals_needed"] == [{"no": "BJ-1", "step": "margin", "approvers": ["manager", "gm"]}]
    markdown = run(repo, "diff", "HEAD", "--format", "markdown").output
    assert "待审批:BJ-1 的低毛利审批(由 销售主管,总经理 审批)" in markdown
    # once chen approves and commits it, nothing is needed any more
    commit_as(repo, "zhangwei", "zhang@example.com", "the quote")
    repo.customer("粤IT2024001", **PROPOSAL, quotes=[dict(QUOTE, status="sent", approvals=[APPROVAL])])
    assert "待审批" not in run(repo, "diff", "HEAD").output


def test_dealbook_approve_writes_the_approval_of_the_git_identity(run, repo) -> None:
    repo.git_init()
    repo.customer("粤IT2024001", **PROPOSAL, quotes=[QUOTE])
    commit_as(repo, "zhangwei", "zhang@example.com", "a draft quote")
    repo.git("config", "user.email", "chen@example.com")  # chen's own machine
    result = run(repo, "approve", "粤IT2024001", "BJ-1", "--on", "2024-05-07")
    assert result.exit_code == 0, result.output
    assert "BJ-1 已由 chen 于 2024-05-07 审批(低毛利审批)" in result.output
    commit_as(repo, "chenjing", "chen@example.com", "approve BJ-1")
    assert found(run, repo) == []
    refused = run(repo, "approve", "粤IT2024001", "BJ-1", "--as", "li")
    assert refused.exit_code != 0 and "BJ-1 已经有审批 `margin`;没有写入任何内容" in refused.output


def test_a_rep_cannot_approve_with_dealbook_approve(run, repo) -> None:
    repo.customer("粤IT2024001", **PROPOSAL, quotes=[QUOTE])
    result = run(repo, "approve", "粤IT2024001", "BJ-1", "--as", "li")
    assert result.exit_code == 1 and "approval-not-allowed" in result.output


@pytest.mark.parametrize("merge_into", ["pr", "main"])
def test_an_approval_made_on_a_branch_stays_proven_after_a_merge(run, repo, merge_into) -> None:
    """chen approves on the pull request's branch while the rep edits the same customer on main;
    merged either way (main into the branch, or the branch into main as GitHub's merge commit
    does), the approval is still the one chen committed: the rep's later edit of main does not
    make it "not in any commit yet"."""
    repo.git_init()
    repo.customer("粤IT2024001", **PROPOSAL, quotes=[QUOTE])
    commit_as(repo, "zhangwei", "zhang@example.com", "a quote below the floor, draft")
    repo.git("checkout", "-q", "-b", "pr")
    repo.customer("粤IT2024001", **PROPOSAL, quotes=[dict(QUOTE, status="sent", approvals=[APPROVAL])])
    commit_as(repo, "chenjing", "chen@example.com", "approve BJ-1")
    repo.git("checkout", "-q", "main")
    path = repo.root / "records/customers/粤IT2024001.yaml"
    path.write_text(path.read_text().replace("region: 广东 深圳", "region: 广东 广州"))
    commit_as(repo, "zhangwei", "zhang@example.com", "the customer moved")
    repo.git("checkout", "-q", merge_into)
    other = "main" if merge_into == "pr" else "pr"
    repo.git("-c", "user.name=zhangwei", "-c", "user.email=zhang@example.com", "merge", "-q", "--no-ff",
             "--no-edit", other)
    text = path.read_text()
    assert "广东 广州" in text and "by: chen" in text
    assert found(run, repo) == []
    assert found(run, repo, "--approvals-since", "HEAD^1") == []


def test_an_approval_slipped_into_a_merge_is_not_proven(run, repo) -> None:
    """No commit of its own adds the approval: the rep wrote it while resolving a merge."""
    repo.git_init()
    repo.customer("粤IT2024001", **PROPOSAL, quotes=[QUOTE])
    commit_as(repo, "zhangwei", "zhang@example.com", "a quote below the floor, draft")
    repo.git("checkout", "-q", "-b", "pr")
    path = repo.root / "records/customers/粤IT2024001.yaml"
    path.write_text(path.read_text().replace("region: 广东 深圳", "region: 广东 广州"))
    commit_as(repo, "zhangwei", "zhang@example.com", "the customer moved")
    repo.git("checkout", "-q", "main")
    repo.write("records/customers/粤IT2024002.yaml", customer_data("粤IT2024002", name="B科技有限公司"))
    commit_as(repo, "zhangwei", "zhang@example.com", "another customer")
    repo.git("-c", "user.name=zhangwei", "-c", "user.email=zhang@example.com", "merge", "-q", "--no-ff",
             "--no-commit", "pr")
    repo.customer("粤IT2024001", **PROPOSAL, region="广东 广州",
                  quotes=[dict(QUOTE, status="sent", approvals=[APPROVAL])])
    commit_as(repo, "zhangwei", "zhang@example.com", "merge pr")
    assert found(run, repo) == [("粤IT2024001.yaml", "approval-not-proven")]
    assert "是随合并提交进来的,不是单独的提交" in run(repo, "check", "--approvals").output  # the team's language (zh)
