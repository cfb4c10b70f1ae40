"""Round-trip edits: only the edited lines change; comments, quoting and odd indentation survive."""

from __future__ import annotations

import pytest
import yaml
from conftest import changed_lines
from dealbook.editing import roundtrip
from dealbook.editing.roundtrip import EditError, Layout, detect_layout, loads, render_new, render_scalar
from dealbook.records.load import parse_text
from hypothesis import given, settings
from hypothesis import strategies as st

ODD = """\
# yaml-language-server: $schema=../../schemas/customer.schema.json
# 客户档案 — A科技 (comment at the top)
id: 粤IT2024001   # 不要修改
name: "A科技有限公司"
industry: 'C3970 电子器件制造'
source: {channel: trade_show, detail: 2024 深圳高交会}

owner: zhang
created: 2024-01-05
contacts:
- name: 王总监
  title: 技术总监     # aligned comment
  role: decision_maker
  phone: 0755-8888-1234
  phone_kind: work

need:
    summary: |
      质检效率低
      需要视觉检测
    budget:
        status: undetermined   # 50-80万 mentioned
stage: lead
stage_history:
  - {stage: lead, on: 2024-01-05}

# trailing comment
"""


def test_set_scalar_changes_one_line_only():
    doc = loads(ODD)
    doc.set("owner", "li")
    assert doc.text == ODD.replace("owner: zhang\n", "owner: li\n")
    assert doc.fallbacks == 0


def test_set_keeps_comment_and_alignment_on_the_line():
    doc = loads(ODD)
    doc.set("need.budget.status", "partial")
    assert doc.text == ODD.replace("status: undetermined   # 50", "status: partial   # 50")


def test_set_keeps_quote_style():
    doc = loads(ODD)
    doc.set("name", "B科技有限公司")
    doc.set("industry", "I6510 软件开发")
    assert 'name: "B科技有限公司"\n' in doc.text
    assert "industry: 'I6510 软件开发'\n" in doc.text
    assert changed_lines(ODD, doc.text) == (
        ['name: "A科技有限公司"', "industry: 'C3970 电子器件制造'"],
        ['name: "B科技有限公司"', "industry: 'I6510 软件开发'"],
    )


def test_append_to_flush_sequence_follows_its_style():
    doc = loads(ODD)
    doc.append("contacts", {"name": "李经理", "title": "生产部经理", "role": "influencer"})
    removed, added = changed_lines(ODD, doc.text)
    assert removed == []
    assert added == ["- name: 李经理", "  title: 生产部经理", "  role: influencer"]
    # inserted right after the last item, before the blank line
    assert "  phone_kind: work\n- name: 李经理\n" in doc.text


def test_append_to_flow_items_writes_a_flow_item():
    doc = loads(ODD)
    doc.set("stage", "discovery")
    doc.append("stage_history", {"stage": "discovery", "on": "2024-05-20"})
    assert doc.text == ODD.replace(
        "stage: lead\nstage_history:\n  - {stage: lead, on: 2024-01-05}\n",
        "stage: discovery\nstage_history:\n  - {stage: lead, on: 2024-01-05}\n  - {stage: discovery, on: 2024-05-20}\n",
    )


def test_new_key_in_odd_indented_mapping_uses_its_indent():
    doc = loads(ODD)
    doc.set("need.budget.min", 500000)
    assert "        status: undetermined   # 50-80万 mentioned\n        min: 500000\nstage: lead" in doc.text
    assert changed_lines(ODD, doc.text) == ([], ["        min: 500000"])


def test_new_nested_mapping_uses_file_mapping_step():
    doc = loads(ODD)
    assert doc.layout.mapping == 4
    doc.set("lost", {"reason": "budget", "note": "预算砍了"})
    assert doc.text.endswith(
        "  - {stage: lead, on: 2024-01-05}\nlost:\n    reason: budget\n    note: 预算砍了\n\n# trailing comment\n"
    )


def test_missing_parents_are_created():
    doc = loads(ODD)
    doc.set("deal.amount", 650000)
    assert "deal:\n    amount: 650000\n" in doc.text
    assert doc.get("deal.amount") == 650000


def test_edit_inside_flow_mapping_rewrites_only_that_mapping():
    doc = loads(ODD)
    doc.set("source.detail", "x: y")
    assert "source: {channel: trade_show, detail: 'x: y'}\n" in doc.text
    assert len(changed_lines(ODD, doc.text)[1]) == 1


def test_block_scalar_replaced_by_one_line():
    doc = loads(ODD)
    doc.set("need.summary", "一行")
    assert "need:\n    summary: 一行\n    budget:\n" in doc.text


