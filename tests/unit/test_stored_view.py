"""Stored read-only views: reused when nothing changed, recomputed on an edit, a new day, or new code."""

from __future__ import annotations

import json
import os

from conftest import RecordRepo
from dealbook.checks.reading import CACHE_DIR, stored_view
from dealbook.records.settings import load_settings


def _count(calls: list[int]):
    def compute(book):
        calls.append(1)
        return {"ids": sorted(book.customers), "owners": sorted(c.owner for c in book.customers.values())}

    return compute


def test_reused_until_a_record_changes(repo: RecordRepo) -> None:
    repo.customer()
    root, settings = str(repo.root), load_settings(str(repo.root))
    calls: list[int] = []
    first = stored_view(root, settings, "t", "2024-05-20", _count(calls))
    again = stored_view(root, settings, "t", "2024-05-20", _count(calls))
    assert first == again == {"ids": ["粤IT2024001"], "owners": ["zhang"]} and len(calls) == 1
    path = repo.customer(owner="li")
    os.utime(path, ns=(1, 1))
    assert stored_view(root, settings, "t", "2024-05-20", _count(calls))["owners"] == ["li"]
    assert len(calls) == 2


def test_another_day_or_new_file_recomputes(repo: RecordRepo) -> None:
    repo.customer()
    root, settings = str(repo.root), load_settings(str(repo.root))
    calls: list[int] = []
    stored_view(root, settings, "t", "2024-05-20", _count(calls))
    stored_view(root, settings, "t", "2024-05-21", _count(calls))
    repo.customer("粤IT2024002", name="乙公司")
    assert stored_view(root, settings, "t", "2024-05-21", _count(calls))["ids"] == ["粤IT2024001", "粤IT2024002"]
    assert len(calls) == 3


def test_a_corrupt_view_file_is_recomputed(repo: RecordRepo) -> None:
    repo.customer()
    root, settings = str(repo.root), load_settings(str(repo.root))
    calls: list[int] = []
    stored_view(root, settings, "t", "k", _count(calls))
    (repo.root / CACHE_DIR / "view-t.marshal").write_bytes(b"\x00garbage")
    assert stored_view(root, settings, "t", "k", _count(calls))["ids"] == ["粤IT2024001"] and len(calls) == 2


def test_customers_and_agenda_commands_see_edits_between_runs(run, repo: RecordRepo) -> None:
    repo.customer()
    repo.followup("粤IT2024001", "2024-05-10 14:00", next=[{"action": "回访", "due": "2024-05-12"}])
    first = json.loads(run(repo, "customers", "--format", "json").stdout)["customers"][0]
    assert (first["next_due"], first["overdue_days"]) == ("2024-05-12", 8)
    assert json.loads(run(repo, "customers", "--format", "json").stdout)["customers"][0] == first  # stored
    agenda = json.loads(run(repo, "agenda", "--format", "json").stdout)["items"]
    assert [(i["due"], i["group"]) for i in agenda] == [("2024-05-12", "overdue")]
    path = repo.followup("粤IT2024001", "2024-05-18 09:00", next=[{"action": "报价", "due": "2024-05-24"}])
    os.utime(path, ns=(2, 2))
    later = json.loads(run(repo, "customers", "--format", "json").stdout)["customers"][0]
    assert (later["next_due"], later["overdue_days"]) == ("2024-05-24", 0)
    agenda = json.loads(run(repo, "agenda", "--days", "3", "--all", "--format", "json").stdout)["items"]
    assert [(i["due"], i["group"]) for i in agenda] == [("2024-05-24", "later")]  # regrouped for --days 3
    week = json.loads(run(repo, "agenda", "--format", "json").stdout)["items"]
    assert [(i["due"], i["group"]) for i in week] == [("2024-05-24", "week")]
    # --today is part of the key: a later day recomputes overdue days
    other = json.loads(run(repo, "--today", "2024-05-30", "customers", "--format", "json").stdout)["customers"][0]
    assert other["overdue_days"] == 6
