"""Reading a repo: the per-file cache, parallel parsing, and PATH-limited books."""

from __future__ import annotations

import os

from conftest import RecordRepo
from dealbook.checks.reading import CACHE_DIR, FileCache, cache_key, open_book, read_many
from dealbook.records.model import discover
from dealbook.records.settings import load_settings


def test_cache_is_reused_and_invalidated(repo: RecordRepo, monkeypatch) -> None:
    repo.customer()
    root = str(repo.root)
    assert open_book(root).diagnostics == []
    calls: list[str] = []
    import dealbook.checks.filecache as reading

    original = reading._read_path
    monkeypatch.setattr(reading, "_read_path", lambda r, p, s: calls.append(p) or original(r, p, s))
    open_book(root)
    assert calls == []  # nothing changed: nothing re-read
    path = repo.customer(owner="ghost")
    os.utime(path, ns=(1, 1))  # a different mtime even on coarse clocks
    book = open_book(root)
    assert calls == ["records/customers/粤IT2024001.yaml"]
    assert [d.code for d in book.diagnostics] == ["unknown-member"]


def test_a_corrupt_cache_is_ignored(repo: RecordRepo) -> None:
    repo.customer()
    open_book(str(repo.root))
    (repo.root / CACHE_DIR / "files.marshal").write_bytes(b"\x00garbage")
    assert open_book(str(repo.root)).diagnostics == []


def test_cache_key_changes_with_settings(repo: RecordRepo) -> None:
    before = cache_key(load_settings(str(repo.root)))
    repo.settings("as_of: 2024-05-20\nneed_summary_max: 100\n")
    assert cache_key(load_settings(str(repo.root))) != before


def test_cache_entries_are_keyed_by_stamp(tmp_path) -> None:
    cache = FileCache(str(tmp_path), "k")
    cache.put("a.yaml", (1, 2), ({"x": 1}, []))
    cache.save()
    again = FileCache(str(tmp_path), "k")
    assert again.get("a.yaml", (1, 2)) == ({"x": 1}, [])
    assert again.get("a.yaml", (1, 3)) is None
    assert FileCache(str(tmp_path), "other").get("a.yaml", (1, 2)) is None


def test_parallel_and_serial_reading_agree(repo: RecordRepo) -> None:
    for n in range(1, 41):
        repo.customer(f"粤IT2024{n:03d}", owner="ghost" if n % 7 == 0 else "zhang")
    root = str(repo.root)
    settings = load_settings(root)
    paths = discover(root)
    import dealbook.checks.filecache as reading

    serial = read_many(root, paths, settings, jobs=1)
    old = reading._PARALLEL_MIN
    reading._PARALLEL_MIN = 1
    try:
        parallel = read_many(root, paths, settings, jobs=2)
    finally:
        reading._PARALLEL_MIN = old
    assert serial == parallel


def test_path_limited_book_reads_neighbours_but_reports_only_the_paths(repo: RecordRepo) -> None:
    repo.customer()
    repo.customer("粤IT2024002", owner="ghost")
    fu = repo.followup("粤IT2024001", "2024-05-10 14:00")
    book = open_book(str(repo.root), paths=[fu.relative_to(repo.root).as_posix()])
    assert "粤IT2024001" in book.customers and book.members
    assert book.diagnostics == [] and book.complete is False


def test_checking_a_record_leaves_nothing_for_the_collector(tmp_path) -> None:
    """Parse workers run with the collector off (see `filecache._read_chunk`): a file's checks must
    free what they build by reference counting alone, or a worker's memory grows with every file."""
    from conftest import uncollectable
    from dealbook.checks.filechecks import read_record
    from dealbook.records.settings import load_settings

    settings = load_settings(str(tmp_path))
    raw = "customer: 粤IT2024001\nat: 2024-05-20 14:00\nchannel: phone\nsummary: 电话 13812345678\n".encode()
    path = "records/followups/粤IT2024001/2024-05-20-1400.yaml"
    read_record(path, raw, settings)  # validators built
    assert [type(o).__name__ for o in uncollectable(lambda: read_record(path, raw, settings))] == []


