"""click's own words (`Usage:`, `Error:`, `Missing argument 'ID'.`, `No such option`, `Options:`, …)
in the team's language.

click 8 marks its messages with gettext: each of its modules does `from gettext import gettext as
_` (and `ngettext`), which reads the process-wide gettext domain and the LANGUAGE/LANG variables.
dealbook does not touch either (they would reach git and the editor too). Instead, `install()`
puts two functions in place of those names in click's modules: outside a dealbook run they call
`gettext.gettext` / `gettext.ngettext` exactly as before; during one (`speaking()`, which
`LazyGroup.main` and `main()` enter) they look the msgid up in dealbook's own catalog
(`text/locale/<language>/LC_MESSAGES/dealbook.po`) in the team's language. A click message the
catalog does not hold stays English.

The language: `context.language()`, the one place dealbook picks it: the settings of the repo
the run works on, once `Env.create` has found it; before that (a mistake in the global options,
`--repo` naming no folder) the best guess, `context.team_language()`: the repo named by `--repo`
or found from the current folder, else English.

`WORDS` lists the click msgids the catalog translates (the `N_`/`NG_` marks let the extractor,
and so `python -m dealbook.text.messages check`, see them); a test checks each is still a msgid
in the installed click.

dealbook's own help (a command's docstring, its line in the group's command list, each option's
and argument's `help=`, an option's metavar made of English words, a `show_default` text) is
written in English where it is declared, and that English is the msgid: `Command` and `Group`
(every dealbook command's class) say it in the team's language when they format their help, and
an English team gets click's own output untouched. A docstring is said paragraph by paragraph,
as click wraps it; in a `\b` paragraph (an example) each line is said apart, but a command line
stays as written and only its `# comment` is said. The command list says the docstring's first
sentence (msgctxt `command list`), a metavar is said with msgctxt `metavar`. `extract_help` hands
these msgids to Babel (babel.cfg), so `python -m dealbook.text.messages check` sees them as it
sees `_("…")` calls. Chinese is laid out by `WideHelpFormatter`, which counts a Chinese
character as the two columns a terminal gives it (click counts one) and breaks lines between
characters as well as at spaces.
"""

from __future__ import annotations

import contextlib
import copy
import gettext
import importlib
import inspect
import re
import unicodedata
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import click

from ..text.catalog import N_, SOURCE_LANGUAGE, Translator, translator
from . import context


def NG_(singular: str, plural: str) -> str:
    """Mark a click message with a plural for extraction (babel.cfg: `NG_:1,2`)."""
    return singular


# The click messages a dealbook user can meet, said in the team's language.
WORDS = (
    N_("Error: {message}"),
    N_("Usage:"),
    N_("Try '{command} {option}' for help."),
    N_("Options"),
    N_("Commands"),
    N_("Show this message and exit."),
    N_("Missing argument"),
    N_("Missing option"),
    N_("Missing parameter"),
    N_("Missing command."),
    N_("No such option {name!r}."),
    N_("No such command {name!r}."),
    N_("Option {name!r} does not take a value."),
    N_("Invalid value: {message}"),
    N_("Invalid value for {param_hint}: {message}"),
    N_("{value!r} is not a valid {number_type}."),
    N_("{value} is not in the range {range}."),
    N_("{value!r} is not a valid boolean. Recognized values: {states}"),
    N_("Choose from:\n\t{choices}"),
    N_("{name} {filename!r} does not exist."),
    N_("{name} {filename!r} is a file."),
    N_("{name} {filename!r} is a directory."),
    N_("{name} {filename!r} is not readable."),
    N_("file"),
    N_("directory"),
    N_("path"),
    N_("default: {default}"),
    N_("required"),
    N_("Aborted!"),
    NG_("Got unexpected extra argument ({args})", "Got unexpected extra arguments ({args})"),
    NG_("Option {name!r} requires an argument.", "Option {name!r} requires {nargs} arguments."),
    NG_("Did you mean {possibility}?", "(Did you mean one of: {possibilities}?)"),
    NG_("{value!r} is not {choice}.", "{value!r} is not one of {choices}."),
    NG_("{value!r} does not match the format {format}.", "{value!r} does not match the formats {formats}."),
)

# click's modules that mark messages (all imported by `import click`).
MODULES = ("core", "decorators", "exceptions", "formatting", "parser", "termui", "types", "utils")


@contextlib.contextmanager
def speaking() -> Iterator[context.Speaker]:
    """Say click's words in the team's language until the block ends (a block inside another
    keeps the outer one's speaker: `main()` shows the errors `cli.main` raised)."""
    install()
    with context.run_speaker() as speaker:
        yield speaker


