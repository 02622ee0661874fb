"""The line chart of the load section: scales, gaps, tooltips, escaping."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from harness.report.plots import PLOT_LEFT, Series, line_chart, nice_ceiling

SVG = "{http://www.w3.org/2000/svg}"


@pytest.mark.parametrize(
    ("value", "top"), [(0.0, 1.0), (0.7, 1.0), (1.0, 1.0), (3.2, 5.0), (38.0, 50.0), (101, 200)]
)
def test_axis_tops_are_round(value: float, top: float) -> None:
    assert nice_ceiling(value) == top


def test_series_become_polylines_broken_where_values_are_missing() -> None:
    svg = line_chart(
        [
            Series("requests", [(0, 10.0), (1, 20.0), (2, None), (3, 40.0), (4, 30.0)]),
            Series("failed", [(0, 0.0), (4, 1.0)], "var(--failed)"),
        ],
        title="per second",
        unit="/s",
    )
    root = ET.fromstring(svg)
    assert root.get("role") == "img" and root.get("aria-label") == "per second"
    lines = [line.get("points", "").split() for line in root.iter(f"{SVG}polyline")]
    assert [len(points) for points in lines] == [2, 2, 2]  # requests split at the gap
    first_x = float(lines[0][0].split(",")[0])
    assert first_x == PLOT_LEFT  # t = 0 sits on the value axis
    tips = [t.text for t in root.iter(f"{SVG}title")]
    assert "requests: 10 /s to 40 /s" in tips and "requests at 3 s: 40 /s" in tips
    labels = [t.text for t in root.iter(f"{SVG}text")]
    assert "40 /s" in labels and "0 /s" in labels  # four steps of 10 up to 40


def test_the_highest_point_reaches_the_top_of_the_scale() -> None:
    svg = line_chart([Series("p95", [(0, 5.0), (1, 40.0)])], title="t", unit="ms", height=200)
    (line,) = ET.fromstring(svg).iter(f"{SVG}polyline")
    top_y = float(line.get("points", "").split()[1].split(",")[1])
    assert top_y == pytest.approx(26.0)  # PLOT_TOP: 40 is the axis top


def test_labels_are_escaped_and_empty_charts_draw_nothing() -> None:
    svg = line_chart([Series("<b>x</b>", [(0, 1.0)])], title="a & b")
    assert "<b>x" not in svg and "&lt;b&gt;x&lt;/b&gt;" in svg
    ET.fromstring(svg)
    assert line_chart([Series("none", [(0, None)])], title="t") == ""
    assert line_chart([], title="t") == ""
