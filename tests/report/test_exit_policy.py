"""Exit status and baselines."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.report.model import Verdict
from harness.report.policy import (
    BaselineError,
    VerdictChange,
    exit_decision,
    parse_baseline,
    read_baseline,
    render_baseline,
)
from tests.report.samples import case, sample_report


def ids(cases) -> list[str]:  # type: ignore[no-untyped-def]
    return [c.id for c in cases]


def test_must_failures_and_errors_fail_the_run() -> None:
    decision = exit_decision(sample_report())
    assert decision.status == 1
    assert ids(decision.failing) == ["SMTP-RCPT-BEFORE-MAIL", "IMAP-LOGIN"]
    assert decision.explain() == "exit 1: 2 MUST case(s) failed: SMTP-RCPT-BEFORE-MAIL, IMAP-LOGIN"


def test_strict_also_gates_should() -> None:
    decision = exit_decision(sample_report(), strict=True)
    assert ids(decision.failing) == ["SMTP-RCPT-BEFORE-MAIL", "SMTP-CMD-UNKNOWN-500", "IMAP-LOGIN"]


def test_should_may_and_skipped_never_fail_a_normal_run() -> None:
    report = sample_report()
    report.cases = [
        c for c in report.cases if c.level in ("SHOULD", "MAY") or c.verdict is Verdict.SKIPPED
    ]
    decision = exit_decision(report)
    assert (decision.status, decision.failing) == (0, ())
    assert decision.explain() == "exit 0: no MUST case failed"


def test_must_not_counts_as_must() -> None:
    report = sample_report()
    report.cases = [case("SMTP-SMUGGLE-INBOUND/lf", "smtp", "MUST NOT", Verdict.FAILED)]
    assert exit_decision(report).status == 1


def test_baseline_tolerates_known_failures_only_with_the_same_verdict() -> None:
    baseline = {"SMTP-RCPT-BEFORE-MAIL": Verdict.FAILED, "IMAP-LOGIN": Verdict.FAILED}
    decision = exit_decision(sample_report(), baseline=baseline)
    assert ids(decision.tolerated) == ["SMTP-RCPT-BEFORE-MAIL"]
    assert ids(decision.failing) == ["IMAP-LOGIN"]  # failed before, errors now: a change


def test_baseline_new_failing_case_fails_and_improvements_do_not() -> None:
    report = sample_report()
    baseline = {c.id: c.verdict for c in report.cases}
    baseline["SMTP-NOOP"] = Verdict.FAILED  # it passes now: an improvement
    baseline["OLD-GONE-CASE"] = Verdict.PASSED
    report.cases.append(case("SMTP-NEW-CASE", "smtp", "MUST", Verdict.FAILED))
    decision = exit_decision(report, baseline=baseline)
    assert ids(decision.failing) == ["SMTP-NEW-CASE"]
    assert decision.changes == (
        VerdictChange("SMTP-NOOP", Verdict.FAILED, Verdict.PASSED),
        VerdictChange("SMTP-NEW-CASE", None, Verdict.FAILED),
    )
    assert decision.stale == ("OLD-GONE-CASE",)


def test_rendered_baseline_reads_back_and_makes_the_run_pass(tmp_path: Path) -> None:
    report = sample_report()
    path = tmp_path / "dovecot.baseline"
    path.write_text(render_baseline(report), encoding="utf-8")
    baseline = read_baseline(path)
    assert baseline["IMAP-LOGIN"] is Verdict.ERROR
    decision = exit_decision(report, strict=True, baseline=baseline)
    assert (decision.status, decision.changes) == (0, ())
    assert (
        decision.explain()
        == "exit 0: no MUST/SHOULD case failed (3 known failures in the baseline)"
    )


def test_parse_baseline_comments_and_case() -> None:
    text = "# known\nSMTP-A failed  # flaky relay\n\n  IMAP-B PASSED\n"
    assert parse_baseline(text) == {"SMTP-A": Verdict.FAILED, "IMAP-B": Verdict.PASSED}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("SMTP-A\n", "b:1: expected 'case-id verdict'"),
        ("SMTP-A failed extra\n", "b:1: expected 'case-id verdict'"),
        ("# c\nSMTP-A broken\n", "b:2: verdict must be one of passed, failed, skipped, error"),
        ("SMTP-A failed\nSMTP-A passed\n", "b:2: SMTP-A is listed twice"),
    ],
)
def test_parse_baseline_errors(text: str, message: str) -> None:
    with pytest.raises(BaselineError, match=message):
        parse_baseline(text, "b")