def test_block_scalar_replaced_by_block_scalar():
    doc = loads(ODD)
    doc.set("need.summary", "第一行\n第二行\n")
    assert "    summary: |\n      第一行\n      第二行\n    budget:" in doc.text


def test_list_index_path():
    doc = loads(ODD)
    doc.set("contacts.0.title", "CTO")
    assert "  title: CTO     # aligned comment\n" in doc.text


def test_empty_value_gets_a_block():
    text = "id: x\nneed:\nstage: lead\n"
    doc = loads(text)
    doc.set("need.summary", "需要")
    assert doc.text == "id: x\nneed:\n  summary: 需要\nstage: lead\n"


def test_empty_value_with_comment_keeps_comment():
    text = "id: x\ntags:   # labels\nstage: lead\n"
    doc = loads(text)
    doc.append("tags", "vip")
    assert doc.text == "id: x\ntags:   # labels\n  - vip\nstage: lead\n"


def test_replace_block_value_keeps_key_line_comment():
    text = "a: 1\ncontacts:  # people\n  - name: x\n    role: user\nb: 2\n"
    doc = loads(text)
    doc.set("contacts", [{"name": "赵", "role": "user"}])
    assert doc.text == "a: 1\ncontacts:  # people\n  - name: 赵\n    role: user\nb: 2\n"


def test_no_trailing_newline():
    doc = loads("a: 1\nb: [x]")
    doc.append("b", "z")
    doc.set("c", 3)
    assert doc.text == "a: 1\nb: [x, z]\nc: 3\n"


def test_crlf_file_stays_crlf(tmp_path):
    path = tmp_path / "x.yaml"
    path.write_bytes(b"# note\r\na: 1\r\nb: 2\r\n")
    doc = roundtrip.load(str(path))
    doc.set("a", 5)
    doc.save()
    assert path.read_bytes() == b"# note\r\na: 5\r\nb: 2\r\n"


def test_save_is_byte_identical_except_edit(tmp_path):
    path = tmp_path / "c.yaml"
    path.write_text(ODD, encoding="utf-8")
    doc = roundtrip.load(str(path))
    doc.set("stage", "discovery")
    doc.append("stage_history", {"stage": "discovery", "on": "2024-05-20"})
    doc.save()
    after = path.read_text(encoding="utf-8")
    assert changed_lines(ODD, after) == (
        ["stage: lead"], ["stage: discovery", "  - {stage: discovery, on: 2024-05-20}"]
    )


def test_dates_and_numbers_written_as_the_loader_reads_them():
    doc = loads("a: 1\n")
    doc.set("b", "2024-05-20")
    doc.set("c", "123")
    doc.set("d", "true")
    doc.set("e", "2024-05-20 14:00")
    doc.set("f", "")
    assert doc.text == "a: 1\nb: 2024-05-20\nc: '123'\nd: 'true'\ne: 2024-05-20 14:00\nf: ''\n"
    assert parse_text(doc.text).data == {"a": 1, "b": "2024-05-20", "c": "123", "d": "true",
                                         "e": "2024-05-20 14:00", "f": ""}


def test_path_through_scalar_is_refused():
    doc = loads("a: 1\n")
    with pytest.raises(EditError):
        doc.set("a.b", 2)
    assert doc.text == "a: 1\n"


def test_append_to_non_list_refused():
    doc = loads("a: 1\n")
    with pytest.raises(EditError):
        doc.append("a", 2)


def test_detect_layout():
    assert detect_layout("a:\n- x\nb:\n  c: 1\n") == Layout(mapping=2, sequence_offset=0)
    assert detect_layout("a:\n  - x\nb:\n    c: 1\n") == Layout(mapping=4, sequence_offset=2)
    assert detect_layout("a: { b: 1 }\n").flow_padding is True


def test_render_new_has_modeline_and_schema_order():
    text = render_new("followup", {"summary": "电话", "at": "2024-05-20 14:00", "customer": "粤IT2024001",
                                   "method": "phone", "by": "zhang",
                                   "next": [{"action": "发方案", "due": "2024-05-25"}]})
    assert text == (
        "# yaml-language-server: $schema=../../../schemas/followup.schema.json\n"
        "customer: 粤IT2024001\n"
        "at: 2024-05-20 14:00\n"
        "method: phone\n"
        "by: zhang\n"
        "summary: 电话\n"
        "next:\n"
        "  - action: 发方案\n"
        "    due: 2024-05-25\n"
    )


def test_render_new_flush_layout():
    text = render_new("team", {"members": [{"handle": "zhang", "name": "张伟", "role": "rep"}]},
                      Layout(sequence_offset=0))
    assert text == ("# yaml-language-server: $schema=../schemas/team.schema.json\n"
                    "members:\n- handle: zhang\n  name: 张伟\n  role: rep\n")


