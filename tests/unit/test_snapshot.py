"""The signed Book snapshot: reused when nothing changed, ignored when stale, forged or foreign."""

from __future__ import annotations

import os
import pickle

from conftest import RecordRepo
from dealbook.checks.reading import CACHE_DIR, open_book
from dealbook.records import snapshot


def _ids(book) -> list[str]:
    return sorted(book.customers)


def test_unchanged_repo_is_restored_from_the_snapshot(repo: RecordRepo, monkeypatch, tmp_path) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    repo.customer()
    repo.followup("粤IT2024001", "2024-05-10 14:00")
    first = open_book(str(repo.root), snapshot=True)
    assert (repo.root / CACHE_DIR / snapshot.SNAPSHOT_FILE).is_file()

    import dealbook.checks.reading as reading

    def fail(*args, **kwargs):
        raise AssertionError("rebuilt although nothing changed")

    monkeypatch.setattr(reading, "_open_book", fail)
    again = open_book(str(repo.root), snapshot=True)
    assert _ids(again) == _ids(first)
    assert [f.path for f in again.followups_of("粤IT2024001")] == [f.path for f in first.followups_of("粤IT2024001")]
    assert again.members.keys() == first.members.keys() and again.root == str(repo.root)


def test_a_changed_file_rebuilds(repo: RecordRepo, monkeypatch, tmp_path) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    repo.customer()
    open_book(str(repo.root), snapshot=True)
    path = repo.customer(owner="ghost")
    os.utime(path, ns=(1, 1))
    book = open_book(str(repo.root), snapshot=True)
    assert book.customers["粤IT2024001"].owner == "ghost"
    assert [d.code for d in book.diagnostics] == ["unknown-member"]


def test_a_forged_snapshot_is_never_unpickled(repo: RecordRepo, monkeypatch, tmp_path) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    repo.customer()
    open_book(str(repo.root), snapshot=True)
    target = repo.root / CACHE_DIR / snapshot.SNAPSHOT_FILE
    blob = target.read_bytes()
    header = len(snapshot._MAGIC) + 32 + 64

    class Boom:
        def __reduce__(self):
            return (os.system, ("touch " + str(tmp_path / "pwned"),))

    target.write_bytes(blob[:header] + pickle.dumps(Boom()))  # same fingerprint, body swapped, old signature
    book = open_book(str(repo.root), snapshot=True)
    assert not (tmp_path / "pwned").exists()
    assert _ids(book) == ["粤IT2024001"]


def test_another_users_snapshot_is_ignored(repo: RecordRepo, monkeypatch, tmp_path) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "alice"))
    repo.customer()
    open_book(str(repo.root), snapshot=True)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "bob"))
    import dealbook.checks.reading as reading

    def fail(*args, **kwargs):
        raise RuntimeError("rebuilt")

    monkeypatch.setattr(reading, "_open_book", fail)
    try:
        open_book(str(repo.root), snapshot=True)
    except RuntimeError:
        return  # bob's key does not verify alice's snapshot: the Book was rebuilt
    raise AssertionError("a snapshot signed with another key was used")


def test_a_whole_repo_check_leaves_a_snapshot_for_the_next_command(run, repo: RecordRepo, monkeypatch,
                                                                   tmp_path) -> None:
    """The check pickles the Book in a forked process while it runs the cross-record checks, and
    waits for it: the first `customers` after a cold check restores the Book instead of building it."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    repo.customer()
    assert run(repo, "check").exit_code == 0
    assert (repo.root / CACHE_DIR / snapshot.SNAPSHOT_FILE).is_file()
    import dealbook.checks.reading as reading

    def fail(*args, **kwargs):
        raise AssertionError("rebuilt after a whole-repo check")

    monkeypatch.setattr(reading, "_open_book", fail)
    assert "粤IT2024001" in run(repo, "customers").stdout
