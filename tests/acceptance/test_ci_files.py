"""The shipped CI pipelines: parse both files and run the shell commands they call, in order, on a
temporary clone of this repo with a real pull-request-like branch.

Skipped on purpose, because they need the network or a CI service: `pip install` lines (the
test runs the dealbook installed in this environment), and the `uses:` actions (checkout,
setup-python, caches, the sticky comment, the Pages upload and deploy). The sticky comment's
input file is checked instead. GitLab's note is posted only when DEALBOOK_NOTE_TOKEN is set,
which it is not here, so that line runs and does nothing.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from conftest import ROOT

WORKFLOW = ROOT / ".github/workflows/records.yml"
GITLAB = ROOT / ".gitlab-ci.yml"
CUSTOMER = "沪IT2024005"


def _committed(path: str) -> bool:
    return subprocess.run(["git", "cat-file", "-e", f"HEAD:{path}"], cwd=ROOT, capture_output=True).returncode == 0


pytestmark = pytest.mark.skipif(not (ROOT / ".git").exists() or not _committed(f"records/customers/{CUSTOMER}.yaml"),
                                reason="needs this repo's git history with the demo records committed")


def git(cwd: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, text=True).stdout


@pytest.fixture(scope="module")
def clone(tmp_path_factory) -> Path:
    """A clone of this repo's committed HEAD as `main`, with branch `pr` that moves a demo deal
    to negotiation at a lower amount and logs a visit."""
    target = tmp_path_factory.mktemp("ci") / "records"
    subprocess.run(["git", "clone", "-q", "--branch", git(ROOT, "branch", "--show-current").strip() or "main",
                    str(ROOT), str(target)], check=True)
    git(target, "branch", "-M", "main")
    git(target, "config", "user.email", "rep@example.com")
    git(target, "config", "user.name", "Rep")
    git(target, "config", "commit.gpgsign", "false")
    git(target, "checkout", "-q", "-b", "pr")
    path = target / f"records/customers/{CUSTOMER}.yaml"
    text = path.read_text(encoding="utf-8")
    text = text.replace("stage: proposal  # 方案呈现", "stage: negotiation")
    text = text.replace("    on: 2024-04-15\n", "    on: 2024-04-15\n  - stage: negotiation\n    on: 2024-05-18\n")
    text = text.replace("  amount: 360000", "  amount: 340000")
    path.write_text(text, encoding="utf-8")
    (target / f"records/followups/{CUSTOMER}/2024-05-18-1000.yaml").write_text(
        f"customer: {CUSTOMER}\nat: 2024-05-18 10:00\nmethod: visit\nby: li\ncontact: 邓立新\n"
        "summary: 与 COO 谈价格与付款条件\nnext:\n  - action: 发送合同草稿\n    due: 2024-05-21\n    owner: li\n",
        encoding="utf-8")
    git(target, "add", "-A")
    git(target, "commit", "-q", "-m", "沪IT2024005 to negotiation")
    return target


def environment(tmp: Path) -> dict[str, str]:
    env = dict(os.environ)
    env["PATH"] = os.path.dirname(sys.executable) + os.pathsep + env.get("PATH", "")
    env["PRE_COMMIT_HOME"] = str(tmp / "pre-commit-home")
    env["NO_MKDOCS_2_WARNING"] = "1"
    env.pop("DEALBOOK_NOTE_TOKEN", None)
    return env


def skipped(command: str) -> bool:
    return bool(re.match(r"\s*python -m pip install\b", command))


def bash(command: str, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess:
    # GitHub runs `run:` with `bash --noprofile --norc -eo pipefail`; GitLab stops at the first failing line.
    return subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", command], cwd=cwd, env=env,
                          capture_output=True, text=True)


def github_steps(job: str) -> list[dict]:
    return yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))["jobs"][job]["steps"]


def test_workflow_shape():
    workflow = yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))
    triggers = workflow.get("on", workflow.get(True))  # YAML 1.1 reads the key `on` as true
    assert set(triggers) == {"pull_request", "push", "schedule", "workflow_dispatch"}
    assert triggers["push"]["branches"] == ["main"]
    uses = [s.get("uses", "").split("@")[0] for job in workflow["jobs"].values() for s in job["steps"]]
    for action in ("actions/checkout", "actions/setup-python", "actions/cache",
                   "marocchino/sticky-pull-request-comment", "actions/upload-pages-artifact", "actions/deploy-pages"):
        assert action in uses
    review = workflow["jobs"]["review"]["steps"]
    assert any(s.get("with", {}).get("cache") == "pip" for s in review)
    # the caches and the key that signs them: without the key a restored cache is a miss
    assert any(s.get("with", {}).get("path", "").split() == [".dealbook-cache", "~/.cache/dealbook"] for s in review)
    assert "customer data" in WORKFLOW.read_text(encoding="utf-8")
    gitlab = yaml.safe_load(GITLAB.read_text(encoding="utf-8"))
    assert gitlab["pages"]["artifacts"]["paths"] == ["public"]
    assert ".dealbook-cache" in gitlab["cache"]["paths"] and ".cache/dealbook" in gitlab["cache"]["paths"]
    assert gitlab["variables"]["XDG_CACHE_HOME"] == "$CI_PROJECT_DIR/.cache"
    assert "customer data" in GITLAB.read_text(encoding="utf-8")


def test_github_pull_request_job_runs_on_a_pr_branch(clone, tmp_path):
    env = environment(tmp_path)
    summary = tmp_path / "step-summary.md"
    env.update(GITHUB_STEP_SUMMARY=str(summary), GITHUB_ACTIONS="true")
    git(clone, "checkout", "-q", "pr")
    ran = []
    for step in github_steps("review"):
        if "run" not in step or skipped(step["run"]):
            if "sticky-pull-request-comment" in step.get("uses", ""):
                comment = (clone / step["with"]["path"]).read_text(encoding="utf-8")
                assert comment.startswith("### dealbook review")
            continue
        command = step["run"].replace("${{ github.base_ref }}", "main")
        done = bash(command, clone, env)
        assert done.returncode == 0, f"{step.get('name')}: {done.stdout}\n{done.stderr}"
        ran.append(step.get("name"))
    assert ran == ["Review summary", "pre-commit hooks on the changed files", "Check every record",
                   "Approvals are commits"]
    text = summary.read_text(encoding="utf-8")
    assert ("**沪IT2024005 上海明途信息技术有限公司**: proposal (方案呈现) → negotiation (商务谈判)" in text)
    assert "商机金额 ¥360,000 → ¥340,000;新增跟进 1 条" in text  # the demo team's language (zh)


def test_github_check_step_fails_with_annotations_on_a_broken_record(clone, tmp_path):
    env = environment(tmp_path)
    env["GITHUB_ACTIONS"] = "true"
    git(clone, "checkout", "-q", "pr")
    path = clone / f"records/customers/{CUSTOMER}.yaml"
    original = path.read_text(encoding="utf-8")
    try:
        path.write_text(original.replace("owner: li", "owner: nobody"), encoding="utf-8")
        step = next(s for s in github_steps("review") if s.get("name") == "Check every record")
        done = bash(step["run"], clone, env)
        assert done.returncode == 1
        assert f"::error file=records/customers/{CUSTOMER}.yaml,line=" in done.stdout
        review = bash('dealbook diff "origin/main" --format markdown', clone, env)
        assert "新增的检查问题" in review.stdout and "unknown\\-member" not in review.stdout
        assert "unknown-member" in review.stdout
    finally:
        path.write_text(original, encoding="utf-8")


def test_github_approvals_step_fails_on_an_approval_typed_in_by_the_rep(clone, tmp_path):
    env = environment(tmp_path)
    env["GITHUB_ACTIONS"] = "true"
    git(clone, "checkout", "-q", "-b", "typed-approval", "pr")
    path = clone / "records/customers/渝MF2024001.yaml"
    original = path.read_text(encoding="utf-8")
    assert "    status: draft\n" in original
    assert "    margin: 0.26\n" in original
    path.write_text(original.replace("    status: draft\n", "    status: sent\n").replace(
        "    margin: 0.26\n", "    margin: 0.26\n    approvals:\n      - {step: margin, by: chen, on: 2024-05-18}\n"),
        encoding="utf-8")
    git(clone, "commit", "-q", "-am", "approved by chen (typed by the rep)")
    step = next(s for s in github_steps("review") if s.get("name") == "Approvals are commits")
    done = bash(step["run"].replace("${{ github.base_ref }}", "main"), clone, env)
    assert done.returncode == 1
    assert "::error file=records/customers/渝MF2024001.yaml" in done.stdout and "approval-not-proven" in done.stdout
    git(clone, "checkout", "-q", "pr")


def test_github_site_job_builds_on_main(clone, tmp_path):
    if not (clone / "mkdocs.yml").exists():
        pytest.skip("no mkdocs.yml committed yet")
    env = environment(tmp_path)
    git(clone, "checkout", "-q", "main")
    ran = []
    for step in github_steps("site"):
        if "run" not in step or skipped(step["run"]):
            continue
        done = bash(step["run"], clone, env)
        assert done.returncode == 0, f"{step.get('name')}: {done.stdout[-3000:]}\n{done.stderr[-3000:]}"
        ran.append(step.get("name"))
    assert ran == ["Check every record", "Build the site"]
    assert (clone / "public" / "index.html").exists()


def test_gitlab_merge_request_job_runs_on_a_pr_branch(clone, tmp_path):
    env = environment(tmp_path)
    env.update(CI_MERGE_REQUEST_TARGET_BRANCH_NAME="main", CI_PIPELINE_SOURCE="merge_request_event")
    git(clone, "checkout", "-q", "pr")
    gitlab = yaml.safe_load(GITLAB.read_text(encoding="utf-8"))
    assert gitlab["check"]["rules"] == [{"if": '$CI_PIPELINE_SOURCE == "merge_request_event"'}]
    ran = 0
    for line in gitlab["check"]["script"]:
        if skipped(line):
            continue
        done = bash(line, clone, env)
        assert done.returncode == 0, f"{line}: {done.stdout}\n{done.stderr}"
        ran += 1
    assert ran == 7
    review = (clone / "dealbook-review.md").read_text(encoding="utf-8")
    assert "proposal (方案呈现) → negotiation (商务谈判)" in review


def test_gitlab_pages_job_publishes_public(clone, tmp_path):
    if not (clone / "mkdocs.yml").exists():
        pytest.skip("no mkdocs.yml committed yet")
    env = environment(tmp_path)
    git(clone, "checkout", "-q", "main")
    pages = yaml.safe_load(GITLAB.read_text(encoding="utf-8"))["pages"]
    for line in pages["script"]:
        if skipped(line):
            continue
        done = bash(line, clone, env)
        assert done.returncode == 0, f"{line}: {done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    assert (clone / pages["artifacts"]["paths"][0] / "index.html").exists()
