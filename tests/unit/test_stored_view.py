"""Per-customer views: reused when nothing changed; after an edit only the customers whose files changed are
recomputed; a new day, new code, a team change or a misfiled record recomputes everything."""

from __future__ import annotations

import json
import marshal
import os

import pytest
from conftest import RecordRepo
from dealbook.checks import customer_views, filecache
from dealbook.checks.customer_views import PerCustomer, per_customer_view
from dealbook.checks.reading import CACHE_DIR
from dealbook.records.book import Book
from dealbook.records.settings import Settings, load_settings


@pytest.fixture(autouse=True)
def _settled(monkeypatch) -> None:
    """Files count as settled as soon as they are written. Otherwise a file written just before a
    slow first run is stamped with its content digest (it is racy) and, settled by the next run,
    stamped without: its customer is recomputed, which these tests count (racy files: test_stat_key)."""
    monkeypatch.setattr(filecache, "RACY_NS", 0)


def _view(calls: list[str]) -> PerCustomer:
    def part(book: Book, customer) -> dict:
        calls.append(customer.id)
        return {"id": customer.id, "owner": customer.owner, "followups": len(book.followups_of(customer.id))}

    return PerCustomer("t", part, lambda parts, members: {"parts": parts, "members": members})


def test_reused_until_a_record_changes(repo: RecordRepo) -> None:
    repo.customer()
    root, settings = str(repo.root), load_settings(str(repo.root))
    calls: list[str] = []
    first = per_customer_view(root, settings, _view(calls), "2024-05-20")
    again = per_customer_view(root, settings, _view(calls), "2024-05-20")
    assert first == again == {"parts": [{"id": "粤IT2024001", "owner": "zhang", "followups": 0}],
                              "members": ["chen", "li", "zhang"]}
    assert calls == ["粤IT2024001"]
    path = repo.customer(owner="li")
    os.utime(path, ns=(1, 1))
    assert per_customer_view(root, settings, _view(calls), "2024-05-20")["parts"][0]["owner"] == "li"
    assert len(calls) == 2


def test_only_the_customers_whose_files_changed_are_recomputed(repo: RecordRepo) -> None:
    for n in range(1, 6):
        repo.customer(f"粤IT202400{n}", name=f"{n}号公司")
    root, settings = str(repo.root), load_settings(str(repo.root))
    calls: list[str] = []
    per_customer_view(root, settings, _view(calls), "k")
    assert len(calls) == 5
    calls.clear()
    repo.followup("粤IT2024003", "2024-05-10 14:00")
    repo.customer("粤IT2024005", owner="chen")
    repo.customer("粤IT2024009", name="9号公司")
    (repo.root / "records/customers/粤IT2024001.yaml").unlink()
    view = per_customer_view(root, settings, _view(calls), "k")
    assert sorted(calls) == ["粤IT2024003", "粤IT2024005", "粤IT2024009"]
    assert [(p["id"], p["owner"], p["followups"]) for p in view["parts"]] == [
        ("粤IT2024002", "zhang", 0), ("粤IT2024003", "zhang", 1), ("粤IT2024004", "zhang", 0),
        ("粤IT2024005", "chen", 0), ("粤IT2024009", "zhang", 0)]


def test_a_team_change_or_a_misfiled_record_recomputes_everything(repo: RecordRepo) -> None:
    repo.customer("粤IT2024001")
    repo.customer("粤IT2024002", name="乙公司")
    root, settings = str(repo.root), load_settings(str(repo.root))
    calls: list[str] = []
    per_customer_view(root, settings, _view(calls), "k")
    calls.clear()
    repo.write("records/team.yaml", {"members": [{"handle": "zhang", "name": "张伟", "role": "rep"}]})
    assert per_customer_view(root, settings, _view(calls), "k")["members"] == ["zhang"]
    assert sorted(calls) == ["粤IT2024001", "粤IT2024002"]
    calls.clear()
    # a follow-up filed in customer 2's folder that names customer 1 counts for customer 1
    repo.write("records/followups/粤IT2024002/2024-05-10-1400.yaml",
               {"customer": "粤IT2024001", "at": "2024-05-10 14:00", "method": "phone", "by": "zhang",
                "summary": "电话"})
    view = per_customer_view(root, settings, _view(calls), "k")
    assert [p["followups"] for p in view["parts"]] == [1, 0]
    calls.clear()
    per_customer_view(root, settings, _view(calls), "k")
    assert sorted(calls) == ["粤IT2024001", "粤IT2024002"]  # such a repo is never patched


