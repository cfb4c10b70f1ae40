"""The loader: YAML 1.2 core scalars, marks, and every refusal with its line and column."""

from __future__ import annotations

import copy

import yaml
from dealbook.records.load import MAX_DEPTH, parse_bytes, parse_text
from hypothesis import given, settings
from hypothesis import strategies as st


def test_dates_and_times_stay_as_written() -> None:
    loaded = parse_text("created: 2024-05-20\nat: 2024-05-20 14:00\nwhen: 14:00\nanswer: no\nflag: yes\n")
    assert loaded.error is None
    assert loaded.data == {"created": "2024-05-20", "at": "2024-05-20 14:00", "when": "14:00",
                           "answer": "no", "flag": "yes"}


def test_core_schema_numbers_booleans_nulls() -> None:
    loaded = parse_text("amount: 650000\nrate: 0.5\nok: true\nnothing: null\ntilde: ~\nzip: 010\n")
    assert loaded.data == {"amount": 650000, "rate": 0.5, "ok": True, "nothing": None, "tilde": None, "zip": 10}


def test_marks_for_every_node() -> None:
    loaded = parse_text("id: x\ncontacts:\n  - name: 王总监\n    role: user\n")
    assert loaded.mark(("id",)) == (1, 1)
    assert loaded.mark(("contacts", 0)) == (3, 5)
    assert loaded.mark(("contacts", 0, "role")) == (4, 5)
    # a path that does not exist falls back to its nearest ancestor
    assert loaded.mark(("contacts", 0, "email")) == (3, 5)


def test_duplicate_key_is_refused_with_both_lines() -> None:
    loaded = parse_text("id: a\nname: x\nid: b\n")
    assert loaded.error is not None
    assert (loaded.error.code, loaded.error.line, loaded.error.column) == ("duplicate-key", 3, 1)
    assert "line 1" in loaded.error.message


def test_aliases_and_merge_keys_are_refused() -> None:
    alias = parse_text("a: &x [1, 2]\nb: *x\n")
    assert alias.error is not None and alias.error.code == "yaml-alias"
    # YAML 1.2 has no merge keys: `<<` stays a plain (unknown) key and nothing is merged
    merge = parse_text("base: {a: 1}\nother:\n  <<: {a: 2}\n")
    assert merge.error is None and merge.data["other"] == {"<<": {"a": 2}}


def test_billion_laughs_is_refused_quickly() -> None:
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for i, name in enumerate("bcdefghij"):
        prev = "abcdefghij"[i]
        lines.append(f"{name}: &{name} [" + ",".join([f"*{prev}"] * 9) + "]")
    loaded = parse_text("\n".join(lines) + "\n")
    assert loaded.error is not None and loaded.error.code == "yaml-alias"


def test_bom_is_accepted() -> None:
    loaded = parse_bytes("\ufeffname: 客户\n".encode())
    assert loaded.error is None and loaded.data == {"name": "客户"}


def test_gbk_bytes_get_a_clear_encoding_error() -> None:
    loaded = parse_bytes("name: A科技有限公司\n".encode("gbk"), "records/customers/x.yaml")
    assert loaded.error is not None
    assert loaded.error.code == "encoding"
    assert loaded.error.line == 1
    assert "GBK" in loaded.error.message and "UTF-8" in loaded.error.message


def test_syntax_error_has_line_and_column() -> None:
    loaded = parse_text("id: a\nname: [unclosed\nowner: zhang\n")
    assert loaded.error is not None and loaded.error.code == "yaml-syntax"
    assert loaded.error.line >= 2


def test_tags_are_refused() -> None:
    loaded = parse_text("amount: !!python/object:os.system ls\n")
    assert loaded.error is not None


def test_empty_file_is_none() -> None:
    loaded = parse_text("")
    assert loaded.error is None and loaded.data is None


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=400))
def test_loader_never_raises_on_bytes(raw: bytes) -> None:
    loaded = parse_bytes(raw, "x.yaml")
    assert loaded.error is None or loaded.error.line >= 1


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from([*"ab:-[]{}&*!|>'\"# \n\t,?%@`0123456789.", "中", "\ufeff"]), max_size=200))
def test_loader_never_raises_on_yamlish_text(text: str) -> None:
    loaded = parse_text(text, "x.yaml")
    assert loaded.error is None or loaded.error.code.startswith(("yaml", "duplicate", "encoding"))


