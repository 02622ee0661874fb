"""The load section of index.html, rendered from real load runs."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from harness.report.html import render_html
from harness.report.load_data import read_load
from harness.report.model import Verdict
from tests.report.load_reports import load_report
from tests.report.samples import sample_report

SVG = re.compile(r"<svg .*?</svg>", re.S)


def row_cells(page: str, first_cell: str) -> list[str]:
    row = re.search(rf"<tr><td>{re.escape(first_cell)}</td>(.*?)</tr>", page)
    assert row, f"no row for {first_cell}"
    return re.findall(r"<td[^>]*>(.*?)</td>", row.group(1))


def test_a_load_run_page_shows_percentiles_gates_integrity_and_charts() -> None:
    report = load_report("reference")
    page = render_html(report)
    assert "<h1>mailharness load: reference</h1>" in page and "outcome-passed" in page
    load = read_load(report.load)
    assert load is not None
    data_end = load.command("SMTP DATA end")
    assert data_end is not None
    requests, failed, *percentiles = row_cells(page, "SMTP DATA end")
    assert requests == f"{data_end.requests:,}" and failed == "0"
    assert [float(p) for p in percentiles] == [
        round(data_end.ms[p] or 0, 1 if (data_end.ms[p] or 0) >= 10 else 2)
        for p in ("p50", "p90", "p95", "p99", "max")
    ]
    assert row_cells(page, "lost")[-1].endswith(">passed</span>")  # the SLO gate row
    charts = SVG.findall(page)
    titles = [ET.fromstring(chart).get("aria-label") for chart in charts]
    assert any(t and t.startswith("messages per second") for t in titles)
    assert any(t and t.startswith("p95 latency per second") for t in titles)
    assert 'class="card v-passed"><span class="n">0</span>lost' in page
    assert "No command failed." in page and "cases</div>" not in page  # no case cards


def test_lost_messages_are_shown_loudly_and_fail_the_page() -> None:
    page = render_html(load_report("lossy"))
    alarm = re.search(r'<p class="load-alarm" role="alert"[^>]*>(.*?)</p>', page)
    assert alarm and "40 LOST" in alarm.group(1)
    assert "outcome-failed" in page and "<strong>FAILED</strong>" in page
    assert 'class="card v-failed"><span class="n">40</span>lost' in page
    assert page.count("<li><strong>lost</strong> <code>load-") == 10  # the first ids, listed
    assert "load failed: lost" in page


def test_the_capture_block_reports_the_measured_loss() -> None:
    page = render_html(load_report("reference-captured"))
    assert "<h3>Packet capture</h3>" in page
    assert '<a href="load.pcap"><code>load.pcap</code></a>' in page
    assert re.search(r"class='capture-complete'>0 of [0-9,]+ octets missing \(0\.00% loss\)", page)
    assert "dropped by the kernel" in page


def test_a_conformance_run_with_a_smoke_load_shows_both_and_fails_on_the_load() -> None:
    report = sample_report()
    report.cases = [case for case in report.cases if case.verdict is Verdict.PASSED]
    assert "outcome-passed" in render_html(report)
    report.load = load_report("lossy").load
    page = render_html(report)
    assert "<h1>mailharness conformance:" in page and '<h2 id="cases">Cases</h2>' in page
    assert '<h2 id="load">Load</h2>' in page and "outcome-failed" in page
    assert "load failed: lost" in page


def test_values_from_the_run_are_escaped() -> None:
    report = load_report("reference")
    assert report.load is not None
    report.load["commands"][0]["name"] = "<script>alert(1)</script>"
    report.load["commands"][0]["errors"] = {"<b>550</b>": 2}
    page = render_html(report)
    assert "<script>alert(1)" not in page and "&lt;script&gt;alert(1)" in page
    assert "&lt;b&gt;550&lt;/b&gt;" in page