def test_another_day_or_new_file_recomputes(repo: RecordRepo) -> None:
    repo.customer()
    root, settings = str(repo.root), load_settings(str(repo.root))
    calls: list[str] = []
    per_customer_view(root, settings, _view(calls), "2024-05-20")
    per_customer_view(root, settings, _view(calls), "2024-05-21")
    repo.customer("粤IT2024002", name="乙公司")
    view = per_customer_view(root, settings, _view(calls), "2024-05-21")
    assert [p["id"] for p in view["parts"]] == ["粤IT2024001", "粤IT2024002"]
    assert len(calls) == 3


def test_a_corrupt_view_file_is_recomputed(repo: RecordRepo) -> None:
    repo.customer()
    root, settings = str(repo.root), load_settings(str(repo.root))
    calls: list[str] = []
    per_customer_view(root, settings, _view(calls), "k")
    for garbage in (b"\x00garbage", marshal.dumps({"global": 1}), marshal.dumps([1, 2])):
        (repo.root / CACHE_DIR / "view-t.marshal").write_bytes(garbage)
        assert per_customer_view(root, settings, _view(calls), "k")["parts"][0]["id"] == "粤IT2024001"
    assert len(calls) == 4


def test_customers_and_agenda_commands_see_edits_between_runs(run, repo: RecordRepo) -> None:
    repo.customer(review={"by": "chen", "on": "2024-01-05", "result": "ok"})
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


def _shards(repo: RecordRepo) -> dict[str, tuple[int, bytes]]:
    """Each shard file of the view `t`: its mtime and its bytes."""
    folder = repo.root / CACHE_DIR / "view-t.shards"
    return {p.name: (p.stat().st_mtime_ns, p.read_bytes()) for p in sorted(folder.glob("*.marshal"))}


def test_nothing_changed_is_answered_by_the_head_alone(repo: RecordRepo) -> None:
    """With every stamp as stored, the head answers and no shard is read; a changed stamp reads
    the shards whose digest changed."""
    repo.customer()
    root, settings = str(repo.root), load_settings(str(repo.root))
    calls: list[str] = []
    per_customer_view(root, settings, _view(calls), "k")
    assert len(_shards(repo)) == customer_views.SHARDS
    for shard in (repo.root / CACHE_DIR / "view-t.shards").glob("*.marshal"):
        shard.write_bytes(b"\x00garbage")
    assert per_customer_view(root, settings, _view(calls), "k")["parts"][0]["owner"] == "zhang"
    assert calls == ["粤IT2024001"]
    path = repo.customer(owner="li")
    os.utime(path, ns=(1, 1))
    assert per_customer_view(root, settings, _view(calls), "k")["parts"][0]["owner"] == "li"
    assert per_customer_view(root, settings, _view(calls), "other day")["parts"][0]["owner"] == "li"
    assert len(calls) == 3


def _ids_in_other_shards(count: int) -> list[str]:
    """`count` customer ids, each in its own shard."""
    found: dict[int, str] = {}
    n = 0
    while len(found) < count:
        n += 1
        cid = f"粤IT2024{n:03d}"
        found.setdefault(customer_views._shard_of_id(cid), cid)
    return sorted(found.values())


def _stored(repo: RecordRepo, n: int) -> tuple[list[str], str, Settings, list[str]]:
    """`n` customers, each in a shard of its own, and their view stored once: (ids, root,
    settings, the list the view's part function appends each computed customer's id to)."""
    ids = _ids_in_other_shards(n)
    for k, cid in enumerate(ids):
        repo.customer(cid, name=f"{k}号公司")
    root, settings = str(repo.root), load_settings(str(repo.root))
    calls: list[str] = []
    per_customer_view(root, settings, _view(calls), "k")
    return ids, root, settings, calls


