"""A PATH-limited check (what pre-commit runs) compares with every other customer through the stored
index: the same cross-record findings as a whole-repo check, without reading the other files."""

from __future__ import annotations

import json
import os
import shutil

import dealbook.checks.customer_index as customer_index_module
import dealbook.checks.filecache as filecache
from conftest import RecordRepo
from dealbook.checks.customer_index import customer_index
from dealbook.records.settings import load_settings
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st


def _found(result) -> list[tuple[str, str]]:
    return sorted((d["path"], d["code"]) for d in json.loads(result.stdout)["diagnostics"])


def _repo(repo: RecordRepo) -> None:
    repo.customer("粤IT2024001", name="深圳市甲乙科技有限公司")
    repo.customer("粤IT2024002", name="广州丙丁贸易有限公司")
    repo.customer("粤IT2024003", name="杭州戊己机械有限公司")
    repo.followup("粤IT2024001", "2024-05-10 14:00")


def test_a_one_file_check_finds_an_id_used_by_a_file_it_did_not_read(run, repo: RecordRepo) -> None:
    _repo(repo)
    twin = repo.write("records/customers/粤IT2024004.yaml",
                      {**json.loads(json.dumps(_data(repo, "粤IT2024003"))), "name": "成都某某食品有限公司"})
    whole = [f for f in _found(run(repo, "check", "--format", "json")) if f[1] == "duplicate-id"]
    assert whole == [("records/customers/粤IT2024004.yaml", "duplicate-id")]
    alone = _found(run(repo, "check", "--format", "json", str(twin)))
    assert ("records/customers/粤IT2024004.yaml", "duplicate-id") in alone
    first = _found(run(repo, "check", "--format", "json", str(repo.root / "records/customers/粤IT2024003.yaml")))
    assert ("records/customers/粤IT2024003.yaml", "duplicate-id") not in first  # the first file keeps the id


def _data(repo: RecordRepo, cid: str) -> dict:
    import yaml

    return yaml.safe_load((repo.root / f"records/customers/{cid}.yaml").read_text(encoding="utf-8"))


def test_the_index_follows_edits_of_other_files(run, repo: RecordRepo) -> None:
    _repo(repo)
    checked = str(repo.root / "records/customers/粤IT2024001.yaml")
    assert _found(run(repo, "check", "--format", "json", checked)) == []
    other = repo.customer("粤IT2024002", name="深圳市甲乙科技有限公司")  # another file now has the same name
    os.utime(other, ns=(1, 1))
    assert _found(run(repo, "check", "--format", "json", checked)) == [
        ("records/customers/粤IT2024001.yaml", "likely-duplicate")]
    (repo.root / "records/customers/粤IT2024002.yaml").unlink()
    assert _found(run(repo, "check", "--format", "json", checked)) == []


def test_a_one_file_check_reads_only_that_file(run, repo: RecordRepo, monkeypatch) -> None:
    _repo(repo)
    assert _found(run(repo, "check", "--format", "json")) == []  # a whole-repo check leaves the index current
    path = repo.customer("粤IT2024001", name="深圳市甲乙科技有限公司", owner="li")
    import dealbook.checks.dedupe as dedupe

    def no_walk(*args, **kwargs):
        raise AssertionError("read every customer file")

    monkeypatch.setattr(dedupe, "repo_names", no_walk)
    read: list[str] = []
    original = filecache._read_path
    monkeypatch.setattr(filecache, "_read_path", lambda r, p, s: read.append(p) or original(r, p, s))
    assert _found(run(repo, "check", "--format", "json", str(path))) == []
    assert read == ["records/customers/粤IT2024001.yaml"]


def test_one_file_findings_match_the_whole_repo_check(run, demo_repo: RecordRepo) -> None:
    twin = _data(demo_repo, _first_id(demo_repo))["name"].replace("有限公司", "股份有限公司")
    demo_repo.customer("粤IT2099001", name=twin)
    whole = json.loads(run(demo_repo, "check", "--format", "json").stdout)["diagnostics"]
    customers = sorted((demo_repo.root / "records/customers").glob("*.yaml"))
    for path in customers:
        rel = f"records/customers/{path.name}"
        alone = [d for d in json.loads(run(demo_repo, "check", "--format", "json", str(path)).stdout)["diagnostics"]
                 if d["path"] == rel]
        mine = [d for d in whole if d["path"] == rel]
        # a whole-repo check warns about a look-alike pair once (on the later id), a one-file check on either
        others = [d for d in mine if d["code"] != "likely-duplicate"]
        assert [d for d in alone if d["code"] != "likely-duplicate"] == others
        assert all(d in alone for d in mine), rel
    assert any(d["code"] == "likely-duplicate" for d in whole)


def _first_id(repo: RecordRepo) -> str:
    return sorted((repo.root / "records/customers").glob("*.yaml"))[0].stem