scalars = st.one_of(
    st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=30),
    st.integers(-10**12, 10**12),
    st.booleans(),
    st.none(),
)


@settings(max_examples=300, deadline=None)
@given(scalars)
def test_any_scalar_reads_back(value):
    text = f"k: {render_scalar(value)}\n"
    loaded = parse_text(text)
    if loaded.error is None:
        assert loaded.data == {"k": value}
    else:  # only characters YAML cannot hold at all may fail
        assert isinstance(value, str)


@pytest.mark.parametrize("value", ["=", "<<"])
def test_a_yaml_11_key_word_is_quoted_so_other_readers_read_text(value):
    """`=` (the value key) and `<<` (the merge key) read back as text in dealbook, but PyYAML's own
    safe_load takes them plain for tags it cannot build: written quoted, every reader gets the text."""
    text = f"k: {render_scalar(value)}\n"
    assert render_scalar(value) != value
    assert yaml.safe_load(text) == {"k": value} and parse_text(text).data == {"k": value}


@settings(max_examples=150, deadline=None)
@given(st.dictionaries(st.sampled_from(["a", "b", "c", "on"]), scalars, max_size=3),
       st.sampled_from(["owner", "need.budget.status", "contacts.0.name", "source.detail", "new.key"]),
       st.sampled_from([0, 1]))
def test_any_edit_reads_back_and_keeps_other_lines(value, path, flush):
    base = ODD if flush else ODD.replace("\n- name: 王总监\n  title", "\n  - name: 王总监\n    title").replace(
        "\n  role: decision_maker\n  phone: 0755-8888-1234\n  phone_kind: work\n",
        "\n    role: decision_maker\n    phone: 0755-8888-1234\n    phone_kind: work\n")
    doc = loads(base)
    try:
        doc.set(path, value or "x")
    except EditError:
        return
    assert parse_text(doc.text).data == doc.data
    # every comment line survives
    for line in base.splitlines():
        if line.strip().startswith("#"):
            assert line in doc.text.splitlines()


def test_ruamel_fallback_keeps_comments():
    text = roundtrip._ruamel_edit("# top\na: 1  # one\nl:\n- x\n", ["l"], "append", "z", Layout(sequence_offset=0))
    assert text == "# top\na: 1  # one\nl:\n- x\n- z\n"


def test_delete_key_removes_its_lines_only():
    doc = loads(ODD)
    doc.delete("need.budget")
    assert "need:\n    summary: |\n      质检效率低\n      需要视觉检测\nstage: lead\n" in doc.text
    doc.delete("source.detail")
    assert "source: {channel: trade_show}\n" in doc.text
    doc.delete("nothing.here")
    assert doc.fallbacks == 0


def test_delete_a_list_item_removes_its_lines_and_keeps_the_comments_around_it():
    text = "l:  # items\n  - a: 1   # one\n    b: [1]\n  # two\n  - a: 2\nf: [x, y]\nend: 1\n"
    doc = loads(text)
    doc.delete("l.0").delete("f.1").delete("l.5")  # an item that is not there is left alone
    assert doc.text == "l:  # items\n  # two\n  - a: 2\nf: [x]\nend: 1\n"
    doc.delete("l.0")  # the last item: the key keeps an empty list, not a null
    assert doc.text == "l: []  # items\nf: [x]\nend: 1\n"
    assert doc.data == {"l": [], "f": ["x"], "end": 1} and doc.fallbacks == 0


def test_a_list_replaced_whole_drops_the_comments_of_its_items_and_keeps_its_keys():
    doc = loads("contacts:  # 联系人\n  - name: a   # n\n    role: user\n  - {name: b}  # flow item\nend: 1\n")
    doc.set("contacts", [{"name": "z"}])
    assert doc.text == "contacts:  # 联系人\n  - name: z\nend: 1\n" and doc.fallbacks == 0


BLOCK_LOST = "lost:\n  reason: competitor\n  on: 2024-05-01\n"


