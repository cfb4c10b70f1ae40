"""Read one YAML record file into plain data plus the line and column of every node."""

from __future__ import annotations

import errno
import operator
import os
import re
import stat
import sys
from dataclasses import dataclass, field
from typing import Any

import yaml
from yaml.composer import Composer
from yaml.resolver import BaseResolver

from ..text.catalog import N_, Said, Translator, said

try:  # libyaml's C parser is ~8x faster; fall back only where it was not compiled in
    from yaml._yaml import CParser as _Parser
except ImportError:  # pragma: no cover - depends on the pyyaml build
    from yaml.parser import Parser as _PyParserBase
    from yaml.reader import Reader as _Reader
    from yaml.scanner import Scanner as _Scanner

    class _Parser(_Reader, _Scanner, _PyParserBase):  # type: ignore[no-redef]
        def __init__(self, stream: str) -> None:
            _Reader.__init__(self, stream)
            _Scanner.__init__(self)
            _PyParserBase.__init__(self)

Path = tuple  # a node's address: keys and list indexes from the root
Mark = tuple  # (line, column), both 1-based

_TAG = "tag:yaml.org,2002:"
_COLLECTION_TAGS = frozenset({_TAG + "map", _TAG + "seq"})

# The deepest a record (or the settings) may nest. Real records nest five or six levels; every
# reader of the data (schema validation, the site, marshal) recurses, so the loader refuses what
# they could not read, and `check` reports it at the line where the file goes too deep.
MAX_DEPTH = 32

# libyaml follows YAML 1.1, where NEL, LINE SEPARATOR and PARAGRAPH SEPARATOR end a line; YAML 1.2
# and every editor treat them as ordinary characters. They are swapped for private-use stand-ins
# while parsing, so line numbers are the editor's and the values keep the characters as written.
_SEPARATORS = "\u0085\u2028\u2029"
_STAND_INS = "\U000F0085\U000F2028\U000F2029"
_TO_STAND_INS = str.maketrans(_SEPARATORS, _STAND_INS)
_FROM_STAND_INS = str.maketrans(_STAND_INS, _SEPARATORS)


_RESOLVED: dict[str, str] = {}  # plain scalar → its tag: keys and short values repeat across files
_RESOLVED_MAX = 50_000
_MEMO_LENGTH = 40


class _Resolver(BaseResolver):
    """YAML 1.2 core-schema scalars: no 1.1 timestamps, sexagesimals or yes/no booleans."""

    # The composer calls these two for every node. No path resolvers are registered, so there is
    # nothing to track: built-in callables that do nothing (`operator.is_` takes the node and
    # index, `tuple` nothing) skip a Python call per node (about a fifth of a parse).
    descend_resolver = staticmethod(operator.is_)
    ascend_resolver = staticmethod(tuple)

    def resolve(self, kind: Any, value: Any, implicit: Any) -> str:
        if kind is yaml.ScalarNode and implicit[0]:  # a plain scalar: its tag follows from its text alone
            tag = _RESOLVED.get(value)
            if tag is not None:
                return tag
            tag = self.DEFAULT_SCALAR_TAG
            for candidate, regexp in self.yaml_implicit_resolvers.get(value[:1], ()):
                if regexp.match(value):
                    tag = candidate
                    break
            if len(value) <= _MEMO_LENGTH and len(_RESOLVED) < _RESOLVED_MAX:
                _RESOLVED[value] = tag
            return tag
        return BaseResolver.resolve(self, kind, value, implicit)


