"""`dealbook check --no-cache`: every file read afresh, the same findings as a check through the caches,
and nothing read from or left in .dealbook-cache/."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from conftest import ROOT, RecordRepo, benchmark_module

CID = "粤IT2024001"
TWIN = "粤IT2024002"  # a second file claiming CID's id: a cross-record finding, and a file-name one
CACHE = ".dealbook-cache"


def _findings(run, repo: RecordRepo, *args: str) -> tuple[int, list[dict], int]:
    result = run(repo, "check", "--format", "json", *args)
    found = json.loads(result.stdout)
    return result.exit_code, found["diagnostics"], found["files"]


def _planted(repo: RecordRepo) -> None:
    repo.customer()
    repo.customer(TWIN, id=CID)
    repo.followup(CID, "2024-05-10 14:00", contact="王总监")
    repo.followup(CID, "2024-05-11 09:30", contact="王总监", summary="客户说 2024-02-30 前付款")


def _cache_files(repo: RecordRepo) -> dict[str, int]:
    folder = repo.root / CACHE
    return {name: os.stat(folder / name).st_mtime_ns for name in os.listdir(folder)} if folder.exists() else {}


def test_a_check_without_the_cache_finds_what_the_cached_check_finds_and_writes_nothing(run, repo: RecordRepo) -> None:
    _planted(repo)
    code, found, files = _findings(run, repo, "--no-cache")
    assert not (repo.root / CACHE).exists()
    assert code == 1
    assert {(d["path"], d["code"]) for d in found} >= {
        (f"records/customers/{TWIN}.yaml", "duplicate-id"), (f"records/customers/{TWIN}.yaml", "id-file-name")}
    cached = _findings(run, repo)
    assert (repo.root / CACHE).exists()
    assert (code, found, files) == cached
    # a warm cache is neither read nor rewritten: the same answer, every cache file as it was
    before = _cache_files(repo)
    assert _findings(run, repo, "--no-cache") == cached
    assert _cache_files(repo) == before


def test_with_paths_it_prints_the_findings_in_those_files(run, repo: RecordRepo) -> None:
    _planted(repo)
    twin = str(repo.root / f"records/customers/{TWIN}.yaml")
    code, found, files = _findings(run, repo, "--no-cache", twin)
    assert not (repo.root / CACHE).exists()
    assert (code, files) == (1, 1)
    assert {d["path"] for d in found} == {f"records/customers/{TWIN}.yaml"}
    assert (code, found) == _findings(run, repo, twin)[:2]  # as the PATH-limited check against the index
    clean = str(repo.root / f"records/customers/{CID}.yaml")
    assert _findings(run, repo, "--no-cache", clean)[:2] == _findings(run, repo, clean)[:2]


def test_it_refuses_a_revision_in_the_team_language(run, repo: RecordRepo) -> None:
    repo.customer()
    repo.git_init()
    repo.commit()
    result = run(repo, "--at", "HEAD", "check", "--no-cache")
    assert result.exit_code == 2
    assert "--no-cache 读取的是工作区:请去掉 --at" in result.output


def test_a_repo_read_by_every_core_gives_the_same_findings_as_through_the_cache(tmp_path: Path) -> None:
    """440 files: enough for the parsing processes (a check of a few files reads them in one)."""
    repo = tmp_path / "big"
    benchmark_module("generate").generate(str(repo), 40, seed=5)
    customers = sorted((repo / "records" / "customers").iterdir())
    shutil.copy(customers[0], customers[0].with_name("粤IT2099001.yaml"))  # a second file with that id
    followup = sorted((repo / "records" / "followups" / customers[1].stem).iterdir())[0]
    followup.write_text(followup.read_text(encoding="utf-8") + "colour: red\n", encoding="utf-8")

    def check(*args: str) -> tuple[int, str]:
        done = subprocess.run([sys.executable, "-m", "dealbook", "--repo", str(repo), "check", "--format", "json",
                               *args], capture_output=True, text=True,
                              env={**os.environ, "PYTHONPATH": str(ROOT / "tools")}, check=False)
        return done.returncode, done.stdout

    fresh = check("--no-cache")
    assert not (repo / CACHE).exists()
    found = json.loads(fresh[1])
    assert found["files"] == 442  # 40 customers, 400 follow-ups, the copy and the team
    assert {d["code"] for d in found["diagnostics"]} >= {"duplicate-id", "id-file-name", "unknown-key"}
    assert fresh == check()
    assert (repo / CACHE).exists()