def _gettext(message: str) -> str:
    if not context.speaking():
        return gettext.gettext(message)
    language = context.language()
    if language == SOURCE_LANGUAGE:
        return gettext.gettext(message)
    return translator(language).translations.gettext(message)


def _ngettext(singular: str, plural: str, n: int) -> str:
    if not context.speaking():
        return gettext.ngettext(singular, plural, n)
    language = context.language()
    if language == SOURCE_LANGUAGE:
        return gettext.ngettext(singular, plural, n)
    return translator(language).translations.ngettext(singular, plural, n)


def install() -> None:
    """Put `_gettext`/`_ngettext` in place of click's `_`/`ngettext` (once; a name that is not
    gettext's, as a later click might have, is left alone)."""
    for name in MODULES:
        module = importlib.import_module(f"click.{name}")
        if getattr(module, "_", None) is gettext.gettext:
            module._ = _gettext  # type: ignore[attr-defined]
        if getattr(module, "ngettext", None) is gettext.ngettext:
            module.ngettext = _ngettext  # type: ignore[attr-defined]


def fresh_help_option(command: click.Command) -> click.Command:
    """click (8.1.8 on) makes a command's `--help` option once and keeps it, its help text said in
    the language of that moment; forget it, so this run's `--help` line is in this run's language."""
    if getattr(command, "_help_option", None) is not None:
        command._help_option = None  # type: ignore[attr-defined]
    return command


# --- dealbook's own help, in the team's language -------------------------------------------------

COMMAND_LIST = "command list"  # msgctxt of a command's line in its group's command list
METAVAR = "metavar"  # msgctxt of an option's metavar
# A metavar is said when it holds an English word (three letters or more, upper case) beyond these.
_FORMAT_WORDS = {"YYYY", "URL"}
_WORD = re.compile(r"[A-Z]{3,}")
_COMMENT = re.compile(r"(\s{2,}#\s*)(\S.*)$")  # a `  # comment` after an example's command line

Say = Callable[..., str]  # (msgid) or (msgctxt, msgid) -> the text to show


def _paragraphs(text: str) -> list[list[str]]:
    """The paragraphs of a help text as click's `wrap_text` sees them: runs of non-empty lines."""
    found: list[list[str]] = [[]]
    for line in text.splitlines():
        if line:
            found[-1].append(line)
        elif found[-1]:
            found.append([])
    return [lines for lines in found if lines]


def _said_example(lines: list[str], say: Say) -> list[str]:
    """A `\\b` paragraph: its prose lines said, its command lines kept (only a `# comment` said).
    A command line starts with `dealbook`, or follows one ending in a backslash."""
    out, continued = [], False
    for line in lines:
        stripped = line.strip()
        indent = line[: len(line) - len(line.lstrip())]
        if stripped == "\b":
            out.append(line)
        elif continued or stripped.startswith("dealbook"):
            comment = _COMMENT.search(line)
            out.append(line[: comment.start(2)] + say(comment.group(2).rstrip()) if comment else line)
        else:
            out.append(indent + say(stripped))
        continued = stripped.endswith("\\")
    return out


def said_help(text: str, say: Say) -> str:
    """A command's help (docstring) said paragraph by paragraph, laid out as click lays it out."""
    body, feed, rest = inspect.cleandoc(text).partition("\f")
    out = []
    for lines in _paragraphs(body):
        if lines[0].strip() == "\b":
            out.append("\n".join(_said_example(lines, say)))
        else:
            indent = lines[0][: len(lines[0]) - len(lines[0].lstrip())]
            out.append(indent + say(" ".join(line.strip() for line in lines)))
    return "\n\n".join(out) + feed + rest


def first_sentence(text: str) -> str:
    """The English of a command's line in the command list: its help's first sentence, as click
    picks it (`_make_default_short_help` before it cuts the line to the width left)."""
    words = inspect.cleandoc(text).partition("\n\n")[0].split()
    if words and words[0] == "\b":
        words = words[1:]
    for i, word in enumerate(words):
        if word.endswith(".") and (i == len(words) - 1 or not words[i + 1][0].islower()):
            return " ".join(words[: i + 1])
    return " ".join(words)


def said_metavar(metavar: str, say: Say) -> str:
    """An option's metavar, said when it holds English words (`HANDLE`, `KEY=VALUE`); a format
    (`YYYY-MM-DD`, `N`, `[text|json]`) stays."""
    if any(word not in _FORMAT_WORDS for word in _WORD.findall(metavar)):
        return say(METAVAR, metavar)
    return metavar


