"""Usage errors and click's own words in the team's language: on the Chinese demo (`language: zh`)
`Usage:`, `Error:`, `Try … for help.`, `Missing argument`, `No such option`, `Invalid value`, the
help page's headings and dealbook's own refusals (--today, --repo, --line …) are Chinese; in a copy
whose dealbook.yaml says `language: en` they are the English they always were, byte for byte.
Before: every one of them was English on the Chinese demo."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import click
import pytest

ROOT = Path(__file__).resolve().parent.parent.parent
TODAY = {"DEALBOOK_TODAY": "2024-05-20"}


def said(run, repo, *args: str, code: int = 2) -> str:
    """What `dealbook [--repo REPO] ARGS` says (stdout and stderr) when it refuses them."""
    from click.testing import CliRunner
    from dealbook.cli import cli

    base = ["--repo", str(repo if isinstance(repo, Path) else repo.root)] if repo is not None else []
    result = CliRunner().invoke(cli, [*base, *args], env=TODAY, prog_name="dealbook", catch_exceptions=False)
    assert result.exit_code == code, result.output
    return result.output


def test_a_missing_argument_is_said_in_the_teams_language(run, demo_repo, english_repo_copy) -> None:
    assert said(run, demo_repo, "show") == (
        "用法: dealbook show [OPTIONS] ID\n运行 'dealbook show --help' 查看帮助。\n\n错误:缺少参数 'ID'.\n")
    assert said(run, english_repo_copy, "show") == (
        "Usage: dealbook show [OPTIONS] ID\nTry 'dealbook show --help' for help.\n\n"
        "Error: Missing argument 'ID'.\n")


@pytest.mark.parametrize(("args", "chinese", "english"), [
    (("show", "--x"), "错误:没有选项 '--x'。", "Error: No such option '--x'."),
    (("show", "a", "b", "c"), "错误:多余的参数(b c)", "Error: Got unexpected extra arguments (b c)"),
    (("nosuch",), "错误:没有命令 'nosuch'。", "Error: No such command 'nosuch'."),
    (("agenda", "--days", "-1"), "错误:'--days' 的值无效:-1 不在范围 x>=0 内。",
     "Error: Invalid value for '--days': -1 is not in the range x>=0."),
    (("agenda", "--days", "x"), "错误:'--days' 的值无效:'x' 不是有效的数(integer range)。",
     "Error: Invalid value for '--days': 'x' is not a valid integer range."),
    (("grade", "--format", "xml", "京RE2024001"), "错误:'--format' 的值无效:'xml' 不是可选的值('text', 'json')。",
     "Error: Invalid value for '--format': 'xml' is not one of 'text', 'json'."),
    (("agenda", "--format"), "错误:选项 '--format' 需要 1 个值。", "Error: Option '--format' requires an argument."),
    (("--today", "2024-13-01", "check"), "错误:--today 的值无效:'2024-13-01' 不是日期;请写成 YYYY-MM-DD",
     "Error: Invalid value for --today: '2024-13-01' is not a date; write YYYY-MM-DD"),
    (("quote", "粤IT2024001", "--line", "a|b|-1|3"), "错误:--line 的值无效:`-1`:数量不能是负数",
     "Error: Invalid value for --line: `-1`: a quantity is not negative"),
    (("quote", "粤IT2024001", "--line", "ab"),
     "错误:--line 的值无效:`ab`:请写成 ITEM|SPEC|QUANTITY|UNIT_PRICE[|UNIT_COST],"
     "例如 '视觉检测工位|VX-200|2|120000|80000'",
     "Error: Invalid value for --line: `ab`: write ITEM|SPEC|QUANTITY|UNIT_PRICE[|UNIT_COST], "
     "e.g. '视觉检测工位|VX-200|2|120000|80000'"),
    (("quote", "粤IT2024001", "--date", "5月1日", "--line", "a|b|1|3"),
     "错误:--date 的值无效:`5月1日` 不是日期:请写成 YYYY-MM-DD",
     "Error: Invalid value for --date: `5月1日` is not a date: write YYYY-MM-DD"),
    (("move", "粤IT2024001", "proposal", "--on", "5月", "--dry-run"),
     "错误:--on 的值无效:`5月` 不是日期:请写成 YYYY-MM-DD",
     "Error: Invalid value for --on: `5月` is not a date: write YYYY-MM-DD"),
    (("approve", "渝MF2024001", "BJ-2024-0515", "--on", "5月", "--dry-run"),
     "错误:--on 的值无效:`5月` 不是日期:请写成 YYYY-MM-DD",
     "Error: Invalid value for --on: `5月` is not a date: write YYYY-MM-DD"),
    (("quote", "粤IT2024001", "--valid-days", "0", "--line", "a|b|1|3"),
     "错误:'--valid-days' 的值无效:0 不在范围 x>=1 内。",
     "Error: Invalid value for '--valid-days': 0 is not in the range x>=1."),
    (("quote", "粤IT2024001", "--line", "a|b|1|3", "--cost", "1", "--margin", "0.2"),
     "错误:--cost 和 --margin 只能给一个:毛利率是由成本算出来的",
     "Error: give --cost or --margin, not both: the margin is worked out from the cost"),
])
def test_usage_errors_are_said_in_the_teams_language(run, demo_repo, english_repo_copy, args, chinese,
                                                     english) -> None:
    command = "dealbook" + ("" if args[0].startswith("-") or args[0] == "nosuch" else f" {args[0]}")
    text = said(run, english_repo_copy, *args)
    assert english in text.splitlines() and "用法" not in text, text
    with_usage = text.startswith(f"Usage: {command}")  # (a missing option value is said without it)
    assert with_usage == (f"Try '{command} --help' for help." in text)
    text = said(run, demo_repo, *args)
    assert chinese in text.splitlines() and "Usage" not in text and "Error" not in text, text
    assert with_usage == text.startswith(f"用法: {command}") == (f"运行 '{command} --help' 查看帮助。" in text)


def test_help_headings_follow_the_team_and_the_help_line_is_not_kept(run, demo_repo, english_repo_copy) -> None:
    """The headings and the --help line follow the team (the help itself: test_help_language). In
    one process, a Chinese run first does not leave its --help line in an English run's help."""
    for _ in range(2):
        text = said(run, demo_repo, "agenda", "--help", code=0)
        assert text.startswith("用法: dealbook agenda [OPTIONS]") and "\n选项:\n" in text
        assert "  -h, --help" in text and text.rstrip().endswith("显示本帮助并退出。")
        assert "需要跟进的事项" in text and "What needs a touch" not in text  # the command's own help too
        text = said(run, english_repo_copy, "agenda", "--help", code=0)
        assert text.startswith("Usage: dealbook agenda [OPTIONS]") and "\nOptions:\n" in text
        assert text.rstrip().endswith("Show this message and exit.") and "选项" not in text
    text = said(run, demo_repo, "--help", code=0)
    assert "\n命令:\n" in text and "\n选项:\n" in text
    assert "\nCommands:\n" in said(run, english_repo_copy, "--help", code=0)


