"""Edit a YAML record in place, changing only the edited lines; render new record files.

Edits are spliced into the text at the positions the YAML parser reports, so comments,
key order, quoting, blank lines, the modeline and any odd-but-valid indentation stay
byte for byte. New lines follow the file's own layout (where its `- ` items sit under
their key, how far mappings indent). Every edit is verified by parsing the result and
comparing it with the intended data; an edit the splicer cannot place falls back to a
ruamel.yaml round trip (comments kept, indentation normalised) and is verified the same way.
"""

from __future__ import annotations

import copy
import functools
import io
import json
import re
from collections import Counter
from dataclasses import dataclass
from importlib import resources
from typing import Any

import yaml
from yaml.composer import Composer
from yaml.parser import Parser
from yaml.reader import Reader
from yaml.resolver import BaseResolver
from yaml.scanner import Scanner

from ..records.load import parse_text
from ..records.schema import schema_text
from ..records.writing import atomic_write
from ..text.catalog import N_, SaidError, said

MODELINE = "# yaml-language-server: $schema="
SCHEMA_PATHS = {
    "customer": "../../schemas/customer.schema.json",
    "followup": "../../../schemas/followup.schema.json",
    "team": "../schemas/team.schema.json",
}


class EditError(SaidError):
    """An edit that cannot be made (a path through a scalar, an index out of range, …). `str()` is
    the English; one made from a `Said` says it in the team's language with `text(_)`."""


# --- reading the node tree with exact positions --------------------------------------------


_CLoader = getattr(yaml, "CBaseLoader", None)


class _NodeLoader(Reader, Scanner, Parser, Composer, BaseResolver):
    """PyYAML's pure-Python composer: nodes with character offsets; every scalar stays a string."""

    def __init__(self, text: str) -> None:
        Reader.__init__(self, text)
        Scanner.__init__(self)
        Parser.__init__(self)
        Composer.__init__(self)
        BaseResolver.__init__(self)


def _compose(text: str) -> yaml.Node | None:
    """The node tree with character offsets: libyaml's (15x faster, same marks), else pure Python."""
    if _CLoader is not None and not text.startswith("\ufeff"):
        return yaml.compose(text, Loader=_CLoader)
    loader = _NodeLoader(text)
    try:
        return loader.get_single_node()
    finally:
        loader.dispose()


def _parse_data(text: str) -> Any:
    loaded = parse_text(text)
    if loaded.error is not None:
        e = loaded.error
        raise EditError(said(N_("line %(line)s: %(error)s"), line=e.line, error=e.said or e.message))
    return loaded.data


def split_path(dotted: str | list | tuple) -> list[str | int]:
    """`contacts.0.name` → ['contacts', 0, 'name'] (items counted from 0: `contacts.-1` is a key, not
    the last item, so a typed path never lands on another item than the one it names); `\\.` is a dot
    inside a key (`custom.v1\\.2` → ['custom', 'v1.2']); a list or tuple passes through."""
    if isinstance(dotted, (list, tuple)):
        return list(dotted)
    parts: list[str | int] = []
    for part in re.split(r"(?<!\\)\.", str(dotted)):
        if not part:
            raise EditError(said(N_("`%(path)s` is not a key path: write keys separated by dots, e.g. "
                                    "need.budget.status"), path=dotted))
        parts.append(int(part) if re.fullmatch(r"[0-9]+", part) else part.replace("\\.", "."))
    return parts


# --- rendering values -------------------------------------------------------------------------

_PLAIN_UNSAFE_START = set("-?:,[]{}#&*!|>'\"%@`")
_RESERVED = re.compile(
    r"^(?:~|null|Null|NULL|true|True|TRUE|false|False|FALSE|yes|Yes|YES|no|No|NO|on|On|ON|off|Off|OFF|y|Y|n|N"
    r"|[-+]?[0-9][0-9_]*|0o[0-7]+|0x[0-9a-fA-F]+"
    r"|[-+]?(?:\.[0-9]+|[0-9][0-9_]*(?:\.[0-9_]*)?)(?:[eE][-+]?[0-9]+)?|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN)"
    r"|[0-9]+(?::[0-5]?[0-9])+(?:\.[0-9_]*)?"
    r"|=|<<)$"  # YAML 1.1's value and merge keys: a plain `=` or `<<` fails other readers (PyYAML's safe_load)
)


def _plain_ok(text: str, flow: bool) -> bool:
    if not text or text != text.strip() or _RESERVED.match(text):
        return False
    if text[0] in _PLAIN_UNSAFE_START and not (text[0] in "-?:" and len(text) > 1 and text[1] not in " \t"):
        return False
    if ": " in text or " #" in text or text.endswith(":") or "\t" in text:
        return False
    if flow and any(ch in text for ch in ",[]{}"):
        return False
    return all(ch.isprintable() for ch in text)


