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

from ..text.catalog import languages
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

    def errors(self, data: Any) -> Iterator[tuple[tuple, str, str]]:
        """(where, code, message) for every schema problem; nothing when valid."""
        try:
            self._fast(data)
            return
        except self._invalid:
            pass
        for error in sorted(self._full.iter_errors(data), key=lambda e: list(map(str, e.absolute_path))):
            yield from _explain(error)


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


def _explain(error: Any) -> Iterator[tuple[tuple, str, str]]:
    """(where, code, message) of a jsonschema.ValidationError."""
    where = tuple(error.absolute_path)
    kind = error.validator
    schema = error.schema if isinstance(error.schema, dict) else {}
    instance = error.instance
    if kind == "additionalProperties" and isinstance(instance, dict):
        known = list(schema.get("properties") or {})
        for key in instance:
            if key in known:
                continue
            close = difflib.get_close_matches(str(key), known, n=1, cutoff=0.6)
            hint = f"did you mean `{close[0]}`? " if close else ""
            yield (
                (*where, key),
                "unknown-key",
                f"unknown key `{key}`: {hint}keys here are {', '.join(known)}; "
                "put team-specific data under `custom:`",
            )
        return
    if kind == "required":
        missing = re.findall(r"'([^']+)' is a required property", error.message)
        for key in missing or [str(error.validator_value)]:
            what = _short(_property_schema(schema, key).get("description"))
            yield (where, "missing-key", f"missing `{key}` ({what}): add it" if what else f"missing `{key}`: add it")
        return
    if kind == "enum":
        options = " | ".join(map(str, error.validator_value))
        yield (where, "bad-value", f"`{instance}` is not allowed here; use one of: {options}")
        return
    if kind == "type":
        expected = error.validator_value
        expected_list = expected if isinstance(expected, list) else [expected]
        if "integer" in expected_list and isinstance(instance, str):
            wan = _MONEY_WAN.match(instance)
            plain = _MONEY_TEXT.match(instance)
            if wan:
                value = round(float(wan.group(1)) * 10000)
                yield (where, "money", f"money is a plain integer: write {value} instead of `{instance}`")
                return
            if plain:
                digits = plain.group(1).replace(",", "")
                yield (where, "money", f"write the number without separators or currency: {digits}")
                return
        if "integer" in expected_list and isinstance(instance, float):
            code = "money" if "amount" in map(str, where) else "bad-type"
            yield (where, code, f"write a whole number, not {instance}")
            return
        names = {"string": "text", "integer": "a whole number", "number": "a number", "boolean": "true or false",
                 "array": "a list (`- item` lines)", "object": "a mapping (`key: value` lines)", "null": "empty"}
        wanted = " or ".join(names.get(t, t) for t in expected_list)
        got = type(instance).__name__ if instance is not None else "empty"
        hint = ""
        if "string" in expected_list and isinstance(instance, (bool, int, float)):
            hint = f"; quote it: '{str(instance).lower() if isinstance(instance, bool) else instance}'"
        yield (where, "bad-type", f"expected {wanted}, found {got}{hint}")
        return
    if kind == "pattern":
        pattern = error.validator_value
        if "[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}" in pattern:
            yield (where, "bad-time", f"`{instance}` is not a time: write YYYY-MM-DD HH:MM, e.g. 2024-05-10 14:00")
        elif "[0-9]{4}-[0-9]{2}-[0-9]{2}" in pattern:
            yield (where, "bad-date", f"`{instance}` is not a date: write YYYY-MM-DD, e.g. 2024-05-10")
        else:
            what = _short(schema.get("description"))
            shown = f" ({what})" if what else ""
            yield (where, "bad-format", f"`{instance}` does not have the expected form{shown}")
        return
    if kind in ("minItems", "minLength"):
        yield (where, "empty", "this must not be empty")
        return
    if kind == "maximum" and error.validator_value == MONEY_MAX and isinstance(instance, (int, float)):
        yield (where, "money-too-large",
               f"{instance:,} is more than any deal: money is at most {MONEY_MAX:,} (10^13) in the team "
               "currency; check for extra digits")
        return
    if kind in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"):
        yield (where, "out-of-range", error.message)
        return
    if kind in ("anyOf", "oneOf"):
        from jsonschema.exceptions import best_match

        best = best_match(error.context) if error.context else None
        if best is not None:
            yield from _explain(best)
            return
    yield (where, "schema", error.message)