def test_an_edit_rewrites_one_shard_and_the_head(repo: RecordRepo) -> None:
    """One edited follow-up: its customer's shard and the head are rewritten, every other shard
    is left as it was (not even rewritten with the same bytes)."""
    ids, root, settings, calls = _stored(repo, 6)
    before = _shards(repo)
    calls.clear()
    path = repo.followup(ids[2], "2024-05-10 14:00")
    os.utime(path, ns=(5, 5))
    view = per_customer_view(root, settings, _view(calls), "k")
    assert calls == [ids[2]]
    assert [p["followups"] for p in view["parts"]] == [0, 0, 1, 0, 0, 0]
    after = _shards(repo)
    rewritten = sorted(name for name in after if after[name] != before[name])
    assert rewritten == [f"{customer_views._shard_of_id(ids[2]):02d}.marshal"]


def test_a_shard_written_with_another_head_is_not_trusted(repo: RecordRepo) -> None:
    """Two runs at once: one writes a shard, the other's head lands last. The shard's stamps do not
    belong to that head's parts, so the shard's customers are recomputed from their files rather
    than the change being taken for done."""
    ids, root, settings, calls = _stored(repo, 3)
    head = repo.root / CACHE_DIR / "view-t.marshal"
    old_head = head.read_bytes()
    path = repo.followup(ids[1], "2024-05-10 14:00")
    os.utime(path, ns=(5, 5))
    assert [p["followups"] for p in per_customer_view(root, settings, _view(calls), "k")["parts"]] == [0, 1, 0]
    head.write_bytes(old_head)  # the other run's head, from before the edit, landed last
    calls.clear()
    assert [p["followups"] for p in per_customer_view(root, settings, _view(calls), "k")["parts"]] == [0, 1, 0]
    assert calls == [ids[1]]  # its shard's customers recomputed, and only those


def test_a_whole_repo_check_leaves_the_views_behind(run, repo: RecordRepo, monkeypatch) -> None:
    """The first `customers` / `agenda` after a check that rebuilt the Book reads the views the
    check stored (no Book is opened), and they equal views computed afresh."""
    import shutil

    from dealbook.checks import customer_views

    repo.customer(review={"by": "chen", "on": "2024-01-05", "result": "ok"})
    repo.followup("粤IT2024001", "2024-05-10 14:00", next=[{"action": "回访", "due": "2024-05-12"}])
    assert run(repo, "check").exit_code == 0

    def no_book(*args, **kwargs):
        raise AssertionError("the view was not left behind by the check")

    monkeypatch.setattr(customer_views, "open_book", no_book)
    kept = [run(repo, name, "--format", "json").stdout for name in ("customers", "agenda")]
    monkeypatch.undo()
    shutil.rmtree(repo.root / CACHE_DIR)
    assert kept == [run(repo, name, "--format", "json").stdout for name in ("customers", "agenda")]
    assert json.loads(kept[1])["items"][0]["due"] == "2024-05-12"


def test_stamps_are_split_by_customer_as_the_parse_cache_is(repo: RecordRepo, monkeypatch) -> None:
    """A customer's file and everything in its follow-up folder fall in the shard the parse cache
    keeps them in; the team and stray files in none (a change there recomputes the whole view)."""
    for cid in _ids_in_other_shards(3):
        repo.customer(cid, name=f"{cid}公司")
        repo.followup(cid, "2024-05-10 14:00")
    for stray in ("records/README.md", "records/followups/notes.txt", "records/customers/old/x.yaml",
                  "records/followups/粤IT2024001/deep/x.yaml", "records/followups/粤IT2024001/a.txt"):
        (repo.root / stray).parent.mkdir(parents=True, exist_ok=True)
        (repo.root / stray).write_text("x: 1\n", encoding="utf-8")
    scanned = filecache.scan(str(repo.root))
    groups, others = customer_views._group(scanned)
    assert sorted(others) == ["records/README.md", "records/customers/old/x.yaml", "records/followups/notes.txt",
                              "records/team.yaml"]
    for n, group in enumerate(groups):
        assert list(group) == [p for p in scanned if p in group]  # in scan order
        for path in group:
            assert n == customer_views._shard_of_path(path)
            if path.count("/") in (2, 3):
                assert n == filecache.FileCache.shard_of(path)
    assert sum(len(g) for g in groups) + len(others) == len(scanned)
    assert "records/followups/粤IT2024001/deep/x.yaml" in groups[customer_views._shard_of_id("粤IT2024001")]
    for at in (True, False):  # stat'ed by name in each folder's descriptor, and by whole path where there is none
        monkeypatch.setattr(filecache, "_AT", at)
        filed: list[dict] = [{} for _ in groups]
        rest: dict = {}
        walked = filecache.scan(str(repo.root), groups=filed, others=rest)  # filed by the walk as it goes
        assert list(walked.items()) == list(scanned.items())
        assert [list(g.items()) for g in filed] == [list(g.items()) for g in groups]
        assert list(rest.items()) == list(others.items())


