"""The refusals, warnings and notes of the editing flow, init, import, report, export, digest,
agenda, customers, codeowners, check and diff in the team's language: on the Chinese demo
(`language: zh`) they are Chinese; in a copy whose dealbook.yaml says `language: en` they are the
English they always were, byte for byte. `init` speaks the language of the repo it creates (--lang).
Before: each of them was English on the Chinese demo."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

TODAY = {"DEALBOOK_TODAY": "2024-05-20"}


def said(repo: Path | None, *args: str, code: int) -> list[str]:
    """The lines `dealbook [--repo REPO] ARGS` says (stdout and stderr), after its exit status is checked."""
    from click.testing import CliRunner
    from dealbook.cli import cli

    base = ["--repo", str(repo)] if repo is not None else []
    result = CliRunner().invoke(cli, [*base, *args], env=TODAY, prog_name="dealbook", catch_exceptions=False)
    assert result.exit_code == code, result.output
    return result.output.splitlines()


@pytest.fixture
def teams(demo_repo, english_repo_copy: Path) -> dict[str, Path]:
    """The Chinese demo and an English copy, each a git repo of one commit."""
    english = english_repo_copy
    for root in (demo_repo.root, english):
        for step in (["init", "-q", "-b", "main"], ["add", "-A"],
                     ["-c", "user.name=T", "-c", "user.email=t@example.com", "commit", "-q", "-m", "demo"]):
            subprocess.run(["git", *step], cwd=root, check=True, capture_output=True)
    return {"zh": demo_repo.root, "en": english}


MEMBERS = "chen, li, sun, wang, wu, zhang, zhao, zhou"
REPORTS = ("funnel, stage-reach, cohort, pipeline, forecast, velocity, slowest-deals, sources, win-loss, "
           "win-factors, objections, team-activity, value-tiers, receivables")
CASES = [
    (["set", "粤IT20240", "tags=a"], 1,
     "错误:{repo}/records/customers 中没有客户 `粤IT20240`;你要找的是不是 粤IT2024003、粤IT2024001、闽IT2024002?",
     "Error: no customer `粤IT20240` in {repo}/records/customers; did you mean 粤IT2024003, 粤IT2024001, "
     "闽IT2024002?"),
    (["--at", "HEAD", "move", "粤IT2024001", "won"], 2,
     "错误:--at 读取的是旧版本;编辑命令修改的是工作区:请去掉 --at",
     "Error: --at reads an old revision; the editing commands change the working tree: drop --at"),
    (["report"], 2, "错误:请指定报表;`dealbook report --list` 会列出所有报表",
     "Error: name a report; `dealbook report --list` shows them"),
    (["report", "nope"], 2, "错误:没有报表 'nope';可选:" + REPORTS.replace(", ", "、"),
     "Error: no report 'nope'; one of: " + REPORTS),
    (["report", "sources", "--by", "region"], 2, "错误:报表 sources 不能按 'region' 拆分;可选:channel、lead_type",
     "Error: report sources cannot be split by 'region'; use one of channel, lead_type"),
    (["digest", "--since", "last week"], 2,
     "错误:--since 的值无效:'last week':请写成 7d、2w、14 或 2024-05-13 这样的日期",
     "Error: Invalid value for --since: 'last week': write 7d, 2w, 14 or a date like 2024-05-13"),
    (["digest", "--since", "0"], 2, "错误:--since 的值无效:'0' 不在今天(2024-05-20)之前",
     "Error: Invalid value for --since: '0' is not before today (2024-05-20)"),
    (["digest", "--owner", "ghost"], 2,
     "错误:--owner 的值无效:没有团队成员或负责人 'ghost';成员:" + MEMBERS.replace(", ", "、"),
     "Error: Invalid value for --owner: no team member or owner 'ghost'; members: " + MEMBERS),
    (["agenda", "--owner", "ghost"], 2,
     "错误:--owner 的值无效:没有团队成员或负责人 'ghost';成员:" + MEMBERS.replace(", ", "、"),
     "Error: Invalid value for --owner: no team member or owner 'ghost'; members: " + MEMBERS),
    (["customers", "--stage", "nosuch"], 2,
     "错误:--stage 的值无效:没有阶段 'nosuch';已有的阶段:after_sales、discovery、lead、lost、negotiation、"
     "proposal、won",
     "Error: Invalid value for --stage: no stage 'nosuch'; known: after_sales, discovery, lead, lost, negotiation, "
     "proposal, won"),
    (["customers", "--owner", "zhangg"], 2,
     "错误:--owner 的值无效:没有负责人 'zhangg';你要找的是不是 zhang、zhao、wang?",
     "Error: Invalid value for --owner: no owner 'zhangg'; did you mean zhang, zhao, wang?"),
    (["--at", "HEAD", "codeowners"], 2, "错误:codeowners 写入的是工作区的文件;请去掉 --at",
     "Error: codeowners writes the working tree's files; drop --at"),
    (["codeowners", "--check"], 1, "CODEOWNERS:已过时;请运行 `dealbook codeowners`",
     "CODEOWNERS: out of date; run `dealbook codeowners`"),
    (["--at", "HEAD", "check", "--approvals"], 2, "错误:--approvals 读取的是截至工作区的历史:请去掉 --at",
     "Error: --approvals reads the history up to the working tree: drop --at"),
    (["--at", "HEAD", "diff"], 2, "错误:diff 自己比较两个版本:请把它们写成 BASE 和 HEAD,不要用 --at",
     "Error: diff compares two revisions itself: give them as BASE and HEAD, not --at"),
    (["import", "sheet.csv", "--map", "{repo}/README.md"], 2,
     "错误:{repo}/README.md:每列写一行 `表头: 字段`,例如 `公司: name`",
     "Error: {repo}/README.md: write one `sheet header: field` line per column, e.g. `公司: name`"),
    (["export", "--format", "csv", "--out", "{repo}/README.md"], 2,
     "错误:--out 的值无效:{repo}/README.md 是文件:csv 会写出一个存放各表的文件夹;请指定文件夹",
     "Error: Invalid value for --out: {repo}/README.md is a file: csv writes a folder of tables; give a folder"),
    (["export", "--out", "{repo}/schemas"], 2,
     "错误:--out 的值无效:{repo}/schemas 是文件夹:请指定文件名,例如 {repo}/schemas/dealbook-export.xlsx",
     "Error: Invalid value for --out: {repo}/schemas is a folder: give a file name, e.g. "
     "{repo}/schemas/dealbook-export.xlsx"),
]


@pytest.mark.parametrize(("args", "code", "chinese", "english"), CASES, ids=[" ".join(c[0]) for c in CASES])
def test_a_refusal_is_said_in_the_teams_language(teams, args, code, chinese, english) -> None:
    for language, expected in (("zh", chinese), ("en", english)):
        repo = teams[language]
        (repo / "README.md").write_text("just text\n", encoding="utf-8")  # a --map that maps nothing
        (repo / "schemas").mkdir(exist_ok=True)
        lines = said(repo, *[arg.format(repo=repo) for arg in args], code=code)
        assert expected.format(repo=repo) in lines, lines
        if language == "en":
            assert not any("\u4e00" <= ch <= "\u9fff" for line in lines if line.startswith("Error")
                           for ch in line.replace("粤IT", "").replace("闽IT", "").replace("公司", "")), lines


def test_codeowners_says_what_it_wrote_in_the_teams_language(teams) -> None:
    lines = said(teams["zh"], "codeowners", code=0)
    assert lines[-1] == "已写入 .github/CODEOWNERS、CODEOWNERS(40 个客户)", lines
    assert said(teams["zh"], "codeowners", code=0)[-1] == "CODEOWNERS 文件已是最新"
    assert said(teams["zh"], "codeowners", "--check", code=0)[-1] == "CODEOWNERS 文件是最新的"
    lines = said(teams["en"], "codeowners", code=0)
    assert lines[-1] == "wrote .github/CODEOWNERS, CODEOWNERS (40 customers)", lines
    assert said(teams["en"], "codeowners", code=0)[-1] == "CODEOWNERS files are already up to date"
    assert said(teams["en"], "codeowners", "--check", code=0)[-1] == "CODEOWNERS files are up to date"


def test_an_edit_stopped_by_a_file_where_a_folder_belongs_says_so_in_the_teams_language(teams) -> None:
    new = "records/followups/粤IT2024001/2024-05-20-1000.yaml"
    for language, expected in (("zh", f"错误:无法写入 {new}:records/followups/粤IT2024001 应该是文件夹,却是一个文件;"
                                      "没有写入任何内容"),
                               ("en", f"Error: cannot write {new}: records/followups/粤IT2024001 is a file where a "
                                      "folder belongs; nothing was written")):
        repo = teams[language]
        shutil.rmtree(repo / "records/followups/粤IT2024001", ignore_errors=True)
        (repo / "records/followups/粤IT2024001").write_text("not a folder", encoding="utf-8")
        lines = said(repo, "log", "粤IT2024001", "-m", "phone", "-c", "王总监", "-s", "电话沟通", "--at",
                     "2024-05-20 10:00", "--by", "zhang", "--no-interactive", code=1)
        assert expected in lines, lines


def test_init_speaks_the_language_of_the_repo_it_creates(tmp_path: Path, demo_repo, monkeypatch) -> None:
    """`--lang zh` (the default) or `--lang en`, whatever the current folder's team speaks."""
    monkeypatch.chdir(demo_repo.root)
    lines = said(None, "init", str(tmp_path / "zh"), "--owner", "wang", "--no-git", code=0)
    assert lines == [f"已创建 {tmp_path / 'zh'}:15 个文件(阶段:default,语言:zh,负责人:wang)"]
    lines = said(None, "init", str(tmp_path / "en"), "--owner", "wang", "--no-git", "--lang", "en", code=0)
    assert lines == [f"created {tmp_path / 'en'}: 15 files (stages: default, language: en, owner: wang)"]
    assert f"{tmp_path / 'zh'} 不是空的:请指定一个新的或空的文件夹" in said(None, "init", str(tmp_path / "zh"),
                                                                           code=1)[-1]
    assert said(None, "init", str(tmp_path / "en"), "--lang", "en", code=1)[-1].endswith(
        f"{tmp_path / 'en'} is not empty: give a new or empty folder")
    assert said(None, "init", str(tmp_path / "x"), "--owner", "Wang", code=2)[-1].endswith(
        "--owner 的值无效:账号用小写:字母、数字和 . _ -,以字母开头")
