"""Keep the catalogs in step with the code (a developer tool, run from a checkout).

    python -m dealbook.text.messages update   # add new msgids to every .po, drop unused ones
    python -m dealbook.text.messages check    # list untranslated, fuzzy and unused messages
    python -m dealbook.text.messages compile  # write the .mo files (the build does this too)

Extraction is Babel's, configured by `babel.cfg` at the repository root (the same file
`pybabel extract -F babel.cfg` reads): Python sources with the keywords `_`, `gettext`,
`ngettext`, `pgettext`, `npgettext`, `N_`, `NP_`, and the site's Jinja2 templates. The
`.po` files are written sorted by msgid, without source line numbers and without wrapping,
so two branches that each add messages rarely touch the same lines.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass

from .catalog import DOMAIN, LOCALE_DIR, SOURCE_LANGUAGE, catalog_path, compile_catalogs, languages

PACKAGE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))  # tools/dealbook
ROOT = os.path.dirname(os.path.dirname(PACKAGE))  # the checkout
MAPPING = os.path.join(ROOT, "babel.cfg")

Key = tuple[str, str | None]  # (msgid, context)


def extract(package: str = PACKAGE, mapping: str = MAPPING) -> dict[Key, str | tuple[str, ...]]:
    """Every message the sources use, by (msgid, context): the msgid, or (singular, plural).

    By default the sources of this checkout; an installed package has no `babel.cfg`, so the
    tests name the checkout's folders."""
    from babel.messages.extract import extract_from_dir
    from babel.messages.frontend import parse_mapping_cfg

    with open(mapping, encoding="utf-8") as handle:
        method_map, options_map = parse_mapping_cfg(handle, mapping)
    found: dict[Key, str | tuple[str, ...]] = {}
    for _filename, _line, message, _comments, context in extract_from_dir(
            package, method_map, options_map):
        key = message[0] if isinstance(message, tuple) else message
        found[(key, context)] = message
    return found


def read(language: str):
    from babel.messages.pofile import read_po

    with open(catalog_path(language), "rb") as handle:
        return read_po(handle, locale=language, domain=DOMAIN)


def write(catalog, language: str) -> None:
    from babel.messages.pofile import write_po

    with open(catalog_path(language), "wb") as handle:
        write_po(handle, catalog, width=0, no_location=True, omit_header=False, sort_output=True,
                 ignore_obsolete=True)


@dataclass
class Problems:
    untranslated: list[Key]
    fuzzy: list[Key]
    unused: list[Key]

    def __bool__(self) -> bool:
        return bool(self.untranslated or self.fuzzy or self.unused)


def _translated(string: str | tuple[str, ...] | list[str]) -> bool:
    if isinstance(string, (tuple, list)):
        return all(string)
    return bool(string)


def problems(language: str, used: dict[Key, str | tuple[str, ...]] | None = None) -> Problems:
    """What is missing or stale in one language's catalog compared with the sources."""
    used = extract() if used is None else used
    catalog = read(language)
    present = {(m.id[0] if isinstance(m.id, tuple) else m.id, m.context): m for m in catalog if m.id}
    untranslated = sorted((k for k in used if k not in present or not _translated(present[k].string)),
                          key=str)
    fuzzy = sorted((k for k, m in present.items() if k in used and m.fuzzy), key=str)
    unused = sorted((k for k in present if k not in used), key=str)
    return Problems(untranslated, fuzzy, unused)


def update() -> None:
    """Add every new message to every catalog (empty translation), drop the unused ones."""
    used = extract()
    for language in languages():
        if language == SOURCE_LANGUAGE:
            continue
        catalog = read(language)
        present = {(m.id[0] if isinstance(m.id, tuple) else m.id, m.context): m for m in catalog if m.id}
        for key, message in used.items():
            if key not in present:
                string: str | tuple[str, ...] = ("",) * catalog.num_plurals if isinstance(message, tuple) else ""
                catalog.add(message, string, context=key[1])
        for key, message in present.items():
            if key not in used:
                catalog.delete(message.id, context=key[1])
        write(catalog, language)
        print(f"{catalog_path(language)}: {len(used)} messages")


def main(argv: list[str]) -> int:
    command = argv[0] if argv else "check"
    if command == "update":
        update()
        return 0
    if command == "compile":
        for path in compile_catalogs(LOCALE_DIR):
            print(path)
        return 0
    if command == "check":
        used = extract()
        status = 0
        for language in languages():
            if language == SOURCE_LANGUAGE:
                continue
            found = problems(language, used)
            for kind in ("untranslated", "fuzzy", "unused"):
                for msgid, context in getattr(found, kind):
                    print(f"{language}: {kind}: {msgid!r}" + (f" (context {context!r})" if context else ""))
            status = status or int(bool(found))
        return status
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