# --- hostile inputs: deep files, line separators, collection tags -----------------------------


def _nested(levels: int) -> str:
    return "".join("  " * i + f"k{i}:\n" for i in range(levels)) + "  " * levels + "v: 1\n"


def test_a_500_level_mapping_is_refused_at_the_line_that_goes_too_deep() -> None:
    loaded = parse_text("id: x\ncustom:\n" + "".join("  " * (i + 1) + f"k{i}:\n" for i in range(500)) + "  v: 1\n")
    assert loaded.error is not None
    assert loaded.error.code == "yaml-depth"
    assert loaded.error.line == 2 + MAX_DEPTH  # the first key below the limit
    assert f"{MAX_DEPTH} levels" in loaded.error.message


def test_nesting_within_the_limit_is_read() -> None:
    loaded = parse_text(_nested(MAX_DEPTH - 1))
    assert loaded.error is None


def test_a_flow_list_nested_a_hundred_thousand_deep_is_refused_not_a_crash() -> None:
    loaded = parse_text("a: " + "[" * 100_000 + "]" * 100_000 + "\n")
    assert loaded.error is not None and loaded.error.code in ("yaml-depth", "yaml-syntax")


def test_unicode_line_separators_in_a_value_do_not_shift_line_numbers() -> None:
    text = "name: \"甲\u2028乙\u2029丙\u0085丁\"\nnote: 'a\u2028b'\nplain: x\u2028y\nname: again\n"
    loaded = parse_text(text)
    assert loaded.error is not None
    assert (loaded.error.code, loaded.error.line) == ("duplicate-key", 4)  # as an editor numbers the lines


def test_unicode_line_separators_are_kept_in_values_and_marks_count_editor_lines() -> None:
    loaded = parse_text("name: \"甲\u2028乙\"\nnote: 'a\u2029b'\nplain: x\u0085y\nlast: z\n")
    assert loaded.error is None
    assert loaded.data == {"name": "甲\u2028乙", "note": "a\u2029b", "plain": "x\u0085y", "last": "z"}
    assert loaded.mark(("last",)) == (4, 1)


def test_mapping_and_sequence_tags_are_refused() -> None:
    for text, line in (("a: 1\ndeal: !!python/object:os.system {amount: 1}\n", 2),
                       ("support: !!set {li: null}\n", 1),
                       ("x: !!omap [a: 1]\n", 1),
                       ("x: !custom [1]\n", 1),
                       ("!!python/object/apply:os.system\n- echo hi\n", 1)):
        loaded = parse_text(text)
        assert loaded.error is not None, text
        assert (loaded.error.code, loaded.error.line) == ("yaml-tag", line), text


def test_plain_mapping_and_sequence_tags_are_accepted() -> None:
    loaded = parse_text("a: !!map {b: !!seq [1]}\n")
    assert loaded.error is None and loaded.data == {"a": {"b": [1]}}


def test_an_alias_to_a_scalar_is_refused_too() -> None:
    loaded = parse_text("name: &n A科技\nowner: zhang\nsummary: *n\n")
    assert loaded.error is not None
    assert (loaded.error.code, loaded.error.line) == ("yaml-alias", 3)
    assert parse_text("name: 'a * b'\nx: '*'\n").error is None


# --- marks found on demand: the data path and the marks path agree -------------------------------

_YAMLISH = st.text(alphabet=st.sampled_from([*"ab:-[]{}&*!|>'\"# \n\t,?%@`0123456789.<", "中", "\u2028", "\x85"]),
                   max_size=200)


@settings(max_examples=400, deadline=None)
@given(_YAMLISH)
def test_data_without_marks_is_the_data_with_marks(text: str) -> None:
    lazy, eager = parse_text(text, "x.yaml"), parse_text(text, "x.yaml", marks=True)
    assert lazy.error == eager.error
    assert repr(lazy.data) == repr(eager.data)  # repr: nan and -0.0 compare as written
    assert lazy.marks == eager.marks


