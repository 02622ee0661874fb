"""Small inline SVG charts for the HTML pages, drawn by hand.

A report page must work offline and stay light, so there is no plotting
library: a chart is a few ``<rect>`` and ``<text>`` elements sized from the
data. Every chart is an ``<svg role="img">`` with a ``<title>`` and an
``aria-label``, and every bar carries its own ``<title>`` (a tooltip, and the
text a screen reader gives), so no number lives only in a colour or a length.

Colours are CSS classes (``bar-passed``, ``bar-failed`` ...) that the page's
stylesheet fills, or the page's CSS variables (line charts), so a chart
follows the page's light or dark scheme.

``line_chart`` draws values over time (a load run's throughput and latency
per second): polylines on a shared axis, a legend, a value grid.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

ROW_HEIGHT = 22
BAR_HEIGHT = 15
LABEL_WIDTH = 300  # the label column; longer labels are clipped with an ellipsis
VALUE_WIDTH = 80  # room right of the longest bar for its value
CHART_WIDTH = 760
LABEL_CHARS = 44  # what fits in LABEL_WIDTH at the chart's font size


@dataclass(frozen=True)
class Bar:
    label: str
    value: float
    css_class: str = "bar"
    tooltip: str = ""  # defaults to "label: value"


def horizontal_bar_chart(
    bars: Sequence[Bar], *, title: str, unit: str = "", width: int = CHART_WIDTH
) -> str:
    """One bar per row, longest scale first as given; values printed at bar ends."""
    if not bars:
        return ""
    height = ROW_HEIGHT * len(bars) + 6
    track = width - LABEL_WIDTH - VALUE_WIDTH
    largest = max((bar.value for bar in bars), default=0.0) or 1.0
    rows = [
        _bar_row(bar, index, track * bar.value / largest, unit) for index, bar in enumerate(bars)
    ]
    return _svg(title, width, height, rows)


def stacked_bar(segments: Sequence[Bar], *, title: str, width: int = CHART_WIDTH) -> str:
    """One full-width bar split into segments proportional to their values.

    Zero segments are omitted; each segment prints its value inside when it
    is wide enough to hold it.
    """
    total = sum(bar.value for bar in segments)
    if total <= 0:
        return ""
    height = 28
    parts = []
    x = 0.0
    for bar in segments:
        if bar.value <= 0:
            continue
        span = width * bar.value / total
        parts.append(_segment(bar, x, span, height))
        x += span
    return _svg(title, width, height, parts)


def format_value(value: float, unit: str) -> str:
    if unit == "ms" and value >= 1000:
        return f"{value / 1000:.2f} s"
    number = f"{value:.0f}" if value >= 10 or value == int(value) else f"{value:.1f}"
    return f"{number} {unit}".strip()


def clip_label(label: str, limit: int = LABEL_CHARS) -> str:
    return label if len(label) <= limit else label[: limit - 1] + "…"


def _svg(title: str, width: int, height: int, body: list[str]) -> str:
    label = escape(title)
    return (
        f'<svg class="chart" role="img" aria-label="{label}" viewBox="0 0 {width} {height}"'
        f' width="{width}" height="{height}" xmlns="http://www.w3.org/2000/svg">'
        f"<title>{label}</title>" + "".join(body) + "</svg>"
    )


def _bar_row(bar: Bar, index: int, length: float, unit: str) -> str:
    y = index * ROW_HEIGHT + 3
    text_y = y + BAR_HEIGHT - 3
    value = format_value(bar.value, unit)
    tooltip = escape(bar.tooltip or f"{bar.label}: {value}")
    shown = max(length, 1.0)  # a zero still shows a sliver, so the row does not look empty
    return (
        f"<g><title>{tooltip}</title>"
        f'<text class="chart-label" x="{LABEL_WIDTH - 8}" y="{text_y}" text-anchor="end">'
        f"{escape(clip_label(bar.label))}</text>"
        f'<rect class="{escape(bar.css_class)}" x="{LABEL_WIDTH}" y="{y}"'
        f' width="{shown:.1f}" height="{BAR_HEIGHT}" rx="2"/>'
        f'<text class="chart-value" x="{LABEL_WIDTH + shown + 6:.1f}" y="{text_y}">'
        f"{escape(value)}</text></g>"
    )


def _segment(bar: Bar, x: float, span: float, height: int) -> str:
    tooltip = escape(bar.tooltip or f"{bar.label}: {format_value(bar.value, '')}")
    inside = ""
    text = f"{format_value(bar.value, '')} {bar.label}"
    if span >= 8 * len(text):
        inside = (
            f'<text class="chart-inside" x="{x + span / 2:.1f}" y="{height / 2 + 5:.1f}"'
            f' text-anchor="middle">{escape(text)}</text>'
        )
    return (
        f"<g><title>{tooltip}</title>"
        f'<rect class="{escape(bar.css_class)}" x="{x:.1f}" y="0" width="{span:.1f}"'
        f' height="{height}"/>{inside}</g>'
    )


# -- line charts: values over time ---------------------------------------------------

LINE_HEIGHT = 220
PLOT_LEFT = 64  # room for the value axis labels
PLOT_RIGHT = 16
PLOT_TOP = 26  # room for the legend
PLOT_BOTTOM = 30  # room for the time axis labels
MARKED_POINTS = 120  # up to this many points per series get a dot with its own tooltip
LINE_COLOURS = ("var(--client)", "var(--passed)", "var(--error)", "var(--skipped)")

Point = tuple[float, float | None]  # (x, y); y None: no value there (the line breaks)


@dataclass(frozen=True)
class Series:
    label: str
    points: Sequence[Point]
    colour: str = ""  # a CSS colour; default: the next of LINE_COLOURS


def line_chart(
    series: Sequence[Series],
    *,
    title: str,
    unit: str = "",
    x_unit: str = "s",
    width: int = CHART_WIDTH,
    height: int = LINE_HEIGHT,
) -> str:
    """Each series as a polyline over a shared x axis from 0, the y axis from 0.

    Colours are the page's CSS variables, so the chart follows its light or
    dark scheme; every series says its range in a ``<title>``, and with few
    points every point carries its value as a tooltip.
    """
    values = [y for s in series for _, y in s.points if y is not None]
    if not values:
        return ""
    xs = [x for s in series for x, _ in s.points]
    # four grid steps of a round size: 0, 10, 20, 30, 40 rather than 0, 12.5 ... 50
    top = 4 * nice_ceiling(max(values) / 4)
    frame = _Frame(width, height, max(max(xs), 1.0), top)
    body = [*frame.axes(unit, x_unit), *_legend(series)]
    for index, one in enumerate(series):
        colour = one.colour or LINE_COLOURS[index % len(LINE_COLOURS)]
        body.append(_polyline(one, colour, frame, unit, x_unit))
    return _svg(title, width, height, body)


def nice_ceiling(value: float) -> float:
    """The smallest 1, 2 or 5 times a power of ten at or above ``value`` (axis tops)."""
    if value <= 0:
        return 1.0
    power = 10 ** math.floor(math.log10(value))
    for factor in (1, 2, 5, 10):
        if factor * power >= value * (1 - 1e-9):
            return float(factor * power)
    return float(10 * power)


@dataclass(frozen=True)
class _Frame:
    width: int
    height: int
    x_max: float
    y_max: float

    def x(self, value: float) -> float:
        span = self.width - PLOT_LEFT - PLOT_RIGHT
        return PLOT_LEFT + span * value / self.x_max

    def y(self, value: float) -> float:
        span = self.height - PLOT_TOP - PLOT_BOTTOM
        return self.height - PLOT_BOTTOM - span * value / self.y_max

    def axes(self, unit: str, x_unit: str) -> list[str]:
        parts = []
        for step in range(5):  # value grid: 0, 1/4 ... top
            value = self.y_max * step / 4
            y = self.y(value)
            parts.append(
                f'<line class="chart-grid" x1="{PLOT_LEFT}" y1="{y:.1f}" x2="{self.width - PLOT_RIGHT}"'
                f' y2="{y:.1f}" style="stroke:var(--line)"/>'
                f'<text class="chart-label" x="{PLOT_LEFT - 6}" y="{y + 4:.1f}" text-anchor="end">'
                f"{escape(format_value(value, unit))}</text>"
            )
        tick = nice_ceiling(self.x_max / 6)
        position = 0.0
        while position <= self.x_max + 1e-9:
            parts.append(
                f'<text class="chart-label" x="{self.x(position):.1f}" y="{self.height - 10}"'
                f' text-anchor="middle">{escape(format_value(position, x_unit))}</text>'
            )
            position += tick
        return parts


def _legend(series: Sequence[Series]) -> list[str]:
    parts = []
    x = float(PLOT_LEFT)
    for index, one in enumerate(series):
        colour = one.colour or LINE_COLOURS[index % len(LINE_COLOURS)]
        parts.append(
            f'<rect x="{x:.1f}" y="6" width="14" height="4" style="fill:{escape(colour)}"/>'
            f'<text class="chart-label" x="{x + 18:.1f}" y="13">{escape(one.label)}</text>'
        )
        x += 30 + 7 * len(one.label)
    return parts


def _polyline(one: Series, colour: str, frame: _Frame, unit: str, x_unit: str) -> str:
    known = [y for _, y in one.points if y is not None]
    summary = (
        f"{one.label}: {format_value(min(known), unit)} to {format_value(max(known), unit)}"
        if known
        else f"{one.label}: no values"
    )
    runs: list[list[str]] = [[]]
    dots = []
    mark = len(one.points) <= MARKED_POINTS
    for x, y in one.points:
        if y is None:
            runs.append([])
            continue
        px, py = frame.x(x), frame.y(y)
        runs[-1].append(f"{px:.1f},{py:.1f}")
        if mark:
            tip = f"{one.label} at {format_value(x, x_unit)}: {format_value(y, unit)}"
            dots.append(
                f'<circle cx="{px:.1f}" cy="{py:.1f}" r="2.5" style="fill:{escape(colour)}">'
                f"<title>{escape(tip)}</title></circle>"
            )
    lines = "".join(
        f'<polyline points="{" ".join(run)}" fill="none"'
        f' style="stroke:{escape(colour)};stroke-width:2"/>'
        for run in runs
        if run
    )
    return f"<g><title>{escape(summary)}</title>{lines}{''.join(dots)}</g>"
