"""Atomic writes: a reader sees the old file or the new one; failures leave nothing behind."""

from __future__ import annotations

import os
import stat

import pytest
from dealbook.records import writing
from dealbook.records.writing import atomic_file, atomic_write, write_many


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


def test_write_many_syncs_once(tmp_path, monkeypatch) -> None:
    calls = {"fsync": 0, "sync": 0}
    monkeypatch.setattr(writing.os, "fsync", lambda fd: calls.__setitem__("fsync", calls["fsync"] + 1))
    monkeypatch.setattr(writing.os, "sync", lambda: calls.__setitem__("sync", calls["sync"] + 1))
    seen: list[str] = []
    count = write_many(((str(tmp_path / f"{i}.yaml"), f"n: {i}\n") for i in range(50)),
                       progress=lambda items: (seen.append(x) or x for x in items))
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
