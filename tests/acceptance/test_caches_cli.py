"""Caches are trusted only when this user's dealbook wrote them: a cache committed into the repo,
or restored from elsewhere, or of the wrong shape, is a miss and is rebuilt, never a crash."""

from __future__ import annotations

import glob
import marshal
import os
import sqlite3
import subprocess
from pathlib import Path

import pytest
from conftest import RecordRepo

CID = "粤IT2024001"
FORGED = "伪造的客户公司"


def _sign(body: bytes) -> bytes:
    """Sign as this user's dealbook does (a plain body where caches were not signed)."""
    try:
        from dealbook.records.cachefile import sign
    except ImportError:
        return body
    return sign(body) or body


def _unsign(blob: bytes) -> bytes:
    try:
        from dealbook.records.cachefile import verify
    except ImportError:
        return blob
    return verify(blob) or blob


def rewrite(path: str, change) -> None:
    """Rewrite a marshal cache file in place, still signed by this user: a well-formed file of
    another shape."""
    with open(path, "rb") as handle:
        value = marshal.loads(_unsign(handle.read()))
    with open(path, "wb") as handle:
        handle.write(_sign(marshal.dumps(change(value))))


@pytest.fixture
def history(repo: RecordRepo) -> RecordRepo:
    repo.customer(deal={"amount": 100000})
    repo.followup(CID, "2024-05-10 14:00", contact="王总监")
    repo.git_init()
    repo.commit("first", "2024-05-10T18:00:00+08:00")
    repo.customer(stage="proposal", stage_history=[{"stage": "lead", "on": "2024-01-05"},
                                                   {"stage": "proposal", "on": "2024-05-12"}],
                  need={"summary": "质检", "budget": {"status": "clear"}, "timeline": {"start": "2024-06-01"}},
                  deal={"amount": 200000})
    repo.commit("second", "2024-05-12T18:00:00+08:00")
    return repo


def _user(tmp_path: Path, name: str) -> dict[str, str]:
    """The environment of another user of the machine (their own cache folder and key)."""
    home = tmp_path / f"home-{name}"
    home.mkdir(exist_ok=True)
    return {"XDG_CACHE_HOME": str(home / ".cache")}


def test_a_blob_cache_committed_into_the_repo_is_not_used_in_a_fresh_clone(run, history, tmp_path) -> None:
    mallory = _user(tmp_path, "mallory")
    assert run(history, "--at", "HEAD", "show", CID, env=mallory).exit_code == 0
    db = sqlite3.connect(history.root / ".dealbook-cache" / "blobs.sqlite")
    rows = db.execute("SELECT name, value FROM entries").fetchall()
    assert rows
    for name, value in rows:
        data, _ = marshal.loads(value)
        if isinstance(data, dict) and data.get("id") == CID:
            data = {**data, "name": FORGED, "deal": {"amount": 999_999_999}}
        db.execute("UPDATE entries SET value = ? WHERE name = ?", (marshal.dumps((data, [])), name))
    db.commit()
    db.close()
    history.git("add", "-f", ".dealbook-cache/blobs.sqlite")
    history.commit("cache")
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "-q", str(history.root), str(clone)], check=True)
    assert (clone / ".dealbook-cache" / "blobs.sqlite").exists()
    alice = _user(tmp_path, "alice")
    shown = run(clone, "--at", "HEAD", "show", CID, env=alice)
    assert shown.exit_code == 0, shown.output
    assert FORGED not in shown.output and "999,999,999" not in shown.output
    assert "A科技有限公司" in shown.output
    checked = run(clone, "--at", "HEAD", "customers", "--format", "json", env=alice)
    assert FORGED not in checked.output


def test_a_marshal_cache_from_another_user_is_a_miss(run, history, tmp_path, monkeypatch) -> None:
    mallory, alice = _user(tmp_path, "mallory"), _user(tmp_path, "alice")
    assert run(history, "check", env=mallory).exit_code == 0
    monkeypatch.setenv("XDG_CACHE_HOME", mallory["XDG_CACHE_HOME"])  # mallory forges her own caches
    for path in glob.glob(str(history.root / ".dealbook-cache" / "files-*.marshal")):
        def forge(value):
            for entry_path, entry in list(value["entries"].items()):
                data, found = marshal.loads(entry[-1])
                if isinstance(data, dict) and data.get("id") == CID:
                    data = {**data, "name": FORGED}
                value["entries"][entry_path] = (*entry[:-1], marshal.dumps((data, found)))
            return value
        rewrite(path, forge)
    monkeypatch.undo()
    for name in ("check.marshal", "book.pickle"):
        Path(history.root / ".dealbook-cache" / name).unlink(missing_ok=True)
    shown = run(history, "customers", "--format", "json", env=alice)
    assert FORGED not in shown.output


