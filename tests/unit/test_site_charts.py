"""Inline SVG charts: sizes follow the values, labels are escaped, empty data says so."""

from __future__ import annotations

import re

from dealbook.site import charts


def widths(svg: str) -> list[float]:
    return [float(w) for w in re.findall(r'<rect x="[^"]+" y="0" width="([0-9.]+)"', svg)]


def test_bar_widths_are_proportional_to_values():
    svg = str(charts.bar_chart([("a", 100), ("b", 50), ("c", 0)]))
    span = charts.WIDTH - charts.LABEL_W - 90
    assert widths(svg) == [span, span / 2, 0]
    assert svg.startswith("<svg") and svg.endswith("</svg>")
    assert ">100<" in svg and ">50<" in svg


def test_labels_and_title_are_escaped():
    svg = str(charts.bar_chart([("<script>alert(1)</script> & Co", 3)], title="<b>t</b>"))
    assert "<script>" not in svg and "<b>" not in svg
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; Co" in svg
    assert "<title>&lt;b&gt;t&lt;/b&gt;</title>" in svg


def test_empty_data_shows_the_note():
    svg = str(charts.bar_chart([("a", 0), ("b", None)], empty="暂无数据"))
    assert "暂无数据" in svg and "<rect" not in svg
    assert "暂无数据" in str(charts.funnel_chart([], empty="暂无数据"))
    assert "暂无数据" in str(charts.line_chart([], [], empty="暂无数据"))


def test_funnel_bars_are_centred_and_narrow_with_the_counts():
    svg = str(charts.funnel_chart([("lead", 10), ("discovery", 5)]))
    span = charts.WIDTH - charts.LABEL_W - 20
    assert widths(svg) == [span, span / 2]
    xs = [float(x) for x in re.findall(r'<rect x="([0-9.]+)"', svg)]
    middle = charts.LABEL_W + span / 2
    assert xs == [middle - span / 2, middle - span / 4]


def test_line_chart_draws_one_polyline_per_series_with_a_legend():
    svg = str(charts.line_chart(["2024-01", "2024-02", "2024-03"], [("entered", [1, 2, 4]), ("won", [0, 1, 1])]))
    assert svg.count("<polyline") == 2
    assert ">entered<" in svg and ">won<" in svg and ">2024-02<" in svg
    points = re.findall(r'points="([^"]+)"', svg)[0].split()
    ys = [float(p.split(",")[1]) for p in points]
    assert ys[0] > ys[1] > ys[2]  # larger values sit higher (smaller y)
