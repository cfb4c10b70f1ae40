"""`--help` in the team's language: on the Chinese demo (`language: zh`) the group's help, its command
list, each command's help and each option's help are Chinese, the examples' command lines stay as
typed; in a copy whose dealbook.yaml says `language: en` every help page is the English it always
was, byte for byte (help_en/ holds what dealbook printed before its help was translated).
Before: only click's headings (`用法:`, `选项:`, `命令:`) and the `--help` line were Chinese."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent.parent
EXPECTED = Path(__file__).resolve().parent / "help_en"
ENV = {"PYTHONPATH": str(ROOT / "tools"), "PATH": "/usr/bin:/bin", "COLUMNS": "100",
       "DEALBOOK_TODAY": "2024-05-20", "NO_MKDOCS_2_WARNING": "1"}


def dealbook(cwd: Path, *args: str) -> str:
    """What `python -m dealbook ARGS --help`, run in `cwd`, prints."""
    result = subprocess.run([sys.executable, "-m", "dealbook", *args, "--help"], cwd=cwd, capture_output=True,
                            env=ENV, check=False)
    assert result.returncode == 0, result
    assert result.stderr == b""
    return result.stdout.decode("utf-8")


def walk(command, path: tuple[str, ...] = ()):
    """Every command of the tree under `command`, with the words that call it."""
    import click

    yield path, command
    if isinstance(command, click.Group):
        context = click.Context(command)
        for name in command.list_commands(context):
            yield from walk(command.get_command(context, name), (*path, name))


def section(text: str, heading: str) -> list[str]:
    """The lines under a heading (`命令:`) of a help page, up to the next blank line."""
    lines = text.split("\n")
    start = lines.index(heading) + 1
    end = lines.index("", start) if "" in lines[start:] else len(lines)
    return lines[start:end]


@pytest.mark.parametrize("args", [(), ("agenda",), ("check",), ("report",), ("new", "customer")],
                         ids=["dealbook", "agenda", "check", "report", "new customer"])
def test_an_english_team_sees_the_english_help_byte_for_byte(english_repo_copy, args) -> None:
    expected = (EXPECTED / (("_".join(args) or "dealbook") + ".txt")).read_text(encoding="utf-8")
    assert dealbook(english_repo_copy, *args) == expected


def test_the_command_list_is_chinese_and_each_line_whole(demo_repo) -> None:
    text = dealbook(demo_repo.root)
    assert text.startswith("用法: dealbook [OPTIONS] COMMAND [ARGS]...\n\n"
                           "  dealbook:一个以 git 仓库中的 YAML 文件为数据库的销售 CRM。\n\n  示例:\n"
                           "      dealbook check\n      dealbook agenda --owner zhang\n")
    commands = section(text, "命令:")
    assert "  agenda      需要跟进的事项:已逾期、今天到期和近几天到期" in commands
    assert "  grade       讲解客户的 ABC 等级及各项得分" in commands
    assert len(commands) == 21
    for line in commands:
        _name, description = line.split(maxsplit=1)
        assert not description.endswith("..."), line  # a line of its own, not the English cut short
        assert re.search(r"[\u4e00-\u9fff]", description), line
    options = section(text, "选项:")
    assert "  --at 版本           读取记录在某个 git 版本时的样子:提交、标签、分支或日期。" in options
    assert "  --version           显示版本并退出。" in options
    assert any(line.startswith("  --repo 文件夹       记录仓库(默认:从当前文件夹向上") for line in options)


def test_a_commands_help_and_its_options_are_chinese_and_its_examples_as_typed(demo_repo) -> None:
    text = dealbook(demo_repo.root, "agenda")
    assert "\n  需要跟进的事项:已逾期、今天到期和接下来 N 天内到期的,最早的在前。\n" in text
    assert "  示例:\n      dealbook agenda --owner zhang\n      dealbook agenda --days 14 --format json\n" in text
    assert "\b" not in text and "Example" not in text and "What needs a touch" not in text
    options = section(text, "选项:")
    assert options[0].startswith("  --owner 账号                  只列此人需要行动的事项:")
    assert "  --days 整数范围               「本周」向后看多少天。  [默认:7; x>=0]" in options
    # JSON keys, option names and formats stay as they are
    assert '{"today", "days", "owner", "items":' in text and "--format ics" in text
    text = dealbook(demo_repo.root, "new", "customer")
    assert "  --contact 姓名,职务,角色[,电话[,类型]]\n" in text
    assert '      dealbook new customer          # 在终端上逐项询问\n' in text  # only the comment is said


def test_every_help_page_of_the_chinese_demo_leaves_no_english_sentence(demo_repo) -> None:
    """No English help text of any command (a docstring paragraph, an option's help, a command-list
    line) is left on a Chinese help page, and no line is wider than the page (Chinese characters
    take two columns)."""
    from dealbook.cli import cli
    from dealbook.cli.click_words import cells, help_messages

    for path, command in walk(cli):
        text = dealbook(demo_repo.root, *path)
        for _context, msgid in help_messages(command):
            if len(msgid.split()) >= 4:  # a sentence, not a placeholder or a formats list
                assert msgid not in text, (path, msgid)
        prose = [line for line in text.split("\n") if line.strip() not in command.help]  # not an example's
        assert max(cells(line) for line in prose) <= 98, path  # COLUMNS=100: click leaves 2


def test_before_the_settings_are_read_the_help_follows_the_repo_named(demo_repo, english_repo_copy) -> None:
    """`dealbook --repo R --help` is answered before any command reads R's settings: in R's language,
    wherever it is run from."""
    assert dealbook(demo_repo.root, "--repo", str(english_repo_copy)).startswith(
        "Usage: dealbook [OPTIONS] COMMAND [ARGS]...\n\n  dealbook — a sales CRM")
    text = dealbook(english_repo_copy, "--repo", str(demo_repo.root))
    assert "\n命令:\n  check       检查记录" in text and "  -h, --help          显示本帮助并退出。\n" in text
    english = dealbook(demo_repo.root, "--repo", str(english_repo_copy), "agenda")
    assert english == (EXPECTED / "agenda.txt").read_text(encoding="utf-8")
    assert "\n命令:\n" in dealbook(english_repo_copy, "--repo", str(demo_repo.root), "new")


def test_a_chinese_run_leaves_no_chinese_in_an_english_help_in_the_same_process(demo_repo, english_repo_copy) -> None:
    from click.testing import CliRunner
    from dealbook.cli import cli

    def helped(repo: Path, *args: str) -> str:
        result = CliRunner().invoke(cli, ["--repo", str(repo), *args, "--help"], prog_name="dealbook",
                                    terminal_width=98, catch_exceptions=False)  # as with COLUMNS=100
        assert result.exit_code == 0, result.output
        return result.output

    for args in ((), ("agenda",), ("report",)):
        chinese = helped(demo_repo.root, *args)
        assert "示例:" in chinese
        english = helped(english_repo_copy, *args)
        assert english == (EXPECTED / (("_".join(args) or "dealbook") + ".txt")).read_text(encoding="utf-8")
