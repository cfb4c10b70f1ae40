"""gitstore on real git repos built in tmp_path: revisions, books at a revision, logs, the parse cache."""

from __future__ import annotations

import datetime as dt
import subprocess
from pathlib import Path

import pytest
from dealbook.git import history as githistory
from dealbook.git import review as gitreview
from dealbook.git import store as gitstore
from dealbook.git.history import customer_changelog, first_commit_times
from dealbook.git.store import GitStoreError, Store, book_at, diff_books

CID = "粤IT2024001"
LEAD = [{"stage": "lead", "on": "2024-01-05"}]
DISCOVERY = [*LEAD, {"stage": "discovery", "on": "2024-02-01"}]
PROPOSAL = [*DISCOVERY, {"stage": "proposal", "on": "2024-03-01"}]


@pytest.fixture
def history(repo):
    """Three commits: lead (tag v1, 2024-01-05), discovery (2024-02-01 23:30 +08), proposal (2024-03-01)."""
    repo.customer()
    repo.git_init()
    first = repo.commit("lead", "2024-01-05T10:00:00+08:00")
    repo.git("tag", "v1")
    repo.customer(stage="discovery", stage_history=DISCOVERY, need={"summary": "质检提效"})
    repo.followup(CID, "2024-02-01 10:00")
    second = repo.commit("discovery", "2024-02-01T23:30:00+08:00")
    repo.customer(stage="proposal", stage_history=PROPOSAL, owner="li",
                  need={"summary": "质检提效", "budget": {"status": "partial"}}, deal={"amount": 650000})
    third = repo.commit("proposal", "2024-03-01T09:00:00+08:00")
    repo.shas = (first, second, third)
    return repo


def stage(book) -> str:
    return book.customers[CID].stage


def test_book_at_tag_commit_branch_and_relative(history):
    _first, second, third = history.shas
    root = str(history.root)
    assert stage(book_at(root, "v1")) == "lead"
    assert stage(book_at(root, second)) == "discovery"
    assert stage(book_at(root, second[:10])) == "discovery"
    assert stage(book_at(root, "main")) == "proposal"
    assert stage(book_at(root, "HEAD~2")) == "lead"
    book = book_at(root, third)
    assert book.revision == third
    assert book.diagnostics == []
    assert [f.path for f in book.followups_of(CID)] == [f"records/followups/{CID}/2024-02-01-1000.yaml"]


def test_book_at_date_uses_the_team_timezone(history):
    root = str(history.root)
    # The discovery commit is 2024-02-01 23:30 in Shanghai (15:30 UTC): it belongs to Feb 1st.
    assert stage(book_at(root, "2024-02-01")) == "discovery"
    assert stage(book_at(root, "2024-01-31")) == "lead"
    assert stage(book_at(root, "2024-12-31")) == "proposal"
    with pytest.raises(GitStoreError, match="no commit on or before 2023-12-31"):
        book_at(root, "2023-12-31")


def test_book_at_date_follows_the_first_parent_line(history):
    history.git("checkout", "-q", "-b", "side", "v1")
    history.customer("粤IT2024002", name="B公司")
    history.commit("side branch", "2024-01-20T10:00:00+08:00")
    history.git("checkout", "-q", "main")
    env_date = "2024-03-05T10:00:00+08:00"
    subprocess.run(["git", "merge", "-q", "--no-ff", "-m", "merge side", "side"], cwd=history.root, check=True,
                   env={**__import__("os").environ, "GIT_AUTHOR_DATE": env_date, "GIT_COMMITTER_DATE": env_date})
    root = str(history.root)
    # On Jan 20th main did not have the side branch's customer yet.
    assert set(book_at(root, "2024-01-20").customers) == {CID}
    assert set(book_at(root, "2024-03-05").customers) == {CID, "粤IT2024002"}


def test_unknown_revision_and_not_a_repo(history, tmp_path):
    with pytest.raises(GitStoreError, match="unknown revision 'nope'"):
        book_at(str(history.root), "nope")
    with pytest.raises(GitStoreError, match="not a revision"):
        book_at(str(history.root), "--all")
    plain = tmp_path / "plain"
    plain.mkdir()
    with pytest.raises(GitStoreError, match="not inside a git repository"):
        Store(str(plain))


