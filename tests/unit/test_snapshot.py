"""The signed Book snapshot: reused when nothing changed, ignored when stale, forged or foreign."""

from __future__ import annotations

import os
import pickle

from conftest import RecordRepo
from dealbook.checks.reading import CACHE_DIR, cache_key, open_book
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


def _shape(book) -> tuple:
    """Everything a Book files, in its order: what a restored Book must equal."""
    return (
        list(book.paths),
        [(cid, c.path, c.data) for cid, c in book.customers.items()],
        [(path, c.id) for path, c in book.customers_by_path.items()],
        [(key, [(f.path, f.data, f.at) for f in items]) for key, items in book._followups.items()],
        sorted(book.members), book.team_path,
        {path: [tuple(d) for d in found] for path, found in book.file_diagnostics.items()},
        [tuple(d) for d in book.diagnostics],
    )


def _odd_repo(repo: RecordRepo) -> None:
    """Customers and follow-ups out of path order, one id in two files, a follow-up filed in another
    customer's folder, a follow-up naming no customer, a file that is not a mapping, a schema error."""
    for n in (3, 1, 2):
        cid = f"粤IT202400{n}"
        repo.customer(cid, name=f"{'ABC'[n - 1]}科技有限公司")
        for day in (12, 10, 11):
            repo.followup(cid, f"2024-05-{day} 1{n}:00")
    repo.customer("粤IT2024009", id="粤IT2024001", name="D科技有限公司")  # the id of another file
    repo.write("records/followups/粤IT2024002/2024-05-13-0900.yaml",
               {"customer": "粤IT2024003", "at": "2024-05-13 09:00", "method": "phone", "by": "zhang"})
    repo.write("records/followups/粤IT2024004/2024-05-14-0900.yaml",
               {"at": "2024-05-14 09:00", "method": "phone", "by": "ghost"})
    repo.write("records/customers/粤IT2024005.yaml", "- just\n- a list\n")
    repo.customer("粤IT2024006", stage="nowhere")
    # filed in time order, not in path order: a name earlier than its time, and one with no time
    repo.write("records/followups/粤IT2024001/2024-05-01-0900.yaml",
               {"customer": "粤IT2024001", "at": "2024-05-20 09:00", "method": "phone", "by": "zhang"})
    repo.write("records/followups/粤IT2024001/2024-05-02-0900.yaml",
               {"customer": "粤IT2024001", "method": "phone", "by": "zhang"})


def test_a_book_restored_from_its_parts_equals_the_book_read_from_the_files(repo: RecordRepo, monkeypatch,
                                                                              tmp_path) -> None:
    """The snapshot holds the records in parts (pickled a few at a time, most of them as the files are
    read): restored, they make the same Book in the same order, findings included; so does a patched
    Book written anew (none of its parts made while reading)."""
    from dealbook.records.book import Book

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setattr(Book, "SNAPSHOT_PART", 2)  # many parts, one left half full
    _odd_repo(repo)
    root = str(repo.root)
    read = open_book(root, snapshot=True)
    fresh = open_book(root, use_cache=False)
    assert _shape(read) == _shape(fresh)
    state = snapshot.load(str(repo.root / CACHE_DIR), cache_key(read.settings))
    records = len(read.customers_by_path) + len(list(read.all_followups()))
    assert len(state["parts"]) == -(-records // 2) + 1  # pickled while read, then the team and the list
    restored = Book.from_snapshot(read.settings, state)
    restored.defer_diagnostics(lambda book: fresh.diagnostics)
    assert _shape(restored)[:-1] == _shape(fresh)[:-1]
    again = open_book(root, snapshot=True)  # from the snapshot, with the findings computed anew
    assert _shape(again) == _shape(fresh)

    # a patched Book written anew: every record pickled from the Book
    import dealbook.checks.reading as reading

    monkeypatch.setattr(reading, "REWRITE_AFTER", 1)
    repo.followup("粤IT2024002", "2024-05-15 10:00", by="ghost")
    (repo.root / "records/followups/粤IT2024001/2024-05-10-1100.yaml").unlink()
    patched = open_book(root, snapshot=True)
    fresh = open_book(root, use_cache=False)
    assert _shape(patched) == _shape(fresh)
    monkeypatch.setattr(reading, "_open_book", lambda *a, **k: (_ for _ in ()).throw(AssertionError("rebuilt")))
    assert _shape(open_book(root, snapshot=True)) == _shape(fresh)


def test_parts_are_put_in_path_order_and_sorted_only_when_their_ranges_overlap() -> None:
    from dealbook.records import book as books

    def part(*paths):
        return [(p, None, None) for p in paths]

    # as parts come in from the parsing processes: each a range of its own, out of order
    assert [r[0] for r in books._in_path_order([part("c", "d"), [], part("a", "b"), part("e")])] == list("abcde")
    # a leftover part (a file read from the parse cache) among the ranges of the others
    assert [r[0] for r in books._in_path_order([part("a", "c"), part("b", "d"), part("e")])] == list("abcde")
    parts = books.RecordParts()
    for path in ("b", "a", "c"):  # added out of order: the part is sorted before it is pickled
        parts.add(path, {}, object.__new__(books.Customer))
    parts.flush()
    assert [r[0] for r in pickle.loads(parts.blobs[0])] == ["a", "b", "c"] and parts.covered == {"a", "b", "c"}
