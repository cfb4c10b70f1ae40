"""Proposed record edits: check them as `dealbook check` would, show the diff, write them atomically."""

from __future__ import annotations

import datetime as dt
import difflib
import os
import re
import subprocess
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from ..checks.filechecks import read_record
from ..checks.reading import open_book_from
from ..records.book import Book
from ..records.diagnostics import ERROR, WARNING, Diagnostic, sort_key
from ..records.load import parse_text
from ..records.model import (
    CUSTOMER,
    CUSTOMERS_DIR,
    FOLLOWUP,
    TEAM_FILE,
    customer_files,
    customer_path,
    existing_customer_file,
    id_problem,
    kind_of,
)
from ..records.schema import settings_enums, validator
from ..records.settings import Settings
from ..records.writing import PathTaken, write_checked
from ..text.catalog import SOURCE_LANGUAGE, Translator, translator


@dataclass(frozen=True)
class Change:
    """One file's new text. `before` is the file's whole text exactly as it was read (line endings
    included: the write checks the file still holds it), None for a new file."""

    path: str  # repo-relative, `/` separators
    before: str | None
    after: str

    @property
    def is_new(self) -> bool:
        return self.before is None


def _read(repo: str, path: str) -> bytes | None:
    try:
        with open(os.path.join(repo, path), "rb") as handle:
            return handle.read()
    except OSError:
        return None


def _problems(diagnostics: Iterable[Diagnostic]) -> Counter[tuple[str, str, str]]:
    return Counter((d.severity, d.code, d.message) for d in diagnostics)


def check_changes(book: Book, repo: str, changes: list[Change]) -> tuple[list[Diagnostic], list[Diagnostic]]:
    """(errors the edits would introduce, other findings in the edited files).

    Each changed file is checked on its own (schema, stages, privacy) and against the
    records it refers to (team members, its customer, unique ids). Errors the file
    already had before the edit do not block it; they are returned with the warnings."""
    settings = book.settings
    for change in changes:
        if change.is_new and os.path.lexists(os.path.join(repo, change.path)):
            raise PathTaken(os.path.join(repo, change.path))  # another process made it first: the caller retries
    changed = {c.path for c in changes}
    new_files = [(c.path, c.after.encode("utf-8")) for c in changes]
    neighbours: dict[str, bytes] = {}
    wanted = {TEAM_FILE}
    for change in changes:
        if kind_of(change.path) == FOLLOWUP:
            folder = change.path.split("/")[-2]
            if id_problem(folder) is None:
                wanted.add(customer_path(folder))
    for path in sorted(wanted - changed):
        raw = _read(repo, path)
        if raw is not None:
            neighbours[path] = raw
    files = [*neighbours.items(), *new_files]
    after_book = open_book_from(settings, files, read_raw=dict(files).get)
    found = [d for d in after_book.diagnostics if d.path in changed]
    found.extend(_duplicate_ids(repo, changes, after_book))
    found.extend(_duplicate_contracts(repo, changes, after_book))
    before_files = [(c.path, c.before.encode("utf-8")) for c in changes if c.before is not None]
    before_found: list[Diagnostic] = []
    before_book = None
    if before_files:
        before_book = open_book_from(settings, [*neighbours.items(), *before_files],
                                     read_raw=dict([*neighbours.items(), *before_files]).get)
        before_found = [d for d in before_book.diagnostics if d.path in changed]
        # a number another file used already: not the edit's doing, so it does not block it
        before_found.extend(_duplicate_contracts(repo, changes, before_book))
    found.extend(_look_alikes(repo, changes, after_book, before_book))
    old = {path: _problems(d for d in before_found if d.path == path) for path in changed}
    blocking: list[Diagnostic] = []
    other: list[Diagnostic] = []
    seen: dict[str, Counter] = {path: Counter() for path in changed}
    for d in sorted(set(found), key=sort_key):
        key = (d.severity, d.code, d.message)
        seen[d.path][key] += 1
        if d.severity == ERROR and seen[d.path][key] > old[d.path][key]:
            blocking.append(d)
        else:
            other.append(d)
    return blocking, other


def _duplicate_ids(repo: str, changes: list[Change], after_book: Book) -> list[Diagnostic]:
    """A new customer whose id another customer file already uses (ids compare without case),
    worded as `dealbook check` words it, in the team's language."""
    found: list[Diagnostic] = []
    new_customers = [c for c in changes if kind_of(c.path) == CUSTOMER and c.is_new]
    if not new_customers:
        return found
    from ..checks.crosschecks import duplicate_id_message
    from ..records.ids import ids_on_disk

    _ = translator(after_book.settings.language)
    taken = {stem.casefold(): stem for stem in ids_on_disk(repo)}
    for change in new_customers:
        customer = after_book.customers_by_path.get(change.path)
        if customer is None:
            continue
        other = taken.get(customer.id.casefold())
        if other is not None and f"{CUSTOMERS_DIR}/{other}.yaml" == change.path:
            raise PathTaken(os.path.join(repo, change.path))  # made by another process since: the caller retries
        if other is not None:
            line, column = after_book.mark(change.path, ("id",))
            where = existing_customer_file(repo, other) or customer_files(other)[0]
            found.append(Diagnostic(change.path, line, column, ERROR, "duplicate-id",
                                    duplicate_id_message(_, customer.id, where)))
    return found


