"""Charts drawn at build time as inline SVG: no script, no network, labels escaped."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from markupsafe import Markup, escape

WIDTH = 640
BAR = 22
GAP = 8
LABEL_W = 150


def _number(value: float) -> str:
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.1f}"


def _svg(height: int, body: list[str], title: str) -> Markup:
    head = (f'<svg class="db-chart" viewBox="0 0 {WIDTH} {height}" width="100%" role="img" '
            f'preserveAspectRatio="xMinYMin meet" xmlns="http://www.w3.org/2000/svg">'
            f"<title>{escape(title)}</title>")
    return Markup(head + "".join(body) + "</svg>")


def _empty(title: str, text: str) -> Markup:
    return _svg(40, [f'<text x="0" y="24" class="db-chart-note">{escape(text)}</text>'], title)


def bar_chart(items: Sequence[tuple[str, float | None]], title: str = "",
              fmt: Callable[[float], str] = _number, empty: str = "—") -> Markup:
    """Horizontal bars, one per (label, value), longest = largest value."""
    items = [(label, value or 0) for label, value in items]
    if not items or not any(v for _, v in items):
        return _empty(title, empty)
    top = max(v for _, v in items) or 1
    span = WIDTH - LABEL_W - 90
    body = []
    for i, (label, value) in enumerate(items):
        y = i * (BAR + GAP)
        w = max(1.0, span * value / top) if value else 0
        body.append(
            f'<g class="db-bar" transform="translate(0,{y})">'
            f'<text x="{LABEL_W - 8}" y="{BAR * 0.7:.1f}" text-anchor="end">{escape(label)}</text>'
            f'<rect x="{LABEL_W}" y="0" width="{w:.1f}" height="{BAR}" rx="3"></rect>'
            f'<text x="{LABEL_W + w + 6:.1f}" y="{BAR * 0.7:.1f}" class="db-chart-value">{escape(fmt(value))}</text>'
            "</g>"
        )
    return _svg(len(items) * (BAR + GAP), body, title)


def funnel_chart(items: Sequence[tuple[str, float | None]], title: str = "", empty: str = "—") -> Markup:
    """A funnel: centred bars narrowing with the stage counts."""
    items = [(label, value or 0) for label, value in items]
    if not items or not any(v for _, v in items):
        return _empty(title, empty)
    top = max(v for _, v in items) or 1
    span = WIDTH - LABEL_W - 20
    middle = LABEL_W + span / 2
    body = []
    for i, (label, value) in enumerate(items):
        y = i * (BAR + GAP)
        w = max(2.0, span * value / top)
        body.append(
            f'<g class="db-funnel" transform="translate(0,{y})">'
            f'<text x="{LABEL_W - 8}" y="{BAR * 0.7:.1f}" text-anchor="end">{escape(label)}</text>'
            f'<rect x="{middle - w / 2:.1f}" y="0" width="{w:.1f}" height="{BAR}" rx="3"></rect>'
            f'<text x="{middle:.1f}" y="{BAR * 0.7:.1f}" text-anchor="middle" class="db-chart-inside">'
            f"{escape(_number(value))}</text></g>"
        )
    return _svg(len(items) * (BAR + GAP), body, title)


def line_chart(labels: Sequence[str], series: Sequence[tuple[str, Sequence[float | None]]],
               title: str = "", empty: str = "—") -> Markup:
    """Lines over ordered labels (months), one per series, with a legend."""
    values = [v or 0 for _, vs in series for v in vs]
    if not labels or not values or not any(values):
        return _empty(title, empty)
    height, left, bottom, top_pad = 220, 50, 40, 24
    plot_w, plot_h = WIDTH - left - 30, height - bottom - top_pad
    top = max(values) or 1
    step = plot_w / max(1, len(labels) - 1)
    base = top_pad + plot_h
    body = [f'<line class="db-axis" x1="{left}" y1="{base}" x2="{left + plot_w}" y2="{base}"></line>',
            f'<text x="{left - 6}" y="{top_pad + 4}" text-anchor="end" class="db-chart-value">{_number(top)}</text>',
            f'<text x="{left - 6}" y="{top_pad + plot_h}" text-anchor="end" class="db-chart-value">0</text>']
    every = max(1, -(-len(labels) // 7))  # at most 7 labels on the axis
    for i, label in enumerate(labels):
        if i % every == 0 or i == len(labels) - 1:
            body.append(f'<text x="{left + i * step:.1f}" y="{height - bottom + 18}" text-anchor="middle" '
                        f'class="db-chart-value">{escape(label)}</text>')
    for n, (name, vs) in enumerate(series):
        points = " ".join(f"{left + i * step:.1f},{top_pad + plot_h - plot_h * (v or 0) / top:.1f}"
                          for i, v in enumerate(vs))
        body.append(f'<polyline class="db-line db-series-{n % 4}" points="{points}"></polyline>')
        body.append(f'<g class="db-series-{n % 4}"><rect x="{left + n * 150}" y="2" width="12" height="12"></rect>'
                    f'<text x="{left + n * 150 + 18}" y="13">{escape(name)}</text></g>')
    return _svg(height, body, title)
