"""The `dealbook` command line: a click group whose commands load on first use.

A renderer, like `site`: `context` and `commands/` may import every room below (`text`,
`records`, `checks`, `rules`, `reports`, `git`, `interchange`, `editing`), never `site`.
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import sys

import click

from ..text.catalog import translator
from . import click_words
from .context import Env, hear, repo_root, words

# name -> "module:function"; a command module is imported only when it runs, so
# `dealbook check` in a pre-commit hook does not pay for the site or spreadsheet code.
COMMANDS = {
    "check": "dealbook.cli.commands.check:check",
    "customers": "dealbook.cli.commands.customers:customers",
    "agenda": "dealbook.cli.commands.agenda:agenda",
    "grade": "dealbook.cli.commands.grade:grade",
    "show": "dealbook.cli.commands.show:show",
    "new": "dealbook.cli.commands.new:new",
    "log": "dealbook.cli.commands.log:log",
    "move": "dealbook.cli.commands.move:move",
    "quote": "dealbook.cli.commands.quote:quote",
    "approve": "dealbook.cli.commands.approve:approve",
    "set": "dealbook.cli.commands.bulk_set:set_fields",
    "funnel": "dealbook.cli.commands.funnel:funnel",
    "report": "dealbook.cli.commands.report:report",
    "diff": "dealbook.cli.commands.diff:diff",
    "digest": "dealbook.cli.commands.digest:digest",
    "history": "dealbook.cli.commands.history:history",
    "codeowners": "dealbook.cli.commands.codeowners:codeowners",
    "init": "dealbook.cli.commands.init:init",
    "import": "dealbook.cli.commands.import_sheet:import_sheet",
    "export": "dealbook.cli.commands.export:export",
    "duplicates": "dealbook.cli.commands.duplicates:duplicates",
}


def _available(name: str) -> bool:
    module = COMMANDS[name].split(":")[0]
    return importlib.util.find_spec(module) is not None


def _not_utf8(arg: str) -> str | None:
    """The first byte of `arg` that was not UTF-8 (Python keeps it as a lone surrogate), as `0xFF`."""
    for char in arg:
        if "\udc80" <= char <= "\udcff":
            return f"0x{ord(char) - 0xDC00:02X}"
    return None


class LazyGroup(click_words.Group):
    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        """Refuse an argument holding bytes that are not UTF-8 (a terminal in GBK or Latin-1): written
        into a record it failed as a YAML error blamed on the record file."""
        for arg in args:
            byte = _not_utf8(arg)
            if byte is not None:
                shown = arg.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
                _ = words()
                raise click.UsageError(_("the argument %(shown)s holds the byte %(byte)s, which is not UTF-8: set "
                                         "the terminal to UTF-8 (LANG=zh_CN.UTF-8) and type it again, or rename the "
                                         "file it names; nothing was read or written", shown=repr(shown), byte=byte),
                                       ctx)
        return super().parse_args(ctx, args)

    def main(self, *args, **kwargs):  # type: ignore[override]
        """click's own words (usage errors, help headings) in the team's language (`click_words`)."""
        with click_words.speaking():
            click_words.fresh_help_option(self)
            return super().main(*args, **kwargs)

    def list_commands(self, ctx: click.Context) -> list[str]:
        return [name for name in COMMANDS if _available(name)]

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        target = COMMANDS.get(name)
        if target is None or not _available(name):
            return None
        module, attribute = target.split(":")
        return click_words.fresh_help_option(getattr(importlib.import_module(module), attribute))


def _hear_repo(ctx: click.Context, param: click.Parameter, repo: str | None) -> str | None:
    """Say click's words in this repo's language from here on (`--repo` is eager for this: a `--help`
    or a mistaken command name after it is said in its team's language)."""
    root = repo_root(repo)
    if os.path.isdir(root):
        hear(root)
    return repo


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.option("--repo", "repo", type=click.Path(file_okay=False), default=None, is_eager=True, callback=_hear_repo,
              help="The records repo (default: the nearest folder upwards with dealbook.yaml or records/).")
@click.option("--today", "today", metavar="YYYY-MM-DD", default=None,
              help="Run the rules as of this date (also DEALBOOK_TODAY; default: `as_of` in dealbook.yaml, "
                   "else the clock).")
@click.option("--at", "at", metavar="REV", default=None,
              help="Read the records as they were at a git revision: a commit, tag, branch or date.")
@click.version_option(package_name="dealbook")
@click.pass_context
def cli(ctx: click.Context, repo: str | None, today: str | None, at: str | None) -> None:
    """dealbook — a sales CRM whose database is a git repository of YAML files.

    \b
    Example:
        dealbook check
        dealbook agenda --owner zhang
        dealbook funnel --period 2024-05
    """
    ctx.obj = Env.create(repo, today, at)


def main() -> None:
    """Run the CLI; an unexpected failure prints one line, never a traceback."""
    with click_words.speaking():  # the errors shown below are said in the run's language too
        _run()


def _run() -> None:
    try:
        cli.main(prog_name="dealbook", standalone_mode=False)
    except click.exceptions.Abort:
        _ = words()
        click.echo(_("Aborted."), err=True)
        sys.exit(1)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except BrokenPipeError:
        sys.exit(0)
    except KeyboardInterrupt:
        sys.exit(130)
    except Exception as exc:  # the promise: a clear message, never a traceback
        if os.environ.get("DEALBOOK_DEBUG"):
            raise
        try:  # the lead in the run's language; the error's own words (the system's: `[Errno 13] …`) as they are
            _ = words()
        except Exception:
            _ = translator("en")
        click.echo(_("dealbook: internal error: %(kind)s: %(error)s (set DEALBOOK_DEBUG=1 for details)",
                     kind=type(exc).__name__, error=str(exc)), err=True)
        sys.exit(3)
    sys.exit(0)