_WORDS = st.text(alphabet=st.sampled_from([*"ab :-#'\"*&!?,[]{}\n01.", "中", "é", "\u2028"]), max_size=8)
_TREES = st.recursive(
    st.one_of(_WORDS, st.integers(-10**12, 10**12), st.none(), st.booleans(), st.floats(allow_nan=False)),
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(_WORDS, inner, max_size=4)),
    max_leaves=24,
)


@settings(max_examples=300, deadline=None)
@given(_TREES, st.booleans())
def test_data_of_record_shaped_text_is_the_data_with_marks(tree, flow: bool) -> None:
    """Whole mappings and lists as an editor or `yaml.safe_dump` writes them: the data path (which
    reads most scalars inline) gives what the marked path gives, value for value."""
    text = yaml.safe_dump({"record": tree, "n": [copy.deepcopy(tree)]}, allow_unicode=True, default_flow_style=flow)
    lazy, eager = parse_text(text, "x.yaml"), parse_text(text, "x.yaml", marks=True)
    assert lazy.error is None and eager.error is None
    assert repr(lazy.data) == repr(eager.data)


def test_marks_are_composed_only_when_asked_for() -> None:
    loaded = parse_text("id: x\ncontacts:\n  - name: 王总监\n")
    assert loaded._marks is None  # the data alone was built
    assert loaded.mark(("contacts", 0, "name")) == (3, 5)  # one walk down the path
    assert loaded._marks is None
    assert loaded.mark(("id",)) == (1, 1)  # a second question: every mark
    assert loaded._marks is not None and loaded._source is None  # the text is let go once the marks exist


def test_every_refusal_on_the_fast_path_keeps_its_line() -> None:
    cases = {"id: a\nname: x\nid: b\n": ("duplicate-key", 3), "a: 1\nb: !!set {x: null}\n": ("yaml-tag", 2),
             "name: &n A\nsummary: *n\n": ("yaml-alias", 2), "a:\n  <<: {b: 1}\n  c: 2\n": (None, None),
             "? [a]\n: 1\n": ("yaml-key", 1), "a: !!python/name:os.system x\n": ("yaml-tag", 1)}
    for text, (code, line) in cases.items():
        loaded = parse_text(text)
        assert (loaded.error.code, loaded.error.line) == (code, line) if code else loaded.error is None, text


def test_parsing_leaves_nothing_for_the_collector() -> None:
    """Parse workers run with the collector off: a reference cycle per file (the recursive walks
    are closures) would keep every file's node tree alive until the worker ends."""
    import yaml
    from conftest import uncollectable

    text = "id: x\nname: 甲\ncontacts:\n  - {name: 王, phone: '0755-1'}\ntags: [a, b]\nid: again\n"

    def work() -> None:
        parse_text(text)  # refused: the marks path
        loaded = parse_text(text.replace("id: again\n", ""))  # the data path, then marks
        loaded.mark(("contacts", 0, "phone"))

    left = [o for o in uncollectable(work) if isinstance(o, (yaml.Node, dict, list, set))
            or type(o).__name__ == "cell"]
    assert left == []


@settings(max_examples=300, deadline=None)
@given(_YAMLISH, st.lists(st.one_of(st.sampled_from(["a", "b", "中", "0", "1"]), st.integers(-1, 3)), max_size=4))
def test_one_mark_found_by_walking_down_is_the_mark_of_all_marks(text: str, where: list) -> None:
    lazy, eager = parse_text(text, "x.yaml"), parse_text(text, "x.yaml", marks=True)
    paths = [tuple(where), *list(eager.marks)[:5]]
    for path in paths:
        fresh = parse_text(text, "x.yaml")
        assert fresh.mark(path) == eager.mark(path), path  # the first question: one walk down
    for path in paths:
        assert lazy.mark(path) == eager.mark(path), path  # the later ones: every mark built


def test_a_file_re_read_for_its_lines_is_not_parsed_for_its_data() -> None:
    from dealbook.records.load import located

    loaded = located("id: x\nname: \"甲\u2028乙\"\ncontacts:\n  - name: 王\n".encode(), "x.yaml")
    assert loaded.data is None and loaded.mark(("contacts", 0, "name")) == (4, 5)
    assert located(b"\xff\xfe", "x.yaml").mark(("id",)) == (1, 1)
    assert located(b"id: [unclosed\n", "x.yaml").mark(("id",)) == (1, 1)  # changed since: line 1


