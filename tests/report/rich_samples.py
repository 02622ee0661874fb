"""Synthetic reports for the HTML and compare tests, built with the model API.

They cover every verdict and level, several protocols and areas, TLS cases
with a pcap and key log (complete and lossy captures), a long transcript,
non-ASCII text, and server bytes that look like markup and script.
"""

from __future__ import annotations

import copy
from datetime import UTC, datetime, timedelta

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
HOSTILE = "<script>document.body.setAttribute('data-pwned','yes')</script>"
HOSTILE_IMG = "<img src=x onerror=\"document.body.setAttribute('data-pwned','img')\">"
UNICODE_TITLE = "Grüße — SMTPUTF8 address 用户@例子.广告 ✉"

SMTP_TRANSCRIPT = """\
# connection c1 service smtp client 127.0.0.1:50000 server 127.0.0.1:10025
S: 220 mx.example ESMTP
C: EHLO client.example
S: 250-mx.example
S: 250 STARTTLS
C: RCPT TO:<u@local>
S: 250 2.1.5 Ok
"""

HOSTILE_TRANSCRIPT = f"""\
# connection c1 service imap
S: * OK {HOSTILE}
C: a1 LOGIN alice secret
S: a1 NO {HOSTILE_IMG}
[c2] S: * BYE ${{0x01}}
"""


def long_transcript(lines: int) -> str:
    body = "".join(f"C: a{n} NOOP\nS: a{n} OK done\n" for n in range(lines // 2))
    return "# connection c1 service imap\n" + body


def make_case(
    case_id: str,
    verdict: Verdict,
    *,
    protocol: str = "smtp",
    area: str = "transaction",
    level: str = "MUST",
    title: str = "",
    **extra: object,
) -> CaseResult:
    return CaseResult(
        id=case_id,
        file=f"{protocol}/{area}/{case_id.lower()}.mhs",
        title=title or f"title of {case_id}",
        protocol=protocol,
        area=area,
        rfc="RFC 5321 §4.1.1",
        level=level,
        verdict=verdict,
        **extra,  # type: ignore[arg-type]
    )


def make_meta(target: str = "reference", **changes: object) -> Meta:
    meta = Meta(
        tool_version="0.1.0",
        started=STARTED,
        finished=STARTED + timedelta(seconds=12.5),
        machine=Machine("ci-runner", "Linux-6.1-x86_64", "3.11.9"),
        target=TargetInfo(
            name=target,
            host="127.0.0.1",
            ports={"smtp": 10025, "imap": 10143},
            banners={"smtp": "220 mx.example ESMTP", "imap": "* OK ready"},
            capabilities={
                "smtp": Capabilities(["PIPELINING", "STARTTLS"], ["PIPELINING", "AUTH=PLAIN"]),
                "imap": Capabilities(["IMAP4rev1", "STARTTLS"], None, ["IMAP4rev1", "IDLE"]),
            },
        ),
        git_commit="077cc1c",
        suite_paths=["suites/smtp", "suites/imap"],
        command_line=["mailharness", "run", "--target", target],
    )
    for key, value in changes.items():
        setattr(meta, key, value)
    return meta


def rich_report(target: str = "reference") -> Report:
    cases = [
        make_case(
            "SMTP-RCPT-BEFORE-MAIL",
            Verdict.FAILED,
            reason="smtp/transaction/x.mhs:14: expected S: 503 ${*}, got S: 250 2.1.5 Ok",
            expected="S: 503 ${*}",
            received="S: 250 2.1.5 Ok",
            transcript=SMTP_TRANSCRIPT,
            duration_ms=180.0,
        ),
        make_case(
            "IMAP-LOGIN-BANNER",
            Verdict.FAILED,
            protocol="imap",
            area="auth",
            reason=f"expected a1 OK, got {HOSTILE_IMG}",
            expected="S: a1 OK ${*}",
            received=f"S: a1 NO {HOSTILE_IMG}",
            transcript=HOSTILE_TRANSCRIPT,
            pcap="pcaps/imap-login-banner.pcap",
            keylog="pcaps/imap-login-banner.keys",
            capture_complete=False,
            duration_ms=950.0,
        ),
        make_case("SMTP-UTF8", Verdict.ERROR, area="i18n", level="SHOULD", title=UNICODE_TITLE,
                  reason="connection refused\x00 — Grüße", duration_ms=3.2),
        make_case("SMTP-VRFY", Verdict.SKIPPED, level="MAY", area="commands",
                  reason="target lacks VRFY"),
        make_case("SMTP-NOOP", Verdict.PASSED, area="commands", duration_ms=12.5,
                  transcript=SMTP_TRANSCRIPT),
        make_case("SMTP-STARTTLS", Verdict.PASSED, area="tls", duration_ms=420.0,
                  pcap="pcaps/smtp-starttls.pcap", keylog="pcaps/smtp-starttls.keys",
                  capture_complete=True),
        make_case("IMAP-FETCH-MANY", Verdict.PASSED, protocol="imap", area="fetch",
                  level="MUST NOT", transcript=long_transcript(6000), duration_ms=2400.0),
        make_case("POP3-UIDL", Verdict.PASSED, protocol="pop3", area="transaction",
                  level="SHOULD NOT", duration_ms=40.0),
    ]  # fmt: skip
    return Report(meta=make_meta(target), cases=cases)


def with_verdicts(report: Report, verdicts: dict[str, Verdict]) -> Report:
    """A copy of ``report`` with some cases' verdicts replaced."""
    changed = copy.deepcopy(report)
    for case in changed.cases:
        if case.id in verdicts:
            case.verdict = verdicts[case.id]
    return changed
