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
in the installed click. Command help and option help are dealbook's own English and stay so.
"""

from __future__ import annotations

import contextlib
import gettext
import importlib
from collections.abc import Iterator

import click

from ..text.catalog import N_, SOURCE_LANGUAGE, translator
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