def _duplicate_contracts(repo: str, changes: list[Change], book: Book) -> list[Diagnostic]:
    """A contract number in an edited customer (as in `book`) that another customer file already
    uses, worded as `dealbook check` words it, in the team's language."""
    from ..checks.dealchecks import contract_numbers_on_disk, duplicate_contract_message

    _ = translator(book.settings.language)
    found = []
    edited = {c.path for c in changes if kind_of(c.path) == CUSTOMER}
    for path in sorted(edited):
        customer = book.customers_by_path.get(path)
        if customer is None:
            continue
        numbers = {c.no: i for i, c in enumerate(customer.contracts) if c.no}
        if not numbers:
            continue
        for number, paths in contract_numbers_on_disk(repo, set(numbers), edited).items():
            line, column = book.mark(path, ("contracts", numbers[number], "no"))
            found.append(Diagnostic(path, line, column, ERROR, "duplicate-contract",
                                    duplicate_contract_message(_, number, paths[0])))
    return found


def _look_alikes(repo: str, changes: list[Change], after_book: Book, before_book: Book | None) -> list[Diagnostic]:
    """The `likely-duplicate` warning of a new customer, or of a customer whose name the edit changes
    (`before_book`: the edited files as they were), when the name looks like another customer's: what
    `dealbook check FILE` would say at the commit, said while the record is written (against the same
    customer index)."""
    from ..checks.customer_index import customer_index
    from ..checks.dedupe import likely_duplicates

    named = set()
    for change in changes:
        customer = after_book.customers_by_path.get(change.path)
        was = before_book.customers_by_path.get(change.path) if before_book is not None else None
        if customer is not None and (was is None or was.name != customer.name):
            named.add(change.path)
    if not named:
        return []
    after_book.repo_customers = customer_index(repo, after_book.settings)
    try:
        return [Diagnostic(path, *after_book.mark(path, ("name",)), WARNING, "likely-duplicate", message)
                for path, message in likely_duplicates(after_book, named)]
    finally:
        after_book.repo_customers = None


def read_back(path: str, text: str, book: Book) -> dict:
    """The data of a record text as the checker reads it (empty when unreadable)."""
    data, _ = read_record(path, text.encode("utf-8"), book.settings)
    return data if isinstance(data, dict) else {}


def diff_text(changes: list[Change]) -> str:
    """A unified diff of the changes (what `--dry-run` prints)."""
    out: list[str] = []
    for change in changes:  # a CRLF file's lines are shown without the CR
        before = (change.before or "").replace("\r\n", "\n").splitlines(keepends=True)
        after = change.after.replace("\r\n", "\n").splitlines(keepends=True)
        source = "/dev/null" if change.is_new else f"a/{change.path}"
        out.extend(difflib.unified_diff(before, after, source, f"b/{change.path}"))
        if out and not out[-1].endswith("\n"):
            out[-1] += "\n"
    return "".join(out)


def write_changes(repo: str, changes: list[Change]) -> None:
    """Write every changed file atomically (the checks have passed by now): a new file only when its
    name is still free (else `PathTaken`), an edited file only when it still holds the text it was
    read with (else `StaleFile`), so a second dealbook process never loses its change or ours."""
    write_checked(repo, [(os.path.join(repo, c.path), c.after, None if c.before is None else c.before.encode("utf-8"))
                         for c in changes])


# --- values typed by the schema ------------------------------------------------------------

_WAN = re.compile(r"^\s*[¥￥]?\s*([0-9]+(?:\.[0-9]+)?)\s*万\s*元?\s*$")
_YI = re.compile(r"^\s*[¥￥]?\s*([0-9]+(?:\.[0-9]+)?)\s*亿\s*元?\s*$")


def is_free_form(node: dict[str, Any]) -> bool:
    """A mapping whose keys the schema leaves free (custom:)."""
    return node.get("type") == "object" and "properties" not in node


def schema_at(kind: str, parts: list, settings: Settings) -> dict[str, Any] | None:
    """The (settings-extended) schema of the value at `parts`, None when the key is unknown; {} under custom."""
    node: dict[str, Any] = validator(kind, settings_enums(kind, settings)).schema
    for part in parts:
        if is_free_form(node):
            return {}  # free-form (custom:): any key, a number too (custom.2024)
        if isinstance(part, int):
            items = node.get("items")
            if not isinstance(items, dict):
                return None
            node = items
            continue
        props = node.get("properties") or {}
        if part not in props:
            return None
        node = props[part]
    return node


