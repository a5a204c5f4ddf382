"""Small SVG charts drawn on the server: no JavaScript, no external assets.

A hidden figure is a gap in the line with an "x" on the axis, never a guess: a chart shows
exactly the published figures and nothing that could be read back into a hidden one.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

WIDTH, HEIGHT = 640, 260
LEFT, RIGHT, TOP, BOTTOM = 48, 40, 28, 48
#: Colour-blind-safe (Okabe-Ito), then grey.
PALETTE = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#F0E442",
           "#000000", "#999999")

Point = float | int | None


def line_chart(title: str, months: Sequence[str], series: Sequence[tuple[str, Sequence[Point]]],
               unit: str = "") -> str:
    """One line per series over the months; None values are gaps."""
    values = [v for _, points in series for v in points if v is not None]
    top = _nice(max(values) if values else 1)
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    step = plot_w / max(1, len(months) - 1)

    def x(i: int) -> float:
        return LEFT + (i * step if len(months) > 1 else plot_w / 2)

    def y(v: float) -> float:
        return TOP + plot_h - (v / top) * plot_h

    parts = [(f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT + 18 * len(series)}" '
             f'role="img" aria-label="{escape(title)}" font-family="sans-serif" font-size="11">'),
             f'<title>{escape(title)}</title>',
             f'<text x="{LEFT}" y="16" font-size="13" font-weight="bold">{escape(title)}</text>']
    for tick in range(5):
        value = top * tick / 4
        parts.append(f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y(value):.1f}" y2="{y(value):.1f}" '
                     f'stroke="#ddd"/>')
        parts.append(f'<text x="{LEFT - 6}" y="{y(value) + 4:.1f}" text-anchor="end">'
                     f'{value:g}{escape(unit)}</text>')
    for i, month in enumerate(months):
        parts.append(f'<text x="{x(i):.1f}" y="{HEIGHT - BOTTOM + 16}" text-anchor="middle">'
                     f'{escape(month)}</text>')
    for n, (name, points) in enumerate(series):
        colour = PALETTE[n % len(PALETTE)]
        for run in _runs(points):
            coords = " ".join(f"{x(i):.1f},{y(float(v)):.1f}" for i, v in run)
            if len(run) > 1:
                parts.append(f'<polyline points="{coords}" fill="none" stroke="{colour}" stroke-width="2"/>')
            for i, v in run:
                parts.append(f'<circle cx="{x(i):.1f}" cy="{y(float(v)):.1f}" r="3" fill="{colour}">'
                             f'<title>{escape(name)} {escape(months[i])}: {v:g}</title></circle>')
        for i, point in enumerate(points):
            if point is None:
                parts.append(f'<text x="{x(i):.1f}" y="{HEIGHT - BOTTOM - 4}" text-anchor="middle" '
                             f'fill="{colour}">x<title>{escape(name)} {escape(months[i])}: hidden</title></text>')
        legend_y = HEIGHT + 18 * n
        parts.append(f'<rect x="{LEFT}" y="{legend_y - 9}" width="10" height="10" fill="{colour}"/>')
        parts.append(f'<text x="{LEFT + 16}" y="{legend_y}">{escape(name)}</text>')
    parts.append("</svg>")
    return "".join(parts)


def _runs(points: Sequence[Point]) -> list[list[tuple[int, float]]]:
    runs: list[list[tuple[int, float]]] = [[]]
    for i, v in enumerate(points):
        if v is None:
            runs.append([])
        else:
            runs[-1].append((i, float(v)))
    return [run for run in runs if run]


def _nice(value: float) -> float:
    """A round axis maximum at or above ``value``."""
    if value <= 0:
        return 1.0
    magnitude = 10 ** (len(str(int(value))) - 1)
    for factor in (1, 2, 2.5, 5, 10):
        if value <= factor * magnitude:
            return float(factor * magnitude)
    return float(10 * magnitude)