_ESCAPES = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\t": "\\t", "\r": "\\r"}


def _double_quoted(text: str) -> str:
    out = []
    for ch in text:
        if ch in _ESCAPES:
            out.append(_ESCAPES[ch])
        elif ch.isprintable() and ch not in "\u2028\u2029\ufeff":
            out.append(ch)
        elif ord(ch) <= 0xFF:
            out.append(f"\\x{ord(ch):02x}")
        elif ord(ch) <= 0xFFFF:
            out.append(f"\\u{ord(ch):04x}")
        else:
            out.append(f"\\U{ord(ch):08x}")
    return '"' + "".join(out) + '"'


def render_scalar(value: Any, flow: bool = False) -> str:
    """One scalar as YAML text: plain where it reads back the same, quoted otherwise."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if value != value:
            return ".nan"
        if value in (float("inf"), float("-inf")):
            return ".inf" if value > 0 else "-.inf"
        return repr(value)
    text = str(value)
    if _plain_ok(text, flow):
        return text
    if "\n" in text or not all(ch.isprintable() for ch in text):
        return _double_quoted(text)
    return "'" + text.replace("'", "''") + "'"


_YAML11_WORDS = re.compile(r"^(?:yes|Yes|YES|no|No|NO|on|On|ON|off|Off|OFF|y|Y|n|N)$")


def _render_key(key: Any) -> str:
    # Record keys such as `on` (stage_history) are strings in YAML 1.2: write them plain.
    if isinstance(key, str) and _YAML11_WORDS.match(key):
        return key
    return render_scalar(key)


@dataclass(frozen=True)
class Layout:
    """How a file indents: mapping step, where `- ` sits under its key, spaces inside `{ }`."""

    mapping: int = 2
    sequence_offset: int = 2  # 0: `- ` flush under the key; 2: indented by two
    flow_padding: bool = False


def render_flow(value: Any, layout: Layout = Layout()) -> str:
    """A value in flow style on one line: `{stage: won, on: 2024-05-20}`."""
    pad = " " if layout.flow_padding else ""
    if isinstance(value, dict):
        if not value:
            return "{}"
        inner = ", ".join(f"{_render_key(k)}: {render_flow(v, layout)}" for k, v in value.items())
        return "{" + pad + inner + pad + "}"
    if isinstance(value, list):
        if not value:
            return "[]"
        return "[" + pad + ", ".join(render_flow(v, layout) for v in value) + pad + "]"
    return render_scalar(value, flow=True)


def _literal_block(text: str, indent: int) -> list[str] | None:
    """A multi-line string as `|` lines at `indent`, or None when a literal block cannot hold it."""
    if "\n" not in text or not all(ch.isprintable() or ch == "\n" for ch in text):
        return None
    body = text[:-1] if text.endswith("\n") else text
    if body.endswith("\n") or any(line != line.rstrip() for line in body.split("\n")) or body.startswith(" "):
        return None
    head = "|" if text.endswith("\n") else "|-"
    return [head] + [(" " * indent + line) if line else "" for line in body.split("\n")]


def render_block(value: Any, indent: int, layout: Layout = Layout()) -> list[str]:
    """A mapping or list as block lines whose keys (or dashes) start at column `indent`."""
    lines: list[str] = []
    if isinstance(value, dict):
        for key, item in value.items():
            lines.extend(_render_entry(f"{_render_key(key)}:", item, indent, layout))
    elif isinstance(value, list):
        for item in value:
            lines.extend(_render_item(item, indent, layout))
    else:
        raise EditError("render_block needs a mapping or a list")
    return lines


def _render_entry(head: str, value: Any, indent: int, layout: Layout) -> list[str]:
    prefix = " " * indent + head
    if isinstance(value, dict) and value:
        return [prefix, *render_block(value, indent + layout.mapping, layout)]
    if isinstance(value, list) and value:
        return [prefix, *render_block(value, indent + layout.sequence_offset, layout)]
    if isinstance(value, str):
        block = _literal_block(value, indent + layout.mapping)
        if block:
            return [f"{prefix} {block[0]}", *block[1:]]
    return [f"{prefix} {render_flow(value, layout)}"]


def _render_item(item: Any, indent: int, layout: Layout, content_column: int | None = None) -> list[str]:
    inner = content_column if content_column is not None else indent + 2
    dash = " " * indent + "-" + " " * (inner - indent - 1)
    if isinstance(item, dict) and item:
        rendered = render_block(item, inner, layout)
        return [dash + rendered[0][inner:], *rendered[1:]]
    if isinstance(item, list) and item:
        rendered = render_block(item, inner, layout)
        return [dash + rendered[0][inner:], *rendered[1:]]
    if isinstance(item, str):
        block = _literal_block(item, inner)
        if block:
            return [dash + block[0], *block[1:]]
    return [dash + render_flow(item, layout)]


# --- new files --------------------------------------------------------------------------------


@functools.cache
def _schema_order(kind: str) -> dict[str, Any]:
    """The schema of a `kind` record, read once (only read: `_ordered` never changes it)."""
    return json.loads(schema_text(kind))


def _ordered(value: Any, schema: dict[str, Any]) -> Any:
    """`value` with mapping keys in the schema's order (unknown keys after, as given)."""
    if isinstance(value, dict):
        props = schema.get("properties") or {}
        keys = [k for k in props if k in value] + [k for k in value if k not in props]
        return {k: _ordered(value[k], props.get(k) or {}) for k in keys}
    if isinstance(value, list):
        items = schema.get("items") if isinstance(schema.get("items"), dict) else {}
        return [_ordered(v, items) for v in value]
    return value


