"""A shallow clone (`git clone --depth N`, CI's default checkout) and a repository without
commits: the git features say so instead of blaming the first commit they see for everything
before it, or printing git's own error."""

from __future__ import annotations

import json
import subprocess

import pytest
from conftest import RecordRepo
from test_approvals_git import approval_history


@pytest.fixture
def origin(repo):
    """The rep commits two draft quotes; chen commits his approval of the first; the rep types
    chen's approval into the second and commits it."""
    return approval_history(repo)


def shallow(origin: RecordRepo, tmp_path, depth: int) -> RecordRepo:
    target = tmp_path / f"depth{depth}"
    subprocess.run(["git", "clone", "-q", "--depth", str(depth), f"file://{origin.root}", str(target)],
                   check=True, capture_output=True)
    return RecordRepo(target)


def codes(run, repo) -> list[tuple[str, str]]:
    result = run(repo, "check", "--approvals", "--format", "json")
    return [(d["path"].rsplit("/", 1)[-1], d["code"]) for d in json.loads(result.output)["diagnostics"]]


def test_an_approval_at_the_cut_of_a_shallow_clone_is_not_blamed_on_its_committer(run, origin, tmp_path):
    assert codes(run, origin) == [("粤IT2024002.yaml", "approval-not-proven")]
    # depth 1: both approvals appear in the one commit there is; chen's is not the rep's doing
    one = shallow(origin, tmp_path, 1)
    assert codes(run, one) == [("粤IT2024001.yaml", "approvals-shallow"), ("粤IT2024002.yaml", "approvals-shallow")]
    result = run(one, "check", "--approvals")
    assert result.exit_code == 1
    assert "not by chen" not in result.output and "fetch-depth: 0" in result.output
    # depth 2: the rep's own commit is inside the history, chen's is its first commit
    assert codes(run, shallow(origin, tmp_path, 2)) == [
        ("粤IT2024001.yaml", "approvals-shallow"), ("粤IT2024002.yaml", "approval-not-proven")]


def test_a_revision_beyond_a_shallow_clone_says_the_clone_is_shallow(run, origin, tmp_path):
    one = shallow(origin, tmp_path, 1)
    # in the team's language (zh), --at's refusal too
    said = {"--at": [("未知的版本 'HEAD~1'", "这是浅克隆")],
            "diff": [("未知的版本 'HEAD~1'", "这是浅克隆(历史被截断了)")]}
    for args in (["--at", "HEAD~1", "check"], ["diff", "HEAD~1"]):
        result = run(one, *args)
        assert result.exit_code != 0
        assert any(all(part in result.output for part in words) for words in said[args[0]]), result.output
        assert "git fetch --unshallow" in result.output
    full = run(origin, "diff", "HEAD~5").output  # a full clone: just unknown
    assert "未知的版本 'HEAD~5'" in full and "浅克隆" not in full and "shallow" not in full


def test_history_refuses_a_shallow_clone_and_writes_nothing(run, origin, tmp_path):
    one = shallow(origin, tmp_path, 1)
    path = one.root / "records/customers/粤IT2024001.yaml"
    before = path.read_bytes()
    for args in ([], ["--backfill"]):
        result = run(one, "history", "粤IT2024001", *args)
        assert result.exit_code == 1
        assert "这是浅克隆(历史被截断了)" in result.output, result.output  # the team's language (zh)
    assert path.read_bytes() == before
    assert run(origin, "history", "粤IT2024001").exit_code == 0


def test_a_date_in_a_repository_without_commits(run, repo):
    repo.customer("粤IT2024001")
    repo.git_init()
    for args in (["--at", "2024-05-01", "check"], ["diff", "--forecast", "2024-05-01"], ["diff", "HEAD"], ["diff"]):
        result = run(repo, *args)
        assert result.exit_code != 0
        # in the team's language (zh); --at's refusal is worded by cli/context.py, in English so far
        assert "仓库还没有任何提交" in result.output or (
            args[0] == "--at" and "the repository has no commits yet" in result.output), result.output
        assert "rev-list failed" not in result.output and "rev-list 执行失败" not in result.output


def late_followups(run, repo) -> int | None:
    """The team's late follow-ups in May (None: not counted, the report says why)."""
    result = run(repo, "--today", "2024-05-31", "report", "team-activity", "--period", "2024-05", "--format", "json")
    assert result.exit_code == 0, result.output
    return json.loads(result.output)["totals"]["late_followups"]


def test_recorded_times_are_unknown_at_a_shallow_cut_and_read_again_once_fetched(run, repo, tmp_path):
    """Follow-ups recorded on time: a shallow clone whose first commit is a later one does not
    take that commit for when every record was entered (and call them late); once the history
    is fetched, the change log kept from the shallow run is not reused."""
    repo.git_init()
    repo.customer(created="2024-05-01 09:00")
    repo.commit("new customer", "2024-05-01T10:00:00+08:00")
    repo.followup("粤IT2024001", "2024-05-02 10:00", contact="王总监")
    repo.commit("a call, recorded at once", "2024-05-02T11:00:00+08:00")
    repo.followup("粤IT2024001", "2024-05-20 10:00", contact="王总监")
    repo.commit("another call, recorded at once", "2024-05-20T10:30:00+08:00")
    assert late_followups(run, repo) == 0
    one = shallow(repo, tmp_path, 1)
    assert late_followups(run, one) is None  # unknown, not "recorded 2024-05-20" (18 days late)
    notes = json.loads(run(one, "report", "team-activity", "--period", "2024-05", "--format", "json").output)["notes"]
    assert any("浅克隆" in note for note in notes), notes  # the records are in Chinese (language: zh)
    subprocess.run(["git", "fetch", "-q", "--unshallow"], cwd=one.root, check=True, capture_output=True)
    assert late_followups(run, one) == 0