def test_a_whole_repo_read_makes_each_record_once_as_its_result_comes_in(repo: RecordRepo, monkeypatch) -> None:
    """Records are made while the parsing processes still run (`read_many(each=...)`); the Book
    files those same records, in path order, and equals a Book built from the data alone."""
    import dealbook.checks.filecache as filecache
    from dealbook.records.book import Book
    from dealbook.records.model import Customer, FollowUp

    for n in range(1, 31):
        repo.customer(f"粤IT2024{n:03d}", owner="ghost" if n % 7 == 0 else "zhang")
        repo.followup(f"粤IT2024{n:03d}", "2024-05-10 14:00")
        repo.followup(f"粤IT2024{n:03d}", "2024-05-09 09:30")
    repo.customer("粤IT2024031", name="x")
    repo.write("records/customers/粤IT2024032.yaml", "- not a mapping\n")
    root = str(repo.root)
    monkeypatch.setattr(filecache, "_PARALLEL_MIN", 1)
    made: list[str] = []
    reading: list[bool] = []  # whether the files are still being read
    for cls in (Customer, FollowUp):
        real = cls.from_data.__func__
        monkeypatch.setattr(cls, "from_data", classmethod(
            lambda c, p, d, real=real: made.append((p, bool(reading))) or real(c, p, d)))
    real_read = filecache.read_many
    monkeypatch.setattr(filecache, "read_many", lambda *a, **k: (reading.append(True), real_read(*a, **k),
                                                                 reading.clear())[1])
    book = open_book(root, use_cache=False, jobs=2)
    records = [p for p in book.paths if p != "records/team.yaml" and not p.endswith("032.yaml")]
    assert sorted(made) == [(p, True) for p in records]  # each made while the files were read, none again after
    settings = load_settings(root)
    from dealbook.checks.filecache import read_many as read

    alone = Book(settings, sorted((p, r[0]) for p, r in read(root, sorted(book.paths), settings, jobs=1).items()))
    for field in ("customers", "customers_by_path", "_followups"):  # records compare by identity: their reprs
        assert repr(getattr(book, field)) == repr(getattr(alone, field)), field
    assert list(book._followups) == list(alone._followups) and len(book.customers) == 31


def test_a_book_reopened_after_edits_is_the_book_read_afresh(repo: RecordRepo, monkeypatch) -> None:
    """`reopen_book` (what `mkdocs serve` reads with between rebuilds) patches a copy of the last
    Book with only the files whose stamps changed; the result equals a Book read from scratch, and
    the earlier Book is left as it was."""
    from dealbook.checks.reading import reopen_book, scan

    repo.customer()
    repo.customer("粤IT2024002", name="深圳第二科技有限公司")
    repo.followup("粤IT2024001", "2024-05-10 10:00")
    gone = repo.followup("粤IT2024002", "2024-05-11 10:00")
    root = str(repo.root)
    settings = load_settings(root)
    stamps = scan(root)
    first = open_book(root, settings=settings, snapshot=True, scanned=stamps)
    assert reopen_book(first, stamps, stamps, settings) is not None  # nothing changed
    first_paths = list(first.paths)
    repo.followup("粤IT2024001", "2024-05-12 10:00", summary="第二次")
    gone.unlink()
    changed = repo.customer("粤IT2024002", name="深圳第二科技有限公司", owner="ghost")
    os.utime(changed, ns=(1, 1))
    read: list[str] = []
    import dealbook.checks.filecache as reading

    original = reading._read_path
    monkeypatch.setattr(reading, "_read_path", lambda r, p, s: read.append(p) or original(r, p, s))
    now = scan(root)
    again = reopen_book(first, stamps, now, settings)
    assert again is not None and again is not first
    assert sorted(read) == ["records/customers/粤IT2024002.yaml", "records/followups/粤IT2024001/2024-05-12-1000.yaml"]
    fresh = open_book(root, use_cache=False)
    assert again.paths == fresh.paths and list(again.customers) == list(fresh.customers)
    assert {c: v.data for c, v in again.customers.items()} == {c: v.data for c, v in fresh.customers.items()}
    for cid in fresh.customers:
        assert [f.path for f in again.followups_of(cid)] == [f.path for f in fresh.followups_of(cid)]
    assert [tuple(d) for d in again.diagnostics] == [tuple(d) for d in fresh.diagnostics]
    assert [d.code for d in again.diagnostics] == ["unknown-member"]
    assert first.paths == first_paths and len(first.followups_of("粤IT2024002")) == 1  # the first Book as it was