def test_the_index_carries_ids_names_and_numbers(repo: RecordRepo) -> None:
    repo.customer("粤IT2024001", name="ＡＢＣ科技（中国）有限公司", stage="won",
                  contracts=[{"no": "HT-2024-001", "amount": 100000, "signed": "2024-03-01"}])
    rows = customer_index(str(repo.root), load_settings(str(repo.root))).rows()
    assert rows == [("records/customers/粤IT2024001.yaml", "粤IT2024001", "ＡＢＣ科技（中国）有限公司", "abc科技",
                     ("HT-2024-001",))]


def _brute_force(checked: list[tuple[str, str, str]], rows: list[tuple[str, str, str, str]]) -> list[tuple[str, str]]:
    """The one-file likely-duplicate search as it was before the index was asked by key: rapidfuzz
    over every stored name, kept when the two names share a one-character deletion; of equal
    scores the first in path order, checked or not (a file's finding does not depend on which
    other files are checked with it)."""
    from dealbook.checks.dedupe import CHECK_MIN_SCORE, _message, name_variants, normalise_name
    from rapidfuzz import fuzz, process

    present = {path for path, _, _ in checked}
    everyone = [(path, cid, name, normalise_name(name)) for path, cid, name in checked]
    everyone = sorted([*everyone, *(row for row in rows if row[0] not in present)], key=lambda row: row[0])
    keys = [item[3] for item in everyone]
    position = {row[0]: n for n, row in enumerate(everyone)}
    found = []
    for path, _cid, name in checked:
        mine = position[path]
        key = everyone[mine][3]
        if not key:
            continue
        best = None
        for other_key, _, other in process.extract(key, keys, scorer=fuzz.ratio, score_cutoff=CHECK_MIN_SCORE - 0.5,
                                                   limit=None):
            if other == mine or not other_key:
                continue
            score = 100 if other_key == key else round(fuzz.ratio(key, other_key))
            if score < CHECK_MIN_SCORE or (other_key != key and not name_variants(key) & name_variants(other_key)):
                continue
            if best is None or score > best[0]:
                best = (score, everyone[other][1], everyone[other][2])
        if best is not None:
            found.append((path, _message(name, best, "en")))
    return found


_NAMES = st.text(alphabet="甲乙丙丁戊己庚辛abAB有限公司 ", min_size=0, max_size=14)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(stored=st.lists(_NAMES, max_size=25), mine=st.lists(st.tuples(st.integers(0, 30), _NAMES), min_size=1,
                                                          max_size=3))
def test_the_index_finds_the_look_alikes_a_search_of_every_name_finds(stored, mine) -> None:
    """Looked up by the name's one-character deletions, the index gives the same likely-duplicate
    findings, message and chosen look-alike included, as scoring every stored name."""
    from dealbook.checks import customer_index as index
    from dealbook.checks.dedupe import _against_index, normalise_name

    rows = {f"records/customers/c{n:02d}.yaml": (f"C{n:02d}", name, normalise_name(name), ()) for n, name in
            enumerate(stored)}
    db = index._memory()
    index._write(db, {p: (1, 2, 3, 4) for p in rows}, rows, [])
    checked = list({f"records/customers/c{n:02d}.yaml": (f"records/customers/c{n:02d}.yaml", f"C{n:02d}", name)
                    for n, name in mine}.values())
    listed = index.CustomerIndex(db).rows()
    assert [r[:4] for r in listed] == sorted((p, *r[:3]) for p, r in rows.items())
    assert list(_against_index(checked, index.CustomerIndex(db), "en")) == _brute_force(checked,
                                                                                      [r[:4] for r in listed])


def test_one_file_checks_find_the_ids_and_contract_numbers_the_whole_repo_check_finds(run, repo: RecordRepo) -> None:
    def deal(*numbers: str) -> list[dict]:
        return [{"no": n, "amount": 1, "signed": "2024-03-01"} for n in numbers]

    repo.customer("粤IT2024001", name="深圳市甲乙科技有限公司", contracts=deal("HT-1"))
    repo.customer("粤IT2024002", name="广州丙丁贸易有限公司", contracts=deal("HT-1", "HT-2"))
    repo.customer("粤IT2024003", name="杭州戊己机械有限公司", contracts=deal("HT-2"))
    twin = {**_data(repo, "粤IT2024003"), "id": "粤it2024001", "name": "成都某某食品有限公司"}  # the id, case folded
    repo.write("records/customers/粤IT2024004.yaml", twin)
    whole = _found(run(repo, "check", "--format", "json"))
    c = "records/customers/粤IT20240"
    assert [f for f in whole if f[1].startswith("duplicate")] == [
        (f"{c}02.yaml", "duplicate-contract"), (f"{c}03.yaml", "duplicate-contract"),
        (f"{c}04.yaml", "duplicate-contract"), (f"{c}04.yaml", "duplicate-id")]
    # alone, a file is also told when it holds a number first and another file uses it too
    expected = {"01": [(f"{c}01.yaml", "duplicate-contract")],
                "02": [(f"{c}02.yaml", "duplicate-contract")] * 2,  # HT-1 after 001; HT-2 first, before 003
                "03": [(f"{c}03.yaml", "duplicate-contract")],
                "04": [(f"{c}04.yaml", "duplicate-contract"), (f"{c}04.yaml", "duplicate-id")]}
    for n, wanted in expected.items():
        alone = _found(run(repo, "check", "--format", "json", str(repo.root / f"{c}{n}.yaml")))
        assert [f for f in alone if f[1].startswith("duplicate")] == wanted, n