_PLAIN = st.sampled_from(["1", "-7", "0.5", "1e3", ".inf", "true", "False", "null", "~", "", "yes", "no", "on",
                          "2024-05-01", "12:30", "0x1A", "1_000", "abc", "粤IT2024001", "+3", ".5", "NaN", ".nan"])


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(_PLAIN, _PLAIN), min_size=1, max_size=8))
def test_plain_scalars_resolve_as_the_core_schema_says_every_time(pairs) -> None:
    """Tags of plain scalars are remembered across files: a value read again resolves as it did
    the first time, as a key and as a value, and as a YAML 1.2 core-schema loader resolves it."""
    import yaml

    text = "".join(f"k{i}: {value}\n{key or 'x'}_{i}: 1\nq{i}: '{value}'\n" for i, (key, value) in enumerate(pairs))
    first, again = parse_text(text).data, parse_text(text).data
    assert repr(first) == repr(again)  # repr: NaN equals no NaN

    class Core(yaml.SafeLoader):  # the core schema: ints, floats, bools and nulls only, from their text alone
        pass

    Core.yaml_implicit_resolvers = {}

    for tag, pattern, starts in [("bool", r"^(?:true|True|TRUE|false|False|FALSE)$", "tTfF"),
                                 ("null", r"^(?:~|null|Null|NULL|)$", ["~", "n", "N", ""]),
                                 ("int", r"^[-+]?[0-9]+$", "-+0123456789"),
                                 ("float", r"^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?"
                                           r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$", "-+0123456789.")]:
        Core.add_implicit_resolver(f"tag:yaml.org,2002:{tag}", __import__("re").compile(pattern), list(starts))
    expected = yaml.load(text, Loader=Core)
    assert first.keys() == expected.keys()
    for key, value in expected.items():
        assert first[key] == value or (value != value and first[key] != first[key]), key  # NaN is NaN


_LOCATE_SCALARS = ["a", "b", "'a'", "1", "'1'", "-2", "true", "~", "名字", "! 1", "!!str 1", "&x 3", "*x", "''"]
_LOCATE_NODES = st.recursive(st.sampled_from(_LOCATE_SCALARS), lambda inner: st.one_of(
    st.lists(inner, max_size=3).map(lambda items: "[" + ", ".join(items) + "]"),
    st.lists(st.tuples(st.one_of(st.sampled_from(_LOCATE_SCALARS), inner), inner), max_size=3).map(
        lambda pairs: "{" + ", ".join(f"? {k}\n: {v}" if k.startswith(("[", "{")) else f"{k}: {v}"
                                      for k, v in pairs) + "}")), max_leaves=10)
_LOCATE_PART = st.one_of(st.sampled_from(["a", "b", "1", "名字", "x"]), st.integers(-1, 3), st.booleans())


@settings(max_examples=400, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["a", "b", "1", "名字", "'b'"]), _LOCATE_NODES), max_size=4),
       st.lists(_LOCATE_PART, max_size=4), st.booleans())
def test_a_mark_read_from_the_events_equals_the_mark_of_the_composed_text(pairs, where, block) -> None:
    """`Loaded.mark` reads the parser's events only as far as the path leads (`_event_locate`): the
    line and column equal those of the fully composed text (`_composed_locate`), for keys that are
    plain, quoted, numbers or lists, list items, paths that lead nowhere, and aliases (composed). Only
    texts that compose are asked: a mark is asked of a file the loader has read."""
    from dealbook.records import load

    if block:
        text = "".join(f"{key}:\n  {value}\n" for key, value in pairs)
    else:
        text = "{" + ", ".join(f"{key}: {value}" for key, value in pairs) + "}\n"
    try:
        load._compose(text)
    except Exception:  # an alias before its anchor, say: the loader refuses the file before any mark is asked
        return
    expected = load._composed_locate(text, False, tuple(where))
    assert load._locate(text, False, tuple(where)) == expected
    if "*x" not in text:  # without an alias the events alone answer
        assert load._event_locate(text, False, tuple(where)) == expected
