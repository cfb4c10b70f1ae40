"""Charts: bar lengths follow the values, text stays page text (readable on a phone), labels are
escaped, empty data says so; the report pages chart the column that matters."""

from __future__ import annotations

import re

from dealbook.site import charts


def widths(html: str) -> list[float]:
    return [float(w) for w in re.findall(r'class="db-bar-fill" style="width:([0-9.]+)%"', html)]


def test_bar_widths_are_proportional_to_values():
    html = str(charts.bar_chart([("a", 100), ("b", 50), ("c", 0)], title="t"))
    assert widths(html) == [100.0, 50.0, 0.0]
    assert html.startswith('<figure class="db-chart db-chart-bar"') and html.endswith("</figure>")
    assert ">100<" in html and ">50<" in html and "<svg" not in html  # HTML text, never scaled down


def test_labels_and_title_are_escaped():
    html = str(charts.bar_chart([("<script>alert(1)</script> & Co", 3)], title="<b>t</b>"))
    assert "<script>" not in html and "<b>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; Co" in html
    assert '<figcaption class="db-chart-title">&lt;b&gt;t&lt;/b&gt;</figcaption>' in html
    line = str(charts.line_chart(["<i>"], [("<u>", [1])], title="x"))
    assert "<i>" not in line and "<u>" not in line and "&lt;u&gt;" in line


def test_empty_data_shows_the_note():
    html = str(charts.bar_chart([("a", 0), ("b", None)], empty="暂无数据"))
    assert "暂无数据" in html and "db-bar-fill" not in html
    assert "暂无数据" in str(charts.funnel_chart([], empty="暂无数据"))
    assert "暂无数据" in str(charts.line_chart([], [], empty="暂无数据"))


def test_funnel_bars_narrow_with_the_counts():
    html = str(charts.funnel_chart([("lead", 10), ("discovery", 5)]))
    assert widths(html) == [100.0, 50.0] and html.count("db-funnel") == 2


def test_line_chart_draws_one_polyline_per_series_with_a_legend_and_unscaled_text():
    html = str(charts.line_chart(["2024-01", "2024-02", "2024-03"], [("entered", [1, 2, 4]), ("won", [0, 1, 1])]))
    assert html.count("<polyline") == 2
    assert ">entered<" in html and ">won<" in html and ">2024-02<" in html
    # text sits in the outer SVG, which has no viewBox: its font size is CSS pixels at any width
    outer = re.search(r'<svg class="db-line-chart"[^>]*>', html).group(0)
    assert "viewBox" not in outer
    points = re.findall(r'points="([^"]+)"', html)[0].split()
    ys = [float(p.split(",")[1]) for p in points]
    assert ys[0] > ys[1] > ys[2]  # larger values sit higher (smaller y)
