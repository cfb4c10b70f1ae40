"""The fast reader of change-log fields agrees with the full loader, whatever the layout."""

from __future__ import annotations

import pytest
from dealbook.git.tracked import TOP_KEYS, TrackedReader, top_blocks
from dealbook.records.load import parse_bytes
from hypothesis import given, settings
from hypothesis import strategies as st

SAMPLES = [
    # the generator's / editor's layout: indented lists, comments, flow list, dates as strings
    """# yaml-language-server: $schema=../../schemas/customer.schema.json
id: 粤IT2024001
name: A科技有限公司
owner: zhang  # 张伟
support: [li, chen]
contacts:
  - name: 王总监
    title: 技术总监
    role: decision_maker
need:
  summary: 质检提效
  pains: [设备故障多, 报表慢]
  budget:
    status: partial
    min: 500000
  timeline:
    start: 2024-06-01
stage: proposal
deal:
  amount: 650000
  close_by: 2024-06-30
""",
    # PyYAML's dump layout: list items at the key's column, quoted keys and dates
    """id: 粤IT2024002
name: 'B公司'
contacts:
- name: 李经理
  role: user
stage_history:
- stage: lead
  'on': '2024-01-05'
stage: lead
grade:
  value: A
  reason: "大客户: 战略"
paused_until: null
""",
    # things the small reader refuses and hands to the YAML loader
    """id: 粤IT2024003
name: >
  折叠的
  名字
owner: &who zhang
support: [*who]
need: {summary: x, budget: {status: clear}}
stage: won
lost:
  reason: budget
  note: |
    多行
    说明
""",
    "---\nid: 粤IT2024004\nstage: lead\n...\n",
    "stage: lead\nstage: won\n",  # a duplicate key: the loader's answer decides
    "- not a mapping\n",
    "deal:\n  amount: 1_000\n  close_by: 2024-06-30T10:00\nowner: yes\nname: 0x1F\n",
]


def expected(text: str) -> dict | None:
    loaded = parse_bytes(text.encode(), "x.yaml")
    if loaded.error is not None or not isinstance(loaded.data, dict):
        return None
    return {k: v for k, v in loaded.data.items() if k in TOP_KEYS}


@pytest.mark.parametrize("text", SAMPLES)
def test_agrees_with_the_loader(text):
    if text.startswith("stage: lead\nstage: won"):
        assert top_blocks(text) is None
        return
    assert TrackedReader().read(text.encode()) == expected(text)


def test_blocks_are_read_once():
    reader = TrackedReader()
    reader.read(SAMPLES[0].encode())
    before = len(reader.memo)
    reader.read(SAMPLES[0].replace("stage: proposal", "stage: negotiation").encode())
    assert len(reader.memo) == before + 1


_plain = st.text(alphabet=st.sampled_from(list("ab 客户-_.:#'\"[],{}&*!|>%@`?012")), min_size=0, max_size=12)


@settings(max_examples=300, deadline=None)
@given(owner=_plain, amount=_plain, status=_plain)
def test_any_scalar_text_agrees_or_falls_back(owner, amount, status):
    text = f"owner: {owner}\ndeal:\n  amount: {amount}\nneed:\n  budget:\n    status: {status}\nstage: lead\n"
    loaded = parse_bytes(text.encode(), "x.yaml")
    if loaded.error is not None:
        return  # not YAML at all; the reader may answer anything but must not raise
    assert TrackedReader().read(text.encode()) == expected(text)


# --- hostile versions in the history: the reader refuses what the loader refuses -------------

LAUGHS = "".join(f"l{i}: &l{i} [{', '.join(['*l' + str(i - 1)] * 10) if i else 'x, x, x, x, x'}]\n"
                 for i in range(9))


@pytest.mark.parametrize("text", [
    "id: 粤IT2024001\nstage: lead\n" + LAUGHS + "name: *l8\n",          # an alias in a tracked field
    "id: 粤IT2024001\nname: &n A\nowner: *n\nstage: lead\n",            # anchor and alias across blocks
    "id: 粤IT2024001\nstage: lead\nname: [*l8]\n" + LAUGHS,             # an alias before its anchor
    "{id: 粤IT2024001, a: &a [1, 2], name: *a}\n",                     # a flow mapping: the whole-file path
])
def test_aliases_are_refused_as_the_loader_refuses_them(text):
    assert parse_bytes(text.encode(), "x.yaml").error is not None
    assert TrackedReader().read(text.encode()) is None


def test_a_deep_tracked_block_is_refused_not_a_crash():
    deep = "need:\n" + "".join("  " * (i + 1) + f"k{i}:\n" for i in range(3000)) + "stage: lead\n"
    assert TrackedReader().read(deep.encode()) is None


def test_tags_in_a_tracked_block_are_refused():
    assert TrackedReader().read(b"stage: lead\ndeal: !!python/object:os.system {amount: 1}\n") is None
    assert TrackedReader().read(b"stage: lead\nsupport: !!set {li: null}\n") is None
