"""Write record data as hand-style YAML text: block mappings, short flow lists, comments."""

from __future__ import annotations

import re
from typing import Any

# A key whose name starts with "#" is written as a comment line; a Commented value gets a
# trailing "# ..." on its line.


class Commented:
    """A scalar (or flow list) with an end-of-line comment."""

    __slots__ = ("comment", "value")

    def __init__(self, value: Any, comment: str) -> None:
        self.value = value
        self.comment = comment


_SPECIAL_WORDS = re.compile(r"(?i)^(true|false|yes|no|on|off|y|n|null|~|\.inf|-\.inf|\.nan)$")
_NUMBER_LIKE = re.compile(r"^[-+]?(\.?[0-9][0-9_]*(\.[0-9_]*)?([eE][-+]?[0-9]+)?|0x[0-9a-fA-F_]+|0o[0-7_]+|"
                          r"[0-9][0-9_]*(:[0-5]?[0-9])+(\.[0-9_]*)?)$")
_BAD_START = set("-?:,[]{}#&*!|>'\"%@` ")


def plain_ok(text: str) -> bool:
    """Whether a string can be written unquoted and still read back as the same string."""
    if not text or text != text.strip() or text[0] in _BAD_START:
        return False
    if ": " in text or " #" in text or text.endswith(":") or "\n" in text or "\t" in text:
        return False
    return not (_SPECIAL_WORDS.match(text) or _NUMBER_LIKE.match(text))


def scalar(value: Any) -> str:
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, (int, float)):
        return repr(value)
    text = str(value)
    if plain_ok(text):
        return text
    if "\n" in text:
        return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'
    return "'" + text.replace("'", "''") + "'"


def _flow_ok(items: list[Any]) -> bool:
    if not all(isinstance(i, (str, int, float)) and not isinstance(i, bool) for i in items):
        return False
    parts = [scalar(i) for i in items]
    return all(not any(c in p for c in ",[]{}") for p in parts) and sum(len(p) + 2 for p in parts) <= 72


def _flow(items: list[Any]) -> str:
    return "[" + ", ".join(scalar(i) for i in items) + "]"


def _with_comment(line: str, comment: str | None, column: int = 0) -> str:
    if not comment:
        return line
    width = sum(2 if ord(c) > 0x2E7F else 1 for c in line)
    pad = max(2, column - width) if column else 2
    return f"{line}{' ' * pad}# {comment}"


def _lines(value: Any, indent: int, out: list[str], column: int) -> None:
    pad = " " * indent
    if isinstance(value, dict):
        for key, item in value.items():
            if key.startswith("#"):
                out.append(f"{pad}# {item}" if item else "")
                continue
            comment = None
            if isinstance(item, Commented):
                item, comment = item.value, item.comment
            if isinstance(item, dict):
                out.append(_with_comment(f"{pad}{key}:", comment, column))
                _lines(item, indent + 2, out, column)
            elif isinstance(item, list):
                if not item:
                    out.append(_with_comment(f"{pad}{key}: []", comment, column))
                elif _flow_ok(item):
                    out.append(_with_comment(f"{pad}{key}: {_flow(item)}", comment, column))
                else:
                    out.append(_with_comment(f"{pad}{key}:", comment, column))
                    _lines(item, indent + 2, out, column)
            else:
                out.append(_with_comment(f"{pad}{key}: {scalar(item)}", comment, column))
    elif isinstance(value, list):
        for item in value:
            comment = None
            if isinstance(item, Commented):
                item, comment = item.value, item.comment
            if isinstance(item, dict):
                inner: list[str] = []
                _lines(item, indent + 2, inner, column)
                first = inner[0][indent + 2:] if inner else "{}"
                out.append(_with_comment(f"{pad}- {first}", comment, column))
                out.extend(inner[1:])
            else:
                out.append(_with_comment(f"{pad}- {scalar(item)}", comment, column))
    else:
        out.append(pad + scalar(value))


def dump(data: dict[str, Any], header: list[str] | tuple[str, ...] = (), column: int = 0) -> str:
    """YAML text for a record; `header` lines are written first as `# ...` comments."""
    out = [f"# {h}" if h else "" for h in header]
    if header:
        out.append("")
    _lines(data, 0, out, column)
    return "\n".join(out) + "\n"
