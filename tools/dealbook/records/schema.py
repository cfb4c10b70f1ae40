"""Validate record data against the JSON Schemas, with messages that say how to fix it."""

from __future__ import annotations

import copy
import difflib
import functools
import hashlib
import json
import os
import re
import sys
import types
from collections.abc import Callable, Iterator
from typing import Any

from ..text.catalog import N_, NP_, SOURCE_LANGUAGE, Translator, languages, translator
from .cachefile import has_keys, key_file, load_marshal, save_marshal
from .settings import Settings, packaged_text

KINDS = ("customer", "followup", "team", "settings")

# Where the settings may extend an enumeration of the record format.
_SETTINGS_ENUMS = {
    "customer": {
        ("properties", "source", "properties", "channel"): "source_channels",
        ("properties", "lead_type"): "lead_types",
        ("properties", "lost", "properties", "reason"): "lost_reasons",
        ("properties", "stage_history", "items", "properties", "reason"): "lost_reasons",
    }
}

# The largest amount of money a record may hold (10^13 in the team currency): far above any deal,
# and far below what a database integer or a float can carry exactly.
MONEY_MAX = 10**13

_MONEY_WAN = re.compile(r"^\s*[¥￥]?\s*([0-9]+(?:\.[0-9]+)?)\s*万\s*(?:元)?\s*$")
_MONEY_TEXT = re.compile(r"^\s*[¥￥]?\s*([0-9][0-9,]*)(?:\.0+)?\s*(?:元)?\s*$")


@functools.cache
def schema_text(kind: str) -> str:
    """The packaged schema file for a record kind."""
    return packaged_text(f"records/schemas/{kind}.schema.json")


@functools.cache
def schema_version() -> str:
    """A digest of all schema files: part of every cache key."""
    digest = hashlib.sha256()
    for kind in KINDS:
        digest.update(schema_text(kind).encode())
    return digest.hexdigest()[:16]


def _effective(kind: str, enums: tuple[tuple[tuple[str, ...], tuple[str, ...]], ...]) -> dict[str, Any]:
    schema = json.loads(schema_text(kind))
    for where, values in enums:
        node = schema
        for part in where:
            node = node[part]
        node["enum"] = list(dict.fromkeys([*node.get("enum", []), *values]))
    if kind == "settings":  # a language with a message catalog is a language dealbook speaks
        node = schema["properties"]["language"]
        node["enum"] = list(dict.fromkeys([*node.get("enum", []), *languages()]))
    return schema


def settings_enums(kind: str, settings: Settings) -> tuple[tuple[tuple[str, ...], tuple[str, ...]], ...]:
    """The enum extensions the team's settings make to `kind`'s schema (hashable)."""
    return tuple(
        (where, settings.keys_of(group)) for where, group in _SETTINGS_ENUMS.get(kind, {}).items()
    )


class Validator:
    """A fast validator for the happy path and jsonschema for the messages."""

    def __init__(self, kind: str, enums: tuple = ()) -> None:
        # imported here: the read-only commands never validate
        import fastjsonschema

        self._invalid = fastjsonschema.JsonSchemaException
        self.kind = kind
        self.schema = _effective(kind, enums)
        self._fast = _compiled(self.schema)

    @functools.cached_property
    def _full(self) -> Any:
        """jsonschema's validator, which explains a failure: built (and imported, a fifth of a one-file
        check's start) only when a record fails the fast one."""
        import jsonschema

        return jsonschema.Draft7Validator(self.schema)

    def errors(self, data: Any, language: str = SOURCE_LANGUAGE) -> Iterator[tuple[tuple, str, str]]:
        """(where, code, message) for every schema problem, the message in `language` (the team's
        `settings.language`); nothing when valid."""
        try:
            self._fast(data)
            return
        except self._invalid:
            pass
        _ = translator(language)
        for error in sorted(self._full.iter_errors(data), key=lambda e: list(map(str, e.absolute_path))):
            yield from _explain(error, _)


_FIRST_FUNCTION = re.compile(r"^def (\w+)\(", re.M)


def _compiled(schema: dict[str, Any]) -> Callable[[Any], Any]:
    """fastjsonschema's validation function for `schema`, as `fastjsonschema.compile` makes it.

    Generating and compiling that code is most of a one-file check's own work (a tenth of a second
    for the customer schema), so the compiled code is kept, signed (`cachefile`), in the user's
    cache folder, keyed by a digest of the schema, fastjsonschema's version and Python's."""
    import fastjsonschema

    text = json.dumps(schema, sort_keys=True, ensure_ascii=False)
    digest = hashlib.sha256(f"{fastjsonschema.VERSION}|{sys.version}|{text}".encode()).hexdigest()[:32]
    filename = os.path.join(os.path.dirname(key_file()), "validators", f"{digest}.marshal")
    stored = load_marshal(filename, lambda v: has_keys(v, name=str, code=types.CodeType))
    if stored is None:
        source = fastjsonschema.compile_to_code(copy.deepcopy(schema))
        first = _FIRST_FUNCTION.search(source)
        if first is None:  # pragma: no cover - another fastjsonschema's layout: no cache
            return fastjsonschema.compile(copy.deepcopy(schema))
        stored = {"name": first.group(1), "code": compile(source, f"<validator {digest}>", "exec")}
        save_marshal(filename, stored)
    namespace: dict[str, Any] = {}
    exec(stored["code"], namespace)  # code this user's dealbook generated and signed
    return namespace[stored["name"]]


@functools.cache
def validator(kind: str, enums: tuple = ()) -> Validator:
    """A compiled validator, cached per process."""
    return Validator(kind, enums)