_Resolver.add_implicit_resolver(
    _TAG + "bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)
_Resolver.add_implicit_resolver(
    _TAG + "null", re.compile(r"^(?:~|null|Null|NULL|)$"), ["~", "n", "N", ""]
)
_Resolver.add_implicit_resolver(
    _TAG + "int", re.compile(r"^[-+]?[0-9]+$"), list("-+0123456789")
)
_Resolver.add_implicit_resolver(
    _TAG + "float",
    re.compile(r"^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$"),
    list("-+0123456789."),
)

if not hasattr(_Parser, "compose_node"):

    class _Composer(_Parser, _Resolver):  # type: ignore[misc,valid-type]
        def __init__(self, stream: str) -> None:
            _Parser.__init__(self, stream)
            _Resolver.__init__(self)

else:  # pragma: no cover

    class _Composer(_Parser, Composer, _Resolver):  # type: ignore[misc,no-redef,valid-type]
        def __init__(self, stream: str) -> None:
            _Parser.__init__(self, stream)
            Composer.__init__(self)
            _Resolver.__init__(self)


@dataclass(frozen=True)
class LoadError:
    """Why a file could not be read, and where. `message` is the English; `said` the same message
    kept as its msgid and values, for `text` to say in the team's language where settings are at
    hand (the loader has none)."""

    code: str
    message: str
    line: int = 1
    column: int = 1
    said: Said | None = field(default=None, repr=False, compare=False)

    def text(self, _: Translator) -> str:
        """The message in the translator's language (`message` when it was made without a msgid)."""
        return self.said.say(_) if self.said is not None else self.message


def _error(code: str, message: Said, line: int = 1, column: int = 1) -> LoadError:
    return LoadError(code, str(message), line, column, message)


# The problems and contexts libyaml names most often in a file edited by hand, translated; any
# other is shown as libyaml writes it, inside the translated sentence.
_YAML_WORDS = frozenset({
    N_("mapping values are not allowed in this context"),
    N_("mapping values are not allowed here"),
    N_("did not find expected key"),
    N_("found a tab character that violates indentation"),
    N_("found character that cannot start any token"),
    N_("found unexpected end of stream"),
    N_("did not find expected ',' or ']'"),
    N_("did not find expected ',' or '}'"),
    N_("did not find expected '-' indicator"),
    N_("could not find expected ':'"),
    N_("found undefined alias"),
    N_("but found another document"),
    N_("while parsing a block mapping"),
    N_("while parsing a block collection"),
    N_("while parsing a flow sequence"),
    N_("while parsing a flow mapping"),
    N_("while scanning a plain scalar"),
    N_("while scanning a quoted scalar"),
    N_("while scanning a simple key"),
    N_("while scanning for the next token"),
    N_("expected a single document in the stream"),
    N_("while parsing a flow node"),
    N_("while parsing a block node"),
    N_("did not find expected node content"),
    N_("block sequence entries are not allowed in this context"),
    N_("did not find expected <document start>"),
    N_("found unknown escape character"),
    N_("while parsing a quoted scalar"),
    N_("found a tab character where an indentation space is expected"),
    N_("while scanning a block scalar"),
})


def _yaml_words(text: str) -> Said | str:
    return said(text) if text in _YAML_WORDS else text


class Loaded:
    """A record file's data, its node marks, and the error that stopped reading it, if any.

    Marks are found when first asked for: a file is parsed for its data alone (most files never
    need a line number), and `mark` composes the text again, once, when a finding must be placed."""

    __slots__ = ("_looked", "_marks", "_source", "data", "error", "path")

    def __init__(self, path: str, data: Any = None, marks: dict[Path, Mark] | None = None,
                 error: LoadError | None = None, source: tuple[str, bool, bool] | None = None) -> None:
        self.path = path
        self.data = data
        self.error = error
        self._marks = marks
        self._source = source  # (text as parsed, separators swapped, may hold aliases)
        self._looked = False

    def __repr__(self) -> str:
        return f"Loaded({self.path!r}, error={self.error!r})"

    def __getstate__(self) -> tuple:
        return (self.path, self.data, self.error, self._marks, self._source)

    def __setstate__(self, state: tuple) -> None:
        self.path, self.data, self.error, self._marks, self._source = state
        self._looked = False

    @property
    def marks(self) -> dict[Path, Mark]:
        """Line and column (1-based) of every node, by path."""
        if self._marks is None:
            self._marks = _marks_of(*self._source) if self._source is not None else {}
            self._source = None
        return self._marks

    def mark(self, where: Path) -> Mark:
        """The line and column of `where`, or of its nearest ancestor that has one.

        The first question is answered by walking down `where` alone (most files with a finding
        have one); a second one builds every mark."""
        if self._marks is None and self._source is not None and not self._looked:
            self._looked = True
            return _locate(self._source[0], self._source[1], tuple(where))
        marks = self.marks
        where = tuple(where)
        while where:
            found = marks.get(where)
            if found is not None:
                return found
            where = where[:-1]
        return marks.get((), (1, 1))


class _Refused(Exception):
    def __init__(self, code: str, message: Said, node: yaml.Node) -> None:
        super().__init__(str(message))
        self.error = _error(code, message, node.start_mark.line + 1, node.start_mark.column + 1)


_BOOL = {"true": True, "false": False}


_INTERN_MAX = 24


def _scalar(node: yaml.ScalarNode) -> Any:
    tag = node.tag
    value = node.value
    if tag == _TAG + "str":
        # Short values repeat across thousands of records (stages, handles, dates): share them.
        return sys.intern(value) if len(value) <= _INTERN_MAX else value
    if tag == _TAG + "int":
        return int(value)
    if tag == _TAG + "null":
        return None
    if tag == _TAG + "bool":
        return _BOOL[value.lower()]
    if tag == _TAG + "float":
        low = value.lower()
        if low.endswith("inf"):
            return float("-inf") if low.startswith("-") else float("inf")
        if low == ".nan":
            return float("nan")
        return float(value)
    if tag in (_TAG + "timestamp", _TAG + "binary"):
        return value
    raise _Refused("yaml-tag", said(N_("unsupported tag %(tag)s: write a plain value instead"), tag=repr(tag)), node)


def _restored(value: Any) -> Any:
    """A scalar with the line separators put back (see `_SEPARATORS`)."""
    return value.translate(_FROM_STAND_INS) if isinstance(value, str) else value


def _build(root: yaml.Node, swapped: bool = False, aliases: bool = True) -> tuple[Any, dict[Path, Mark]]:
    """Data and marks from the node tree. A node met twice is an alias; scalar nodes are tracked
    only when the text may hold one (`aliases`: it has a `*`), collections always."""
    marks: dict[Path, Mark] = {(): (root.start_mark.line + 1, root.start_mark.column + 1)}
    seen: set[int] = set()
    scalar = (lambda node: _restored(_scalar(node))) if swapped else _scalar

    def _alias(where: Path) -> _Refused:
        # the node is the anchored one; the alias sits where the path was reached
        line, column = marks.get(where, (1, 1))
        refused = _Refused("yaml-alias", said(N_("anchors and aliases (&name / *name) are not allowed in records: "
                                                 "write the value out")), root)
        refused.error = _error(refused.error.code, refused.error.said, line, column)  # type: ignore[arg-type]
        return refused

    def walk(node: yaml.Node, where: Path) -> Any:
        if isinstance(node, yaml.ScalarNode):
            if aliases:
                if id(node) in seen:
                    raise _alias(where)
                seen.add(id(node))
            return scalar(node)
        if node.tag not in _COLLECTION_TAGS:
            raise _Refused("yaml-tag", said(N_("unsupported tag %(tag)s: write a plain mapping or list instead"),
                                            tag=repr(node.tag)), node)
        if len(where) >= MAX_DEPTH:
            raise _Refused("yaml-depth", said(N_("the file nests more than %(most)s levels deep here, deeper than any "
                                              "record: flatten it"), most=MAX_DEPTH), node)
        if id(node) in seen:
            raise _alias(where)
        seen.add(id(node))
        if isinstance(node, yaml.SequenceNode):
            items = []
            for index, item in enumerate(node.value):
                here = (*where, index)
                marks[here] = (item.start_mark.line + 1, item.start_mark.column + 1)
                items.append(walk(item, here))
            return items
        result: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                raise _Refused("yaml-key", said(N_("a key must be a plain word, not a list or mapping")), key_node)
            if key_node.tag == _TAG + "merge":
                raise _Refused("yaml-alias", said(N_("merge keys (<<) are not allowed in records")), key_node)
            key = sys.intern(key_node.value) if key_node.tag != _TAG + "int" else _scalar(key_node)
            if swapped:
                key = _restored(key)
            if key in result:
                raise _Refused(
                    "duplicate-key",
                    said(N_("duplicate key `%(key)s`: keep one of them (the earlier one is on line %(line)s)"),
                         key=key, line=marks[(*where, key)][0]),
                    key_node,
                )
            here = (*where, key)
            marks[here] = (key_node.start_mark.line + 1, key_node.start_mark.column + 1)
            result[key] = walk(value_node, here)
        return result

    try:
        return walk(root, ()), marks
    finally:
        walk = None  # type: ignore[assignment]  # the closure refers to itself: free it without the collector


class _Again(Exception):
    """The fast build met something to refuse: `_build` finds it again, with its lines."""


def _data(root: yaml.Node, swapped: bool, aliases: bool) -> Any:
    """The data of the node tree, as `_build` makes it, without marks: the path every file takes.
    Anything `_build` refuses raises `_Again`, and `_build` then says why and where.

    In a text with no `*` (no node can be met twice) and no line separator swapped, which is nearly
    every record, a string scalar is read where its mapping or list meets it, without a call of its
    own: most nodes are such scalars."""
    seen: set[int] = set()
    scalar = (lambda node: _restored(_scalar(node))) if swapped else _scalar
    str_tag, int_tag, merge_tag = _TAG + "str", _TAG + "int", _TAG + "merge"
    mapping_node, sequence_node, scalar_node = yaml.MappingNode, yaml.SequenceNode, yaml.ScalarNode
    intern = sys.intern
    inline = not (swapped or aliases)

    def walk(node: yaml.Node, depth: int) -> Any:
        kind = type(node)
        if kind is scalar_node:
            if aliases:
                if id(node) in seen:
                    raise _Again
                seen.add(id(node))
            if node.tag == str_tag:  # the common case of `_scalar`, inline
                value = node.value
                value = intern(value) if len(value) <= _INTERN_MAX else value
                return value.translate(_FROM_STAND_INS) if swapped else value
            return scalar(node)
        if node.tag not in _COLLECTION_TAGS or depth >= MAX_DEPTH:
            raise _Again
        if aliases:
            if id(node) in seen:
                raise _Again
            seen.add(id(node))
        depth += 1
        if kind is sequence_node:
            if not inline:
                return [walk(item, depth) for item in node.value]
            items = []
            for item in node.value:
                if type(item) is scalar_node and item.tag == str_tag:
                    value = item.value
                    items.append(intern(value) if len(value) <= _INTERN_MAX else value)
                else:
                    items.append(walk(item, depth))
            return items
        if kind is not mapping_node:
            raise _Again
        result: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            if type(key_node) is not scalar_node:
                raise _Again
            tag = key_node.tag
            if tag == merge_tag:
                raise _Again
            key = int(key_node.value) if tag == int_tag else intern(key_node.value)
            if swapped:
                key = _restored(key)
            if key in result:
                raise _Again
            if inline and type(value_node) is scalar_node and value_node.tag == str_tag:
                value = value_node.value
                result[key] = intern(value) if len(value) <= _INTERN_MAX else value
            else:
                result[key] = walk(value_node, depth)
        return result

    try:
        return walk(root, 0)
    finally:
        walk = None  # type: ignore[assignment]  # as in `_build`


def _compose(text: str) -> yaml.Node | None:
    composer = _Composer(text)
    try:
        return composer.get_single_node()
    finally:
        composer.dispose()


def _marks_of(text: str, swapped: bool, aliases: bool) -> dict[Path, Mark]:
    """The marks of every node of `text` (as `parse_text` prepared it), composed again; none when the
    text cannot be read (a file re-read for its lines that changed meanwhile)."""
    try:
        root = _compose(text)
        return {(): (1, 1)} if root is None else _build(root, swapped, aliases)[1]
    except (yaml.YAMLError, _Refused, RecursionError):
        return {}


def _locate(text: str, swapped: bool, where: Path) -> Mark:
    """`Loaded.mark(where)` without building every mark: the parser's events read only as far as
    `where` leads (a look-alike name is on a customer file's second line: nothing after it is
    parsed), skipping the entries before it; composed in full (`_composed_locate`) when an alias
    is on the way."""
    try:
        return _event_locate(text, swapped, where)
    except _Again:
        return _composed_locate(text, swapped, where)
    except (yaml.YAMLError, RecursionError):
        return (1, 1)


def _event_locate(text: str, swapped: bool, where: Path) -> Mark:
    """`_composed_locate`'s answer from the event stream alone; `_Again` at an alias."""
    parser = _Composer(text)
    try:
        get = parser.get_event
        get()  # the stream's start
        if isinstance(get(), yaml.StreamEndEvent):
            return (1, 1)  # no document
        event = get()
        found = (event.start_mark.line + 1, event.start_mark.column + 1)
        for part in where:
            if isinstance(event, yaml.MappingStartEvent):
                while True:
                    key = get()
                    if isinstance(key, yaml.MappingEndEvent):
                        return found
                    if isinstance(key, yaml.AliasEvent):
                        raise _Again
                    if not isinstance(key, yaml.ScalarEvent):  # a list or mapping as a key: never a match
                        _skip(parser, key)
                        _skip(parser, get())
                        continue
                    tag = key.tag
                    if tag is None or tag == "!":
                        tag = parser.resolve(yaml.ScalarNode, key.value, key.implicit)
                    name: Any = int(key.value) if tag == _TAG + "int" else key.value
                    if (_restored(name) if swapped else name) == part:
                        found, event = (key.start_mark.line + 1, key.start_mark.column + 1), get()
                        break
                    _skip(parser, get())
            elif isinstance(event, yaml.SequenceStartEvent) and isinstance(part, int) and part >= 0:
                for _ in range(part):
                    item = get()
                    if isinstance(item, yaml.SequenceEndEvent):
                        return found
                    _skip(parser, item)
                event = get()
                if isinstance(event, yaml.SequenceEndEvent):
                    return found
                found = (event.start_mark.line + 1, event.start_mark.column + 1)
            else:
                return found
            if isinstance(event, yaml.AliasEvent):
                raise _Again
        return found
    finally:
        parser.dispose()


def _skip(parser: Any, event: Any) -> None:
    """Read past the node `event` starts (its whole subtree); `_Again` at an alias inside it."""
    depth = 0
    while True:
        if isinstance(event, (yaml.MappingStartEvent, yaml.SequenceStartEvent)):
            depth += 1
        elif isinstance(event, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
            depth -= 1
        elif isinstance(event, yaml.AliasEvent):
            raise _Again
        if depth == 0:
            return
        event = parser.get_event()


def _composed_locate(text: str, swapped: bool, where: Path) -> Mark:
    """`Loaded.mark(where)` from the composed text: one walk down `where` (a mapping entry is marked at
    its key, a list item at the item, as `_build` marks them)."""
    try:
        node = _compose(text)
    except (yaml.YAMLError, RecursionError):
        return (1, 1)
    if node is None:
        return (1, 1)
    found = (node.start_mark.line + 1, node.start_mark.column + 1)
    for part in where:
        if isinstance(node, yaml.MappingNode):
            for key_node, value_node in node.value:
                if not isinstance(key_node, yaml.ScalarNode):
                    continue
                key: Any = int(key_node.value) if key_node.tag == _TAG + "int" else key_node.value
                if (_restored(key) if swapped else key) == part:
                    found, node = (key_node.start_mark.line + 1, key_node.start_mark.column + 1), value_node
                    break
            else:
                break
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and 0 <= part < len(node.value):
            node = node.value[part]
            found = (node.start_mark.line + 1, node.start_mark.column + 1)
        else:
            break
    return found


def located(raw: bytes, path: str) -> Loaded:
    """A file's text, ready to answer `mark` (line numbers of findings made after it was read), not
    parsed for its data; a file that cannot be decoded any more answers line 1."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return Loaded(path)
    if text.startswith("\ufeff"):
        text = text[1:]
    swapped = "\u2028" in text or "\u2029" in text or "\u0085" in text
    return Loaded(path, source=(text.translate(_TO_STAND_INS) if swapped else text, swapped, "*" in text))


def _undecodable(raw: bytes, error: UnicodeDecodeError) -> LoadError:
    before = raw[: error.start]
    line = before.count(b"\n") + 1
    column = error.start - (before.rfind(b"\n") + 1) + 1
    byte = f"0x{raw[error.start]:02x}"
    try:
        raw.decode("gb18030")
    except UnicodeDecodeError:
        return _error("encoding", said(N_("the file is not UTF-8: byte %(byte)s cannot be read; save it again as "
                                          "UTF-8"), byte=byte), line, column)
    return _error("encoding", said(N_("the file is not UTF-8 (it looks like GBK/GB18030, as Excel on Chinese "
                                      "Windows saves it): byte %(byte)s cannot be read; save it again as UTF-8"),
                                   byte=byte), line, column)


def parse_text(text: str, path: str = "<text>", marks: bool = False) -> Loaded:
    """Parse YAML text into data and marks; errors come back in `Loaded.error`, never raised.

    The marks are found when first asked for (`Loaded.mark`), or at once with `marks`."""
    if text.startswith("\ufeff"):
        text = text[1:]
    swapped = "\u2028" in text or "\u2029" in text or "\u0085" in text
    if swapped:
        text = text.translate(_TO_STAND_INS)
    try:
        composer = _Composer(text)
        try:
            root = composer.get_single_node()
        finally:
            composer.dispose()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, column = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        problem = _yaml_words(exc.problem or exc.context or N_("not valid YAML"))
        if exc.context and exc.problem:
            message = said(N_("YAML syntax error: %(problem)s (%(context)s)"), problem=problem,
                           context=_yaml_words(exc.context))
        else:
            message = said(N_("YAML syntax error: %(problem)s"), problem=problem)
        return Loaded(path, error=_error("yaml-syntax", message, line, column))
    except yaml.YAMLError as exc:
        return Loaded(path, error=_error("yaml-syntax", said(N_("YAML error: %(error)s"), error=str(exc))))
    if root is None:
        return Loaded(path, data=None, marks={(): (1, 1)})
    aliases = "*" in text
    try:
        if not marks:
            try:
                return Loaded(path, data=_data(root, swapped, aliases), source=(text, swapped, aliases))
            except _Again:
                pass  # refused: `_build` says why and where
        data, found = _build(root, swapped, aliases)
    except _Refused as exc:
        return Loaded(path, error=exc.error)
    except RecursionError:
        return Loaded(path, error=_error("yaml-depth", said(N_("the file nests too deeply to be a record"))))
    return Loaded(path, data=data, marks=found)


# No record comes near this (a customer with 200 quotes is under 1 MB): a bigger file is a pasted
# attachment or a runaway script, and reading it would take a minute and a gigabyte per command.
MAX_RECORD_BYTES = 4 << 20


def too_large(size: int) -> LoadError:
    return _error("too-large", said(N_("the file is %(size)s MB, more than a record can be (%(most)s MB at most): "
                                       "it is not read; move what makes it so large out of the repo"),
                                    size=f"{size / (1 << 20):.1f}", most=MAX_RECORD_BYTES >> 20))


def parse_bytes(raw: bytes, path: str = "<bytes>", marks: bool = False) -> Loaded:
    """Decode UTF-8 (a BOM allowed) and parse (`parse_text`); a GBK file gets a clear encoding error."""
    if len(raw) > MAX_RECORD_BYTES:
        return Loaded(path, error=too_large(len(raw)))
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        return Loaded(path, error=_undecodable(raw, exc))
    if "\x00" in text:
        return Loaded(path, error=_error("encoding", said(N_("the file contains NUL bytes: it is not a text file"))))
    return parse_text(text, path, marks)


def load_file(filename: str, path: str | None = None) -> Loaded:
    """Read the record file `filename`; `path` is the name to report (repo-relative).
    A symbolic link is not followed: it comes back as a `symlink` error."""
    shown = path or filename
    raw = read_file_bytes(filename)
    if isinstance(raw, LoadError):
        return Loaded(shown, error=raw)
    return parse_bytes(raw, shown)


_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_NONBLOCK = getattr(os, "O_NONBLOCK", 0)


def read_file_bytes(filename: str) -> bytes | LoadError:
    """The bytes of a record file, or why they cannot be read. A symbolic link is never followed
    (git stores the link, not the record; a link may lead out of the repo, nowhere, or round in
    a loop): it is an error that says where the link goes."""
    try:
        fd = os.open(filename, os.O_RDONLY | _NOFOLLOW | _NONBLOCK)
    except OSError as exc:
        if exc.errno == errno.ELOOP or os.path.islink(filename):
            return link_problem(filename)
        return _error("unreadable", said(N_("cannot read the file: %(reason)s"), reason=exc.strerror))
    try:
        st = os.fstat(fd)
        if stat.S_ISDIR(st.st_mode):
            return _error("unreadable", said(N_("a folder where a record file belongs: records are plain files; "
                                                "move what the folder holds elsewhere and delete the folder")))
        if not stat.S_ISREG(st.st_mode):  # a pipe or a device would never end
            return _error("unreadable", said(N_("not a regular file (a pipe or a device): records are plain files")))
        if st.st_size > MAX_RECORD_BYTES:  # refused before it is read, not after
            return too_large(st.st_size)
        # Plain reads on the descriptor (no buffered file object: a whole-repo check reads 100,000+
        # files): the size stat'ed plus one byte, then on until the end, in case the file grew.
        first = os.read(fd, st.st_size + 1)
        if not first:
            return first
        chunks = [first]
        while True:
            more = os.read(fd, 1 << 16)
            if not more:
                return first if len(chunks) == 1 else b"".join(chunks)
            chunks.append(more)
    except OSError as exc:  # e.g. a folder
        return _error("unreadable", said(N_("cannot read the file: %(reason)s"), reason=exc.strerror))
    finally:
        os.close(fd)


def link_problem(filename: str) -> LoadError:
    """The error for a symbolic link where a record belongs: where it leads, and what to do."""
    try:
        target = os.readlink(filename)
    except OSError:
        target = "?"
    repo = _repo_of(filename)
    resolved = os.path.realpath(filename)
    try:
        os.stat(filename)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            return _error("symlink", said(N_("a symbolic link that loops (-> %(target)s): it is not read; records are "
                                             "plain files: delete the link"), target=target))
        return _error("symlink", said(N_("a symbolic link to `%(target)s`, which does not exist: records are plain "
                                         "files: delete the link, or put the record itself here"), target=target))
    if repo is None or os.path.commonpath([resolved, repo]) != repo:
        return _error("symlink", said(N_("a symbolic link to `%(target)s`, outside the repo: it is not read; if the "
                                         "record belongs here, copy the file itself into the repo"), target=target))
    inside = os.path.relpath(resolved, repo).replace(os.sep, "/")
    if os.path.isdir(resolved):
        return _error("symlink", said(N_("a symbolic link to the folder `%(target)s`: it is not followed; records "
                                         "are plain files in plain folders"), target=inside))
    return _error("symlink", said(N_("a symbolic link to `%(target)s`: it is not read (git stores the link, not the "
                                     "record): put the record itself here, or delete the link"), target=inside))


def _repo_of(filename: str) -> str | None:
    """The records repo a file under `records/` belongs to (the folder holding `records/`)."""
    folder = os.path.dirname(os.path.abspath(filename))
    while True:
        if os.path.basename(folder) == "records":
            return os.path.realpath(os.path.dirname(folder))
        parent = os.path.dirname(folder)
        if parent == folder:
            return None
        folder = parent