# --- well-formed caches of the wrong shape ---------------------------------------------------------

WRONG_SHAPES = [5, None, [1, 2], {"x": 1}, (1,), "text"]


def _cache(repo: RecordRepo, name: str) -> str:
    return str(repo.root / ".dealbook-cache" / name)


UPPER = ("check.marshal", "view-*.marshal", "book.pickle")  # answers that skip reading the lower caches


def _drop_upper(repo: RecordRepo, keep: str = "") -> None:
    """Remove the stored answers, so the next commands read the caches under test."""
    for pattern in UPPER:
        for path in glob.glob(_cache(repo, pattern)):
            if os.path.basename(path) != keep:
                os.unlink(path)


def _commands(run, repo: RecordRepo) -> None:
    for args in (("check",), ("customers",), ("agenda",), ("show", CID), ("--at", "HEAD", "check"),
                 ("diff", "HEAD~1", "HEAD"), ("report", "team-activity", "--period", "all")):
        result = run(repo, *args)
        assert result.exit_code in (0, 1), (args, result.output)


@pytest.mark.parametrize("shape", WRONG_SHAPES, ids=repr)
def test_parse_cache_shards_of_the_wrong_shape_are_a_miss(run, history, shape) -> None:
    _commands(run, history)
    for path in glob.glob(_cache(history, "files-*.marshal")):
        rewrite(path, lambda value: {**value, "entries": shape} if isinstance(value, dict) else value)
    _drop_upper(history)
    _commands(run, history)
    for path in glob.glob(_cache(history, "files-*.marshal")):
        rewrite(path, lambda value: {**value, "entries": {p: shape for p in value["entries"]}}
                if isinstance(value, dict) and isinstance(value.get("entries"), dict) else value)
    _drop_upper(history)
    _commands(run, history)


@pytest.mark.parametrize("name", ["check.marshal", "log.marshal", "tracked.marshal", "names.marshal",
                                  "duplicates.marshal", "view-customers.marshal", "view-agenda.marshal"])
@pytest.mark.parametrize("shape", WRONG_SHAPES, ids=repr)
def test_a_marshal_cache_of_the_wrong_shape_is_a_miss(run, history, name, shape) -> None:
    from dealbook.git.history import customer_changelog

    _commands(run, history)
    customer_changelog(str(history.root))
    for path in glob.glob(_cache(history, name)):
        rewrite(path, lambda value: shape)
    _drop_upper(history, keep=name)
    _commands(run, history)
    assert customer_changelog(str(history.root))[CID]


@pytest.mark.parametrize("part", ["commits", "blobs", "diagnostics", "entries"])
def test_a_cache_whose_inner_rows_have_the_wrong_shape_is_a_miss(run, history, part) -> None:
    from dealbook.git.history import customer_changelog

    _commands(run, history)
    customer_changelog(str(history.root))

    def spoil(value):
        if isinstance(value, dict) and part in value:
            inner = value[part]
            value[part] = {k: (1, "x") for k in inner} if isinstance(inner, dict) else [(1, "x")] * max(1, len(inner))
        return value

    for path in glob.glob(_cache(history, "*.marshal")):
        rewrite(path, spoil)
    _commands(run, history)
    _drop_upper(history)
    _commands(run, history)
    log = customer_changelog(str(history.root))
    assert [c.summary.split(" ")[0] for c in log[CID]][:1] == ["created"]


@pytest.mark.parametrize("table", ["entries", "sides"])
def test_sqlite_cache_rows_of_the_wrong_shape_are_a_miss(run, history, table) -> None:
    _commands(run, history)
    for name in ("blobs.sqlite", "review.sqlite"):
        db = sqlite3.connect(_cache(history, name))
        try:
            db.execute(f"UPDATE {table} SET value = ?", (marshal.dumps((1, "x")),))
            db.commit()
        except sqlite3.Error:
            pass
        db.close()
    _drop_upper(history)
    _commands(run, history)


def test_a_snapshot_of_the_wrong_shape_is_a_miss(run, history) -> None:
    from dealbook.checks.reading import cache_key, scan
    from dealbook.records import snapshot
    from dealbook.records.settings import load_settings

    root = str(history.root)
    _commands(run, history)
    key = cache_key(load_settings(root))
    for state in ([1, 2, 3], {"stamps": scan(root), "customers": 5, "paths": "x"}, {"stamps": scan(root)}):
        snapshot.save(_cache(history, ""), key, state)
        for name in ("check.marshal", "view-customers.marshal", "view-agenda.marshal"):
            Path(_cache(history, name)).unlink(missing_ok=True)
        for args in (("customers",), ("agenda",), ("show", CID), ("check",)):
            result = run(history, *args)
            assert result.exit_code == 0, result.output