@functools.cache
def _record_template(kind: str) -> Any:
    """The compiled template of a new `kind` record (compiled once: the site drafts one per customer)."""
    from jinja2 import Environment, StrictUndefined

    source = resources.files("dealbook").joinpath(f"editing/templates/records/{kind}.yaml.j2").read_text("utf-8")
    return Environment(undefined=StrictUndefined, keep_trailing_newline=True,
                       autoescape=False).from_string(source)  # YAML text, not HTML


def render_new(kind: str, data: dict[str, Any], layout: Layout = Layout()) -> str:
    """The text of a new record file: the schema modeline, then `data` in block style, keys in schema order."""
    ordered = _ordered(data, _schema_order(kind))
    body = "\n".join(render_block(ordered, 0, layout)) + "\n"
    text = _record_template(kind).render(schema=SCHEMA_PATHS[kind], body=body, data=ordered)
    parsed = _parse_data(text)
    if parsed != data:
        raise EditError("internal: the rendered record does not read back as the data given")
    return text


# --- the document -----------------------------------------------------------------------------


def detect_layout(text: str) -> Layout:
    """The file's own indentation: the most common mapping step and sequence offset, `{ }` padding."""
    try:
        root = _compose(text)
    except yaml.YAMLError:
        return Layout()
    steps: Counter[int] = Counter()
    offsets: Counter[int] = Counter()
    padding: Counter[bool] = Counter()

    def walk(node: yaml.Node, key_column: int | None) -> None:
        if isinstance(node, yaml.MappingNode):
            if node.flow_style:
                padding[text[node.start_mark.index + 1:node.start_mark.index + 2] == " "] += 1
                return
            column = node.value[0][0].start_mark.column if node.value else None
            if key_column is not None and column is not None and column > key_column:
                steps[column - key_column] += 1
            for key, value in node.value:
                walk(value, key.start_mark.column)
        elif isinstance(node, yaml.SequenceNode):
            if node.flow_style:
                padding[text[node.start_mark.index + 1:node.start_mark.index + 2] == " "] += 1
                return
            if key_column is not None and node.start_mark.line > 0:
                offsets[node.start_mark.column - key_column] += 1
            for item in node.value:
                walk(item, None)

    if root is not None:
        walk(root, None)
    return Layout(
        mapping=steps.most_common(1)[0][0] if steps else 2,
        sequence_offset=offsets.most_common(1)[0][0] if offsets else 2,
        flow_padding=padding.most_common(1)[0][0] if padding else False,
    )


def _content_end(text: str, node: yaml.Node) -> int:
    """Offset just past the node's last character that is not whitespace."""
    end = node.end_mark.index
    if isinstance(node, yaml.MappingNode) and not node.flow_style and node.value:
        end = _content_end(text, node.value[-1][1])
        end = max(end, node.value[-1][0].end_mark.index)
    elif isinstance(node, yaml.SequenceNode) and not node.flow_style and node.value:
        end = _content_end(text, node.value[-1])
    while end > node.start_mark.index and text[end - 1] in " \t\r\n":
        end -= 1
    return end


def _line_end(text: str, offset: int) -> int:
    """Offset just past the newline ending the line that holds `offset` (len(text) at the end)."""
    found = text.find("\n", offset)
    return len(text) if found < 0 else found + 1


FLOW_WIDTH = 100  # the longest line a collection written in flow style is kept on when it is replaced


