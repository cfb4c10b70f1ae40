"""Shared fixtures: small record repos built in tmp_path, the demo repo, and a CLI runner."""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner, Result

ROOT = Path(__file__).resolve().parent.parent


def benchmark_module(name: str) -> Any:
    """A script of benchmarks/ (e.g. `generate`), loaded from its file, not through sys.path: benchmarks/
    holds scripts named like libraries (git.py), which must not shadow them for the other tests."""
    spec = importlib.util.spec_from_file_location(f"dealbook_benchmarks_{name}", ROOT / "benchmarks" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module

TEAM = {
    "members": [
        {"handle": "zhang", "name": "张伟", "role": "rep", "email": "zhang@example.com", "git": "zhangwei"},
        {"handle": "li", "name": "李娜", "role": "rep", "email": "li@example.com", "git": "lina"},
        {"handle": "chen", "name": "陈静", "role": "manager", "email": "chen@example.com", "git": "chenjing"},
    ]
}


def customer_data(cid: str = "粤IT2024001", **overrides: Any) -> dict[str, Any]:
    """A complete, valid lead; override any top-level key."""
    data: dict[str, Any] = {
        "id": cid,
        "name": "A科技有限公司",
        "industry": "I6510",
        "region": "广东 深圳",
        "source": {"channel": "trade_show", "detail": "2024 深圳高交会"},
        "lead_type": "prospect",
        "owner": "zhang",
        "created": "2024-01-05",
        "contacts": [{"name": "王总监", "title": "技术总监", "role": "decision_maker",
                      "phone": "0755-8888-1234", "phone_kind": "work"}],
        "stage": "lead",
        "stage_history": [{"stage": "lead", "on": "2024-01-05"}],
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def changed_lines(before: str, after: str) -> tuple[list[str], list[str]]:
    """(removed, added) lines between two texts."""
    import difflib

    removed, added = [], []
    for line in difflib.ndiff(before.splitlines(), after.splitlines()):
        if line.startswith("- "):
            removed.append(line[2:])
        elif line.startswith("+ "):
            added.append(line[2:])
    return removed, added


def workbook(path: Path, headers: list[str], rows: list[list]) -> Path:
    """An .xlsx file at `path`: `headers` on row 1, then `rows` (what a team's Excel sheet holds)."""
    import openpyxl

    book = openpyxl.Workbook()
    book.active.append(headers)
    for row in rows:
        book.active.append(row)
    book.save(path)
    return path


def dump(data: Any) -> str:
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False)


class RecordRepo:
    """A records repo in a temporary folder, written file by file."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def write(self, relative: str, content: str | dict | list) -> Path:
        path = self.root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content if isinstance(content, str) else dump(content), encoding="utf-8")
        return path

    def customer(self, cid: str = "粤IT2024001", **overrides: Any) -> Path:
        return self.write(f"records/customers/{cid}.yaml", customer_data(cid, **overrides))

    def followup(self, cid: str, at: str, **fields: Any) -> Path:
        data = {"customer": cid, "at": at, "method": "phone", "by": "zhang", "summary": "电话沟通"}
        data.update(fields)
        name = at.replace(" ", "-").replace(":", "")
        return self.write(f"records/followups/{cid}/{name}.yaml", {k: v for k, v in data.items() if v is not None})

    def settings(self, text: str) -> Path:
        return self.write("dealbook.yaml", text)

    def git(self, *args: str) -> str:
        return subprocess.run(["git", *args], cwd=self.root, check=True, capture_output=True, text=True).stdout

    def git_init(self) -> None:
        self.git("init", "-q", "-b", "main")
        self.git("config", "user.email", "test@example.com")
        self.git("config", "user.name", "Test")
        self.git("config", "commit.gpgsign", "false")

    def commit(self, message: str = "change", date: str | None = None) -> str:
        self.git("add", "-A")
        env = dict(os.environ)
        if date:
            env["GIT_AUTHOR_DATE"] = env["GIT_COMMITTER_DATE"] = date
        subprocess.run(["git", "commit", "-q", "-m", message], cwd=self.root, check=True, env=env)
        return self.git("rev-parse", "HEAD").strip()


@pytest.fixture
def repo(tmp_path: Path) -> RecordRepo:
    """An empty records repo with the standard three-person team and default settings."""
    made = RecordRepo(tmp_path / "book")
    made.write("records/team.yaml", TEAM)
    made.settings("as_of: 2024-05-20\n")
    return made


@pytest.fixture
def demo_repo(tmp_path: Path) -> RecordRepo:
    """A copy of the product repo's demo records and settings."""
    target = tmp_path / "demo"
    target.mkdir()
    shutil.copytree(ROOT / "records", target / "records")
    shutil.copy(ROOT / "dealbook.yaml", target / "dealbook.yaml")
    return RecordRepo(target)


@pytest.fixture
def english_repo_copy(tmp_path: Path, demo_repo: RecordRepo) -> Path:
    """An English team beside the Chinese demo (both in one test): the demo with `language: en`."""
    target = tmp_path / "english"
    shutil.copytree(demo_repo.root, target)
    path = target / "dealbook.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("\nlanguage: zh\n", "\nlanguage: en\n"),
                    encoding="utf-8")
    return target


@pytest.fixture
def run() -> Callable[..., Result]:
    """Run the CLI in-process: run(repo, "check", "--format", "json")."""
    from dealbook.cli import cli

    def invoke(repo: RecordRepo | Path | str | None, *args: str, input: str | None = None,
               env: dict | None = None) -> Result:
        base = ["--repo", str(repo.root if isinstance(repo, RecordRepo) else repo)] if repo is not None else []
        return CliRunner().invoke(cli, [*base, *args], input=input, env=env, catch_exceptions=False)

    return invoke


def uncollectable(work: Callable[[], object], times: int = 20) -> list[object]:
    """What `work`, run `times` times with the collector off (as parse workers run), leaves that
    only the collector could free: the objects of its reference cycles."""
    import gc

    gc.collect()
    enabled = gc.isenabled()
    gc.disable()
    gc.set_debug(gc.DEBUG_SAVEALL)
    try:
        for _ in range(times):
            work()
        gc.collect()
        return list(gc.garbage)
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
        if enabled:
            gc.enable()


@pytest.fixture
def here(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Run in a scratch folder: rejects and export files land there."""
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    return work