def said_parameter(param: click.Parameter, ctx: click.Context, say: Say) -> click.Parameter:
    """A copy of `param` whose help, metavar (an option's) and `show_default` text are said."""
    said = copy.copy(param)
    if getattr(param, "help", None):
        said.help = say(param.help)  # type: ignore[attr-defined]
    if isinstance(param, click.Option):
        if param.metavar is None and isinstance(param.type, click.Path):
            # click names a path type (`file`, `directory`, `path`: WORDS) in the language of the
            # moment it is made, and a command module may have been imported in another one
            said.type = click.Path(file_okay=param.type.file_okay, dir_okay=param.type.dir_okay)
        elif not (param.is_flag or param.count):
            metavar = param.make_metavar(ctx)
            shown = said_metavar(metavar, say)
            if shown != metavar:
                said.metavar = shown
        if isinstance(param.show_default, str):
            said.show_default = say(param.show_default)  # type: ignore[attr-defined]
    return said


def _sayer(_: Translator) -> Say:
    def say(*message: str) -> str:
        return _.pgettext(*message) if len(message) == 2 else _(message[0])
    return say


_OPENING = "([{「『《“‘"
_CLOSING = ",.;:!?)]}、。,:;!?)」』》”’…%"


def _wide(char: str) -> bool:
    return unicodedata.east_asian_width(char) in "WF"


def cells(text: str) -> int:
    """The columns `text` takes on a terminal (a Chinese character takes two)."""
    return sum(2 if _wide(char) else 1 for char in click.unstyle(text))


def _tokens(text: str) -> list[tuple[str, str]]:
    """The pieces a line may break between, each with the spaces before it: a run of narrow
    characters, or one wide character (a closing mark right after one is a piece too, so that
    what follows it may start a line)."""
    found: list[tuple[str, str]] = []
    run, space = "", ""
    for char in text:
        if char.isspace():
            if run:
                found.append((space, run))
                run, space = "", ""
            space += char
        elif _wide(char) or (not run and not space and char in _CLOSING and found and _wide(found[-1][1][-1])):
            if run:
                found.append((space, run))
                run, space = "", ""
            found.append((space, char))
            space = ""
        else:
            run += char
    if run:
        found.append((space, run))
    return found


def _glued(before: tuple[str, str], after: tuple[str, str]) -> bool:
    """Whether no line may break between two pieces: before a closing mark, after an opening one."""
    return not after[0] and (after[1][0] in _CLOSING or before[1][-1] in _OPENING)


def wide_fill(text: str, width: int, indent: str = "") -> list[str]:
    """`text` wrapped to `width` columns (indent included), breaking at spaces and between wide
    characters, never before a closing mark nor after an opening one (the piece before a closing
    mark that does not fit goes to the next line with it)."""

    def shown(pieces: list[tuple[str, str]]) -> str:
        return indent + "".join((space if n else "") + token for n, (space, token) in enumerate(pieces))

    lines: list[str] = []
    line: list[tuple[str, str]] = []
    for piece in _tokens(text):
        if line and cells(shown([*line, piece])) > width:
            start = len(line)
            if _glued(line[-1], piece):
                start = len(line) - 1
                while start > 0 and _glued(line[start - 1], line[start]):
                    start -= 1
            if start > 0:
                lines.append(shown(line[:start]))
                line = line[start:]
        line.append(piece)
    lines.append(shown(line))
    return lines


def wide_wrap(text: str, width: int, indent: str = "") -> str:
    """click's `wrap_text(…, preserve_paragraphs=True)`, counting columns as a terminal does."""
    out = []
    for lines in _paragraphs(text.expandtabs()):
        extra = " " * (len(lines[0]) - len(lines[0].lstrip()))
        if lines[0].strip() == "\b":
            out.append("\n".join(indent + extra + line for line in lines[1:]))
        else:
            joined = " ".join([lines[0].lstrip(), *lines[1:]])
            out.append("\n".join(wide_fill(joined, width, indent + extra)))
    return "\n\n".join(out)


class WideHelpFormatter(click.HelpFormatter):
    """click's help layout for text with Chinese in it: widths in terminal columns."""

    def write_text(self, text: str) -> None:
        self.write(wide_wrap(text, self.width, " " * self.current_indent))
        self.write("\n")

    def write_dl(self, rows: Iterable[tuple[str, str]], col_max: int = 30, col_spacing: int = 2) -> None:
        rows = list(rows)
        first_col = min(max((cells(first) for first, _ in rows), default=0), col_max) + col_spacing
        for first, second in rows:
            self.write(f"{'':>{self.current_indent}}{first}")
            if not second:
                self.write("\n")
                continue
            if cells(first) <= first_col - col_spacing:
                self.write(" " * (first_col - cells(first)))
            else:
                self.write("\n")
                self.write(" " * (first_col + self.current_indent))
            lines = wide_wrap(second, max(self.width - first_col - 2, 10)).splitlines()
            self.write(f"{lines[0] if lines else ''}\n")
            for line in lines[1:]:
                self.write(f"{'':>{first_col + self.current_indent}}{line}\n")


