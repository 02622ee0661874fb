"""The HTML report page: content, order, escaping, links, self-containment."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

from harness.report.html import render_html, write_html
from harness.report.html.cases import TRANSCRIPT_CHARS, transcript_block
from harness.report.model import Report, Verdict
from harness.report.policy import exit_decision
from tests.report.rich_samples import (
    HOSTILE,
    HOSTILE_IMG,
    UNICODE_TITLE,
    make_case,
    make_meta,
    rich_report,
)


class Elements(HTMLParser):
    """Every start tag with its attributes, and the text inside <script> elements."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.scripts: list[str] = []
        self._in_script = False
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        self._in_script = tag == "script"

    def handle_endtag(self, tag: str) -> None:
        self._in_script = False

    def handle_data(self, data: str) -> None:
        if self._in_script:
            self.scripts.append(data)

    def named(self, tag: str) -> list[dict[str, str | None]]:
        return [attrs for name, attrs in self.tags if name == tag]

    def cases(self) -> list[dict[str, str | None]]:
        return [attrs for attrs in self.named("details") if "data-case" in attrs]


def test_page_is_one_self_contained_file() -> None:
    page = Elements(render_html(rich_report()))
    assert len(page.named("script")) == 1 and len(page.named("style")) == 1
    assert not page.named("link") and not page.named("img") and not page.named("iframe")
    assert not any("src" in attrs for _, attrs in page.tags)
    urls = set(re.findall(r"https?://[^\s\"'<>]+", render_html(rich_report())))
    assert urls <= {"http://www.w3.org/2000/svg"}  # the SVG namespace is a name, not a fetch


def test_server_bytes_that_look_like_markup_stay_text() -> None:
    html = render_html(rich_report())
    page = Elements(html)
    assert HOSTILE not in html and HOSTILE_IMG not in html
    assert "&lt;script&gt;document.body.setAttribute(" in html
    assert "&lt;img src=x onerror=" in html
    assert not any("onerror" in attrs for _, attrs in page.tags)
    assert len(page.scripts) == 1 and "data-pwned" not in page.scripts[0]


def test_summary_names_the_run_and_what_its_exit_status_means() -> None:
    html = render_html(rich_report())
    assert "<h1>mailharness conformance: reference</h1>" in html
    for fact in ("mailharness 0.1.0", "077cc1c", "12.5 s", "ci-runner", "suites/smtp, suites/imap"):
        assert fact in html
    assert "exit 1: 2 MUST case(s) failed: SMTP-RCPT-BEFORE-MAIL, IMAP-LOGIN-BANNER" in html
    assert "Skipped cases never fail it." in html
    cards = re.findall(r'<div class="card v-(\w+)"><span class="n">(\d+)</span>', html)
    assert dict(cards) == {"passed": "4", "failed": "2", "skipped": "1", "error": "1"}
    assert 'class="top outcome-failed"' in html


def test_a_run_that_passes_under_its_baseline_says_so() -> None:
    report = rich_report()
    baseline = {"SMTP-RCPT-BEFORE-MAIL": Verdict.FAILED, "IMAP-LOGIN-BANNER": Verdict.FAILED}
    html = render_html(report, exit_decision(report, baseline=baseline))
    assert 'class="top outcome-passed"' in html and "<strong>PASSED</strong>" in html
    assert "(2 known failures in the baseline)" in html


def test_cases_are_listed_failures_first_and_failures_open() -> None:
    page = Elements(render_html(rich_report()))
    cases = page.cases()
    verdicts = [attrs["data-verdict"] for attrs in cases]
    assert verdicts == [
        "failed",
        "failed",
        "error",
        "skipped",
        "passed",
        "passed",
        "passed",
        "passed",
    ]
    assert [("open" in attrs) for attrs in cases] == [True, True, True] + [False] * 5


def test_a_failure_shows_expected_received_reason_and_transcript() -> None:
    html = render_html(rich_report())
    block = html[html.index('id="case-0"') : html.index('id="case-1"')]
    assert "SMTP-RCPT-BEFORE-MAIL" in block
    assert '<div class="expected"><h3>expected</h3><pre>S: 503 ${*}</pre></div>' in block
    assert '<div class="received"><h3>received</h3><pre>S: 250 2.1.5 Ok</pre></div>' in block
    assert "expected S: 503 ${*}, got S: 250 2.1.5 Ok" in block
    assert "<summary>transcript (7 lines)</summary>" in block
    assert '<span class="t-c">C: EHLO client.example</span>' in block
    assert '<span class="t-s">S: 250 STARTTLS</span>' in block