def test_results_cached_by_other_code_are_a_miss_under_the_same_version(repo, tmp_path) -> None:
    """A cache is keyed by the package's files, not its version number: after an upgrade, a
    checkout of another branch of dealbook or an edit to its code, every cached result (the parse
    cache's per-file findings, the stored check, the customers and agenda views) is worked out by
    the code that runs, though `__version__` did not change; the same code installed again, with
    new file times, keeps them."""
    import shutil
    import sys
    import time

    import dealbook

    code = tmp_path / "code"
    shutil.copytree(Path(dealbook.__file__).parent, code / "dealbook", ignore=shutil.ignore_patterns("__pycache__"))
    repo.customer(created="2024-02-30")
    repo.customer("粤IT2024002")
    repo.followup("粤IT2024002", "2024-05-01 10:00")
    env = {**os.environ, "PYTHONPATH": str(code), "DEALBOOK_TODAY": "2024-05-20"}

    def dealbook_(*args: str) -> str:
        done = subprocess.run([sys.executable, "-m", "dealbook", "--repo", str(repo.root), *args],
                              capture_output=True, text=True, env=env)
        assert "Traceback" not in done.stderr, done.stderr
        return done.stdout

    def edit(relative: str, old: str, new: str) -> None:
        path = code / "dealbook" / relative
        text = path.read_text(encoding="utf-8")
        assert text.count(old) == 1, old
        path.write_text(text.replace(old, new), encoding="utf-8")

    for _ in range(2):  # the second run answers from the caches
        assert "不是真实存在的日期" in dealbook_("check")  # bad-date, in the team's language (zh)
        assert "(new code)" not in dealbook_("customers", "--format", "json")
        assert "(new code)" not in dealbook_("agenda", "--format", "json", "--days", "30")
    time.sleep(2.1)  # past the two seconds in which a file just written is compared by content
    dealbook_("check")  # the stored check, its files now settled
    stored = os.stat(_cache(repo, "check.marshal")).st_mtime_ns
    for path in code.rglob("*"):  # the same code installed again (CI installs afresh): new times only
        os.utime(path, ns=(path.stat().st_atime_ns, path.stat().st_mtime_ns + 10**9))
    assert "不是真实存在的日期" in dealbook_("check")
    assert os.stat(_cache(repo, "check.marshal")).st_mtime_ns == stored  # answered from the stored check
    edit("checks/filechecks.py", '_("`%(date)s` is not a real calendar date", date=item)))\n',
         '"`%s` is no calendar date" % item))\n')
    edit("rules/due.py", "grade=letter, method=method)\n    return reason\n",
         "grade=letter, method=method)\n    return reason + \" (new code)\"\n")
    assert "is no calendar date" in dealbook_("check")
    assert "(new code)" in dealbook_("customers", "--format", "json")
    assert "(new code)" in dealbook_("agenda", "--format", "json", "--days", "30")


def _listing(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def test_a_cache_folder_committed_as_a_link_out_of_the_repo_is_never_written_through(repo: RecordRepo, run,
                                                                                   tmp_path: Path) -> None:
    """`.dealbook-cache` committed as a symbolic link: every cache write went through it, out of the
    repo (45 files), `customers.sqlite` there was emptied as a database not made by us (its own
    tables dropped), and the oldest `book-*` and `view-*` files there were removed as stale caches."""
    repo.customer(CID)
    repo.git_init()
    repo.commit()
    elsewhere = tmp_path / "elsewhere"
    (elsewhere / "at").mkdir(parents=True)
    with sqlite3.connect(elsewhere / "customers.sqlite") as db:
        db.execute("CREATE TABLE precious (x)")
        db.execute("INSERT INTO precious VALUES (42)")
    for n in range(20):
        (elsewhere / f"book-{n}.txt").write_text("mine", encoding="utf-8")
        (elsewhere / "at" / f"view-{n}.txt").write_text("mine", encoding="utf-8")
    before = _listing(elsewhere)
    (repo.root / ".dealbook-cache").symlink_to(elsewhere)
    for args in (["check"], ["customers"], ["check", str(repo.root / f"records/customers/{CID}.yaml")], ["agenda"],
                 ["--at", "HEAD", "customers"], ["--at", "HEAD", "agenda"], ["diff", "HEAD"]):
        result = run(repo, *args)
        assert result.exit_code == 0, (args, result.output)
    edit = run(repo, "set", CID, "tags=重点")
    assert edit.exit_code == 1 and "无法写入 .dealbook-cache:是符号链接:" in edit.output, edit.output
    assert _listing(elsewhere) == before