def test_an_output_file_refusal_is_said_in_the_teams_language(run, demo_repo, english_repo_copy) -> None:
    text = said(run, demo_repo, "export", "--out", str(demo_repo.root / "records" / "x.xlsx"))
    assert "就是记录文件夹" in text or "在记录文件夹里面" in text, text
    text = said(run, english_repo_copy, "export", "--out", str(english_repo_copy / "records" / "x.xlsx"))
    assert ("Error: Invalid value for --out: " + str(english_repo_copy / "records" / "x.xlsx")
            + " is inside the records folder: what is written there would overwrite a record or be read as one; "
            "write it outside records/") in text.splitlines(), text


def test_before_the_repo_is_known_the_current_folders_team_speaks(run, demo_repo, english_repo_copy, tmp_path,
                                                                   monkeypatch) -> None:
    """`--repo` naming no folder: the language of the repo the current folder is in, else English."""
    missing = str(tmp_path / "missing")
    monkeypatch.chdir(demo_repo.root / "records")
    assert f"错误:--repo 的值无效:{missing} 不是文件夹" in said(run, None, "--repo", missing, "check")
    monkeypatch.chdir(english_repo_copy)
    assert f"Error: Invalid value for --repo: {missing} is not a folder" in said(run, None, "--repo", missing,
                                                                                "check")
    nowhere = tmp_path / "nowhere"
    nowhere.mkdir()
    monkeypatch.chdir(nowhere)
    text = said(run, None, "--repo", missing, "check")
    assert text == ("Usage: dealbook [OPTIONS] COMMAND [ARGS]...\nTry 'dealbook --help' for help.\n\n"
                    f"Error: Invalid value for --repo: {missing} is not a folder\n")
    # a repo named on the command line speaks for itself, wherever the current folder is
    monkeypatch.chdir(demo_repo.root)
    assert "Error: No such command 'nosuch'." in said(run, english_repo_copy, "nosuch")


