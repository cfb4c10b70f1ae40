"""What a one-file check (the pre-commit hook) pays for: the compiled validators come from a signed
cache, and a check loads only what the files it checks need. Structure, not timings: the timings
are in benchmarks/check.py."""

from __future__ import annotations

import copy
import json
import os
import subprocess
import sys
from pathlib import Path

import fastjsonschema
import pytest
from conftest import ROOT, RecordRepo, customer_data
from dealbook.records.schema import KINDS, _compiled, _effective


@pytest.fixture
def cache_home(tmp_path: Path, monkeypatch) -> Path:
    home = tmp_path / "cache"
    monkeypatch.setenv("XDG_CACHE_HOME", str(home))
    return home


def _samples() -> list[object]:
    good = customer_data()
    return [good, {**good, "stage": 3}, {**good, "contacts": []}, {**good, "extra": 1}, {}, [], "x",
            {**good, "contacts": [{"name": "王", "phone": 13800000000}]}]


def _outcome(validate, data: object) -> tuple[str, object]:
    try:
        return "valid", validate(copy.deepcopy(data))
    except fastjsonschema.JsonSchemaException as exc:
        return "invalid", str(exc)


@pytest.mark.parametrize("kind", KINDS)
def test_a_validator_from_the_cache_judges_as_fastjsonschema_compiles_it(kind: str, cache_home: Path) -> None:
    effective = _effective(kind, ())
    reference = fastjsonschema.compile(copy.deepcopy(effective))
    built = _compiled(effective)  # generated, compiled and stored
    assert list((cache_home / "dealbook" / "validators").glob("*.marshal"))
    loaded = _compiled(effective)  # from the cache
    for data in _samples():
        assert _outcome(built, data) == _outcome(reference, data) == _outcome(loaded, data)


def test_the_cache_answers_without_generating_code(cache_home: Path, monkeypatch) -> None:
    effective = _effective("followup", ())
    _compiled(effective)
    monkeypatch.setattr(fastjsonschema, "compile_to_code", lambda *a, **k: pytest.fail("code generated again"))
    assert _outcome(_compiled(effective), {"customer": 1})[0] == "invalid"


def test_a_validator_cache_signed_by_anyone_else_is_never_run(cache_home: Path, monkeypatch) -> None:
    effective = _effective("team", ())
    _compiled(effective)
    (stored,) = (cache_home / "dealbook" / "validators").glob("*.marshal")
    stored.write_bytes(stored.read_bytes()[:-1] + b"\x00")  # tampered: the signature fails
    generated = []
    real = fastjsonschema.compile_to_code
    monkeypatch.setattr(fastjsonschema, "compile_to_code", lambda *a, **k: generated.append(1) or real(*a, **k))
    assert _outcome(_compiled(effective), {"members": "x"})[0] == "invalid"
    assert generated == [1]  # rebuilt from the schema, not executed from the file


def test_another_schema_is_another_cache_entry(cache_home: Path) -> None:
    enums = ((("properties", "lead_type"), ("partner_referral",)),)
    plain, extended = _compiled(_effective("customer", ())), _compiled(_effective("customer", enums))
    data = customer_data(lead_type="partner_referral")
    assert _outcome(plain, data)[0] == "invalid" and _outcome(extended, data)[0] == "valid"
    assert len(list((cache_home / "dealbook" / "validators").glob("*.marshal"))) == 2


def _loaded_modules(repo: Path, *args: str, cache: Path) -> tuple[set[str], str]:
    """The modules a `dealbook` run imported, and its output."""
    probe = ("import atexit, json, sys\n"
             "atexit.register(lambda: sys.stderr.write('\\nMODULES ' + json.dumps(sorted(sys.modules)) + '\\n'))\n"
             "from dealbook.cli import main\n"
             f"sys.argv = ['dealbook', '--repo', {str(repo)!r}, *{list(args)!r}]\n"
             "main()\n")
    env = {**os.environ, "PYTHONPATH": str(ROOT / "tools"), "XDG_CACHE_HOME": str(cache), "NO_MKDOCS_2_WARNING": "1"}
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, env=env)
    line = next(x for x in done.stderr.splitlines() if x.startswith("MODULES "))
    return set(json.loads(line[len("MODULES "):])), done.stdout + done.stderr


