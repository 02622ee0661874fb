"""The text, Markdown and HTML forms of a comparison."""

from __future__ import annotations

from harness.report.compare import CompareResult, LoadedReport, compare_reports
from harness.report.compare_text import render_compare_markdown, render_compare_text
from harness.report.html.compare_page import render_compare_html
from harness.report.model import Report, Verdict
from tests.report.rich_samples import HOSTILE, make_case, make_meta, rich_report, with_verdicts
from tests.report.test_html import Elements

P, F, S, E = Verdict.PASSED, Verdict.FAILED, Verdict.SKIPPED, Verdict.ERROR


def comparison(*reports: Report) -> CompareResult:
    return compare_reports(
        [LoadedReport(r.meta.target.name, f"runs/{i}", r) for i, r in enumerate(reports)]
    )


def regressed_head() -> Report:
    head = with_verdicts(rich_report("mine"), {"SMTP-NOOP": F, "SMTP-RCPT-BEFORE-MAIL": P})
    head.meta.tool_version = "0.2.0"
    head.cases.append(make_case("SMTP-NEW", P))
    return head


def test_text_lists_reports_warnings_tables_and_the_exit_line() -> None:
    text = render_compare_text(comparison(rich_report(), regressed_head()))
    lines = text.splitlines()
    assert lines[:3] == [
        "mailharness compare",
        "  BASE  reference  runs/0",
        "  HEAD  mine       runs/1",
    ]
    assert "warning: reference and mine were written by different mailharness versions" in text
    assert "mine against reference: 1 regression, 1 fix, 1 case added" in text
    regressions = text.index("REGRESSIONS: PASSED BEFORE, FAILED OR ERROR NOW")
    assert text.index("Fixes: failed or error before, passed now") > regressions
    assert "  SMTP-NOOP  MUST   passed     FAILED  title of SMTP-NOOP" in text
    assert "Cases only in mine (added)" in text and "Cases only in reference" not in text
    assert lines[-1] == (
        "exit 1: mine regressed against reference: 1 case passed there and failed or errored here"
    )


def test_text_of_identical_runs_is_short_and_says_exit_0() -> None:
    text = render_compare_text(comparison(rich_report(), rich_report("again")))
    assert "again against reference: 0 regressions\n" in text
    assert "Regressions" not in text and "REGRESSIONS" not in text
    assert text.endswith("exit 0: again has no regression against reference\n")


def test_text_keeps_control_characters_out_of_the_terminal() -> None:
    base = Report(make_meta(), [make_case("A", P, title="t\x1b[2J")])
    head = Report(make_meta(), [make_case("A", F, title="t\x1b[2J")])
    text = render_compare_text(comparison(base, head))
    assert "\x1b" not in text and "t\\x1b[2J" in text


def test_markdown_has_tables_and_bold_failures() -> None:
    md = render_compare_markdown(comparison(rich_report(), regressed_head()))
    assert md.startswith("### mailharness compare: mine against reference — **regressed**\n")
    assert "> **Warning:** reference and mine were written by different mailharness versions" in md
    assert "| SMTP-NOOP | MUST | passed | **failed** | title of SMTP-NOOP |" in md
    assert "#### Run metadata that differs" in md and "| tool_version | 0.1.0 | 0.2.0 |" in md
    assert md.rstrip().endswith("`")


def test_three_reports_add_the_side_by_side_matrix() -> None:
    third = with_verdicts(rich_report("dovecot-postfix"), {"IMAP-FETCH-MANY": E})
    result = comparison(rich_report(), regressed_head(), third)
    text = render_compare_text(result)
    assert "  #3    dovecot-postfix  runs/2" in text
    assert "dovecot-postfix against reference: 1 regression" in text
    assert "Side by side" in text and "IMAP-FETCH-MANY        passed     passed  ERROR" in text
    assert "  SMTP-NEW               -          passed  -" in text
    assert (
        "(5 of 9 cases have the same verdict in every report; only the others are listed.)" in text
    )
    md = render_compare_markdown(result)
    assert "| report | passed | failed | skipped | error | absent |" in md
    assert "| SMTP-NEW | — | passed | — |" in md


def test_html_compare_page_colours_verdicts_and_escapes_labels() -> None:
    hostile = rich_report(HOSTILE)
    result = comparison(rich_report(), regressed_head(), hostile)
    html = render_compare_html(result)
    page = Elements(html)
    assert len(page.named("script")) == 1 and HOSTILE not in html
    assert "&lt;script&gt;document.body" in html
    assert '<h2 class="regression">Regressions: passed before, failed or error now (1)</h2>' in html
    assert '<h2 class="fix">' in html
    row = "<tr><td><code>SMTP-NOOP</code></td><td>MUST</td>"
    assert (
        row + '<td><span class="badge v-passed">passed</span></td><td><span class="badge v-failed">'
        in html
    )
    assert '<ul class="warnings" role="note">' in html
    assert "cases with the same verdict everywhere</summary>" in html
    assert '<span class="badge v-absent">absent</span>' in html
    assert 'class="top outcome-failed"' in html and "<strong>REGRESSED</strong>" in html


def test_html_compare_without_differences() -> None:
    html = render_compare_html(comparison(rich_report(), rich_report()))
    assert "<strong>NO REGRESSION</strong>" in html and "show no difference" in html
