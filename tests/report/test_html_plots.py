"""The hand-drawn SVG charts: proportions, labels, escaping, accessibility."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from harness.report.plots import (
    LABEL_CHARS,
    Bar,
    clip_label,
    format_value,
    horizontal_bar_chart,
    stacked_bar,
)

SVG = "{http://www.w3.org/2000/svg}"


def widths(svg: str) -> list[float]:
    return [float(rect.get("width", "0")) for rect in ET.fromstring(svg).iter(f"{SVG}rect")]


def test_bars_are_proportional_and_labelled() -> None:
    svg = horizontal_bar_chart(
        [Bar("slow", 400.0), Bar("half", 200.0), Bar("zero", 0.0)], title="durations", unit="ms"
    )
    root = ET.fromstring(svg)  # well-formed XML, so a browser parses it the same way
    assert root.get("role") == "img" and root.get("aria-label") == "durations"
    slow, half, zero = widths(svg)
    assert half == slow / 2 and zero == 1.0  # a zero keeps a visible sliver
    texts = [t.text for t in root.iter(f"{SVG}text")]
    assert texts == ["slow", "400 ms", "half", "200 ms", "zero", "0 ms"]
    tooltips = [t.text for t in root.iter(f"{SVG}title")]
    assert tooltips == ["durations", "slow: 400 ms", "half: 200 ms", "zero: 0 ms"]


def test_labels_are_escaped_and_clipped() -> None:
    long_label = "<b>" + "x" * 80
    svg = horizontal_bar_chart([Bar(long_label, 5.0, "bar-failed")], title="a & b")
    assert "<b>" not in svg and "&lt;b&gt;" in svg
    root = ET.fromstring(svg)
    label = next(root.iter(f"{SVG}text")).text or ""
    assert len(label) == LABEL_CHARS and label.endswith("…")
    assert root.get("aria-label") == "a & b"
    assert 'class="bar-failed"' in svg


def test_stacked_bar_splits_the_width_and_skips_zeros() -> None:
    segments = [Bar("passed", 3, "bar-passed"), Bar("error", 0), Bar("failed", 1, "bar-failed")]
    svg = stacked_bar(segments, title="verdicts", width=400)
    assert widths(svg) == [300.0, 100.0]
    assert "error" not in re.sub(r"<title>verdicts</title>", "", svg)
    assert "3 passed" in svg and "1 failed" in svg


def test_nothing_to_draw_draws_nothing() -> None:
    assert horizontal_bar_chart([], title="t") == ""
    assert stacked_bar([Bar("passed", 0)], title="t") == ""


def test_value_formatting() -> None:
    assert format_value(2400, "ms") == "2.40 s"
    assert format_value(3.25, "ms") == "3.2 ms"
    assert format_value(12.5, "ms") == "12 ms"
    assert format_value(4, "") == "4"
    assert clip_label("short") == "short"