def test_a_one_file_check_loads_only_what_that_file_needs(repo: RecordRepo, tmp_path: Path) -> None:
    repo.customer("粤IT2024001")
    repo.customer("粤IT2024002", name="广州丙丁贸易有限公司")
    followup = repo.followup("粤IT2024001", "2024-05-10 14:00")
    customer = repo.root / "records/customers/粤IT2024002.yaml"
    modules, output = _loaded_modules(repo.root, "check", str(followup), cache=tmp_path / "c")
    assert "0 个错误" in output  # the team's language (zh): 0 errors
    # a valid file never needs jsonschema's explanations; a follow-up compares no names and starts no pool
    assert not {"jsonschema", "rapidfuzz", "multiprocessing", "dealbook.reports"} & modules
    assert "dealbook.checks.customer_index" not in modules  # a follow-up is compared with no other customer
    modules, output = _loaded_modules(repo.root, "check", str(customer), cache=tmp_path / "c")
    assert "0 个错误" in output and "rapidfuzz" in modules and "jsonschema" not in modules
    repo.customer("粤IT2024002", name="广州丙丁贸易有限公司", colour="red")
    modules, output = _loaded_modules(repo.root, "check", str(customer), cache=tmp_path / "c")
    assert "unknown-key" in output and "jsonschema" in modules  # a failure is explained by jsonschema


def test_a_follow_up_check_gives_what_the_whole_repo_check_gives_for_it(run, repo: RecordRepo) -> None:
    repo.customer("粤IT2024001")
    repo.customer("粤IT2024002", name="广州丙丁贸易有限公司")
    followup = repo.followup("粤IT2024001", "2024-05-10 14:00", by="nobody", contact="不认识")
    whole = json.loads(run(repo, "check", "--format", "json").stdout)["diagnostics"]
    alone = json.loads(run(repo, "check", "--format", "json", str(followup)).stdout)["diagnostics"]
    mine = [d for d in whole if d["path"].endswith("2024-05-10-1400.yaml")]
    assert {d["code"] for d in mine} >= {"unknown-member", "unknown-contact"}
    assert alone == mine


def test_a_new_record_is_judged_for_late_entry_from_the_book_already_read(run, repo: RecordRepo,
                                                                            monkeypatch) -> None:
    repo.git_init()
    repo.customer("粤IT2024001")
    repo.commit("customer")
    followup = repo.followup("粤IT2024001", "2024-05-10 14:00")  # new: not in HEAD
    import dealbook.checks.customer_views  # noqa: F401  (imported first: it binds `open_book` by name, not the patch)
    import dealbook.checks.reading as reading

    opened = []
    real = reading.open_book
    monkeypatch.setattr(reading, "open_book", lambda *a, **k: opened.append(a[1]) or real(*a, **k))
    monkeypatch.setenv("DEALBOOK_NOW", "2024-05-20 09:00")
    result = run(repo, "check", str(followup))
    assert "late-entry" in result.output
    assert len(opened) == 1  # the checked Book, not a second read for the deadlines


def test_a_customer_checked_beside_another_customers_follow_up(run, repo: RecordRepo) -> None:
    """The follow-up brings its customer into the Book unchecked: only the checked customer's id is
    compared with the index (an unchecked one once stopped the check with a KeyError)."""
    repo.customer("粤IT2024001")
    repo.customer("粤IT2024002", name="广州丙丁贸易有限公司")
    followup = repo.followup("粤IT2024001", "2024-05-10 14:00")
    run(repo, "check")
    result = run(repo, "check", str(followup), str(repo.root / "records/customers/粤IT2024002.yaml"))
    assert result.exit_code == 0 and "0 个错误" in result.output


def test_a_follow_up_check_reads_no_other_customer_file(run, repo: RecordRepo, monkeypatch) -> None:
    """The follow-up's own customer comes into the Book (with its contracts), but no contract of a
    checked customer is compared, so no customer file is read for contract numbers."""
    import dealbook.checks.dealchecks as dealchecks

    repo.customer("粤IT2024001", contracts=[{"no": "HT-2024-0001", "amount": 100000, "signed": "2024-03-01"}])
    repo.customer("粤IT2024002", name="广州丙丁贸易有限公司")
    followup = repo.followup("粤IT2024001", "2024-05-10 14:00")
    monkeypatch.setattr(dealchecks, "contract_numbers_on_disk",
                        lambda *a: pytest.fail("read every customer file for contract numbers"))
    assert run(repo, "check", str(followup)).exit_code == 0
