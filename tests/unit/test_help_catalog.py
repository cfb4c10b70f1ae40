"""Every help text of the command line has its Chinese: a command's docstring (each paragraph, the
prose lines of its examples), its line in the command list, each option's and argument's help, an
option's metavar made of English words and a `show_default` text. They are not `_("…")` calls, so
this walks the click command tree as `dealbook --help` shows it: a new option whose help has no
entry in the zh catalog (or a fuzzy or empty one) fails here."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import click
from babel.messages.pofile import read_po
from dealbook.cli import cli
from dealbook.cli.click_words import Command, InTeamLanguage, help_messages
from dealbook.text import catalog


def walk(command: click.Command, path: tuple[str, ...] = ("dealbook",)) -> Iterator[tuple[tuple[str, ...], Any]]:
    yield path, command
    if isinstance(command, click.Group):
        context = click.Context(command)
        for name in command.list_commands(context):
            yield from walk(command.get_command(context, name), (*path, name))  # type: ignore[arg-type]


def translated() -> set[tuple[str | None, str]]:
    """The (msgctxt, msgid) pairs the zh catalog translates (not fuzzy, not empty)."""
    with open(catalog.catalog_path("zh"), "rb") as handle:
        po = read_po(handle)
    return {(m.context, m.id) for m in po if m.id and isinstance(m.id, str) and m.string and not m.fuzzy}


def untranslated(command: click.Command, known: set[tuple[str | None, str]]) -> list[tuple[str | None, str]]:
    return [message for message in help_messages(command) if message not in known]


def test_every_command_says_its_help_in_the_teams_language() -> None:
    commands = list(walk(cli))
    assert len(commands) > 20  # the tree was walked (every command, `new`'s subcommands too)
    assert [path for path, command in commands if not isinstance(command, InTeamLanguage)] == []


def test_every_help_text_has_its_chinese() -> None:
    known = translated()
    missing = {" ".join(path): untranslated(command, known) for path, command in walk(cli)}
    assert {path: texts for path, texts in missing.items() if texts} == {}, \
        "add these to tools/dealbook/text/locale/zh/LC_MESSAGES/dealbook.po"
    counted = sum(len(help_messages(command)) for _path, command in walk(cli))
    assert counted > 150  # the help texts were found


def test_a_new_option_without_chinese_is_caught() -> None:
    @click.command(cls=Command)
    @click.argument("name", metavar="NAME")
    @click.option("--grade", help="Only this grade (repeatable).")  # translated already
    @click.option("--colour", metavar="COLOUR", show_default="the team's colour", help="Paint it this colour.")
    def paint(name: str, grade: str | None, colour: str | None) -> None:
        """Paint a customer's card.

        \b
        Example:
            dealbook paint 粤IT2024001 --colour red      # a red card
        """

    assert sorted(untranslated(paint, translated()), key=str) == sorted([
        (None, "Paint a customer's card."),
        ("command list", "Paint a customer's card."),
        (None, "Paint it this colour."),
        ("metavar", "COLOUR"),
        (None, "the team's colour"),
        (None, "a red card"),
    ], key=str)  # not "Example:", the example's command line, the argument's NAME nor the known help
