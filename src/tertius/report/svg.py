"""A small SVG plotting surface for the reports: axes with round-number ticks, marks with hover
titles, a legend, and nothing else. The reports need four kinds of chart (positions on a scale,
bars, lines over rounds, histograms); drawing them directly keeps the default install free of a
plotting library and its fonts and image codecs (about 95 MB), and the output byte-for-byte
deterministic. Every mark carries a ``<title>``, so a browser shows its numbers on hover, and
the chart a ``role="img"`` with an ``aria-label``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from html import escape

from tertius.report.numbers import human

FONT = "system-ui, -apple-system, 'Segoe UI', sans-serif"
PALETTE = ["#1f77b4", "#ff7f0e", "#2ca02c", "#9467bd", "#8c564b", "#e377c2", "#17becf", "#bcbd22", "#d62728"]


def nice_ticks(lo: float, hi: float, target: int = 6) -> list[float]:
    """Round-number ticks (1, 2 or 5 times a power of ten) covering [lo, hi]."""
    if not (math.isfinite(lo) and math.isfinite(hi)) or hi <= lo:
        return [lo]
    raw = (hi - lo) / max(target - 1, 1)
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 2.5, 5, 10) if m * power >= raw)
    first = math.ceil(lo / step - 1e-9) * step
    out, k = [], 0
    while first + k * step <= hi + 1e-9 * step:
        out.append(round(first + k * step, 12))
        k += 1
    return out


def _a(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".")


class Plot:
    """A plotting area of ``width`` × ``height`` pixels with a numeric x axis from ``x0`` to
    ``x1`` and either a numeric y axis or rows of categories (top to bottom)."""

    def __init__(self, width: int, height: int, x0: float, x1: float, *, y0: float = 0.0, y1: float = 1.0,
                 rows: Sequence[str] | None = None, left: int = 60, right: int = 16, top: int = 28, bottom: int = 40,
                 title: str = "") -> None:
        self.width, self.height = width, height
        self.left, self.right, self.top, self.bottom = left, right, top, bottom
        pad = 0.0 if x1 > x0 else 1.0
        self.x0, self.x1 = x0 - pad, x1 + pad
        self.rows = list(rows) if rows is not None else None
        self.y0, self.y1 = (y0, y1) if y1 > y0 else (y0 - 1, y0 + 1)
        self.title = title
        self.parts: list[str] = []
        self.legend_items: list[tuple[str, str, str]] = []

    # ---------------------------------------------------------------- coordinates
    def x(self, v: float) -> float:
        span = self.width - self.left - self.right
        return self.left + span * (v - self.x0) / (self.x1 - self.x0)

    def y(self, v: float) -> float:
        span = self.height - self.top - self.bottom
        return self.top + span * (1 - (v - self.y0) / (self.y1 - self.y0))

    def row(self, k: int) -> float:
        assert self.rows is not None
        span = self.height - self.top - self.bottom
        return self.top + span * (k + 0.5) / max(len(self.rows), 1)

    # ---------------------------------------------------------------- marks
    def circle(self, cx: float, cy: float, r: float, fill: str, tip: str, stroke: str = "#333", opacity: float = 0.6) -> None:
        self.parts.append(f'<circle cx="{_a(cx)}" cy="{_a(cy)}" r="{_a(r)}" fill="{fill}" fill-opacity="{opacity}" '
                          f'stroke="{stroke}" stroke-width="1"><title>{escape(tip)}</title></circle>')

    def line(self, x1: float, y1: float, x2: float, y2: float, stroke: str, tip: str = "", width: float = 1.5,
             dash: str = "") -> None:
        extra = f' stroke-dasharray="{dash}"' if dash else ""
        body = f"<title>{escape(tip)}</title>" if tip else ""
        self.parts.append(f'<line x1="{_a(x1)}" y1="{_a(y1)}" x2="{_a(x2)}" y2="{_a(y2)}" stroke="{stroke}" '
                          f'stroke-width="{width}"{extra}>{body}</line>')

    def polyline(self, points: Sequence[tuple[float, float]], stroke: str, tip: str, width: float = 1.5,
                 dash: str = "", dots: bool = True) -> None:
        if not points:
            return
        extra = f' stroke-dasharray="{dash}"' if dash else ""
        coords = " ".join(f"{_a(px)},{_a(py)}" for px, py in points)
        self.parts.append(f'<polyline points="{coords}" fill="none" stroke="{stroke}" stroke-width="{width}"{extra}>'
                          f"<title>{escape(tip)}</title></polyline>")
        if dots:
            for px, py in points:
                self.parts.append(f'<circle cx="{_a(px)}" cy="{_a(py)}" r="2.2" fill="{stroke}"/>')

    def rect(self, x: float, y: float, w: float, h: float, fill: str, tip: str) -> None:
        self.parts.append(f'<rect x="{_a(x)}" y="{_a(y)}" width="{_a(max(w, 0))}" height="{_a(max(h, 0))}" '
                          f'fill="{fill}"><title>{escape(tip)}</title></rect>')

    def star(self, cx: float, cy: float, r: float, fill: str, tip: str) -> None:
        points = []
        for k in range(10):
            radius = r if k % 2 == 0 else r * 0.45
            angle = math.pi / 2 + k * math.pi / 5
            points.append(f"{_a(cx + radius * math.cos(angle))},{_a(cy - radius * math.sin(angle))}")
        self.parts.append(f'<polygon points="{" ".join(points)}" fill="{fill}"><title>{escape(tip)}</title></polygon>')

    def text(self, x: float, y: float, text: str, anchor: str = "start", size: int = 11, fill: str = "#222",
             weight: str = "normal") -> None:
        self.parts.append(f'<text x="{_a(x)}" y="{_a(y)}" font-size="{size}" text-anchor="{anchor}" fill="{fill}" '
                          f'font-weight="{weight}">{escape(text)}</text>')

    def legend(self, label: str, colour: str, kind: str = "line") -> None:
        """Add a legend entry; call before drawing marks, then :meth:`make_room`."""
        self.legend_items.append((label, colour, kind))

    def _legend_rows(self) -> list[list[tuple[str, str, str, float]]]:
        rows: list[list[tuple[str, str, str, float]]] = [[]]
        x: float = self.left
        for label, colour, kind in self.legend_items:
            w = 20 + 6.0 * len(label)
            if rows[-1] and x + w > self.width - self.right:
                rows.append([])
                x = self.left
            rows[-1].append((label, colour, kind, x))
            x += w
        return rows if rows[0] else []

    def make_room(self) -> None:
        """Move the plotting area down by the legend's rows."""
        self.top += 16 * len(self._legend_rows())

    # ---------------------------------------------------------------- axes
    def axes(self, xlabel: str = "", ylabel: str = "", xticks: Sequence[float] | None = None,
             yticks: Sequence[float] | None = None) -> None:
        bottom = self.height - self.bottom
        for t in xticks if xticks is not None else nice_ticks(self.x0, self.x1):
            px = self.x(t)
            self.line(px, self.top, px, bottom, "#e3e3e3", width=1)
            self.text(px, bottom + 14, human(t), anchor="middle", size=10, fill="#555")
        if self.rows is not None:
            for k, name in enumerate(self.rows):
                self.text(self.left - 6, self.row(k) + 4, name, anchor="end", size=11)
        else:
            for t in yticks if yticks is not None else nice_ticks(self.y0, self.y1, 5):
                py = self.y(t)
                self.line(self.left, py, self.width - self.right, py, "#e3e3e3", width=1)
                self.text(self.left - 6, py + 4, human(t), anchor="end", size=10, fill="#555")
        self.line(self.left, bottom, self.width - self.right, bottom, "#888", width=1)
        if xlabel:
            self.text((self.left + self.width - self.right) / 2, bottom + 30, xlabel, anchor="middle", size=11, fill="#444")
        if ylabel:
            cy = (self.top + bottom) / 2
            self.parts.append(f'<text x="12" y="{_a(cy)}" font-size="11" fill="#444" text-anchor="middle" '
                              f'transform="rotate(-90 12 {_a(cy)})">{escape(ylabel)}</text>')

    def render(self) -> str:
        """The chart as one ``<svg>`` element (the legend, if any, in a row above the plot)."""
        head: list[str] = []
        if self.title:
            head.append(f'<text x="4" y="15" font-size="13" font-weight="600" fill="#222">{escape(self.title)}</text>')
        rows = self._legend_rows()
        for r, items in enumerate(rows):
            y = self.top - 8 - 16 * (len(rows) - 1 - r)
            for label, colour, kind, x in items:
                if kind == "star":
                    head.append(f'<text x="{_a(x)}" y="{_a(y + 4)}" font-size="12" fill="{colour}">★</text>')
                elif kind == "dot":
                    head.append(f'<circle cx="{_a(x + 5)}" cy="{_a(y)}" r="4" fill="{colour}" fill-opacity="0.6"/>')
                else:
                    head.append(f'<line x1="{_a(x)}" y1="{_a(y)}" x2="{_a(x + 12)}" y2="{_a(y)}" stroke="{colour}" '
                                f'stroke-width="2.5"/>')
                head.append(f'<text x="{_a(x + 16)}" y="{_a(y + 4)}" font-size="10" fill="#333">{escape(label)}</text>')
        label = escape(self.title or "chart")
        return (f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {self.width} {self.height}" '
                f'width="{self.width}" height="{self.height}" role="img" aria-label="{label}" '
                f'font-family="{FONT}"><rect width="100%" height="100%" fill="#fff"/>'
                + "".join(head) + "".join(self.parts) + "</svg>")
