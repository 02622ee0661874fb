"""JUnit XML, the terminal summary and the Markdown CI comment."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

from harness.report.junit import render_junit, write_junit
from harness.report.markdown import cell, fenced, render_markdown
from harness.report.model import Verdict
from harness.report.policy import exit_decision
from harness.report.terminal import render_terminal
from tests.report.samples import TRANSCRIPT, case, sample_report

# --- JUnit ---------------------------------------------------------------------------


def test_junit_parses_and_counts_match(tmp_path: Path) -> None:
    report = sample_report()
    path = tmp_path / "junit.xml"
    write_junit(report, path)
    root = ET.parse(path).getroot()
    assert root.tag == "testsuites"
    assert {k: root.get(k) for k in ("tests", "failures", "errors", "skipped")} == {
        "tests": "7",
        "failures": "3",
        "errors": "1",
        "skipped": "1",
    }
    suites = root.findall("testsuite")
    assert [s.get("name") for s in suites] == ["smtp", "imap"]
    for suite in suites:
        testcases = suite.findall("testcase")
        assert int(suite.get("tests", "")) == len(testcases)
        assert int(suite.get("failures", "")) == len(suite.findall("testcase/failure"))
        assert int(suite.get("errors", "")) == len(suite.findall("testcase/error"))
        assert int(suite.get("skipped", "")) == len(suite.findall("testcase/skipped"))


def test_junit_testcase_content() -> None:
    root = ET.fromstring(render_junit(sample_report()))
    failed = root.find(".//testcase[@name='SMTP-RCPT-BEFORE-MAIL: title of SMTP-RCPT-BEFORE-MAIL']")
    assert failed is not None
    assert failed.get("classname") == "smtp.area" and failed.get("time") == "0.020"
    failure = failed.find("failure")
    assert failure is not None and failure.get("type") == "MUST"
    assert (failure.get("message") or "").startswith("[MUST] smtp/x.mhs:14: expected S: 503")
    assert "received: S: 250 ok" in (failure.text or "")
    assert failed.findtext("system-out") == TRANSCRIPT
    props = {p.get("name"): p.get("value") for p in failed.iter("property")}
    assert props == {"rfc": "RFC 5321 §4.1", "level": "MUST"}
    skipped = root.find(".//testcase[@name='IMAP-IDLE: title of IMAP-IDLE']/skipped")
    assert skipped is not None and skipped.get("message") == "target lacks IDLE on imap"


def test_junit_survives_characters_xml_cannot_carry() -> None:
    xml = render_junit(sample_report())
    errored = ET.fromstring(xml).find(".//error")
    assert errored is not None and errored.get("message") == "[MUST] connection refused\\x00"


# --- terminal ------------------------------------------------------------------------


def test_terminal_summary_lists_counts_failures_and_the_decision() -> None:
    report = sample_report()
    text = render_terminal(report, exit_decision(report), width=160)
    assert "mailharness 0.1.0 against dovecot-postfix (127.0.0.1) in 42.5s" in text
    assert "2 passed" in text and "3 failed" in text and "1 error" in text
    smtp_row = next(line for line in text.splitlines() if line.strip().startswith("smtp"))
    assert [word for word in smtp_row.split() if word != "│"] == ["smtp", "1", "3", "0", "0", "4"]
    assert "SMTP-RCPT-BEFORE-MAIL" in text and "IMAP-LOGIN" in text
    assert "SMTP-NOOP " not in text  # passed cases are not listed
    assert "exit 1: 2 MUST case(s) failed" in text
    assert "connection refused\\x00" in text and "\x00" not in text


def test_terminal_without_failures_has_no_failure_table() -> None:
    report = sample_report()
    report.cases = [c for c in report.cases if c.verdict is Verdict.PASSED]
    text = render_terminal(report, exit_decision(report))
    assert "failed and errored cases" not in text and "exit 0" in text


# --- Markdown --------------------------------------------------------------------------


def test_markdown_summary_for_ci_comments() -> None:
    report = sample_report()
    text = render_markdown(report, exit_decision(report))
    assert text.startswith("### mailharness conformance: dovecot-postfix — **failed**\n")
    assert "| smtp | 1 | 3 | 0 | 0 |" in text
    assert "| imap | 1 | 0 | 1 | 1 |" in text
    assert (
        "| `SMTP-RCPT-BEFORE-MAIL` | MUST | RFC 5321 §4.1 | smtp/x.mhs:14: expected S: 503 ${*}, got S: 250 ok \\| weird |"
        in text
    )
    assert "<details><summary><code>SMTP-RCPT-BEFORE-MAIL</code> failed</summary>" in text
    assert "received: S: 250 ok" in text
    assert text.count("<details>") == 1  # only failures with something to show
    assert "| `IMAP-LOGIN` | MUST | RFC 5321 §4.1 | connection refused\\x00 |" in text


def test_markdown_clips_long_transcripts_and_counts_hidden_failures() -> None:
    report = sample_report()
    report.cases = [
        case(f"SMTP-X-{n}", "smtp", "MUST", Verdict.FAILED, transcript="C: NOOP\n" * 100)
        for n in range(4)
    ]
    text = render_markdown(report, max_failures=2, transcript_chars=40)
    assert "| … 2 more | | | |" in text
    assert text.count("<details>") == 2
    assert "# ... 760 more characters" in text


def test_markdown_helpers_keep_tables_and_fences_intact() -> None:
    assert cell("a | b\nc") == "a \\| b c"
    assert fenced("has ``` inside").startswith("````text\n")