def test_a_folder_is_listed_again_only_when_it_changed(repo: RecordRepo, monkeypatch) -> None:
    """`scan` given the listings of an earlier walk lists only the folders that changed since (an
    entry added, removed or renamed sets the folder's ctime); files are stamped all the same."""
    import time

    repo.customer()
    repo.followup("粤IT2024001", "2024-05-10 14:00")
    root = str(repo.root)
    time.sleep(0.05)  # past the timestamp tick of the writes above
    monkeypatch.setattr(filecache, "RACY_FOLDER_NS", 0)
    listed: dict = {}
    first = filecache.scan(root, listed=listed)
    assert {"records", "records/customers", "records/followups", "records/followups/粤IT2024001"} <= set(listed)
    listings = []
    real_listdir = os.listdir

    def listdir(target):  # a folder's path, or its open descriptor (where `scan` stats by name): its inode
        listings.append(os.fstat(target).st_ino if isinstance(target, int) else os.stat(target).st_ino)
        return real_listdir(target)

    monkeypatch.setattr(filecache.os, "listdir", listdir)
    assert filecache.scan(root, listings=listed) == first
    assert listings == []
    path = repo.followup("粤IT2024001", "2024-05-11 09:00", summary="改")
    time.sleep(0.05)
    os.utime(path, ns=(7, 7))
    (repo.root / "records/followups/粤IT2024001/2024-05-10-1400.yaml").rename(
        repo.root / "records/followups/粤IT2024001/2024-05-10-1401.yaml")
    again = filecache.scan(root, listings=listed)
    assert listings == [os.stat(repo.root / "records/followups/粤IT2024001").st_ino]
    monkeypatch.setattr(filecache.os, "listdir", real_listdir)
    assert again == filecache.scan(root)
    assert sorted(p for p in again if p.startswith("records/followups/")) == [
        "records/followups/粤IT2024001/2024-05-10-1401.yaml", "records/followups/粤IT2024001/2024-05-11-0900.yaml"]
    monkeypatch.setattr(filecache, "RACY_FOLDER_NS", 10**18)  # every folder changed just now: none kept
    fresh: dict = {}
    filecache.scan(root, listed=fresh)
    assert fresh == {}


def test_a_whole_book_read_lists_only_the_folders_that_changed(repo: RecordRepo, monkeypatch) -> None:
    """Commands that read the whole Book (the reports) walk with the listings the last such walk kept in
    `.dealbook-cache/listings.marshal`: no folder is listed again until an entry is added to it, and
    then that folder alone; a listings file not signed by this user is not used."""
    import time

    from dealbook.checks.reading import open_book

    repo.customer()
    repo.followup("粤IT2024001", "2024-05-10 14:00")
    root = str(repo.root)
    time.sleep(0.05)
    monkeypatch.setattr(filecache, "RACY_FOLDER_NS", 0)
    assert len(open_book(root, snapshot=True).followups_of("粤IT2024001")) == 1
    listings: list[int] = []
    real_listdir = os.listdir

    def listdir(target):
        listings.append(os.fstat(target).st_ino if isinstance(target, int) else os.stat(target).st_ino)
        return real_listdir(target)

    monkeypatch.setattr(filecache.os, "listdir", listdir)
    assert len(open_book(root, snapshot=True).followups_of("粤IT2024001")) == 1
    assert listings == []
    repo.followup("粤IT2024001", "2024-05-11 09:00", summary="又一次")
    time.sleep(0.05)
    assert len(open_book(root, snapshot=True).followups_of("粤IT2024001")) == 2
    assert listings == [os.stat(repo.root / "records/followups/粤IT2024001").st_ino]
    listings.clear()
    stored = repo.root / CACHE_DIR / filecache.LISTINGS_FILE
    stored.write_bytes(marshal.dumps({"records/followups/粤IT2024001": ((0, 0, 0), "")}))  # unsigned
    assert len(open_book(root, snapshot=True).followups_of("粤IT2024001")) == 2
    assert len(listings) == 4  # records, customers, followups and the customer's folder, listed afresh