def parse_money(text: str, where: str = "amount", _: Translator | None = None) -> int:
    """A money amount as a plain integer; `65万` is refused with the number to write instead (in the
    language of `_`, English without one)."""
    _ = _ or translator(SOURCE_LANGUAGE)
    cleaned = text.strip()
    where = f"{where}: " if where else ""
    for pattern, factor in ((_WAN, 10_000), (_YI, 100_000_000)):
        match = pattern.match(cleaned)
        if match:
            raise ValueError(where + _("money is a plain integer: write %(number)s instead of `%(text)s`",
                                       number=round(float(match.group(1)) * factor), text=text))
    if re.fullmatch(r"[-+]?[0-9]+", cleaned):
        return int(cleaned)
    if re.fullmatch(r"[¥￥]?[0-9][0-9,]*(\.0+)?元?", cleaned):
        plain = re.sub(r"[^0-9]", "", cleaned.split(".")[0])
        raise ValueError(where + _("write the number without separators or currency: %(number)s", number=plain))
    raise ValueError(where + _("`%(text)s` is not a whole number", text=text))


def parse_value(text: str, schema: dict[str, Any], where: str, _: Translator | None = None) -> Any:
    """Command-line text as the value the schema wants: integers for money, lists for arrays, …
    (refused in the language of `_`, English without one)."""
    _ = _ or translator(SOURCE_LANGUAGE)
    types = schema.get("type")
    types = types if isinstance(types, list) else [types] if types else []
    stripped = text.strip()
    if stripped in ("null", "~") and "null" in types:
        return None
    if "array" in types:
        if stripped.startswith("["):
            value = _yaml_value(stripped, where, _)
        else:
            value = [part.strip() for part in stripped.split(",") if part.strip()]
        items = schema.get("items") if isinstance(schema.get("items"), dict) else {}
        return [parse_value(v, items, where, _) if isinstance(v, str) and items.get("type") != "string" else v
                for v in value]
    if "object" in types:
        value = _yaml_value(stripped, where, _)
        if not isinstance(value, dict):
            raise ValueError(f"{where}: " + _("write a mapping such as {key: value}"))
        return value
    if "integer" in types:
        if re.fullmatch(r"[-+]?[0-9]+", stripped):
            return int(stripped)
        if "string" in types:
            return text
        return parse_money(text, where, _)
    if "number" in types:
        try:
            return float(stripped) if "." in stripped or "e" in stripped.lower() else int(stripped)
        except ValueError:
            raise ValueError(f"{where}: " + _("`%(text)s` is not a number", text=text)) from None
    if "boolean" in types and "string" not in types:
        if stripped.lower() in ("true", "yes"):
            return True
        if stripped.lower() in ("false", "no"):
            return False
        raise ValueError(f"{where}: " + _("write true or false"))
    if "boolean" in types and stripped in ("true", "false"):
        return stripped == "true"
    if not types:  # free-form: read it as a YAML scalar
        return _yaml_value(stripped, where, _) if stripped else ""
    return text


def _yaml_value(text: str, where: str, _: Translator) -> Any:
    loaded = parse_text(f"v: {text}\n")
    if loaded.error is not None and loaded.error.code != "yaml-syntax":  # an alias, a tag: say which
        raise ValueError(f"{where}: `{text}`: {loaded.error.text(_)}")
    if loaded.error is not None or not isinstance(loaded.data, dict):
        raise ValueError(f"{where}: " + _("`%(text)s` is not a valid YAML value", text=text))
    return loaded.data["v"]


# --- who and when ---------------------------------------------------------------------------


def git_identity(repo: str) -> tuple[str, str]:
    """(user.email, user.name) from git config, empty when git or the settings are missing."""
    found = []
    for key in ("user.email", "user.name"):
        try:
            result = subprocess.run(["git", "config", key], cwd=repo, capture_output=True, text=True, timeout=5)
            found.append(result.stdout.strip() if result.returncode == 0 else "")
        except (OSError, subprocess.SubprocessError):
            found.append("")
    return found[0], found[1]


def member_for(book: Book, email: str, name: str) -> str | None:
    """The team handle whose email (or git name) matches the git identity."""
    for member in book.members.values():
        if email and member.email and member.email.casefold() == email.casefold():
            return member.handle
    for member in book.members.values():
        if name and (name in (member.git, member.name, member.handle)):
            return member.handle
    return None


def now_local(timezone: str) -> dt.datetime:
    """The current time in the team's timezone, to the minute, without tzinfo."""
    from zoneinfo import ZoneInfo

    try:
        zone = ZoneInfo(timezone)
    except (KeyError, ValueError):
        zone = None
    return dt.datetime.now(zone).replace(tzinfo=None, second=0, microsecond=0)


def logging_time(now: dt.datetime, pinned: dt.date | None) -> dt.datetime:
    """When a follow-up logged `now` is dated: on a pinned day (`as_of`, DEALBOOK_TODAY, --today) that
    day at now's time of day, as the records are a snapshot of that day; else `now` itself."""
    return dt.datetime.combine(pinned, now.time()) if pinned is not None else now
