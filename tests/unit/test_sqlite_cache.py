"""The SQLite caches (customer index, git store, review sides) opened by several processes at once."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

OPENER = """
import sys, time
sys.path.insert(0, sys.argv[1])
from dealbook.records.cachefile import open_sqlite_cache
start = float(sys.argv[3])
while time.time() < start:
    pass
db = open_sqlite_cache(sys.argv[2], "key 1", "entries (name TEXT PRIMARY KEY, value BLOB)",
                       "CREATE INDEX by_value ON entries (value)")
db.execute("INSERT OR REPLACE INTO entries VALUES (?, ?)", (sys.argv[4], b"x"))
db.commit()
print(db.execute("SELECT COUNT(*) FROM entries").fetchone()[0])
"""


@pytest.mark.parametrize("attempt", range(3))
def test_processes_making_a_new_cache_at_once_all_use_it(tmp_path: Path, attempt: int) -> None:
    """Two `dealbook new customer` at once each made the new customer index: one dropped the table
    the other was about to read (`internal error: OperationalError: no such table: customers`)."""
    import time

    filename = str(tmp_path / ".dealbook-cache" / "index.sqlite")
    start = time.time() + 1.0  # every process past its imports, then all at the same moment
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    processes = [subprocess.Popen([sys.executable, "-c", OPENER, str(ROOT / "tools"), filename, repr(start), str(n)],
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
                 for n in range(8)]
    results = [(p.wait(timeout=60), p.stdout.read(), p.stderr.read()) for p in processes]
    assert [code for code, _, _ in results] == [0] * 8, [err[-500:] for _, _, err in results if err]
    import sqlite3

    db = sqlite3.connect(filename)
    assert sorted(name for (name,) in db.execute("SELECT name FROM entries")) == [str(n) for n in range(8)]
    assert db.execute("SELECT COUNT(*) FROM meta").fetchone()[0] == 1


def test_a_cache_made_for_another_key_is_emptied_and_remade(tmp_path: Path) -> None:
    from dealbook.records.cachefile import open_sqlite_cache

    filename = str(tmp_path / ".dealbook-cache" / "index.sqlite")
    db = open_sqlite_cache(filename, "key 1", "entries (name TEXT PRIMARY KEY)")
    db.execute("INSERT INTO entries VALUES ('a')")
    db.commit()
    db.close()
    again = open_sqlite_cache(filename, "key 1", "entries (name TEXT PRIMARY KEY)")
    assert again.execute("SELECT name FROM entries").fetchall() == [("a",)]
    again.close()
    other = open_sqlite_cache(filename, "key 2", "entries (name TEXT PRIMARY KEY)")
    assert other.execute("SELECT name FROM entries").fetchall() == []
    assert other.execute("SELECT COUNT(*) FROM meta").fetchone()[0] == 1