def test_settings_come_from_the_revision_and_the_working_tree_is_untouched(history):
    history.settings("as_of: 2024-05-20\nlanguage: en\n")
    history.commit("english", "2024-03-02T09:00:00+08:00")
    history.customer(stage="negotiation")  # uncommitted, and invalid (no deal... history mismatch)
    before = (history.root / f"records/customers/{CID}.yaml").read_bytes()
    root = str(history.root)
    assert book_at(root, "v1").settings.language == "zh"
    assert book_at(root, "HEAD").settings.language == "en"
    assert (history.root / f"records/customers/{CID}.yaml").read_bytes() == before
    assert "M " in history.git("status", "--porcelain") or " M" in history.git("status", "--porcelain")


def test_records_repo_in_a_subfolder_of_the_git_repo(tmp_path):
    from conftest import TEAM, RecordRepo

    outer = RecordRepo(tmp_path / "outer")
    outer.write("README.md", "company repo\n")
    outer.write("crm/records/team.yaml", TEAM)
    outer.write("crm/dealbook.yaml", "as_of: 2024-05-20\n")
    inner = RecordRepo(tmp_path / "outer" / "crm")
    inner.customer()
    outer.git_init()
    outer.commit("crm", "2024-01-05T10:00:00+08:00")
    book = book_at(str(inner.root), "HEAD")
    assert sorted(book.paths) == [f"records/customers/{CID}.yaml", "records/team.yaml"]
    assert book.diagnostics == []
    inner.customer(stage="discovery", stage_history=[*LEAD, {"stage": "discovery", "on": "2024-02-01"}])
    inner.followup(CID, "2024-02-01 10:00")
    outer.commit("discovery", "2024-02-01T10:00:00+08:00")
    result, _, _ = gitreview.review_revisions(str(inner.root), "HEAD~1", "HEAD", dt.date(2024, 5, 20))
    (change,) = result.customers
    assert change.stage == ("lead", "discovery")
    assert [f.path for f in change.followups] == [f"records/followups/{CID}/2024-02-01-1000.yaml"]


def test_parse_cache_reparses_only_blobs_that_differ(history, monkeypatch):
    calls: list[str] = []
    real = gitstore.read_record

    def counting(path, raw, settings):
        calls.append(path)
        return real(path, raw, settings)

    monkeypatch.setattr(gitstore, "read_record", counting)
    root = str(history.root)
    book_at(root, "HEAD")
    assert sorted(calls) == sorted([f"records/customers/{CID}.yaml", f"records/followups/{CID}/2024-02-01-1000.yaml",
                                    "records/team.yaml"])
    calls.clear()
    book_at(root, "HEAD~1")  # only the customer file differs from HEAD
    assert calls == [f"records/customers/{CID}.yaml"]
    calls.clear()
    book_at(root, "HEAD")
    assert calls == []
    assert (history.root / ".dealbook-cache" / "blobs.sqlite").exists()


def test_blobs_reads_many_through_one_process(repo):
    for n in range(300):
        repo.write(f"records/notes/{n}.txt", f"note {n}\n" * (n % 7))
    repo.git_init()
    repo.commit("notes")
    with Store(str(repo.root)) as store:
        files = store.tree(store.resolve("HEAD"))
        wanted = {path: blob for path, blob in files.items() if path.startswith("records/notes/")}
        read = dict(store.blobs(wanted.values()))
    assert len(wanted) == 300
    for path, blob in wanted.items():
        n = int(Path(path).stem)
        assert read[blob] == (f"note {n}\n" * (n % 7)).encode()


def test_changed_pairs_renames_and_sees_untracked_files(history):
    history.git("mv", f"records/followups/{CID}/2024-02-01-1000.yaml", f"records/followups/{CID}/2024-02-01-1030.yaml")
    history.customer("粤IT2024009", name="新客户")  # untracked
    with Store(str(history.root)) as store:
        changes = store.changed(store.resolve("HEAD"), None)
    by_status = {(c.status, c.old_path, c.path) for c in changes}
    assert ("R", f"records/followups/{CID}/2024-02-01-1000.yaml", f"records/followups/{CID}/2024-02-01-1030.yaml") \
        in by_status
    assert ("A", None, "records/customers/粤IT2024009.yaml") in by_status


