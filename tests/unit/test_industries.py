"""GB/T 4754-2017 industry names: 门类 and 大类, codes grouped by 大类, unknown codes as written."""

from __future__ import annotations

from dealbook.records.industries import DIVISIONS, SECTIONS, industry_group, industry_label, section_of


def test_the_standard_has_20_sections_and_97_divisions_each_in_its_section():
    assert len(SECTIONS) == 20 and len(DIVISIONS) == 97
    assert [section_of(d) for d in ("01", "05", "06", "13", "39", "43", "44", "65", "97")] == [
        "A", "A", "B", "C", "C", "C", "D", "I", "T"]


def test_codes_read_as_their_division():
    assert industry_group("C3982") == "C39" and industry_group("c39") == "C39" and industry_group("C") == "C"
    assert industry_label("C3982") == "C39 计算机、通信和其他电子设备制造业"
    assert industry_label("I6450") == "I64 互联网和相关服务"
    assert industry_label("F5211") == "F52 零售业"
    assert industry_label("C") == "C 制造业"
    assert industry_label("I6450", "en") == "I64 Information transmission, software and IT services"


def test_codes_outside_the_standard_read_as_written():
    assert industry_label("X12") == "X12"  # no such section
    assert industry_label("C6450") == "C 制造业"  # 64 is not a manufacturing division: the section
    assert industry_label("电子") == "电子" and industry_label("") == ""
