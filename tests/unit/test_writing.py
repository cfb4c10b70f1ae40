"""Atomic writes: a reader sees the old file or the new one; failures leave nothing behind."""

from __future__ import annotations

import os
import stat

import pytest
from dealbook.records import writing
from dealbook.records.writing import PathTaken, StaleFile, atomic_file, atomic_write, clean_scratch, write_checked


def test_atomic_write_replaces_and_keeps_permissions(tmp_path) -> None:
    target = tmp_path / "a" / "b.yaml"
    atomic_write(str(target), "一\n")
    os.chmod(target, 0o640)
    atomic_write(str(target), "二\n")
    assert target.read_text(encoding="utf-8") == "二\n"
    assert stat.S_IMODE(os.stat(target).st_mode) == 0o640
    assert [p.name for p in target.parent.iterdir()] == ["b.yaml"]


def test_a_failed_write_leaves_the_old_file_and_no_temporary(tmp_path, monkeypatch) -> None:
    target = tmp_path / "b.yaml"
    target.write_text("old\n", encoding="utf-8")

    def broken(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(writing.os, "replace", broken)
    with pytest.raises(OSError):
        atomic_write(str(target), "new\n")
    assert target.read_text(encoding="utf-8") == "old\n"
    assert [p.name for p in tmp_path.iterdir()] == ["b.yaml"]


def test_write_checked_can_sync_once(tmp_path, monkeypatch) -> None:
    calls = {"fsync": 0, "sync": 0}
    monkeypatch.setattr(writing.os, "fsync", lambda fd: calls.__setitem__("fsync", calls["fsync"] + 1))
    monkeypatch.setattr(writing.os, "sync", lambda: calls.__setitem__("sync", calls["sync"] + 1))
    seen: list[str] = []
    count = write_checked(str(tmp_path), ((str(tmp_path / f"{i}.yaml"), f"n: {i}\n", None) for i in range(50)),
                          progress=lambda items: (seen.append(x) or x for x in items), flush_once=True)
    assert count == 50 and len(seen) == 50
    assert (tmp_path / "49.yaml").read_text() == "n: 49\n"
    assert calls == {"fsync": 0, "sync": 1}


def test_atomic_file_only_appears_when_the_block_succeeds(tmp_path) -> None:
    target = tmp_path / "export.xlsx"
    with pytest.raises(RuntimeError), atomic_file(str(target)) as temporary:
        with open(temporary, "wb") as handle:
            handle.write(b"half")
        raise RuntimeError("interrupted")
    assert not target.exists() and list(tmp_path.iterdir()) == []
    with atomic_file(str(target)) as temporary, open(temporary, "wb") as handle:
        handle.write(b"whole")
    assert target.read_bytes() == b"whole"


def test_a_new_file_is_created_exclusively(tmp_path) -> None:
    target = tmp_path / "records" / "a.yaml"
    atomic_write(str(target), "first\n", exclusive=True)
    with pytest.raises(PathTaken):
        atomic_write(str(target), "second\n", exclusive=True)
    assert target.read_text() == "first\n"
    assert [p.name for p in target.parent.iterdir()] == ["a.yaml"]


def test_an_edit_is_refused_when_the_file_changed_since_it_was_read(tmp_path) -> None:
    one, two = tmp_path / "one.yaml", tmp_path / "two.yaml"
    one.write_text("read\n")
    two.write_text("read\n")
    one.write_text("someone else's change\n")  # same size would not matter: the bytes are compared
    with pytest.raises(StaleFile):
        write_checked(str(tmp_path), [(str(two), "mine\n", b"read\n"), (str(one), "mine\n", b"read\n")])
    assert one.read_text() == "someone else's change\n" and two.read_text() == "read\n"
    one.write_text("reax\n")  # same size, other bytes
    with pytest.raises(StaleFile):
        write_checked(str(tmp_path), [(str(one), "mine\n", b"read\n")])
    one.unlink()
    with pytest.raises(StaleFile, match="deleted"):
        write_checked(str(tmp_path), [(str(one), "mine\n", b"read\n")])
    two.write_text("taken\n")
    with pytest.raises(PathTaken):
        write_checked(str(tmp_path), [(str(two), "mine\n", None)])
    assert write_checked(str(tmp_path), [(str(two), "mine\n", b"taken\n")]) == 1
    assert two.read_text() == "mine\n"


def test_temporary_files_of_a_repo_go_to_its_ignored_scratch_folder(tmp_path, monkeypatch) -> None:
    root = tmp_path / "book"
    target = root / "records" / "customers" / "a.yaml"
    used: list[str] = []
    real = os.replace

    def spy(source, destination):
        used.append(str(source))
        real(source, destination)

    monkeypatch.setattr(writing.os, "replace", spy)
    atomic_write(str(target), "x\n", root=str(root))
    assert used and all(u.startswith(str(root / ".dealbook-cache" / "tmp") + os.sep) for u in used)
    assert (root / ".dealbook-cache" / ".gitignore").read_text() == "*\n"
    assert sorted(p.name for p in target.parent.iterdir()) == ["a.yaml"]


def test_left_over_temporary_files_of_dead_writers_are_removed(tmp_path) -> None:
    root = tmp_path / "book"
    scratch = root / ".dealbook-cache" / "tmp"
    scratch.mkdir(parents=True)
    customers = root / "records" / "customers"
    customers.mkdir(parents=True)
    import subprocess
    import sys

    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True,
                          text=True).stdout.strip()
    (scratch / f".dealbook-{dead}-abc.tmp").write_bytes(b"")
    (scratch / f".dealbook-{os.getpid()}-live.tmp").write_bytes(b"")
    (customers / ".dealbook-old1234.tmp").write_bytes(b"")  # an older version's name: no pid, kept a day
    os.utime(customers / ".dealbook-old1234.tmp", (1, 1))
    (customers / "a.yaml").write_text("x\n")
    assert clean_scratch(str(root)) == 2
    assert [p.name for p in scratch.iterdir()] == [f".dealbook-{os.getpid()}-live.tmp"]
    assert [p.name for p in customers.iterdir()] == ["a.yaml"]
