"""The message catalog: every sentence and label dealbook shows a person, in the team's language.

Writing a message. Code never builds user-facing text as `"…" if zh else "…"`; it takes a
translator for the team's language and passes the English text, the *msgid*:

    from ..text.catalog import translator

    _ = translator(settings.language)
    _("No data")
    _("start %(start)s passed %(days)d days ago", start=start, days=-days)
    _.ngettext("%(num)d follow-up", "%(num)d follow-ups", n)      # the count is `num`
    _.pgettext("grade dimension", "Budget")                      # same English, other senses

- Values are keyword arguments that fill `%(name)s` placeholders. The text itself is always a
  literal (never an f-string): Babel's extractor reads it from the source. With values, a
  literal percent sign is written `%%`; without values the text is returned as translated.
- `pgettext(context, text)` when one English word needs different words in another language
  (the context is shown to translators as `msgctxt`).
- Tables of labels mark their entries with the no-ops `N_("…")` / `NP_(context, "…")` so the
  extractor finds them, and translate where the label is shown: `_(label)`,
  `_.pgettext(context, label)`.
- A message made where the language is not known yet (the record loader, the round-trip editor)
  is kept as a `Said`: `said(N_("… %(key)s …"), key=...)` holds the msgid and its values, `str()`
  of it is the English, and `.say(_)` says it in the translator's language where it reaches a
  person (a value that is itself a `Said` is said in the same language; `joined(context, separator,
  items)` is a list whose separator, `, ` → `、`, is said in that language too).
- Templates get the same catalog through Jinja2's i18n extension: `{{ _("Phone") }}`,
  `{{ _("%(n)s errors", n=count) }}`, `{{ pgettext("person", "Role") }}`, `{% trans %}`.

A translator is a small object bound to one language; nothing is installed globally, so two
languages in one process (tests, several site builds) never mix. `translator(language)` is
cached per language and loads its catalog on first use. English is the source language: it
has no catalog, the msgid is the text.

The catalogs: `locale/<language>/LC_MESSAGES/dealbook.po` (domain `dealbook`), one file per
language, plain gettext PO that translators' tools (Poedit, Weblate, Lokalize) open. A built
package carries `dealbook.mo` beside each `.po` (compiled by the `build_py` hook in setup.py,
with `compile_catalogs`). A checkout has no `.mo` in git; when a `.mo` is missing or older
than its `.po`, the `.po` is compiled with Babel at first use and the result kept beside it
(git-ignored) when the folder is writable, so the next run reads the `.mo` again.

This module imports nothing from dealbook: setup.py loads it by path at build time.
"""

from __future__ import annotations

import contextlib
import functools
import gettext
import io
import os
import tempfile
from typing import Any

DOMAIN = "dealbook"
SOURCE_LANGUAGE = "en"
LOCALE_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "locale")


def N_(message: str) -> str:
    """Mark a message for extraction without translating it (for tables translated later)."""
    return message


def NP_(context: str, message: str) -> str:
    """Mark a message with a context for extraction without translating it."""
    return message


def catalog_path(language: str, locale_dir: str = LOCALE_DIR, suffix: str = ".po") -> str:
    return os.path.join(locale_dir, language, "LC_MESSAGES", DOMAIN + suffix)


def languages(locale_dir: str = LOCALE_DIR) -> list[str]:
    """The languages dealbook speaks: English and every language with a catalog."""
    found = {SOURCE_LANGUAGE}
    if os.path.isdir(locale_dir):
        found.update(name for name in os.listdir(locale_dir) if os.path.isfile(catalog_path(name, locale_dir)))
    return sorted(found)


def compile_po(po_path: str) -> bytes:
    """The `.mo` bytes of a `.po` file (fuzzy entries left out, as msgfmt does)."""
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    with open(po_path, "rb") as handle:
        catalog = read_po(handle, domain=DOMAIN)
    buffer = io.BytesIO()
    write_mo(buffer, catalog, use_fuzzy=False)
    return buffer.getvalue()