def _stays_flow(old: yaml.Node, value: Any, head: str, layout: Layout) -> bool:
    """Whether a collection the team wrote in flow style (`tags: [a]`), replaced by one of the same
    kind whose items are single-line values, is written in flow style again: when the line
    (`head`, the key up to its colon, and the value) stays within FLOW_WIDTH."""
    same = (isinstance(old, yaml.SequenceNode) and isinstance(value, list)) or (
        isinstance(old, yaml.MappingNode) and isinstance(value, dict))
    if not same or not old.flow_style or old.start_mark.line != old.end_mark.line:
        return False
    items = value.values() if isinstance(value, dict) else value
    if any(isinstance(item, (dict, list)) or (isinstance(item, str) and "\n" in item) for item in items):
        return False
    return len(head) + 1 + len(render_flow(value, layout)) <= FLOW_WIDTH


def _line_start(text: str, offset: int) -> int:
    return text.rfind("\n", 0, offset) + 1


def _comment_block_above(text: str, start: int, column: int) -> int:
    """Where the comment lines directly above the line at `start` begin (`start` when there are none):
    a list item's own comments, which go with it. The block ends at a blank line or any other line;
    a comment indented further than the item's dash (`column`) belongs to the item before it."""
    while start > 0:
        above = _line_start(text, start - 1)
        line = text[above:start - 1]
        if not line.lstrip(" ").startswith("#") or len(line) - len(line.lstrip(" ")) > column:
            break
        start = above
    return start


def _past_its_comments(text: str, end: int, column: int) -> int:
    """Where the comments that speak of a value ending at `end` end: one after it on its last line,
    then the comment lines right below it indented deeper than `column` (its key's, or its item's
    dash). A value replaced or removed as a whole takes them along; `end` when there are none.
    The offset is that of the newline ending the last of them (or the end of the text)."""
    line_end = text.find("\n", end)
    line_end = len(text) if line_end < 0 else line_end
    rest = text[end:line_end].strip()
    if rest and not rest.startswith("#"):
        return end
    if rest:
        end = line_end
    while line_end < len(text):
        following = text.find("\n", line_end + 1)
        following = len(text) if following < 0 else following
        line = text[line_end + 1:following]
        if not line.lstrip(" ").startswith("#") or len(line) - len(line.lstrip(" ")) <= column:
            break
        end = line_end = following
    return end


def _dash_column(text: str, item: yaml.Node) -> int:
    """The column of the `- ` that holds a list item."""
    dash = text.rfind("-", 0, item.start_mark.index)
    return dash - _line_start(text, dash)


def _is_empty_scalar(text: str, node: yaml.Node) -> bool:
    return isinstance(node, yaml.ScalarNode) and not node.style and (
        node.value in ("", "~", "null", "Null", "NULL")
    )


def _apply(data: Any, parts: list, op: str, value: Any) -> Any:
    """The plain-data result of an edit (what the spliced text must read back as)."""
    result = copy.deepcopy(data) if data is not None else {}
    target = result
    for index, part in enumerate(parts[:-1]):
        following = parts[index + 1]
        if isinstance(target, dict):
            if target.get(part) is None:
                target[part] = [] if isinstance(following, int) else {}
            target = target[part]
        elif isinstance(target, list) and isinstance(part, int):
            try:
                target = target[part]
            except IndexError:
                raise EditError(said(N_("%(path)s: there is no item %(index)s"),
                                     path=".".join(map(str, parts[:index + 1])), index=part)) from None
        else:
            raise EditError(said(N_("%(path)s is not a mapping or list: cannot set inside it"),
                                 path=".".join(map(str, parts[:index]))))
    last = parts[-1]
    if op == "set":
        if isinstance(target, dict):
            target[last] = value
        elif isinstance(target, list) and isinstance(last, int):
            try:
                target[last] = value
            except IndexError:
                where = ".".join(map(str, parts[:-1]))
                raise EditError(said(N_("%(path)s: there is no such item (%(list)s has %(count)s; "
                                        "`%(list)s.%(count)s=…` adds the next one)"),
                                     path=".".join(map(str, parts)), list=where, count=len(target))) from None
        else:
            raise EditError(said(N_("%(path)s is not a mapping: cannot set `%(key)s` in it"),
                                 path=".".join(map(str, parts[:-1])), key=last))
    else:
        holder = target.get(last) if isinstance(target, dict) else None
        if isinstance(target, list) and isinstance(last, int):
            holder = target[last]
        if holder is None:
            holder = []
            if isinstance(target, dict):
                target[last] = holder
            else:
                target[last] = holder
        if not isinstance(holder, list):
            raise EditError(said(N_("%(path)s is not a list: cannot append to it"), path=".".join(map(str, parts))))
        holder.append(value)
    return result


