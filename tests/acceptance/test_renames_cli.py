"""A customer renamed by a commit keeps its history: `dealbook history`, the change log and the
recorded times of its follow-ups follow the rename (git log --follow semantics)."""

from __future__ import annotations

import json

import pytest
from conftest import RecordRepo

OLD, NEW = "粤IT2024001", "粤IT2024009"
FOLLOWUP = "2024-02-01-1000.yaml"


@pytest.fixture
def renamed(repo: RecordRepo) -> RecordRepo:
    """Created 2024-01-05 with a follow-up, moved to proposal 2024-03-01, renamed 2024-04-01."""
    repo.customer(OLD)
    repo.followup(OLD, "2024-02-01 10:00", contact="王总监")
    repo.git_init()
    repo.commit("new lead", "2024-01-05T10:00:00+08:00")
    repo.customer(OLD, stage="proposal", stage_history=[{"stage": "lead", "on": "2024-01-05"},
                                                        {"stage": "proposal", "on": "2024-03-01"}],
                  need={"summary": "质检", "budget": {"status": "clear"}, "timeline": {"start": "2024-06-01"}})
    repo.commit("proposal", "2024-03-01T10:00:00+08:00")
    repo.git("mv", f"records/customers/{OLD}.yaml", f"records/customers/{NEW}.yaml")
    repo.git("mv", f"records/followups/{OLD}", f"records/followups/{NEW}")
    for path in (repo.root / f"records/customers/{NEW}.yaml", repo.root / f"records/followups/{NEW}/{FOLLOWUP}"):
        path.write_text(path.read_text(encoding="utf-8").replace(OLD, NEW), encoding="utf-8")
    repo.commit("rename", "2024-04-01T10:00:00+08:00")
    return repo


def test_history_follows_the_rename(run, renamed: RecordRepo) -> None:
    result = run(renamed, "history", NEW, "--format", "json")
    rows = json.loads(result.stdout)["timeline"]
    assert [(r["stage"], r["git_on"]) for r in rows] == [("lead", "2024-01-05"), ("proposal", "2024-03-01")]
    assert all(r["status"] == "ok" for r in rows), rows
    assert result.exit_code == 0, result.output


def test_the_change_log_shows_a_rename_not_a_creation(renamed: RecordRepo) -> None:
    from dealbook.git.history import customer_changelog

    log = customer_changelog(str(renamed.root))
    assert OLD not in log
    entries = log[NEW]
    created = [c for c in entries if c.kind == "customer" and c.summary.startswith("created")]
    assert [c.when.date().isoformat() for c in created] == ["2024-01-05"]
    renames = [c for c in entries if c.kind == "customer" and c.when.date().isoformat() == "2024-04-01"]
    assert len(renames) == 1 and f"renamed from {OLD}" in renames[0].summary
    moved = [c for c in entries if c.kind == "followup" and c.when.date().isoformat() == "2024-04-01"]
    assert [c.summary for c in moved] == [f"follow-up 2024-02-01-1000 moved from {OLD}"]


def test_a_moved_follow_up_keeps_its_recorded_time(renamed: RecordRepo) -> None:
    from dealbook.git.history import first_commit_times

    times = first_commit_times(str(renamed.root))
    assert times[f"records/followups/{NEW}/{FOLLOWUP}"].date().isoformat() == "2024-01-05"
    assert times[f"records/customers/{NEW}.yaml"].date().isoformat() == "2024-01-05"


def test_the_history_cache_of_an_older_layout_is_rebuilt(renamed: RecordRepo) -> None:
    from dealbook.git.history import customer_changelog

    customer_changelog(str(renamed.root))
    renamed.customer(NEW, name="B科技有限公司", stage="proposal",
                     stage_history=[{"stage": "lead", "on": "2024-01-05"}, {"stage": "proposal", "on": "2024-03-01"}])
    renamed.commit("name", "2024-04-02T10:00:00+08:00")
    entries = customer_changelog(str(renamed.root))[NEW]
    assert [c.summary.split(" ")[0] for c in entries if c.kind == "customer"] == ["created", "stage", "renamed",
                                                                                 "name"]