def _property_schema(schema: dict[str, Any], key: str) -> dict[str, Any]:
    return (schema.get("properties") or {}).get(key) or {}


def _short(description: str | None) -> str:
    return (description or "").split("\n")[0].strip()


# What a value should be (the schema's type) and what it is (Python's type), as a message says them.
_WANTED = {"string": N_("text"), "integer": N_("a whole number"), "number": N_("a number"),
           "boolean": N_("true or false"), "array": N_("a list (`- item` lines)"),
           "object": N_("a mapping (`key: value` lines)"), "null": N_("empty")}
_FOUND = {"str": NP_("value type", "str"), "int": NP_("value type", "int"), "float": NP_("value type", "float"),
          "bool": NP_("value type", "bool"), "list": NP_("value type", "list"), "dict": NP_("value type", "dict")}


def _explain(error: Any, _: Translator) -> Iterator[tuple[tuple, str, str]]:
    """(where, code, message) of a jsonschema.ValidationError, the message in `_`'s language.
    jsonschema's own sentence (a code other than these) stays as the library writes it."""
    where = tuple(error.absolute_path)
    kind = error.validator
    schema = error.schema if isinstance(error.schema, dict) else {}
    instance = error.instance
    if kind == "additionalProperties" and isinstance(instance, dict):
        known = list(schema.get("properties") or {})
        keys = _.pgettext("enumeration", ", ").join(known)
        for key in instance:
            if key in known:
                continue
            close = difflib.get_close_matches(str(key), known, n=1, cutoff=0.6)
            yield (
                (*where, key),
                "unknown-key",
                _("unknown key `%(key)s`: did you mean `%(close)s`? keys here are %(keys)s; "
                  "put team-specific data under `custom:`", key=key, close=close[0], keys=keys) if close else
                _("unknown key `%(key)s`: keys here are %(keys)s; put team-specific data under `custom:`",
                  key=key, keys=keys),
            )
        return
    if kind == "required":
        missing = re.findall(r"'([^']+)' is a required property", error.message)
        for key in missing or [str(error.validator_value)]:
            what = _short(_property_schema(schema, key).get("description"))
            yield (where, "missing-key", _("missing `%(key)s` (%(what)s): add it", key=key, what=what) if what
                   else _("missing `%(key)s`: add it", key=key))
        return
    if kind == "enum":
        options = " | ".join(map(str, error.validator_value))
        yield (where, "bad-value", _("`%(value)s` is not allowed here; use one of: %(options)s",
                                     value=instance, options=options))
        return
    if kind == "type":
        expected = error.validator_value
        expected_list = expected if isinstance(expected, list) else [expected]
        if "integer" in expected_list and isinstance(instance, str):
            wan = _MONEY_WAN.match(instance)
            plain = _MONEY_TEXT.match(instance)
            if wan:
                value = round(float(wan.group(1)) * 10000)
                yield (where, "money", _("money is a plain integer: write %(value)s instead of `%(text)s`",
                                         value=value, text=instance))
                return
            if plain:
                digits = plain.group(1).replace(",", "")
                yield (where, "money", _("write the number without separators or currency: %(digits)s",
                                         digits=digits))
                return
        if "integer" in expected_list and isinstance(instance, float):
            code = "money" if "amount" in map(str, where) else "bad-type"
            yield (where, code, _("write a whole number, not %(value)s", value=instance))
            return
        wanted = _.pgettext("alternatives", " or ").join(_(_WANTED[t]) if t in _WANTED else t for t in expected_list)
        got = type(instance).__name__ if instance is not None else "null"
        found = (_(_WANTED["null"]) if instance is None else
                 _.pgettext("value type", _FOUND[got]) if got in _FOUND else got)
        if "string" in expected_list and isinstance(instance, (bool, int, float)):
            quoted = str(instance).lower() if isinstance(instance, bool) else instance
            yield (where, "bad-type", _("expected %(wanted)s, found %(found)s; quote it: '%(quoted)s'",
                                        wanted=wanted, found=found, quoted=quoted))
            return
        yield (where, "bad-type", _("expected %(wanted)s, found %(found)s", wanted=wanted, found=found))
        return
    if kind == "pattern":
        pattern = error.validator_value
        if "[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}" in pattern:
            yield (where, "bad-time", _("`%(value)s` is not a time: write YYYY-MM-DD HH:MM, e.g. 2024-05-10 14:00",
                                        value=instance))
        elif "[0-9]{4}-[0-9]{2}-[0-9]{2}" in pattern:
            yield (where, "bad-date", _("`%(value)s` is not a date: write YYYY-MM-DD, e.g. 2024-05-10",
                                        value=instance))
        else:
            what = _short(schema.get("description"))
            yield (where, "bad-format",
                   _("`%(value)s` does not have the expected form (%(what)s)", value=instance, what=what) if what
                   else _("`%(value)s` does not have the expected form", value=instance))
        return
    if kind in ("minItems", "minLength"):
        yield (where, "empty", _("this must not be empty"))
        return
    if kind == "maximum" and error.validator_value == MONEY_MAX and isinstance(instance, (int, float)):
        amount, most = f"{instance:,}", f"{MONEY_MAX:,}"
        yield (where, "money-too-large",
               _("%(amount)s is more than any deal: money is at most %(most)s (10^13) in the team currency; "
                 "check for extra digits", amount=amount, most=most))
        return
    if kind in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"):
        yield (where, "out-of-range", error.message)
        return
    if kind in ("anyOf", "oneOf"):
        from jsonschema.exceptions import best_match

        best = best_match(error.context) if error.context else None
        if best is not None:
            yield from _explain(best, _)
            return
    yield (where, "schema", error.message)