def test_stamps_not_signed_by_the_user_are_not_trusted(run, repo: RecordRepo) -> None:
    """The index's stamps are signed; a database whose stamps were replaced (it says every file
    is current) is read again from the files."""
    import marshal
    import sqlite3

    _repo(repo)
    checked = str(repo.root / "records/customers/粤IT2024001.yaml")
    assert _found(run(repo, "check", "--format", "json", checked)) == []
    other = repo.customer("粤IT2024002", name="深圳市甲乙科技有限公司")
    db = sqlite3.connect(repo.root / ".dealbook-cache/customers.sqlite")
    stamps = customer_index_module.stamp_customers(str(repo.root))
    db.execute("UPDATE stamps SET blob = ?", (marshal.dumps(stamps),))
    db.commit()
    db.close()
    assert other.exists()
    assert _found(run(repo, "check", "--format", "json", checked)) == [
        ("records/customers/粤IT2024001.yaml", "likely-duplicate")]


def test_the_look_alike_named_is_the_same_in_every_run_and_for_one_file(repo: RecordRepo, tmp_path) -> None:
    """`测试6905` is one edit from both `测试605` and `测试905` (the same score): the whole-repo check
    names the first in path order whatever Python's string hashing, as the one-file check does."""
    import subprocess
    import sys

    from conftest import ROOT

    for n, name in enumerate(("测试605科技有限公司", "测试905科技有限公司", "测试6905科技有限公司"), 1):
        repo.customer(f"粤IT202400{n}", name=name)
    env = {**os.environ, "PYTHONPATH": str(ROOT / "tools"), "NO_MKDOCS_2_WARNING": "1",
           "XDG_CACHE_HOME": str(tmp_path / "cache")}

    def said(*args: str, seed: int) -> set[str]:
        done = subprocess.run([sys.executable, "-m", "dealbook", "--repo", str(repo.root), "check", "--format", "json",
                               *args], capture_output=True, text=True, env={**env, "PYTHONHASHSEED": str(seed)})
        return {d["message"] for d in json.loads(done.stdout)["diagnostics"] if d["code"] == "likely-duplicate"
                and d["path"].endswith("003.yaml")}

    expected = {"`测试6905科技有限公司` 与 粤IT2024001 `测试605科技有限公司` 很像(相似度 93):如果是同一家公司,"
                "请只保留一份档案(见 `dealbook duplicates`)"}  # in the team's language (zh)
    for seed in range(8):
        shutil.rmtree(repo.root / ".dealbook-cache", ignore_errors=True)
        assert said(seed=seed) == expected, seed
    assert said(str(repo.root / "records/customers/粤IT2024003.yaml"), seed=1) == expected


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(names=st.lists(_NAMES, max_size=25))
def test_the_whole_repo_check_names_the_look_alike_a_pair_by_pair_search_names(names) -> None:
    """The whole-repo look-alike check scores each name's candidates in one call: its findings equal
    those of scoring each candidate pair by pair (highest ratio, then first in path order, the
    pair reported on the later id), message and chosen look-alike included."""
    from dealbook.checks.dedupe import CHECK_MIN_SCORE, _message, likely_duplicates, name_variants, normalise_name
    from dealbook.records.book import Book
    from dealbook.records.settings import default_settings
    from rapidfuzz import fuzz

    records = [(f"records/customers/C{n:02d}.yaml", {"id": f"C{n:02d}", "name": name}) for n, name in enumerate(names)]
    book = Book(default_settings(), records)
    everyone = [(path, data["id"], data["name"]) for path, data in records]
    keys = [normalise_name(name) for _, _, name in everyone]
    expected = []
    for mine, (path, cid, name) in enumerate(everyone):
        if not keys[mine]:
            continue
        best, best_ratio = None, -1.0
        for other, (_, other_id, other_name) in enumerate(everyone):
            if other == mine or other_id > cid or not keys[other] \
                    or not name_variants(keys[mine]) & name_variants(keys[other]):
                continue
            ratio = 100.0 if keys[other] == keys[mine] else fuzz.ratio(keys[mine], keys[other])
            score = 100 if keys[other] == keys[mine] else round(ratio)
            if score >= CHECK_MIN_SCORE and ratio > best_ratio:
                best, best_ratio = (score, other_id, other_name), ratio
        if best is not None:
            expected.append((path, _message(name, best, book.settings.language)))
    assert list(likely_duplicates(book, None)) == expected