def _adds_item(data: Any, parts: list) -> bool:
    """Whether setting at `parts` adds an item: its last part is the index one past the end of a list."""
    if len(parts) < 2 or not isinstance(parts[-1], int):
        return False
    holder = data
    for part in parts[:-1]:
        in_list = isinstance(holder, list) and isinstance(part, int) and -len(holder) <= part < len(holder)
        if not ((isinstance(holder, dict) and part in holder) or in_list):
            return False
        holder = holder[part]
    return isinstance(holder, list) and parts[-1] == len(holder)


def set_result(data: Any, parts: list, value: Any) -> Any:
    """The plain data `Document.set(parts, value)` makes of `data` (a copy; `data` is left as it is):
    an index one past the end of a list adds the item. Raises EditError as the edit would."""
    if not parts:
        return value
    if _adds_item(data, parts):
        return _apply(data, parts[:-1], "append", value)
    return _apply(data, parts, "set", value)


class Document:
    """A YAML file's text and the edits made to it; `save()` writes it atomically."""

    def __init__(self, text: str, path: str | None = None) -> None:
        self.path = path
        self.source = text  # exactly as read: what a write checks the file still holds
        # Work on LF text; a CRLF file is written back with CRLF.
        self.newline = "\r\n" if "\r\n" in text else "\n"
        text = text.replace("\r\n", "\n") if self.newline == "\r\n" else text
        self.original = text
        self.text = text
        self.layout = detect_layout(text)
        self.data = _parse_data(text)
        self.fallbacks = 0  # how many edits needed the ruamel round trip

    # --- public API ---
    def get(self, dotted: str | list, default: Any = None) -> Any:
        value = self.data
        for part in split_path(dotted):
            in_list = isinstance(value, list) and isinstance(part, int) and -len(value) <= part < len(value)
            if (isinstance(value, dict) and part in value) or in_list:
                value = value[part]
            else:
                return default
        return value

    def set(self, dotted: str | list, value: Any) -> Document:
        """Set the value at a dotted path, creating missing mappings on the way. An index one past
        the end of a list adds the item (`contracts.1=…` on a customer with one contract)."""
        parts = split_path(dotted)
        if _adds_item(self.data, parts):
            return self.append(parts[:-1], value)
        expected = _apply(self.data, parts, "set", value)
        self._edit(parts, "set", value, expected)
        return self

    def append(self, dotted: str | list, item: Any) -> Document:
        """Append `item` to the list at a dotted path (the list is created when missing)."""
        parts = split_path(dotted)
        expected = _apply(self.data, parts, "append", item)
        self._edit(parts, "append", item, expected)
        return self

    def delete(self, dotted: str | list) -> Document:
        """Remove the key (or the list item) at a dotted path, with its lines; a missing one is left alone."""
        parts = split_path(dotted)
        parent = self.get(parts[:-1]) if len(parts) > 1 else self.data
        in_list = isinstance(parent, list) and isinstance(parts[-1], int) and 0 <= parts[-1] < len(parent)
        if not in_list and not (isinstance(parent, dict) and parts[-1] in parent):
            return self
        if in_list and len(parent) == 1:
            return self.set(parts[:-1], [])  # `key: []`: a key left with no item under it would read as null
        expected = copy.deepcopy(self.data)
        holder = expected
        for part in parts[:-1]:
            holder = holder[part]
        del holder[parts[-1]]
        self._edit(parts, "delete", None, expected)
        return self

    @property
    def changed(self) -> bool:
        return self.text != self.original

    def save(self, path: str | None = None) -> None:
        target = path or self.path
        if target is None:
            raise EditError("no path to save to")
        atomic_write(target, self.dumps())
        self.original = self.text

    def dumps(self) -> str:
        """The edited text, with the file's own line endings."""
        return self.text.replace("\n", self.newline) if self.newline != "\n" else self.text

    # --- splicing ---
    def _edit(self, parts: list, op: str, value: Any, expected: Any) -> None:
        try:
            text = self._splice(parts, op, value)
            if _parse_data(text) == expected:
                self.text, self.data = text, expected
                return
        except (EditError, yaml.YAMLError, IndexError, KeyError, TypeError, StopIteration, AttributeError):
            pass
        text = _ruamel_edit(self.text, parts, op, value, self.layout)
        if _parse_data(text) != expected:
            raise EditError(said(N_("could not edit %(path)s in %(file)s safely"), path=".".join(map(str, parts)),
                                 file=self.path or said(N_("the file"))))
        self.fallbacks += 1
        self.text, self.data = text, expected

    def _splice(self, parts: list, op: str, value: Any) -> str:
        if op == "delete":
            return self._splice_delete(parts)
        text = self.text
        root = _compose(text)
        if root is None or _is_empty_scalar(text, root):
            new = _apply({}, parts, op, value)
            lines = render_block(new, 0, self.layout)
            return text + ("" if not text or text.endswith("\n") else "\n") + "\n".join(lines) + "\n"
        node = root
        for depth, part in enumerate(parts):
            if isinstance(node, (yaml.MappingNode, yaml.SequenceNode)) and node.flow_style:
                return self._replace_flow(node, parts[:depth], parts[depth:], op, value)
            last = depth == len(parts) - 1
            if isinstance(node, yaml.MappingNode):
                child = next((v for k, v in node.value
                              if isinstance(k, yaml.ScalarNode) and _key_matches(k, part)), None)
                if child is None:
                    rest = parts[depth:]
                    if len(rest) == 1:
                        new_value = value if op == "set" else [value]
                    else:
                        new_value = _apply({}, rest[1:], op, value)
                    return self._insert_key(node, rest[0], new_value)
                if last:
                    if op == "set":
                        return self._replace_value(node, part, child, value)
                    return self._append_to(node, part, child, value)
                if _is_empty_scalar(text, child):
                    rest = parts[depth + 1:]
                    return self._replace_value(node, part, child, _apply({}, rest, op, value) if rest else value)
                node = child
            elif isinstance(node, yaml.SequenceNode):
                if not isinstance(part, int):
                    raise EditError(f"`{part}`: a list is indexed by number")
                child = node.value[part]
                if last:
                    if op == "set":
                        return self._replace_item(child, value)
                    raise EditError("append to a list item that is a list: not supported")
                node = child
            else:
                raise EditError(f"{'.'.join(map(str, parts[:depth]))} is a single value, not a mapping")
        raise EditError("empty path")

    def _splice_delete(self, parts: list) -> str:
        text = self.text
        node = _compose(text)
        above: list = []
        for part in parts[:-1]:
            if isinstance(node, (yaml.MappingNode, yaml.SequenceNode)) and node.flow_style:
                break
            if isinstance(node, yaml.MappingNode):
                node = next(v for k, v in node.value if _key_matches(k, part))
            else:
                node = node.value[part]
            above.append(part)
        if node.flow_style:
            current = copy.deepcopy(self.get(above))
            holder = current
            for part in parts[len(above):-1]:
                holder = holder[part]
            del holder[parts[-1]]
            return text[:node.start_mark.index] + render_flow(current, self.layout) + text[node.end_mark.index:]
        if isinstance(node, yaml.SequenceNode):
            item = node.value[parts[-1]]
            dash = text.rfind("-", 0, item.start_mark.index)
            start = _line_start(text, dash)
            if text[start:dash].strip() or text[dash + 1:item.start_mark.index].strip():
                raise EditError("the item shares its line with another")
            column = dash - start
            start, end = _comment_block_above(text, start, column), _line_end(text, _content_end(text, item))
            while end < len(text):  # comments after its last line, indented as its content: its own too
                line = text[end:_line_end(text, end)].rstrip("\n")
                if not line.lstrip(" ").startswith("#") or len(line) - len(line.lstrip(" ")) <= column:
                    break
                end = _line_end(text, end)
            return text[:start] + text[end:]
        key, value = next((k, v) for k, v in node.value if _key_matches(k, parts[-1]))
        start = _line_start(text, key.start_mark.index)
        if text[start:key.start_mark.index].strip():
            raise EditError("the key shares its line with a list dash")
        end = max(_content_end(text, value), key.end_mark.index)
        return text[:start] + text[_line_end(text, _past_its_comments(text, end, key.start_mark.column)):]

    def _replace_flow(self, node: yaml.Node, above: list, rest: list, op: str, value: Any) -> str:
        current = self.get(above)
        new = _apply(current, rest, op, value)
        return self.text[:node.start_mark.index] + render_flow(new, self.layout) + self.text[node.end_mark.index:]

    def _colon_after(self, key: yaml.Node) -> int:
        index = key.end_mark.index
        while self.text[index] in " \t":
            index += 1
        if self.text[index] != ":":
            raise EditError("cannot find the `:` after a key")
        return index + 1

    def _replace_value(self, mapping: yaml.MappingNode, key_name: Any, child: yaml.Node, value: Any) -> str:
        """The value of a key replaced as a whole. A comment on the key's own line above a block value
        stays (it names the key); the comments that spoke of the old value go with it: one after it on
        its last line (`lost: {…}  # …`), and comment lines below it indented under the key. A single
        value replaced by a single value is edited in place and keeps its comment."""
        text = self.text
        key = next(k for k, v in mapping.value if v is child)
        key_column = key.start_mark.column
        block = isinstance(value, (dict, list)) and value
        if not block and isinstance(child, yaml.ScalarNode) and not isinstance(value, (dict, list)):
            return self._replace_scalar(child, value, key_column)
        colon = self._colon_after(key)
        empty = _is_empty_scalar(text, child)
        if empty:
            # `key:` or `key:  # note` with no value: the comment is the key's
            start = colon
            end = child.end_mark.index if child.value else colon
            end = max(end, colon)
        else:
            start, end = colon, _past_its_comments(text, _content_end(text, child), key_column)
        if not block:
            under = isinstance(child, (yaml.MappingNode, yaml.SequenceNode)) and not child.flow_style
            if under and child.start_mark.line > key.start_mark.line:
                # `key:  # note` over a block becomes `key: []  # note`: the key line's comment stays
                note = text[colon:_line_end(text, colon)].rstrip("\n")
                note = note if note.strip() else ""
                return (text[:colon] + " " + render_flow(value, self.layout) + note + "\n"
                        + text[_line_end(text, end):])
            return text[:start] + " " + render_flow(value, self.layout) + text[end:]
        if _stays_flow(child, value, text[_line_start(text, colon):colon + 1], self.layout):
            # `tags: [a]` replaced by a longer list stays on its line, as the team wrote it
            return text[:start] + " " + render_flow(value, self.layout) + text[end:]
        lines = self._value_lines(value, key_column)
        if child.start_mark.line > key.start_mark.line and not empty:
            # a block value under its key: keep the key line (and its comment), replace the lines below
            return text[:_line_end(text, colon)] + "\n".join(lines) + text[end:]
        rest_of_line = text[end:_line_end(text, end)]
        if empty and rest_of_line.strip().startswith("#"):
            # keep the comment of a key that had no value where it was: `key:  # note`
            cut = text[:start] + rest_of_line.rstrip("\n")
            return cut + "\n" + "\n".join(lines) + "\n" + text[_line_end(text, end):]
        return text[:start] + "\n" + "\n".join(lines) + text[end:]

    def _value_lines(self, value: Any, key_column: int) -> list[str]:
        if isinstance(value, dict):
            return render_block(value, key_column + self.layout.mapping, self.layout)
        return render_block(value, key_column + self.layout.sequence_offset, self.layout)

    def _replace_scalar(self, child: yaml.ScalarNode, value: Any, key_column: int) -> str:
        text = self.text
        start, end = child.start_mark.index, child.end_mark.index
        if child.style in ("|", ">"):
            end = _content_end(text, child)
            if isinstance(value, str):
                body = text[_line_end(text, start):end]
                first = next((line for line in body.split("\n") if line.strip()), "")
                indent = len(first) - len(first.lstrip(" ")) or key_column + self.layout.mapping
                block = _literal_block(value, indent)
                if block:
                    return text[:start] + "\n".join(block) + text[end:]
        rendered = render_scalar(value)
        if isinstance(value, str) and "\n" not in value and child.style in ("'", '"'):
            rendered = _double_quoted(value) if child.style == '"' else "'" + value.replace("'", "''") + "'"
        elif isinstance(value, str) and "\n" in value:
            block = _literal_block(value, key_column + self.layout.mapping)
            if block:
                rendered = "\n".join(block)
        if _is_empty_scalar(text, child) and not child.value:
            # `key:` with nothing after it: write after the colon
            return text[:start] + (" " if start and text[start - 1] == ":" else "") + rendered + text[end:]
        return text[:start] + rendered + text[end:]

    def _replace_item(self, child: yaml.Node, value: Any) -> str:
        """A list item replaced as a whole: as a value of a key (`_replace_value`), the comments that
        spoke of it go with it, unless a single value replaces a single value."""
        if isinstance(child, yaml.ScalarNode) and not isinstance(value, (dict, list)):
            return self._replace_scalar(child, value, child.start_mark.column)
        column = _dash_column(self.text, child)
        if isinstance(value, (dict, list)) and not (isinstance(child, yaml.ScalarNode) or child.flow_style):
            lines = render_block(value, child.start_mark.column, self.layout)
            start = child.start_mark.index
            end = _past_its_comments(self.text, _content_end(self.text, child), column)
            return self.text[:start] + "\n".join(lines)[child.start_mark.column:] + self.text[end:]
        start, end = child.start_mark.index, _past_its_comments(self.text, child.end_mark.index, column)
        return self.text[:start] + render_flow(value, self.layout) + self.text[end:]

    def _insert_key(self, mapping: yaml.MappingNode, key: Any, value: Any) -> str:
        text = self.text
        if not mapping.value:
            raise EditError("empty block mapping")
        column = mapping.value[0][0].start_mark.column
        lines = _render_entry(f"{_render_key(key)}:", value, column, self.layout)
        where = _line_end(text, _content_end(text, mapping))
        joined = "\n".join(lines) + "\n"
        if where == len(text) and not text.endswith("\n"):
            joined = "\n" + joined
        return text[:where] + joined + text[where:]

    def _append_to(self, mapping: yaml.MappingNode, key_name: Any, child: yaml.Node, item: Any) -> str:
        text = self.text
        if _is_empty_scalar(text, child):
            return self._replace_value(mapping, key_name, child, [item])
        if not isinstance(child, yaml.SequenceNode):
            raise EditError(f"`{key_name}` is not a list")
        if child.flow_style or not child.value:
            current = self.get([*self._path_of(mapping), key_name]) or []
            rendered = render_flow([*current, item], self.layout)
            return text[:child.start_mark.index] + rendered + text[child.end_mark.index:]
        dash_column = child.start_mark.column
        last = child.value[-1]
        before = text[_line_start(text, last.start_mark.index):last.start_mark.index]
        content = last.start_mark.column if before.strip() == "-" else dash_column + 2
        flow_items = isinstance(last, (yaml.MappingNode, yaml.SequenceNode)) and last.flow_style
        if flow_items and isinstance(item, (dict, list)):
            lines = [" " * dash_column + "-" + " " * (content - dash_column - 1) + render_flow(item, self.layout)]
        else:
            lines = _render_item(item, dash_column, self.layout, content_column=content)
        where = _line_end(text, _content_end(text, child))
        joined = "\n".join(lines) + "\n"
        if where == len(text) and not text.endswith("\n"):
            joined = "\n" + joined
        return text[:where] + joined + text[where:]

    def _path_of(self, target: yaml.Node) -> list:
        root = _compose(self.text)

        def search(node: yaml.Node, path: list) -> list | None:
            if node.start_mark.index == target.start_mark.index and type(node) is type(target):
                return path
            if isinstance(node, yaml.MappingNode):
                for key, value in node.value:
                    found = search(value, [*path, _plain_key(key)])
                    if found is not None:
                        return found
            elif isinstance(node, yaml.SequenceNode):
                for index, value in enumerate(node.value):
                    found = search(value, [*path, index])
                    if found is not None:
                        return found
            return None

        found = search(root, []) if root is not None else None
        if found is None:
            raise EditError("lost track of a node")
        return found


