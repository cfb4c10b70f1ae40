"""Charts drawn at build time: bars and funnels as HTML (their text is page text, readable on a
phone), the trend as inline SVG whose text is not scaled. No script, no network, labels escaped."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from markupsafe import Markup, escape


def _number(value: float) -> str:
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.1f}"


def _figure(kind: str, title: str, body: str) -> Markup:
    caption = f'<figcaption class="db-chart-title">{escape(title)}</figcaption>' if title else ""
    return Markup(f'<figure class="db-chart db-chart-{kind}" role="img" aria-label="{escape(title)}">'
                  f"{caption}{body}</figure>")


def _empty(kind: str, title: str, text: str) -> Markup:
    return _figure(kind, title, f'<p class="db-chart-note">{escape(text)}</p>')


def _share(value: float, top: float) -> float:
    return round(100 * value / top, 2) if top else 0.0


def bar_chart(items: Sequence[tuple[str, float | None]], title: str = "",
              fmt: Callable[[float], str] = _number, empty: str = "—") -> Markup:
    """Horizontal bars, one per (label, value), the longest for the largest value; each row shows its value."""
    items = [(label, value or 0) for label, value in items]
    if not items or not any(v for _, v in items):
        return _empty("bar", title, empty)
    top = max(v for _, v in items) or 1
    rows = []
    for label, value in items:
        rows.append(
            f'<div class="db-bar"><span class="db-bar-label">{escape(label)}</span>'
            f'<span class="db-bar-track"><span class="db-bar-fill" style="width:{_share(value, top)}%"></span></span>'
            f'<span class="db-bar-value">{escape(fmt(value))}</span></div>')
    return _figure("bar", title, '<div class="db-bars">' + "".join(rows) + "</div>")


def funnel_chart(items: Sequence[tuple[str, float | None]], title: str = "",
                 fmt: Callable[[float], str] = _number, empty: str = "—",
                 steps: Sequence[str] = ()) -> Markup:
    """A funnel: centred bars narrowing with the counts (of customers who reached each stage);
    `steps`, one per row, is written beside each count (the conversion from the stage before)."""
    items = [(label, value or 0) for label, value in items]
    if not items or not any(v for _, v in items):
        return _empty("funnel", title, empty)
    top = max(v for _, v in items) or 1
    rows = []
    for n, (label, value) in enumerate(items):
        step = steps[n] if n < len(steps) and steps[n] else ""
        rows.append(
            f'<div class="db-bar db-funnel"><span class="db-bar-label">{escape(label)}</span>'
            f'<span class="db-bar-track"><span class="db-bar-fill" style="width:{max(_share(value, top), 1.0)}%">'
            f"</span></span>"
            f'<span class="db-bar-value" data-v="{escape(_number(value))}">{escape(fmt(value))}'
            + (f' <span class="db-funnel-step">{escape(step)}</span>' if step else "") + "</span></div>")
    return _figure("funnel", title, '<div class="db-bars">' + "".join(rows) + "</div>")


HEIGHT = 200
TOP, BOTTOM = 26, 26  # px above the plot (legend) and below it (month labels)
LEFT, RIGHT = 9.0, 3.0  # % of the width left of the plot (axis values) and right of it


def line_chart(labels: Sequence[str], series: Sequence[tuple[str, Sequence[float | None]]],
               title: str = "", empty: str = "—") -> Markup:
    """Lines over ordered labels (months), one per series, with a legend.

    Positions are percentages of the chart's width and text is in CSS pixels, so labels keep
    their size at any width; the lines are drawn in a stretched inner SVG with unscaled strokes."""
    values = [v or 0 for _, vs in series for v in vs]
    if not labels or not values or not any(values):
        return _empty("line", title, empty)
    top = max(values) or 1
    plot_h = HEIGHT - TOP - BOTTOM
    span = 100.0 - LEFT - RIGHT
    n = max(1, len(labels) - 1)

    def x(i: int) -> float:
        return round(LEFT + span * i / n, 2)

    body = [f'<line class="db-axis" x1="{LEFT}%" y1="{TOP + plot_h}" x2="{100 - RIGHT}%" y2="{TOP + plot_h}"></line>',
            f'<text x="{LEFT - 1}%" y="{TOP + 4}" text-anchor="end" class="db-chart-value">{_number(top)}</text>',
            f'<text x="{LEFT - 1}%" y="{TOP + plot_h}" text-anchor="end" class="db-chart-value">0</text>']
    every = max(1, -(-len(labels) // 6))  # at most 6 labels on the axis: they fit a phone
    for i, label in enumerate(labels):
        if i % every == 0 or i == len(labels) - 1:
            anchor = "end" if i == len(labels) - 1 else ("start" if i == 0 else "middle")
            body.append(f'<text x="{x(i)}%" y="{HEIGHT - 6}" text-anchor="{anchor}" class="db-chart-value">'
                        f"{escape(label)}</text>")
    lines = []
    for k, (_name, vs) in enumerate(series):
        points = " ".join(f"{1000 * i / n:.1f},{100 - 100 * (v or 0) / top:.2f}" for i, v in enumerate(vs))
        lines.append(f'<polyline class="db-line db-series-{k % 4}" points="{points}" '
                     f'vector-effect="non-scaling-stroke"></polyline>')
    body.append(f'<svg x="{LEFT}%" y="{TOP}" width="{span}%" height="{plot_h}" viewBox="0 0 1000 100" '
                f'preserveAspectRatio="none" overflow="visible">{"".join(lines)}</svg>')
    legend = "".join(f'<span class="db-legend db-series-{k % 4}"><span class="db-swatch"></span>{escape(name)}</span>'
                     for k, (name, _) in enumerate(series))
    svg = (f'<svg class="db-line-chart" width="100%" height="{HEIGHT}" xmlns="http://www.w3.org/2000/svg" '
           f'aria-hidden="true">{"".join(body)}</svg>')
    return _figure("line", title, f'<div class="db-legends">{legend}</div>{svg}')
