"""The change-log fields of a customer file, read fast: only the top-level blocks they live in.

A whole history holds tens of thousands of customer versions; parsing each in full costs about a
millisecond. Here a file is split into its top-level `key:` blocks as text, only the blocks of
tracked fields are read, each distinct block text once (a version usually repeats most blocks
of the one before), and plain block YAML is read by a small reader for the common subset
(mappings, lists, plain or simply quoted scalars, one-line flow lists). Anything else — anchors,
tags, multi-line scalars, odd layouts, deep nesting — falls back to the one YAML loader
(`records.load`), so the result is always what `load.parse_bytes` would give for those keys, and
what the loader refuses (aliases, tags, nesting past its depth limit) makes the version unreadable.
"""

from __future__ import annotations

import re
from typing import Any

from ..records.load import MAX_DEPTH, parse_text

TOP_KEYS = frozenset({"id", "name", "stage", "owner", "support", "deal", "need", "grade", "contacts", "lost",
                      "paused_until"})
_KEY = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*)[ \t]*:(?:[ \t]+|$)")
_INT = re.compile(r"^[-+]?[0-9]+$")
_FLOAT = re.compile(r"^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?$")
_NULL = {"", "~", "null", "Null", "NULL"}
_BOOL = {"true": True, "True": True, "TRUE": True, "false": False, "False": False, "FALSE": False}
_REFUSE_START = tuple("'\"[]{}&*!|>%@`,?:-#")


class _Unsupported(Exception):
    """Text the small reader leaves to the loader."""


class _Unreadable(Exception):
    """A block the loader refuses: the whole version is unreadable."""


def _scalar(text: str) -> Any:
    text = text.strip()
    if " #" in text:
        text = text.split(" #", 1)[0].rstrip()
    if text in _NULL:
        return None
    if text in _BOOL:
        return _BOOL[text]
    if text[0] == "'" and text.endswith("'") and len(text) > 1 and "'" not in text[1:-1]:
        return text[1:-1]
    if text[0] == "[" and text.endswith("]") and not any(c in text[1:-1] for c in "[]{}'\"#"):
        inner = text[1:-1].strip()
        return [_scalar(part) for part in inner.split(",")] if inner else []
    if text.startswith(_REFUSE_START) or ": " in text or text.endswith(":") or "\t" in text:
        raise _Unsupported(text)
    if _INT.match(text):
        return int(text)
    if _FLOAT.match(text):
        return float(text)
    return text


def _lines(block: str) -> list[tuple[int, str]]:
    out = []
    for line in block.split("\n"):
        stripped = line.lstrip(" ")
        if not stripped or stripped.startswith("#"):
            continue
        out.append((len(line) - len(stripped), stripped.rstrip()))
    return out


def _node(lines: list[tuple[int, str]], i: int, indent: int) -> tuple[Any, int]:
    if lines[i][1] == "-" or lines[i][1].startswith("- "):
        return _sequence(lines, i, indent)
    return _mapping(lines, i, indent)


def _mapping(lines: list[tuple[int, str]], i: int, indent: int) -> tuple[dict[str, Any], int]:
    found: dict[str, Any] = {}
    while i < len(lines) and lines[i][0] == indent:
        match = _KEY.match(lines[i][1])
        if match is None or lines[i][1].startswith("- "):
            break
        key, rest = match.group(1), lines[i][1][match.end():]
        i += 1
        if rest.strip() and not rest.strip().startswith("#"):
            found[key] = _scalar(rest)
        elif i < len(lines) and (lines[i][0] > indent or (lines[i][0] == indent and lines[i][1].startswith("-"))):
            found[key], i = _node(lines, i, lines[i][0])
        else:
            found[key] = None
    return found, i


def _sequence(lines: list[tuple[int, str]], i: int, indent: int) -> tuple[list[Any], int]:
    items: list[Any] = []
    while i < len(lines) and lines[i][0] == indent and (lines[i][1] == "-" or lines[i][1].startswith("- ")):
        rest = lines[i][1][2:].lstrip(" ")
        inner = indent + len(lines[i][1]) - len(rest)
        if not rest:
            raise _Unsupported("nested item")
        if _KEY.match(rest):
            lines[i] = (inner, rest)  # the item's first key: a mapping at the item's column
            value, i = _mapping(lines, i, inner)
            items.append(value)
        else:
            items.append(_scalar(rest))
            i += 1
    return items, i


def read_block(block: str) -> dict[str, Any]:
    """The data of one top-level block (`key: …` and its indented lines)."""
    lines = _lines(block)
    try:
        if any(indent > 2 * MAX_DEPTH for indent, _ in lines):
            raise _Unsupported("deep")  # the loader decides (and refuses past its depth limit)
        value, end = _mapping(lines, 0, 0)
        if end != len(lines):
            raise _Unsupported("trailing lines")
        return value
    except (_Unsupported, IndexError, RecursionError):
        loaded = parse_text(block)
        if loaded.error is not None:
            raise _Unreadable(loaded.error.message) from None
        return loaded.data if isinstance(loaded.data, dict) else {}


def top_blocks(text: str) -> dict[str, str] | None:
    """Top-level key → its block text; None when the file is not a plain block mapping."""
    blocks: dict[str, list[str]] = {}
    current: list[str] | None = None
    for line in text.split("\n"):
        if not line or line[0] in " \t#-":
            if line.startswith(("---", "...")) and current is None:
                continue
            if current is not None:
                current.append(line)
            elif line.strip() and not line.startswith("#"):
                return None
            continue
        match = _KEY.match(line)
        if match is None or match.group(1) in blocks:
            return None
        current = blocks[match.group(1)] = [line]
    return {key: "\n".join(lines) for key, lines in blocks.items()}


class TrackedReader:
    """Reads the tracked top-level fields of customer files, remembering every block it has read."""

    def __init__(self) -> None:
        self.memo: dict[str, dict[str, Any]] = {}

    def read(self, raw: bytes) -> dict[str, Any] | None:
        """The tracked keys of a customer file as data (None: not a readable mapping)."""
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            return None
        blocks = top_blocks(text)
        if blocks is not None:
            found: dict[str, Any] = {}
            try:
                for key in TOP_KEYS.intersection(blocks):
                    block = blocks[key]
                    value = self.memo.get(block)
                    if value is None:
                        value = self.memo[block] = read_block(block)
                    found.update(value)
                return found
            except _Unreadable:
                pass  # e.g. a syntax error across blocks: the whole file decides
        loaded = parse_text(text)
        if loaded.error is not None or not isinstance(loaded.data, dict):
            return None
        return {k: v for k, v in loaded.data.items() if k in TOP_KEYS}