def test_capture_links_are_relative_and_completeness_is_stated() -> None:
    html = render_html(rich_report())
    assert '<a href="pcaps/imap-login-banner.pcap">packet trace (pcap)</a>' in html
    assert '<a href="pcaps/imap-login-banner.keys">TLS key log</a>' in html
    assert "incomplete: packets were lost" in html
    assert '<span class="capture-complete">complete</span>' in html
    assert "2 of 8 cases have a packet trace; 1 complete, 1 incomplete" in html
    rebased = render_html(rich_report(), link_base="../runs/r1")
    assert 'href="../runs/r1/pcaps/smtp-starttls.pcap"' in rebased


def test_a_report_cannot_plant_a_script_link() -> None:
    report = Report(make_meta(), [make_case("X", Verdict.FAILED, pcap="javascript:alert(1)")])
    html = render_html(report)
    assert 'href="javascript%3Aalert%281%29"' in html and 'href="javascript:' not in html


def test_matrix_counts_protocol_area_level() -> None:
    html = render_html(rich_report())
    start = html.index('<table class="matrix">')
    matrix = html[start : html.index("</table>", start)]
    headers = re.findall(r'<th scope="col">([^<]*)</th>', matrix)
    assert headers == [
        "protocol",
        "area",
        "MUST",
        "MUST NOT",
        "SHOULD",
        "SHOULD NOT",
        "MAY",
        "all levels",
    ]
    assert (
        "<th scope='rowgroup' rowspan='4'>smtp</th>" in matrix
    )  # transaction, i18n, commands, tls
    assert "<th scope='rowgroup' rowspan='2'>imap</th>" in matrix
    failed_cell = re.search(
        r'<td class="num cell-failed"><a href="#cases" data-filter="([^"]+)"', matrix
    )
    assert failed_cell and failed_cell.group(1) == "protocol:smtp area:transaction level:must"
    assert "0/1<br><small>1 failed</small>" in matrix
    assert 'data-filter="protocol:smtp area:commands"' in matrix  # the "all levels" cell
    assert '<td class="num cell-skipped">' in matrix and '<td class="cell-none">·</td>' in matrix


def test_case_tags_let_the_filter_tell_must_from_must_not() -> None:
    tags = {attrs["data-tags"] for attrs in Elements(render_html(rich_report())).cases()}
    assert "protocol:imap area:fetch level:must-not verdict:passed" in tags
    assert "protocol:smtp area:transaction level:must verdict:failed" in tags


def test_long_transcripts_are_clipped_with_a_pointer_to_the_json() -> None:
    html = render_html(rich_report())
    assert "<summary>transcript (6,001 lines)</summary>" in html
    long = "C: NOOP\n" * (TRANSCRIPT_CHARS // 8 + 10)
    block = transcript_block(long)
    assert "# … 80 more characters: the whole transcript is in report.json" in block
    assert block.count("C: NOOP") == TRANSCRIPT_CHARS // 8


def test_unicode_survives_and_control_characters_are_visible() -> None:
    html = render_html(rich_report())
    assert UNICODE_TITLE in html and "Grüße" in html
    assert "\x00" not in html and "\x01" not in html
    assert "connection refused\\x00 — Grüße" in html


def test_write_html_survives_lone_surrogates(tmp_path: Path) -> None:
    report = Report(make_meta(), [make_case("X", Verdict.FAILED, transcript="S: \ud800 odd\n")])
    write_html(report, tmp_path / "index.html")
    assert "S: ? odd" in (tmp_path / "index.html").read_text(encoding="utf-8")


def test_plots_show_verdicts_and_the_slowest_cases() -> None:
    html = render_html(rich_report())
    plots = html[html.index('id="plots"') : html.index('id="cases"')]
    assert plots.count('<svg class="chart" role="img"') == 2
    assert "<h3>Slowest 8 cases</h3>" in plots
    labels = re.findall(r'<text class="chart-label"[^>]*>([^<]*)</text>', plots)
    assert labels[:3] == ["IMAP-FETCH-MANY", "IMAP-LOGIN-BANNER", "SMTP-STARTTLS"]
    assert "<title>IMAP-LOGIN-BANNER (failed)</title>" in plots


def test_an_empty_run_still_renders() -> None:
    html = render_html(Report(make_meta(), []))
    assert "<h1>mailharness conformance: reference</h1>" in html
    assert 'id="matrix"' not in html and 'id="plots"' not in html
    assert "no packet capture in this run" in html
