"""Server-side SVG line charts: one metric against the step, no script, no CDN."""

from __future__ import annotations

import math
from dataclasses import dataclass
from html import escape

WIDTH, HEIGHT = 480, 220
LEFT, RIGHT, TOP, BOTTOM = 56, 12, 12, 28


@dataclass(frozen=True)
class Series:
    name: str
    points: list[tuple[float, float]]  # (step, value), in step order


def _span(values: list[float]) -> tuple[float, float]:
    low, high = min(values), max(values)
    if low == high:
        pad = abs(low) * 0.1 or 1.0
        return low - pad, high + pad
    return low, high


def _label(value: float) -> str:
    if value != 0 and (abs(value) >= 1e5 or abs(value) < 1e-3):
        return f"{value:.2e}"
    return f"{value:.4g}"


def _tick(x: float, y: float, text: str, anchor: str) -> str:
    return f'<text class="tick" x="{x}" y="{y}" text-anchor="{anchor}">{escape(text)}</text>'


def line_chart(series: Series) -> str:
    """An accessible SVG (role=img, title and description) of the series; finite points only."""
    points = [(x, y) for x, y in series.points if math.isfinite(x) and math.isfinite(y)]
    name = escape(series.name)
    head = (
        f'<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img"'
        f' aria-label="{name} by step" xmlns="http://www.w3.org/2000/svg">'
        f"<title>{name} by step</title>"
    )
    if not points:
        return (
            head
            + f'<text x="{WIDTH / 2}" y="{HEIGHT / 2}" text-anchor="middle">no data</text></svg>'
        )
    (x0, x1), (y0, y1) = _span([p[0] for p in points]), _span([p[1] for p in points])
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM

    def sx(x: float) -> float:
        return LEFT + (x - x0) / (x1 - x0) * plot_w

    def sy(y: float) -> float:
        return TOP + (1 - (y - y0) / (y1 - y0)) * plot_h

    path = " ".join(f"{sx(x):.1f},{sy(y):.1f}" for x, y in points)
    first, last = points[0], points[-1]
    parts = [
        head,
        f"<desc>{len(points)} points from step {_label(first[0])} ({_label(first[1])})"
        f" to step {_label(last[0])} ({_label(last[1])})</desc>",
        f'<rect class="plot" x="{LEFT}" y="{TOP}" width="{plot_w}" height="{plot_h}"/>',
        _tick(LEFT - 4, TOP + 10, _label(y1), "end"),
        _tick(LEFT - 4, TOP + plot_h, _label(y0), "end"),
        _tick(LEFT, HEIGHT - 8, _label(x0), "start"),
        _tick(WIDTH - RIGHT, HEIGHT - 8, _label(x1), "end"),
    ]
    if len(points) == 1:
        parts.append(
            f'<circle class="line" cx="{sx(first[0]):.1f}" cy="{sy(first[1]):.1f}" r="3"/>'
        )
    else:
        parts.append(f'<polyline class="line" fill="none" points="{path}"/>')
    return "".join(parts) + "</svg>"
