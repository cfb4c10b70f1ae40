"""reading.check_repo's stored repo-wide result, the sharded parse cache and scan()."""

from __future__ import annotations

import os

import dealbook.checks.reading as reading
import pytest
from conftest import RecordRepo
from dealbook.checks.reading import FileCache, check_repo, open_book, scan
from dealbook.records.model import discover


def test_nothing_changed_answers_without_reading(repo: RecordRepo, monkeypatch) -> None:
    repo.customer(owner="ghost")
    root = str(repo.root)
    first, files = check_repo(root)
    assert [d.code for d in first] == ["unknown-member"] and files == 2
    monkeypatch.setattr(reading, "open_book", lambda *a, **k: pytest.fail("the stored result was not used"))
    again, files_again = check_repo(root)
    assert again == first and files_again == 2


@pytest.mark.parametrize("change", ["edit", "add", "remove", "settings"])
def test_any_change_reads_again(repo: RecordRepo, change: str) -> None:
    repo.customer(owner="ghost")
    repo.customer("粤IT2024002", name="B电子有限公司")
    root = str(repo.root)
    assert len(check_repo(root)[0]) == 1
    if change == "edit":
        path = repo.customer(owner="zhang")
        os.utime(path, ns=(1, 1))
        expected = []
    elif change == "add":
        repo.customer("粤IT2024003", owner="nobody", name="C精密机械有限公司")
        expected = ["unknown-member", "unknown-member"]
    elif change == "remove":
        os.unlink(repo.root / "records/customers/粤IT2024001.yaml")
        expected = []
    else:
        repo.settings("as_of: 2024-05-20\nneed_summary_max: 5\n")
        expected = ["unknown-member"]
    found = check_repo(root)[0]
    assert [d.code for d in found if d.code != "need-too-long"] == expected


def test_path_limited_checks_only_those_files(repo: RecordRepo) -> None:
    repo.customer(owner="ghost")
    repo.customer("粤IT2024002", owner="nobody", name="B电子有限公司")
    found, files = check_repo(str(repo.root), ["records/customers/粤IT2024002.yaml"])
    assert files >= 1
    assert {d.path for d in found} == {"records/customers/粤IT2024002.yaml"}


def test_a_customer_and_its_followups_share_a_shard() -> None:
    shard = FileCache.shard_of("records/customers/粤IT2024001.yaml")
    assert FileCache.shard_of("records/followups/粤IT2024001/2024-05-10-1400.yaml") == shard
    assert 0 <= FileCache.shard_of("records/team.yaml") < FileCache.SHARDS


def test_one_file_opens_only_its_shards(repo: RecordRepo) -> None:
    for n in range(1, 30):
        repo.customer(f"粤IT2024{n:03d}")
    root = str(repo.root)
    open_book(root)
    shards = list((repo.root / reading.CACHE_DIR).glob("files-*.marshal"))
    assert len(shards) > 3
    cache = FileCache(root, reading.cache_key(reading.load_settings(root)))
    assert cache.get("records/customers/粤IT2024007.yaml",
                     scan(root)["records/customers/粤IT2024007.yaml"]) is not None
    assert list(cache.shards) == [FileCache.shard_of("records/customers/粤IT2024007.yaml")]


def test_scan_lists_what_discover_lists(repo: RecordRepo) -> None:
    repo.customer()
    repo.followup("粤IT2024001", "2024-05-10 14:00")
    repo.write("records/.hidden/x.yaml", "a: 1\n")
    repo.write("records/notes.txt", "x")
    found = scan(str(repo.root))
    assert sorted(found) == discover(str(repo.root))
    st = os.stat(repo.root / "records/team.yaml")
    assert found["records/team.yaml"][:4] == (st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino)
