"""The pre-commit hook, for real: `git commit` in a temporary repo runs `dealbook check`."""

from __future__ import annotations

import json
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


def test_commit_time_warns_about_late_entries_but_commits(repo: RecordRepo, tmp_path: Path) -> None:
    """The hook, for real: a follow-up committed 30 hours after the call is warned, not refused;
    `check --strict` (CI) fails on it; one within 2 hours passes quietly."""
    import datetime as dt

    env = hook_env(tmp_path)
    env["DEALBOOK_NOW"] = "2024-05-21 16:30"  # the local clock at commit time (team-local)
    repo.git_init()
    shutil.copy(ROOT / ".pre-commit-config.yaml", repo.root / ".pre-commit-config.yaml")
    repo.settings("as_of: 2024-05-21\n")
    repo.customer(created="2024-05-21 09:00", review={"by": "chen", "on": "2024-05-21", "result": "ok"})
    subprocess.run([sys.executable, "-m", "pre_commit", "install"], cwd=repo.root, env=env, check=True,
                   capture_output=True)
    first = commit(repo, env, "new customer, 7.5 h after it was created")
    assert first.returncode == 0, first.stdout + first.stderr
    assert "late-entry" not in first.stdout + first.stderr
    repo.followup("粤IT2024001", "2024-05-20 10:30", contact="王总监")   # 30 h before the commit
    repo.followup("粤IT2024001", "2024-05-21 15:00", contact="王总监")   # 1.5 h before: on time
    late = commit(repo, {**env, "GIT_COMMITTER_DATE": "2024-05-21T16:30:00+08:00"}, "two calls")
    output = late.stdout + late.stderr
    assert late.returncode == 0, output  # late is better than never: a warning only
    assert "records/followups/粤IT2024001/2024-05-20-1030.yaml" in output and "late-entry" in output
    assert "recorded 30 h later; record follow-ups within 2 h of the conversation" in output
    assert "2024-05-21-1500.yaml:" not in output  # on time: no diagnostic
    assert repo.git("log", "--oneline").count("\n") == 2
    # CI: the same files checked strictly against the branch point fail on the warning
    base = repo.git("rev-list", "--max-parents=0", "HEAD").strip()
    files = ["records/followups/粤IT2024001/2024-05-20-1030.yaml", "records/followups/粤IT2024001/2024-05-21-1500.yaml"]
    ci_env = dict(env)
    ci_env.pop("DEALBOOK_NOW")  # CI runs later, on today's clock: the commit's time is what counts
    strict = subprocess.run(["dealbook", "check", "--strict", "--new-since", base, *files], cwd=repo.root,
                            env=ci_env, capture_output=True, text=True)
    assert strict.returncode == 1, strict.stdout + strict.stderr
    assert strict.stdout.count("late-entry") == 1 and "recorded 30 h later" in strict.stdout
    assert dt.date.today() > dt.date(2024, 5, 22)


def test_a_new_customer_created_more_than_24_hours_before_its_first_commit_is_warned(
        repo: RecordRepo, tmp_path: Path) -> None:
    env = hook_env(tmp_path)
    env["DEALBOOK_NOW"] = "2024-05-22 10:00"
    repo.git_init()
    shutil.copy(ROOT / ".pre-commit-config.yaml", repo.root / ".pre-commit-config.yaml")
    repo.customer(created="2024-05-20 09:00")
    subprocess.run(["git", "add", "-A"], cwd=repo.root, check=True)
    done = subprocess.run([sys.executable, "-m", "pre_commit", "run"], cwd=repo.root, env=env,
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
    assert ("this customer was created 2024-05-20 09:00 and is recorded 49 h later; create customers within 24 h "
            "of first contact (entry_deadlines.customer_hours)") in done.stdout


def test_new_since_takes_a_date_and_refuses_a_revision_that_names_nothing(repo: RecordRepo, run) -> None:
    """CI's `check --new-since REV`: a typo in REV is a usage error, not a check that silently
    finds no record new (and so no late entry); a date names the last commit of that day."""
    repo.git_init()
    repo.customer(created="2024-05-01 09:00")
    base = repo.commit("new customer", "2024-05-01T10:00:00+08:00")
    path = repo.followup("粤IT2024001", "2024-05-05 10:00", contact="王总监")
    repo.commit("a call, recorded five days later", "2024-05-10T10:00:00+08:00")
    relative = str(path)  # absolute: the CLI runs in this process, from another folder
    for since in (base, "2024-05-02"):
        result = run(repo, "check", "--format", "json", "--new-since", since, relative)
        codes = [d["code"] for d in json.loads(result.output)["diagnostics"]]
        assert codes == ["late-entry"], (since, result.output)
    result = run(repo, "check", "--new-since", "origin/mian", relative)
    assert result.exit_code == 2
    assert "--new-since" in result.output and "未知的版本 'origin/mian'" in result.output  # the team's language


def test_a_commit_that_only_removes_a_customer_file_is_checked(repo: RecordRepo, tmp_path: Path) -> None:
    """pre-commit passes a hook no deleted file: removing a customer's file alone used to pass
    untouched ("no files to check") and leave its follow-ups orphaned."""
    env = hook_env(tmp_path)
    repo.git_init()
    shutil.copy(ROOT / ".pre-commit-config.yaml", repo.root / ".pre-commit-config.yaml")
    subprocess.run([sys.executable, "-m", "pre_commit", "install"], cwd=repo.root, env=env, check=True,
                   capture_output=True)
    repo.customer()
    repo.followup("粤IT2024001", "2024-05-10 10:00", contact="王总监")
    assert commit(repo, env, "a customer and a call").returncode == 0
    subprocess.run(["git", "rm", "-q", "records/customers/粤IT2024001.yaml"], cwd=repo.root, check=True)
    refused = subprocess.run(["git", "commit", "-m", "drop the customer"], cwd=repo.root, env=env,
                             capture_output=True, text=True)
    output = refused.stdout + refused.stderr
    assert refused.returncode != 0, output
    assert "records/followups/粤IT2024001/2024-05-10-1000.yaml:" in output and "unknown-customer" in output
    subprocess.run(["git", "rm", "-q", "-r", "records/followups/粤IT2024001"], cwd=repo.root, check=True)
    done = subprocess.run(["git", "commit", "-m", "drop the customer and its follow-ups"], cwd=repo.root, env=env,
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
    assert repo.git("log", "--oneline").count("\n") == 2