@pytest.mark.parametrize(("old", "new"), [
    # a mapping on the key's line, a comment after it: the new one stays in flow style, as written
    ("lost: {reason: budget, on: 2024-04-15}  # 预算冻结\n", "lost: {reason: competitor, on: 2024-05-01}\n"),
    ("lost: budget  # 旧写法\n", BLOCK_LOST),  # a single value that becomes a mapping
    ("lost:\n  reason: budget\n  on: 2024-04-15  # 四月中\n", BLOCK_LOST),  # a comment on the block's last line
    ("lost:\n  reason: budget  # 预算冻结\n  on: 2024-04-15\n  # 集团统一采购\n", BLOCK_LOST),  # lines under it
])
def test_a_value_replaced_whole_takes_the_comments_that_spoke_of_it(old, new):
    """Before: `lost: {…}  # 预算冻结` became `lost:  # 预算冻结` over the new reason, and a comment line
    indented under the old block stayed under the new one."""
    doc = loads(f"# 客户\nid: x  # 编号\n{old}next: 1  # 下一个\n# 结尾\n")
    doc.set("lost", {"reason": "competitor", "on": "2024-05-01"})
    assert doc.text == f"# 客户\nid: x  # 编号\n{new}next: 1  # 下一个\n# 结尾\n" and doc.fallbacks == 0
    doc = loads(f"id: x\n{old}next: 1\n")
    doc.set("lost", {})
    assert doc.text == "id: x\nlost: {}\nnext: 1\n"


def test_a_collection_written_in_flow_style_stays_in_it_when_replaced():
    """Before: `tags: [高价值]` replaced by three tags became a block list of three lines."""
    doc = loads("tags: [高价值]  # 重点\nnext: 1\n")
    doc.set("tags", ["a", "b", "c"])
    assert doc.text == "tags: [a, b, c]\nnext: 1\n" and doc.fallbacks == 0
    doc = loads("tags: [ a ]\nnext: 1\n")
    doc.set("tags", ["a", "b"])
    assert doc.text == "tags: [ a, b ]\nnext: 1\n"  # the team's padding inside the brackets
    doc = loads("tags: [a]\nnext: 1\n")
    doc.set("tags", ["x" * 60, "y" * 60])  # longer than a line: a block list
    assert doc.text == f"tags:\n  - {'x' * 60}\n  - {'y' * 60}\nnext: 1\n"
    doc = loads("tags: [a]\nnext: 1\n")
    doc.set("tags", [{"k": 1}])  # an item that is itself a mapping: a block list
    assert doc.text == "tags:\n  - k: 1\nnext: 1\n"
    doc = loads("tags:\n  - a\nnext: 1\n")
    doc.set("tags", ["a", "b"])  # a block list stays a block list
    assert doc.text == "tags:\n  - a\n  - b\nnext: 1\n"


def test_what_a_replaced_value_keeps_the_key_line_and_a_single_value_keep():
    doc = loads("lost:  # 流失信息\n  reason: budget\n  # 集团\nnext: 1\n")
    doc.set("lost", {"reason": "timing"})
    assert doc.text == "lost:  # 流失信息\n  reason: timing\nnext: 1\n"  # the key's comment names the key
    doc = loads("lost:  # 待填\nnext: 1\n")
    doc.set("lost", {"reason": "timing"})
    assert doc.text == "lost:  # 待填\n  reason: timing\nnext: 1\n"  # no value: the comment is the key's
    doc = loads("amount: 650000  # 含税\nnext: 1\n")
    doc.set("amount", 700000)
    assert doc.text == "amount: 700000  # 含税\nnext: 1\n"  # a single value edited in place keeps its comment


def test_a_list_item_replaced_whole_takes_its_comments_and_leaves_the_next_ones():
    doc = loads("l:\n  - {a: 1}  # one\n  - a: 2  # two\n    # more of two\n  # above three\n  - a: 3\nend: 1\n")
    doc.set("l.0", {"b": 1}).set("l.1", {"b": 2})
    assert doc.text == "l:\n  - {b: 1}\n  - b: 2\n  # above three\n  - a: 3\nend: 1\n" and doc.fallbacks == 0


def test_a_key_removed_takes_the_comment_lines_indented_under_it():
    """Before: `  # 集团统一采购` was left behind, indented under the key above it."""
    doc = loads("id: x\nlost:\n  reason: budget\n  # 集团统一采购\n# 阶段\nstage: lead\n")
    doc.delete("lost")
    assert doc.text == "id: x\n# 阶段\nstage: lead\n" and doc.fallbacks == 0


def test_delete_first_key_of_list_item_falls_back_safely():
    doc = loads("l:\n- a: 1\n  b: 2\n")
    doc.delete("l.0.a")
    assert doc.data == {"l": [{"b": 2}]}
    assert parse_text(doc.text).data == {"l": [{"b": 2}]}


def test_pure_python_composer_gives_the_same_edits(monkeypatch):
    def edit() -> str:
        doc = loads(ODD)
        doc.set("need.budget.min", 1)
        doc.append("contacts", {"name": "李", "role": "user"})
        doc.set("need.summary", "x\ny\n")
        doc.delete("source.detail")
        return doc.text

    fast = edit()
    monkeypatch.setattr(roundtrip, "_CLoader", None)
    assert edit() == fast