class InTeamLanguage:
    """What makes a click command say its help in the team's language (see the module docstring)."""

    def said(self, ctx: click.Context, say: Say) -> Any:
        """A copy of this command whose help and parameters are said."""
        said = copy.copy(self)
        if self.help:  # type: ignore[attr-defined]
            said.help = said_help(self.help, say)  # type: ignore[attr-defined]
        said.params = [said_parameter(p, ctx, say) for p in self.params]  # type: ignore[attr-defined]
        return said

    def get_help(self, ctx: click.Context) -> str:
        if context.words().language == SOURCE_LANGUAGE:
            return super().get_help(ctx)  # type: ignore[misc]
        formatter = WideHelpFormatter(width=ctx.terminal_width, max_width=ctx.max_content_width)
        self.format_help(ctx, formatter)
        return formatter.getvalue().rstrip("\n")

    def format_help(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        _ = context.words()
        if _.language == SOURCE_LANGUAGE:
            shown = copy.copy(self)
            shown.params = list(self.params)  # type: ignore[attr-defined]
        else:
            shown = self.said(ctx, _sayer(_))
        # click made the --help option when parsing began, before --repo named the team: make it again
        shown._help_option = None
        super(InTeamLanguage, shown).format_help(ctx, formatter)  # type: ignore[misc]

    def get_short_help_str(self, limit: int = 45) -> str:
        _ = context.words()
        if _.language == SOURCE_LANGUAGE or not (self.short_help or self.help):  # type: ignore[attr-defined]
            return super().get_short_help_str(limit)  # type: ignore[misc]
        if self.short_help:  # type: ignore[attr-defined]
            return _(inspect.cleandoc(self.short_help)).strip()  # type: ignore[attr-defined]
        return _.pgettext(COMMAND_LIST, first_sentence(self.help))  # type: ignore[attr-defined]


class Command(InTeamLanguage, click.Command):
    """A dealbook command: its help said in the team's language (`@click.command(cls=Command)`)."""


class Group(InTeamLanguage, click.Group):
    """A dealbook group of commands: its help and its commands' lines said in the team's language."""

    command_class = Command
    group_class = type  # a group made with `@group.group()` is one of these too


def help_messages(command: click.Command, ctx: click.Context | None = None) -> list[tuple[str | None, str]]:
    """Every (msgctxt, msgid) `command` says in its help (not its subcommands'), in order."""
    ctx = ctx or click.Context(command)
    found: list[tuple[str | None, str]] = []

    def say(*message: str) -> str:
        found.append((message[0], message[1]) if len(message) == 2 else (None, message[0]))
        return message[-1]

    if command.help:
        said_help(command.help, say)
        found.append((COMMAND_LIST, first_sentence(command.help)))
    if command.short_help:
        found.append((None, inspect.cleandoc(command.short_help).strip()))
    for param in command.params:
        said_parameter(param, ctx, say)
    return list(dict.fromkeys(found))


def commands_of(module: Any) -> Iterable[click.Command]:
    """The click commands a module defines (a group's subcommands with them)."""
    seen: set[int] = set()
    stack = [value for value in vars(module).values() if isinstance(value, click.Command)]
    while stack:
        command = stack.pop(0)
        if id(command) in seen or getattr(command.callback, "__module__", None) != module.__name__:
            continue
        seen.add(id(command))
        yield command
        if isinstance(command, click.Group):
            stack.extend(command.commands.values())


def extract_help(fileobj: Any, keywords: Any, comment_tags: Any, options: dict) -> Iterator[tuple]:
    """Babel's extractor for the CLI's modules (babel.cfg): what Babel's Python extractor finds,
    and the help the module's commands say (their English is not a `_("…")` call)."""
    from babel.messages.extract import extract_python

    yield from extract_python(fileobj, keywords, comment_tags, options)
    parts = re.split(r"[\\/]", getattr(fileobj, "name", ""))
    if "dealbook" not in parts or not parts[-1].endswith(".py"):
        return
    names = parts[len(parts) - 1 - parts[::-1].index("dealbook"):]
    names[-1] = names[-1][:-3]
    if names[-1] == "__init__":
        names.pop()
    module = importlib.import_module(".".join(names))
    for command in commands_of(module):
        line = getattr(getattr(command.callback, "__code__", None), "co_firstlineno", 0)
        for msgctxt, msgid in help_messages(command):
            yield (line, "NP_", (msgctxt, msgid), []) if msgctxt else (line, "N_", msgid, [])
