"""The pre-commit hook, for real: `git commit` in a temporary repo runs `dealbook check`."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ROOT, RecordRepo, customer_data, dump

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")


def hook_env(tmp_path: Path) -> dict[str, str]:
    env = dict(os.environ)
    env["PATH"] = os.path.dirname(sys.executable) + os.pathsep + env.get("PATH", "")
    env["PRE_COMMIT_HOME"] = str(tmp_path / "pre-commit-home")
    env.pop("GITHUB_ACTIONS", None)
    return env


def commit(repo: RecordRepo, env: dict[str, str], message: str) -> subprocess.CompletedProcess:
    subprocess.run(["git", "add", "-A"], cwd=repo.root, check=True)
    return subprocess.run(["git", "commit", "-m", message], cwd=repo.root, env=env, capture_output=True, text=True)


def test_bad_record_is_refused_and_fixed_one_committed(repo: RecordRepo, tmp_path: Path) -> None:
    env = hook_env(tmp_path)
    repo.git_init()
    shutil.copy(ROOT / ".pre-commit-config.yaml", repo.root / ".pre-commit-config.yaml")
    installed = subprocess.run([sys.executable, "-m", "pre_commit", "install"], cwd=repo.root, env=env,
                               capture_output=True, text=True)
    assert installed.returncode == 0, installed.stdout + installed.stderr
    repo.customer()
    first = commit(repo, env, "first customer")
    assert first.returncode == 0, first.stdout + first.stderr

    # a mistake: a personal mobile number and a typo'd key
    bad = customer_data(contacts=[{"name": "王总监", "role": "decision_maker", "phone": "13812345678",
                                   "phone_kind": "office"}])
    bad["sumary"] = "x"
    repo.write("records/customers/粤IT2024001.yaml", dump(bad))
    refused = commit(repo, env, "oops")
    output = refused.stdout + refused.stderr
    assert refused.returncode != 0
    assert "records/customers/粤IT2024001.yaml:" in output
    assert "privacy-mobile" in output and "unknown-key" in output
    assert repo.git("log", "--oneline").count("\n") == 1  # nothing was committed

    repo.customer(need={"summary": "需要一套 MES 系统"})
    fixed = commit(repo, env, "fixed")
    assert fixed.returncode == 0, fixed.stdout + fixed.stderr
    assert repo.git("log", "--oneline").count("\n") == 2


def test_hook_ignores_files_that_are_not_records(repo: RecordRepo, tmp_path: Path) -> None:
    env = hook_env(tmp_path)
    repo.git_init()
    shutil.copy(ROOT / ".pre-commit-config.yaml", repo.root / ".pre-commit-config.yaml")
    repo.customer()
    repo.write("notes.yaml", "this: [is not a record\n")
    subprocess.run(["git", "add", "-A"], cwd=repo.root, check=True)
    done = subprocess.run([sys.executable, "-m", "pre_commit", "run", "--all-files"], cwd=repo.root, env=env,
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "dealbook check" in done.stdout


def test_hook_manifest_matches_local_config() -> None:
    import yaml

    manifest = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    local = yaml.safe_load((ROOT / ".pre-commit-config.yaml").read_text(encoding="utf-8"))
    hook = local["repos"][0]["hooks"][0]
    assert local["repos"][0]["repo"] == "local" and hook["language"] == "system"
    for key in ("id", "entry", "files"):
        assert manifest[0][key] == hook[key], key
