"""Moving in and out end to end: init, import (dry run, apply, rejects, re-import), export round trips."""

from __future__ import annotations

import csv
import json
import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import openpyxl
import pytest
from conftest import workbook
from dealbook.checks.reading import open_book

DEALBOOK = [sys.executable, "-m", "dealbook"]
CUSTOMER_HEADERS = ["客户名称", "所属行业", "客户规模", "联系人姓名及职务", "联系方式", "需求描述", "来源渠道",
                    "负责人", "建档日期", "最新跟进日期", "客户状态"]


def xlsx(path: Path, rows: list[list], headers: list[str] = CUSTOMER_HEADERS) -> Path:
    return workbook(path, headers, rows)


def snapshot(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted((root / "records").rglob("*")) if p.is_file()}


@pytest.mark.skipif(not shutil.which("git"), reason="needs git")
def test_init_makes_a_repo_that_passes_check_hooks_and_builds(tmp_path: Path) -> None:
    target = tmp_path / "my-sales"
    env = {**os.environ, "GIT_AUTHOR_NAME": "T", "GIT_AUTHOR_EMAIL": "t@example.com", "GIT_COMMITTER_NAME": "T",
           "GIT_COMMITTER_EMAIL": "t@example.com", "NO_MKDOCS_2_WARNING": "1"}
    result = subprocess.run([*DEALBOOK, "init", str(target), "--owner", "wang", "--name", "王芳"], env=env,
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert f"已创建 {target}:" in result.stdout and "已完成首次提交" in result.stdout  # the default --lang zh
    for name in ("dealbook.yaml", "mkdocs.yml", ".pre-commit-config.yaml", ".vscode/settings.json", "README.md",
                 ".gitignore", "records/team.yaml", "schemas/customer.schema.json",
                 ".github/workflows/records.yml", ".gitlab-ci.yml"):
        assert (target / name).is_file(), name
    # the CI files are the product repo's own (shipped in the package by setup.py's build step)
    root = Path(__file__).resolve().parents[2]
    assert (target / ".gitlab-ci.yml").read_text("utf-8") == (root / ".gitlab-ci.yml").read_text("utf-8")
    assert "handle: wang" in (target / "records/team.yaml").read_text("utf-8")
    mkdocs = (target / "mkdocs.yml").read_text("utf-8")
    assert "- dealbook" in mkdocs and "site_dir: public" in mkdocs and "font: false" in mkdocs
    log = subprocess.run(["git", "log", "--oneline"], cwd=target, capture_output=True, text=True).stdout
    assert "dealbook init" in log
    assert subprocess.run(["git", "status", "--porcelain"], cwd=target, capture_output=True, text=True).stdout == ""
    check = subprocess.run([*DEALBOOK, "check"], cwd=target, capture_output=True, text=True)
    assert check.returncode == 0, check.stdout + check.stderr
    if shutil.which("pre-commit"):
        assert (target / ".git/hooks/pre-commit").exists()
        hooks = subprocess.run(["pre-commit", "run", "--all-files"], cwd=target, capture_output=True, text=True,
                               env=env)
        assert hooks.returncode == 0, hooks.stdout + hooks.stderr
    build = subprocess.run([sys.executable, "-m", "mkdocs", "build", "-q"], cwd=target, capture_output=True,
                           text=True, env=env)
    assert build.returncode == 0, build.stderr
    assert (target / "public/index.html").is_file()
    again = subprocess.run([*DEALBOOK, "init", str(target)], capture_output=True, text=True)
    assert again.returncode == 1 and "不是空的" in again.stderr and "Traceback" not in again.stderr  # --lang zh


@pytest.mark.parametrize("preset,stages", [
    ("fulfilment", ["lead", "discovery", "proposal", "negotiation", "won", "fulfilment", "after_sales", "lost"]),
    ("four-stage", ["lead", "intent", "won", "after_sales", "lost"]),
    ("full-cycle", ["lead", "discovery", "proposal", "negotiation", "won", "delivery", "after_sales", "lost"]),
])
def test_init_stage_presets_and_english(tmp_path: Path, run, preset: str, stages: list[str]) -> None:
    target = tmp_path / preset
    result = run(None, "init", str(target), "--stages", preset, "--lang", "en", "--owner", "me", "--no-git")
    assert result.exit_code == 0, result.output
    from dealbook.records.settings import load_settings

    settings = load_settings(str(target))
    assert list(settings.stage_keys) == stages and settings.language == "en"
    assert json.loads(run(target, "check", "--format", "json").output)["diagnostics"] == []
    if preset == "four-stage":
        assert {k: v for k, v in settings.raw["cadence"].items() if k != "methods"} == {
            "by": "stage", "grade": {"A": 2, "B": 7, "C": 14},
                                           "stage": {"lead": 7, "intent": 3, "won": 30, "after_sales": 30}}


def test_import_dry_run_apply_rejects_and_idempotent_reimport(repo, run, here: Path) -> None:
    sheet = xlsx(here / "客户信息总表.xlsx", [
        ["深圳A科技有限公司", "C3970 电子器件制造", "500-1000人 / 5-10亿", "李明(生产经理)", "0755-88881234",
         "质检效率低", "展会", "张伟", 45422, "2024/5/12", "意向"],
        ["杭州B软件有限公司", "I6510 软件开发", "100人", "王芳 采购经理", "13812345678", "ERP 选型", "官网", "李娜",
         "2024/5/10", None, "线索"],
        ["深圳C公司", "C3970", None, "赵总 总经理", "0755-1234567", "x", "转介绍", "张伟", "2024/5/1", None, "流失"],
    ])
    before = snapshot(repo.root)
    dry = run(repo, "import", str(sheet))
    assert dry.exit_code == 0, dry.output
    assert "客户:新增 1,更新 0,未变 0,拒绝 2" in dry.output  # the team's language (zh)
    assert "第 3 行:拒绝 杭州B软件有限公司" in dry.output and "--phone-kind work" in dry.output
    assert "第 4 行:拒绝 深圳C公司" in dry.output and "lost.reason" in dry.output
    assert snapshot(repo.root) == before  # a dry run writes nothing
    rejects = next(here.glob("import-rejects-*.csv"))
    with open(rejects, encoding="utf-8-sig") as handle:
        rows = list(csv.DictReader(handle))
    assert [(r["row"], r["record"]) for r in rows] == [("3", "杭州B软件有限公司"), ("4", "深圳C公司")]
    assert "privacy-mobile" in rows[0]["reason"]

    applied = run(repo, "import", str(sheet), "--apply", "--phone-kind", "work", "--format", "json")
    report = json.loads(applied.output)
    assert report["counts"] == {"new": 2, "updated": 0, "unchanged": 0, "rejected": 1} and report["written"] == 2
    assert sorted(r["path"] for r in report["rows"] if r["status"] == "new") == [
        "records/customers/浙IT2024001.yaml", "records/customers/粤IT2024001.yaml"]
    assert json.loads(run(repo, "check", "--format", "json").output)["diagnostics"] == []
    after = snapshot(repo.root)
    again = json.loads(run(repo, "import", str(sheet), "--apply", "--phone-kind", "work", "--format", "json").output)
    assert again["counts"] == {"new": 0, "updated": 0, "unchanged": 2, "rejected": 1} and again["written"] == 0
    assert snapshot(repo.root) == after


def test_followup_sheet_from_csv_gbk(repo, run, here: Path) -> None:
    repo.customer()
    text = ("跟进日期,客户名称,联系人,跟进方式,跟进主题/内容,客户反馈,下一步计划,完成时限,跟进人\r\n"
            "2024/5/12 14:30,A科技有限公司,王总监,电话,介绍方案,价格偏高,发送案例,2024/5/15,张伟\r\n")
    path = here / "跟进.csv"
    path.write_bytes(text.encode("gbk"))
    result = run(repo, "import", str(path), "--apply")
    assert "跟进记录:新增 1" in result.output, result.output
    written = (repo.root / "records/followups/粤IT2024001/2024-05-12-1430.yaml").read_text("utf-8")
    assert "summary: 介绍方案" in written and "due: 2024-05-15" in written


@pytest.mark.parametrize("rows,headers,message", [
    ([], [], "是空的"),  # the team's language (zh); English: tests/acceptance/test_lower_layers_language.py
    ([["C3970", "张伟"]], ["所属行业", "负责人"], "没有 客户名称 (name)或客户编号 (id) 列"),
])
def test_bad_sheets_are_clear_errors(repo, run, here: Path, rows, headers, message) -> None:
    path = xlsx(here / "bad.xlsx", rows, headers)
    result = run(repo, "import", str(path))
    assert result.exit_code == 1 and message in result.output and "Traceback" not in result.output


@pytest.mark.parametrize("headers,columns,said", [
    (["客户名称", "所属行业", "负责人", "客户名称"], ("A", "D"),
     "the field `name`: column {a} `客户名称` and column {b} `客户名称`"),
    (["客户名称", "所属行业", "负责人", " 客户名称 "], ("A", "D"), "the field `name`"),  # spaces around
    (["客户名称", "所属行业", "负责人", "客户名称（全称）"], ("A", "D"), "column {b} `客户名称（全称）`"),
    (["ＩＤ", "客户名称", "所属行业", "id"], ("A", "D"),
     "the field `id`: column {a} `ＩＤ` and column {b} `id`"),  # full width
    (["客户名称", "备注", "所属行业", "备注"], ("B", "D"), "`custom.备注`"),  # one custom key for both
])
@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
def test_two_columns_for_one_field_are_refused_and_nothing_written(repo, run, here: Path, headers, columns, said,
                                                                    fmt: str) -> None:
    repo.settings("as_of: 2024-05-20\nlanguage: en\n")  # the English wording (zh: test_lower_layers_language.py)
    row = ["深圳A科技有限公司", "x", "C3970", "深圳A科技"] if headers[0] == "ＩＤ" else \
        ["深圳A科技有限公司", "C3970" if headers[1] == "所属行业" else "甲", "zhao", "深圳A科技"]
    if fmt == "xlsx":
        path = xlsx(here / "dup.xlsx", [row], headers)
        a, b = columns
    else:
        path = here / "dup.csv"
        path.write_text(",".join(headers) + "\n" + ",".join(row) + "\n", encoding="utf-8")
        a, b = (str(ord(c) - 64) for c in columns)
    before = snapshot(repo.root)
    for args in ((), ("--apply",)):
        result = run(repo, "import", str(path), *args)
        assert result.exit_code == 1, result.output
        assert "Traceback" not in result.output
        assert "sheet '" in result.output and "header row 1" in result.output
        assert "nothing was imported" in result.output
        assert said.format(a=a, b=b) in result.output, result.output
        assert f"column {a} " in result.output and f"column {b} " in result.output
    assert snapshot(repo.root) == before
    assert not list(here.glob("import-rejects-*"))


def test_a_map_file_putting_two_columns_on_one_field_is_refused(repo, run, here: Path) -> None:
    path = xlsx(here / "mapped.xlsx", [["深圳A科技有限公司", "深圳A", "C3970"]], ["公司", "简称", "所属行业"])
    (here / "columns.yaml").write_text("公司: name\n简称: name\n", encoding="utf-8")
    result = run(repo, "import", str(path), "--map", str(here / "columns.yaml"), "--apply")
    assert result.exit_code == 1 and "字段 `name`:A 列 `公司` 和 B 列 `简称`" in result.output, result.output
    customers = repo.root / "records" / "customers"
    assert not customers.exists() or not list(customers.iterdir())


def test_bad_cells_are_per_row_rejections(repo, run, here: Path) -> None:
    path = xlsx(here / "cells.xlsx", [
        ["A公司", "C3970", None, "李明", "1.38123E+10", "x", "展会", "张伟", "2024/5/10", None, "线索"],
        ["B公司", "C3970", None, "李明", "0755-88881234", "x", "展会", "张伟", "明天", None, "线索"],
        ["C公司", "C3970", None, "李明", "=A2", "x", "展会", "张伟", "2024/5/10", None, "线索"],
        ["D公司", "C3970", None, "李明", "0755-88881234", "x", "展会", "张伟", "2024/5/10", None, "赢了"],
    ])
    report = json.loads(run(repo, "import", str(path), "--province", "粤", "--format", "json").output)
    reasons = {r["row"]: " ".join(r["reasons"]) for r in report["rows"]}
    assert "被写成了科学计数法" in reasons[2]  # zh team
    assert "不是日期" in reasons[3]
    assert "公式" in reasons[4]
    assert "不是一个阶段" in reasons[5]
    assert report["counts"]["rejected"] == 4


@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
def test_export_then_import_changes_nothing(repo, run, here: Path, fmt: str) -> None:
    repo.customer("粤IT2024001", tags=["重点", "制造"], need={"summary": "质检", "budget": {"status": "partial",
                                                                                    "min": 500000, "max": 800000}},
                  size={"employees": 800, "revenue": "5-10亿"}, custom={"旧编号": "KH001"})
    repo.customer("粤IT2024002", name="B公司", stage="discovery", need={"summary": "x"},
                  stage_history=[{"stage": "lead", "on": "2024-01-05"}, {"stage": "discovery", "on": "2024-02-01"}])
    repo.followup("粤IT2024001", "2024-05-10 14:00", contact="王总监",
                  next=[{"action": "报价", "due": "2024-05-20", "owner": "zhang"}], objections=["price"])
    before = snapshot(repo.root)
    out = here / ("export.xlsx" if fmt == "xlsx" else "export")
    assert run(repo, "export", "--format", fmt, "--out", str(out)).exit_code == 0
    if fmt == "xlsx":
        customers = run(repo, "import", str(out), "--apply", "--format", "json")
        followups = run(repo, "import", str(out), "--sheet", "followups", "--apply", "--format", "json")
    else:
        customers = run(repo, "import", str(out / "customers.csv"), "--apply", "--format", "json")
        followups = run(repo, "import", str(out / "followups.csv"), "--apply", "--format", "json")
    assert json.loads(customers.output)["counts"] == {"new": 0, "updated": 0, "unchanged": 2, "rejected": 0}
    assert json.loads(followups.output)["counts"] == {"new": 0, "updated": 0, "unchanged": 1, "rejected": 0}
    assert snapshot(repo.root) == before


def test_export_into_an_empty_repo_rebuilds_the_records(repo, run, here: Path, tmp_path: Path) -> None:
    repo.customer("粤IT2024001", need={"summary": "质检"})
    repo.followup("粤IT2024001", "2024-05-10 14:00")
    run(repo, "export", "--out", str(here / "all.xlsx"))
    fresh = tmp_path / "fresh"
    (fresh / "records").mkdir(parents=True)
    shutil.copy(repo.root / "records/team.yaml", fresh / "records/team.yaml")
    shutil.copy(repo.root / "dealbook.yaml", fresh / "dealbook.yaml")
    run(fresh, "import", str(here / "all.xlsx"), "--apply")
    run(fresh, "import", str(here / "all.xlsx"), "--sheet", "followups", "--apply")
    old = open_book(str(repo.root), use_cache=False)
    new = open_book(str(fresh), use_cache=False)
    assert new.customers["粤IT2024001"].data == old.customers["粤IT2024001"].data
    assert [f.data for f in new.followups_of("粤IT2024001")] == [f.data for f in old.followups_of("粤IT2024001")]


def test_export_formats(repo, run, here: Path) -> None:
    repo.customer("粤IT2024001", stage="discovery", need={"summary": "x"},
                  stage_history=[{"stage": "lead", "on": "2024-01-05"}, {"stage": "discovery", "on": "2024-02-01"}])
    repo.followup("粤IT2024001", "2024-05-10 14:00", next=[{"action": "报价", "due": "2024-05-20", "owner": "zhang"}])
    run(repo, "export", "--format", "xlsx", "--out", "e.xlsx")
    book = openpyxl.load_workbook(here / "e.xlsx")
    assert book.sheetnames == ["customers", "followups", "contacts", "next_actions", "stage_history", "needs", "quotes",
                               "quote_lines", "contracts", "payments"]
    history = book["stage_history"]
    assert history.freeze_panes == "A2"
    assert [c.value for c in history[1]] == ["customer", "customer_name", "stage", "label", "on", "until", "days",
                                             "lost_reason"]
    row = [c.value for c in history[2]]
    assert row[:4] == ["粤IT2024001", "A科技有限公司", "lead", "线索获取"]
    assert row[4].date().isoformat() == "2024-01-05" and history.cell(2, 5).is_date and row[6] == 27
    run(repo, "export", "--format", "sqlite", "--out", "e.sqlite")
    with sqlite3.connect(here / "e.sqlite") as db:
        assert db.execute("select action, due, owner from next_actions").fetchall() == [("报价", "2024-05-20", "zhang")]
        assert db.execute("select name, role from contacts").fetchall() == [("王总监", "decision_maker")]
    run(repo, "export", "--format", "json", "--out", "e.json")
    data = json.loads((here / "e.json").read_text("utf-8"))
    assert data["followups"][0]["at"] == "2024-05-10 14:00" and data["customers"][0]["stage"] == "discovery"
    run(repo, "export", "--format", "csv", "--out", "tables")
    assert sorted(os.listdir(here / "tables")) == ["contacts.csv", "contracts.csv", "customers.csv", "followups.csv",
                                                    "needs.csv", "next_actions.csv", "payments.csv", "quote_lines.csv",
                                                    "quotes.csv", "stage_history.csv"]


def test_demo_records_round_trip(demo_repo, run, here: Path) -> None:
    if not (demo_repo.root / "records/customers").is_dir():
        pytest.skip("no demo customers yet")
    before = snapshot(demo_repo.root)
    run(demo_repo, "export", "--out", "demo.xlsx")
    customers = json.loads(run(demo_repo, "import", "demo.xlsx", "--apply", "--format", "json").output)
    followups = json.loads(run(demo_repo, "import", "demo.xlsx", "--sheet", "followups", "--apply",
                               "--format", "json").output)
    assert customers["counts"]["new"] == customers["counts"]["updated"] == customers["counts"]["rejected"] == 0
    assert followups["counts"]["new"] == followups["counts"]["updated"] == followups["counts"]["rejected"] == 0
    assert snapshot(demo_repo.root) == before  # quotes, contracts, payments and approvals included


def test_import_run_from_inside_records_writes_its_default_rejects_file_at_the_top_of_the_repo(
        repo, run, monkeypatch: pytest.MonkeyPatch) -> None:
    repo.customer()
    sheet = repo.root.parent / "客户.csv"
    sheet.write_text("客户名称,所属行业,所在地区,联系方式,负责人,客户状态\r\n"
                     "深圳B科技有限公司,C3970,广东深圳,13812345678,张伟,线索\r\n", "utf-8")
    monkeypatch.chdir(repo.root / "records/customers")
    result = run(repo, "import", str(sheet))
    assert result.exit_code == 0, result.output
    assert "拒绝 1" in result.output
    assert not list((repo.root / "records").rglob("import-rejects-*")), "a rejects file inside records/"
    written = list(repo.root.glob("import-rejects-*.csv"))
    assert len(written) == 1
    assert f"被拒绝的行及原因:../../{written[0].name}" in result.output


def test_import_a_rejected_row_without_a_name_reads_row_n_rejected_colon(repo, run, here: Path) -> None:
    sheet = here / "客户.csv"
    sheet.write_text("客户名称,所属行业,所在地区,联系方式,负责人,客户状态\r\n"
                     ",C3970,广东深圳,0755-88881234,张伟,线索\r\n", "utf-8")
    result = run(repo, "import", str(sheet))
    assert result.exit_code == 0, result.output
    line = next(line for line in result.output.splitlines() if line.startswith("第 2 行:"))
    assert line.startswith("第 2 行:拒绝:") and "name" in line, line