def test_the_installed_command_says_its_errors_in_the_teams_language(demo_repo, english_repo_copy) -> None:
    """Through `main()` (the `dealbook` script): errors shown after the run ended, a non-UTF-8
    argument refused before anything is read."""
    def dealbook(cwd: Path, *args: bytes) -> str:
        result = subprocess.run([sys.executable, "-m", "dealbook", *args], cwd=cwd, capture_output=True,
                                env={"PYTHONPATH": str(ROOT / "tools"), "PATH": "/usr/bin:/bin", **TODAY})
        assert result.returncode == 2, result
        return result.stderr.decode("utf-8")

    assert "错误:缺少参数 'ID'." in dealbook(demo_repo.root, b"show")
    assert "Error: Missing argument 'ID'." in dealbook(english_repo_copy, b"show")
    text = dealbook(demo_repo.root, b"show", b"\xff")
    assert "错误:参数 '\ufffd' 含有字节 0xFF,不是 UTF-8 编码" in text, text
    text = dealbook(english_repo_copy, b"show", b"\xff")
    assert "Error: the argument '\ufffd' holds the byte 0xFF, which is not UTF-8: set the terminal" in text, text


def test_aborted_is_said_in_the_teams_language(demo_repo, english_repo_copy, monkeypatch, capsys) -> None:
    import dealbook.cli as cli_module

    def abort(*args, **kwargs):
        raise click.exceptions.Abort()

    monkeypatch.setattr(cli_module.cli, "main", abort)
    for folder, expected in ((demo_repo.root, "已中止。\n"), (english_repo_copy, "Aborted.\n")):
        monkeypatch.chdir(folder)
        with pytest.raises(SystemExit):
            cli_module.main()
        assert capsys.readouterr().err == expected


def test_click_is_left_alone_outside_a_dealbook_run(demo_repo, monkeypatch) -> None:
    """Another click program in the same process (mkdocs) keeps click's own gettext."""
    from dealbook.cli import click_words

    monkeypatch.chdir(demo_repo.root)
    click_words.install()

    @click.command()
    @click.argument("name")
    def other(name: str) -> None:
        pass

    from click.testing import CliRunner

    assert "Error: Missing argument 'NAME'." in CliRunner().invoke(other, []).output


def test_the_words_translated_are_click_messages() -> None:
    """Each msgid in WORDS is still one click marks (a newer click may reword one)."""
    from dealbook.cli import click_words

    literals = {node.value for path in Path(click.__file__).parent.glob("*.py")
                for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
                if isinstance(node, ast.Constant) and isinstance(node.value, str)}
    for msgid in click_words.WORDS:
        assert msgid in literals, msgid


def test_a_dealbook_today_that_is_not_a_date_is_said_in_the_teams_language(run, demo_repo, english_repo_copy) -> None:
    """It said Python's own `month must be in 1..12`, in English, after 错误:."""
    bad = {"DEALBOOK_TODAY": "2024-13-01"}
    result = run(demo_repo, "agenda", env=bad)
    assert result.exit_code == 2
    assert "错误:DEALBOOK_TODAY 的值无效:'2024-13-01' 不是日期;请写成 YYYY-MM-DD" in result.output
    result = run(english_repo_copy, "agenda", env=bad)
    assert "Error: Invalid value for DEALBOOK_TODAY: '2024-13-01' is not a date; write YYYY-MM-DD" in result.output
