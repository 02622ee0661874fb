"""Small inline SVG charts for the HTML pages, drawn by hand.

A report page must work offline and stay light, so there is no plotting
library: a chart is a few ``<rect>`` and ``<text>`` elements sized from the
data. Every chart is an ``<svg role="img">`` with a ``<title>`` and an
``aria-label``, and every bar carries its own ``<title>`` (a tooltip, and the
text a screen reader gives), so no number lives only in a colour or a length.

Colours are CSS classes (``bar-passed``, ``bar-failed`` ...) that the page's
stylesheet fills, so a chart follows the page's light or dark scheme.
"""

from __future__ import annotations

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
