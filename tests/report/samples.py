"""A small but varied report, shared by the report tests."""

from __future__ import annotations

from datetime import UTC, datetime

from harness.report.model import (
    Capabilities,
    CaseResult,
    Machine,
    Meta,
    Report,
    TargetInfo,
    Verdict,
)

STARTED = datetime(2024, 5, 1, 12, 0, 0, tzinfo=UTC)
FINISHED = datetime(2024, 5, 1, 12, 0, 42, 500000, tzinfo=UTC)

TRANSCRIPT = """\
# connection c1 service smtp client 127.0.0.1:50000 server 127.0.0.1:10025
S: 220 mx.example ESMTP
C: RCPT TO:<u@local>
S: 503 5.5.1 need MAIL ${0x01}<&>
"""


def case(case_id: str, protocol: str, level: str, verdict: Verdict, **extra: object) -> CaseResult:
    return CaseResult(
        id=case_id,
        file=f"{protocol}/area/{case_id.lower().replace('/', '-')}.mhs",
        title=f"title of {case_id}",
        protocol=protocol,
        area="area",
        rfc="RFC 5321 §4.1",
        level=level,
        verdict=verdict,
        **extra,  # type: ignore[arg-type]
    )


def sample_report() -> Report:
    meta = Meta(
        tool_version="0.1.0",
        started=STARTED,
        finished=FINISHED,
        machine=Machine("ci-runner", "Linux-6.1-x86_64", "3.11.9"),
        target=TargetInfo(
            name="dovecot-postfix",
            host="127.0.0.1",
            ports={"smtp": 10025, "imap": 10143},
            banners={"smtp": "220 mx.example ESMTP Postfix", "imap": "* OK Dovecot ready."},
            capabilities={
                "smtp": Capabilities(["PIPELINING", "STARTTLS"], ["PIPELINING", "AUTH=PLAIN"]),
                "imap": Capabilities(["IMAP4rev1", "STARTTLS"], None, ["IMAP4rev1", "IDLE"]),
            },
        ),
        git_commit="077cc1c",
        suite_paths=["suites/smtp", "suites/imap"],
        command_line=["mailharness", "run", "--target", "dp.toml"],
    )
    cases = [
        case("SMTP-NOOP", "smtp", "MUST", Verdict.PASSED, duration_ms=12.5, transcript=TRANSCRIPT),
        case(
            "SMTP-RCPT-BEFORE-MAIL",
            "smtp",
            "MUST",
            Verdict.FAILED,
            reason="smtp/x.mhs:14: expected S: 503 ${*}, got S: 250 ok | weird",
            expected="S: 503 ${*}",
            received="S: 250 ok",
            transcript=TRANSCRIPT,
            duration_ms=20.0,
        ),
        case("SMTP-CMD-UNKNOWN-500", "smtp", "SHOULD", Verdict.FAILED, reason="got 502"),
        case("SMTP-EXPN-HELP", "smtp", "MAY", Verdict.FAILED, reason="no HELP"),
        case("IMAP-IDLE", "imap", "MUST", Verdict.SKIPPED, reason="target lacks IDLE on imap"),
        case("IMAP-LOGIN", "imap", "MUST", Verdict.ERROR, reason="connection refused\x00"),
        case("IMAP-NOOP", "imap", "MUST NOT", Verdict.PASSED, capture_complete=True, pcap="a.pcap"),
    ]
    return Report(meta=meta, cases=cases)
