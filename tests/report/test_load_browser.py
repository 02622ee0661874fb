"""A load run's index.html in headless chromium: it loads cleanly and shows its charts.

One launch (the DOM after the page's script ran); skipped where there is no
chromium, like tests/report/test_browser.py, whose launcher it uses.
"""

from __future__ import annotations

import re
from pathlib import Path

from harness.report.html import write_html
from tests.report.load_reports import load_report
from tests.report.test_browser import launch, pytestmark  # noqa: F401  (skip without chromium)


def test_a_lossy_load_page_renders_with_its_alarm_and_charts(tmp_path: Path) -> None:
    page = tmp_path / "index.html"
    write_html(load_report("lossy"), page)
    dom, console = launch(page, tmp_path / "profile", "--dump-dom")
    assert console == []
    assert re.search(r'<p class="load-alarm" role="alert"[^>]*>[^<]*40 LOST', dom)
    assert len(re.findall(r'<svg class="chart" role="img"', dom)) == 3
    assert dom.count("<polyline") >= 5
    assert '<h2 id="load">Load</h2>' in dom