def test_diff_books_reads_only_the_changed_customers(history):
    history.customer("粤IT2024002", name="B公司")
    history.commit("another", "2024-03-03T09:00:00+08:00")
    history.customer(stage="proposal", stage_history=PROPOSAL, owner="li",
                     need={"summary": "质检提效", "budget": {"status": "clear"}}, deal={"amount": 600000})
    books = diff_books(str(history.root), "HEAD", None)
    assert books.ids == {CID}
    assert set(books.before.customers) == {CID} and set(books.after.customers) == {CID}
    assert books.before.customers[CID].deal_amount == 650000
    assert books.after.customers[CID].deal_amount == 600000


def test_customer_changelog_one_pass(history):
    log = customer_changelog(str(history.root))
    entries = log[CID]
    customer_entries = [c for c in entries if c.kind == "customer"]
    assert [c.summary for c in customer_entries] == [
        "created (lead)",
        "stage lead → discovery",
        "stage discovery → proposal; owner zhang → li; deal.amount — → 650,000; need.budget.status — → partial",
    ]
    assert customer_entries[2].fields_changed == (
        ("stage", "discovery", "proposal"), ("owner", "zhang", "li"), ("deal.amount", None, 650000),
        ("need.budget.status", None, "partial"))
    assert customer_entries[1].when == dt.datetime(2024, 2, 1, 23, 30, tzinfo=customer_entries[1].when.tzinfo)
    assert customer_entries[1].author == "Test" and customer_entries[1].email == "test@example.com"
    followups = [c for c in entries if c.kind == "followup"]
    assert [c.summary for c in followups] == ["follow-up 2024-02-01-1000 added"]
    assert followups[0].commit == history.shas[1]


def test_first_commit_times(history):
    times = first_commit_times(str(history.root))
    assert times[f"records/followups/{CID}/2024-02-01-1000.yaml"].isoformat() == "2024-02-01T23:30:00+08:00"
    assert times[f"records/customers/{CID}.yaml"].isoformat() == "2024-01-05T10:00:00+08:00"


def test_stage_timeline(history):
    events = githistory.stage_timeline(str(history.root), CID)
    assert [(e.stage, e.when.date().isoformat(), e.commit) for e in events] == [
        ("lead", "2024-01-05", history.shas[0]),
        ("discovery", "2024-02-01", history.shas[1]),
        ("proposal", "2024-03-01", history.shas[2]),
    ]


def test_parse_raw_handles_renames_and_paths_outside():
    out = (":100644 100644 " + "a" * 40 + " " + "b" * 40 + " R090\0records/customers/A.yaml\0records/customers/B.yaml\0"
           ":000000 100644 " + "0" * 40 + " " + "c" * 40 + " A\0other/x.yaml\0")

    def strip(path: str) -> str | None:
        return path if path.startswith("records/") else None

    changes = gitstore.parse_raw(out, strip)
    assert changes == [
        gitstore.FileChange("R", "records/customers/A.yaml", "records/customers/B.yaml", "a" * 40, "b" * 40)]


def test_blob_keyed_caches_forget_blobs_beyond_the_listing_and_the_spare(history, monkeypatch):
    """Each edit of a customer file makes a new blob: the names and contract-number caches keep the
    listed revision's blobs and the last BLOB_CACHE_SPARE others, not every blob ever seen."""
    monkeypatch.setattr(gitstore, "BLOB_CACHE_SPARE", 1)
    first, second, third = history.shas
    cache = history.root / ".dealbook-cache" / "names.marshal"
    with Store(str(history.root)) as store:
        listed = [gitstore.list_revision(store, sha).customers for sha in (first, second, third)]
        blobs = [next(iter(customers.values())) for customers in listed]
        assert len(set(blobs)) == 3
        for customers in listed:
            names = gitstore._customer_names(store, customers)
            assert names == [(f"records/customers/{CID}.yaml", CID, "A科技有限公司")]
        kept = gitstore.load_cache(str(cache))
        assert list(kept) == blobs[1:]  # the first revision's blob fell out; the second is the spare
        reads = []
        real = store.blobs
        monkeypatch.setattr(store, "blobs", lambda ids: reads.extend(ids) or real(ids))
        gitstore._customer_names(store, listed[2])
        assert reads == []  # the listed blob is kept: nothing read again
        gitstore._customer_names(store, listed[0])
        assert reads == [blobs[0]]