def _plain_key(key: yaml.ScalarNode) -> Any:
    return int(key.value) if not key.style and re.fullmatch(r"[-+]?[0-9]+", key.value) else key.value


def _key_matches(key: yaml.ScalarNode, part: Any) -> bool:
    return _plain_key(key) == part or key.value == str(part)


# --- the fallback: a ruamel.yaml round trip ------------------------------------------------------


def _ruamel_edit(text: str, parts: list, op: str, value: Any, layout: Layout) -> str:
    from ruamel.yaml import YAML

    handler = YAML(typ="rt")
    handler.preserve_quotes = True
    handler.width = 4096
    handler.allow_unicode = True
    handler.indent(mapping=layout.mapping, sequence=layout.sequence_offset + 2, offset=layout.sequence_offset)
    doc = handler.load(text)
    if doc is None:
        doc = {}
    target = doc
    for index, part in enumerate(parts[:-1]):
        if isinstance(target, dict) and target.get(part) is None:
            target[part] = [] if isinstance(parts[index + 1], int) else {}
        target = target[part]
    last = parts[-1]
    if op == "delete":
        del target[last]
    elif op == "set":
        target[last] = value
    else:
        if isinstance(target, dict) and target.get(last) is None:
            target[last] = []
        target[last].append(value)
    out = io.StringIO()
    handler.dump(doc, out)
    return out.getvalue()


def load(path: str) -> Document:
    """Open a YAML file for editing (raises EditError when it is not readable YAML)."""
    with open(path, "rb") as handle:
        raw = handle.read()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise EditError(said(N_("%(path)s is not UTF-8: save it as UTF-8 first"), path=path)) from exc
    return Document(text, path)


def loads(text: str, path: str | None = None) -> Document:
    """A Document from text (tests, or bytes read from elsewhere)."""
    return Document(text, path)
