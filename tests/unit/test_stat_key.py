"""The parse cache and every stored result are keyed like git's index: size, mtime and ctime in
nanoseconds and inode, and a file changed too recently to trust its times is compared by content."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import dealbook.checks.filecache as reading
import pytest
from conftest import RecordRepo

CUSTOMER = "records/customers/粤IT2024001.yaml"


def _same_size_edit(path: Path, old: str, new: str) -> None:
    """Rewrite the file in place (same inode) with `old` replaced by `new` of the same length, and set
    its access and modification times back to what they were: only the ctime tells."""
    assert len(old.encode()) == len(new.encode())
    st = os.stat(path)
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new), encoding="utf-8")
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))
    after = os.stat(path)
    assert (after.st_size, after.st_mtime_ns, after.st_ino) == (st.st_size, st.st_mtime_ns, st.st_ino)


def _codes(result) -> list[str]:
    return [d["code"] for d in json.loads(result.stdout)["diagnostics"]]


@pytest.fixture
def settled(monkeypatch) -> None:
    """Files count as settled (not racy) as soon as they are written, as they would a few seconds later."""
    monkeypatch.setattr(reading, "RACY_NS", 0, raising=False)


def test_a_same_size_edit_with_the_mtime_set_back_is_seen(run, repo: RecordRepo, settled, monkeypatch,
                                                          tmp_path) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    repo.customer()
    repo.followup("粤IT2024001", "2024-05-10 14:00")
    path = repo.root / CUSTOMER
    assert _codes(run(repo, "check", "--format", "json")) == []
    assert _codes(run(repo, "check", "--format", "json", str(path))) == []
    assert "zhang" in run(repo, "show", "粤IT2024001").stdout
    _same_size_edit(path, "owner: zhang", "owner: ghost")
    assert _codes(run(repo, "check", "--format", "json")) == ["unknown-member"]
    assert _codes(run(repo, "check", "--format", "json", str(path))) == ["unknown-member"]
    shown = run(repo, "show", "粤IT2024001").stdout
    assert "ghost" in shown and "zhang" not in shown


def test_a_same_size_edit_is_seen_by_path_first(run, repo: RecordRepo, settled) -> None:
    repo.customer()
    path = repo.root / CUSTOMER
    assert _codes(run(repo, "check", "--format", "json", str(path))) == []
    _same_size_edit(path, "owner: zhang", "owner: ghost")
    assert _codes(run(repo, "check", "--format", "json", str(path))) == ["unknown-member"]
    assert _codes(run(repo, "check", "--format", "json")) == ["unknown-member"]


def test_racy_files_are_compared_by_content(run, repo: RecordRepo, monkeypatch, tmp_path) -> None:
    """A filesystem with coarse timestamps: two versions of a file written within one tick have the
    same size, times and inode. A file whose times are that recent when the cache is written is
    re-read (compared by content) next time."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    now = time.time_ns()
    monkeypatch.setattr(reading, "stat_key", lambda st: (st.st_size, now, now, 1), raising=False)
    repo.customer()
    path = repo.root / CUSTOMER
    assert _codes(run(repo, "check", "--format", "json")) == []
    assert "zhang" in run(repo, "show", "粤IT2024001").stdout
    path.write_text(path.read_text(encoding="utf-8").replace("owner: zhang", "owner: ghost"), encoding="utf-8")
    assert _codes(run(repo, "check", "--format", "json")) == ["unknown-member"]
    assert _codes(run(repo, "check", "--format", "json", str(path))) == ["unknown-member"]
    assert "ghost" in run(repo, "show", "粤IT2024001").stdout


def test_settled_files_are_not_hashed(repo: RecordRepo, settled, monkeypatch) -> None:
    repo.customer()
    read: list[str] = []
    monkeypatch.setattr(reading, "_content_digest", lambda full: read.append(full) or b"")
    stamps = reading.scan(str(repo.root))
    assert read == [] and len(stamps[CUSTOMER]) == 4


def test_recent_files_carry_a_content_digest(repo: RecordRepo) -> None:
    path = repo.customer()
    stamp = reading.scan(str(repo.root))[CUSTOMER]
    st = os.stat(path)
    assert stamp[:4] == (st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino) and len(stamp) == 5
    assert reading.file_stamp(str(repo.root), CUSTOMER) == stamp