def _write(path: str, data: bytes) -> None:
    """Write atomically (a temporary file in the same folder, then rename), readable by everyone
    like the rest of the package (mkstemp alone makes it private to the writer)."""
    folder = os.path.dirname(path)
    fd, temporary = tempfile.mkstemp(dir=folder, prefix=".", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.chmod(temporary, 0o644)
        os.replace(temporary, path)
    except BaseException:
        if os.path.exists(temporary):
            os.unlink(temporary)
        raise


def compile_catalogs(locale_dir: str = LOCALE_DIR) -> list[str]:
    """Compile every `<language>/LC_MESSAGES/dealbook.po` under `locale_dir` to a `.mo` beside it."""
    written = []
    for language in languages(locale_dir):
        po = catalog_path(language, locale_dir)
        if os.path.isfile(po):
            mo = catalog_path(language, locale_dir, ".mo")
            _write(mo, compile_po(po))
            written.append(mo)
    return written


def _fresh(mo: str, po: str) -> bool:
    try:
        return os.stat(mo).st_mtime_ns >= os.stat(po).st_mtime_ns
    except FileNotFoundError:
        return False


def load(language: str, locale_dir: str = LOCALE_DIR, keep_mo: bool = True) -> gettext.NullTranslations:
    """The translations of one language: its `.mo` when it is current, else its `.po` compiled
    now (and kept as the `.mo` when `keep_mo` and the folder is writable); English, and a
    language without a catalog, translate nothing."""
    po = catalog_path(language, locale_dir)
    mo = catalog_path(language, locale_dir, ".mo")
    if not os.path.isfile(po):
        if os.path.isfile(mo):
            with open(mo, "rb") as handle:
                return gettext.GNUTranslations(handle)
        return gettext.NullTranslations()
    if _fresh(mo, po):
        try:
            with open(mo, "rb") as handle:
                return gettext.GNUTranslations(handle)
        except OSError:
            pass  # unreadable (another user's, damaged): the .po is the source
    data = compile_po(po)
    if keep_mo:
        with contextlib.suppress(OSError):  # a read-only install compiles again next time
            _write(mo, data)
    return gettext.GNUTranslations(io.BytesIO(data))


class Translator:
    """gettext for one language, with `%(name)s` values filled in (see the module docstring)."""

    def __init__(self, language: str, locale_dir: str = LOCALE_DIR) -> None:
        self.language = language
        self._locale_dir = locale_dir
        self._translations: gettext.NullTranslations | None = None

    @property
    def translations(self) -> gettext.NullTranslations:
        """The underlying `gettext` translations (what Jinja2's i18n extension is given)."""
        if self._translations is None:
            self._translations = load(self.language, self._locale_dir)
        return self._translations

    def gettext(self, message: str, /, **values: Any) -> str:
        text = self.translations.gettext(message)
        return text % values if values else text

    __call__ = gettext

    def ngettext(self, singular: str, plural: str, num: int, /, **values: Any) -> str:
        return self.translations.ngettext(singular, plural, num) % {"num": num, **values}

    def pgettext(self, context: str, message: str, /, **values: Any) -> str:
        text = self.translations.pgettext(context, message)
        return text % values if values else text

    def npgettext(self, context: str, singular: str, plural: str, num: int, /, **values: Any) -> str:
        return self.translations.npgettext(context, singular, plural, num) % {"num": num, **values}

    def __repr__(self) -> str:
        return f"Translator({self.language!r})"


@functools.cache
def translator(language: str) -> Translator:
    """The translator for a language code (`zh`, `en`, …), made once per process."""
    return Translator(language)


class Said(tuple):
    """A message kept to be said later, in a language not known where it is made: its msgid and
    values ((name, value) pairs; a value that is itself a `Said` is said in the same language).
    A plain tuple subclass, not a dataclass: setup.py loads this module by path."""

    def __new__(cls, msgid: str, values: tuple = ()) -> Said:
        return super().__new__(cls, (msgid, values))

    @property
    def msgid(self) -> str:
        return self[0]

    @property
    def values(self) -> tuple:
        return self[1]

    def say(self, _: Translator) -> str:
        values = {name: value.say(_) if isinstance(value, Said) else value for name, value in self.values}
        return _(self.msgid, **values)

    def __str__(self) -> str:
        return self.say(translator(SOURCE_LANGUAGE))


class SaidError(ValueError):
    """An error whose message is said in the language of whoever shows it: `str()` is the English;
    one made from a `Said` says it in the translator's language with `text(_)`."""

    def __init__(self, message: str | Said) -> None:
        super().__init__(str(message))
        self.said = message if isinstance(message, Said) else None

    def text(self, _: Translator) -> str:
        """The message in the translator's language (the English when it was made without a msgid)."""
        return self.said.say(_) if self.said is not None else str(self)


def said(message: str, /, **values: Any) -> Said:
    """`message` (a literal marked `N_`) with its values, to be said in a language chosen later."""
    return Said(message, tuple(values.items()))


class Joined(Said):
    """Items joined by a separator said in the reader's language (`、` for `, ` in Chinese): its
    msgid is the separator, its values the separator's context and the items (a `Said` among them is
    said in the same language)."""

    def __new__(cls, context: str, separator: str, items: tuple) -> Joined:
        return tuple.__new__(cls, (separator, (("context", context), ("items", items))))

    def say(self, _: Translator) -> str:
        values = dict(self.values)
        return _.pgettext(values["context"], self.msgid).join(
            item.say(_) if isinstance(item, Said) else str(item) for item in values["items"])


def joined(context: str, separator: str, items: Any) -> Joined:
    """`items` joined by `separator` (marked `NP_(context, separator)`), said in a language chosen later:
    `said(N_("the sheets are: %(names)s"), names=joined("enumeration", NP_("enumeration", ", "), names))`."""
    return Joined(context, separator, tuple(items))
