"""A PATH-limited check (what pre-commit runs) compares with every other customer through the stored
index: the same cross-record findings as a whole-repo check, without reading the other files."""

from __future__ import annotations

import json
import os

import dealbook.checks.filecache as filecache
from conftest import RecordRepo
from dealbook.checks.customer_index import customer_index
from dealbook.records.settings import load_settings


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


def test_the_index_carries_ids_names_numbers_and_owners(repo: RecordRepo) -> None:
    repo.customer("粤IT2024001", name="ＡＢＣ科技（中国）有限公司", stage="won",
                  contracts=[{"no": "HT-2024-001", "amount": 100000, "signed": "2024-03-01"}])
    rows = customer_index(str(repo.root), load_settings(str(repo.root)))
    assert [(r.path, r.id, r.key, r.numbers, r.owner) for r in rows] == [
        ("records/customers/粤IT2024001.yaml", "粤IT2024001", "abc科技", ("HT-2024-001",), "zhang")]
